package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/queue"
	"github.com/kefu-im/kefu/store"
)

// A batch writes, for each chat it assigns, everything a single assignment
// does: the "joined" line, its webhook deliveries, the agent's notification,
// and its events once committed, in the order of the chats, on either bus.
func TestABatchSaysEachAssignmentAsATakeWould(t *testing.T) {
	t.Parallel()
	for _, bus := range []string{"publisher", "notify"} {
		t.Run(bus, func(t *testing.T) {
			t.Parallel()
			batchSaysEachAssignment(t, bus == "publisher")
		})
	}
}

func batchSaysEachAssignment(t *testing.T, publisher bool) {
	w := newPushWorld(t)
	ctx := context.Background()
	now := time.Now()
	rec := &recorder{db: w.db}
	db := w.db
	if publisher {
		db = w.db.WithPublisher(rec)
	}
	hook := addWebhook(t, db, w.alex.ID, store.EventMessageCreated, store.EventConversationAssigned)
	agents := []int64{w.alex.ID, w.kim.ID}
	for _, a := range agents {
		if err := db.TouchPresence(ctx, fmt.Sprint("console-", a), a, now); err != nil {
			t.Fatal(err)
		}
	}
	var chats []int64
	var said []int64 // the seq of each visitor's words
	for i := range 4 {
		_, m := w.visitorSays(t, fmt.Sprint("question ", i))
		chats, said = append(chats, m.ConversationID), append(said, m.Seq)
	}
	before := len(deliveries(t, db, hook.ID))
	rec.take()
	listener := listen(t, db)

	got, err := db.AssignBatch(ctx, now, 30*time.Second, agents, 10, func(c chat.QueuedChat, loads []chat.AgentLoad) (int64, bool) {
		return queue.Pick(c, loads, now)
	})
	if err != nil {
		t.Fatal(err)
	}
	a, k := w.alex.ID, w.kim.ID
	owner := []int64{a, k, a, k} // fewest open chats first, ties to the lower id
	var want []chat.Assignment
	for i, c := range chats {
		want = append(want, chat.Assignment{ConversationID: c, AgentID: owner[i]})
	}
	if !slices.Equal(got, want) {
		t.Fatalf("AssignBatch = %+v, want %+v", got, want)
	}

	var events []chat.Event
	var hooks []string
	names := map[int64]string{a: "Alex", k: "Kim"}
	for i, c := range chats {
		msgs, err := db.MessagesAfter(ctx, c, said[i], 10, chat.ReaderAgent)
		if err != nil || len(msgs) != 1 || msgs[0].Seq != said[i]+1 || msgs[0].Text() != names[owner[i]]+" joined the chat." {
			t.Fatalf("chat %d after the batch: %+v, %v; want the joined line at the next seq", c, msgs, err)
		}
		line := msgs[0]
		events = append(events, chat.Event{Type: chat.EventMessage, ConversationID: c, MessageID: line.ID, Seq: line.Seq},
			chat.Event{Type: chat.EventAssigned, ConversationID: c, UserID: owner[i]})
		hooks = append(hooks, fmt.Sprintf(`message.created c%d kefu system "%s joined the chat."`, c, names[owner[i]]),
			fmt.Sprintf("conversation.assigned c%d visitor=0 agent=%d previous=0 ", c, owner[i]))
	}
	if publisher {
		if published := rec.take(); !slices.Equal(published, events) {
			t.Fatalf("published %+v\nwant %+v", published, events)
		}
		if len(rec.early) > 0 {
			t.Fatalf("messages %v were published before they committed", rec.early)
		}
	} else if notified := heard(t, listener, len(events)); !slices.Equal(notified, events) {
		t.Fatalf("notified %+v\nwant %+v", notified, events)
	}
	var delivered []string
	for _, d := range deliveries(t, db, hook.ID)[before:] {
		delivered = append(delivered, eventLine(t, d))
	}
	if strings.Join(delivered, "\n") != strings.Join(hooks, "\n") {
		t.Fatalf("deliveries:\n%s\nwant:\n%s", strings.Join(delivered, "\n"), strings.Join(hooks, "\n"))
	}
	for _, agent := range agents {
		var notified []int64
		for _, p := range pending(t, db, agent) {
			if p.Kind != store.PushAssigned {
				t.Fatalf("agent %d has a %s notification, want only assignments", agent, p.Kind)
			}
			notified = append(notified, p.ConversationID)
		}
		slices.Sort(notified)
		var theirs []int64
		for i, c := range chats {
			if owner[i] == agent {
				theirs = append(theirs, c)
			}
		}
		if !slices.Equal(notified, theirs) {
			t.Fatalf("agent %d is notified of chats %v, want %v", agent, notified, theirs)
		}
	}
}

// listen is a connection of its own listening on the bus.
func listen(t *testing.T, db *store.DB) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	pooled, err := db.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conn := pooled.Hijack()
	t.Cleanup(func() { conn.Close(ctx) })
	if _, err := conn.Exec(ctx, "LISTEN "+store.BusChannel); err != nil {
		t.Fatal(err)
	}
	return conn
}

// heard returns the next n events conn hears on the bus.
func heard(t *testing.T, conn *pgx.Conn, n int) []chat.Event {
	t.Helper()
	wait, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out []chat.Event
	for len(out) < n {
		note, err := conn.WaitForNotification(wait)
		if err != nil {
			t.Fatalf("after %d of %d events: %v", len(out), n, err)
		}
		var ev chat.Event
		if err := json.Unmarshal([]byte(note.Payload), &ev); err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}
