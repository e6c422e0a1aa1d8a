package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

// lines returns the codes of the lines reader is shown in conversation id.
func lines(t *testing.T, db *store.DB, id int64, reader chat.Reader) []chat.SystemCode {
	t.Helper()
	msgs, err := db.MessagesAfter(context.Background(), id, 0, 200, reader)
	if err != nil {
		t.Fatal(err)
	}
	var out []chat.SystemCode
	for _, m := range msgs {
		if m.Type == chat.System {
			out = append(out, m.Code)
		}
	}
	return out
}

func count(codes []chat.SystemCode, code chat.SystemCode) int {
	n := 0
	for _, c := range codes {
		if c == code {
			n++
		}
	}
	return n
}

// newChat has a new visitor write and returns them and their chat.
func newChat(t *testing.T, db *store.DB, body string) (chat.User, chat.Conversation) {
	t.Helper()
	ctx := context.Background()
	v, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: body}); err != nil {
		t.Fatal(err)
	}
	c, err := db.VisitorConversation(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	return v, c
}

func TestSnoozeRules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	db := f.db
	now := time.Now()
	hour := chat.Snooze{Until: now.Add(time.Hour)}
	if err := db.EnsureAgent(ctx, f.agent.ID); err != nil {
		t.Fatal(err)
	}
	kim, err := db.CreateMember(ctx, store.NewMember{Email: "kim@example.com", Name: "Kim", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}

	if err := db.Snooze(ctx, f.conv.ID, f.agent.ID, true, hour, now); !errors.Is(err, chat.ErrNotAssigned) {
		t.Fatalf("a queued chat snoozed: %v", err)
	}
	if err := db.Take(ctx, f.conv.ID, f.agent.ID, now); err != nil {
		t.Fatal(err)
	}
	says(t, "a time past", db.Snooze(ctx, f.conv.ID, f.agent.ID, false, chat.Snooze{Until: now.Add(-time.Minute)}, now), "error.snooze.past")
	says(t, "a time too far", db.Snooze(ctx, f.conv.ID, f.agent.ID, false, chat.Snooze{Until: now.AddDate(1, 0, 2)}, now), "error.snooze.far")
	if err := db.Snooze(ctx, f.conv.ID, kim.ID, false, hour, now); !errors.Is(err, chat.ErrNotAllowed) {
		t.Fatalf("someone else's chat snoozed: %v", err)
	}
	if c, _ := db.Conversation(ctx, f.conv.ID); c.Snoozed() {
		t.Fatalf("a refused snooze changed the chat: %+v", c)
	}
	if err := db.Snooze(ctx, f.conv.ID, f.agent.ID, false, hour, now); err != nil {
		t.Fatal(err)
	}
	// Set aside unanswered, it stays with its agent: neither the answer
	// timeout nor the agent's being offline hands it back while it sleeps.
	if back, err := db.Sweep(ctx, now.Add(30*time.Minute), time.Second, time.Minute); err != nil || len(back) != 0 {
		t.Fatalf("the sweep handed back %+v (%v) of a snoozed chat", back, err)
	}
	c, err := db.Conversation(ctx, f.conv.ID)
	if err != nil || c.SnoozedUntil == nil || !c.SnoozedUntil.Equal(hour.Until.Truncate(time.Microsecond)) || c.SnoozedUntilReply {
		t.Fatalf("snoozed chat = %+v, %v", c, err)
	}
	// The visitor never hears of it.
	if got := lines(t, db, c.ID, chat.ReaderVisitor); count(got, chat.LineSnoozed) != 0 {
		t.Fatalf("the visitor is shown the snooze: %v", got)
	}
	if got := lines(t, db, c.ID, chat.ReaderAgent); count(got, chat.LineSnoozed) != 1 {
		t.Fatalf("agents are not shown the snooze: %v", got)
	}
	// Resolved: no snooze left, and none taken.
	if err := db.Resolve(ctx, c.ID, f.agent.ID, now); err != nil {
		t.Fatal(err)
	}
	if c, _ := db.Conversation(ctx, f.conv.ID); c.Snoozed() {
		t.Fatalf("a resolved chat stays snoozed: %+v", c)
	}
	if err := db.Snooze(ctx, f.conv.ID, f.agent.ID, true, hour, now); !errors.Is(err, chat.ErrResolved) {
		t.Fatalf("a resolved chat snoozed: %v", err)
	}
}

// Two wakers at once, as two instances run them, wake each due chat
// exactly once: one line each, one notice each.
func TestWakeExactlyOnceWithTwoWakers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, alex := newAdmin(t)
	now := time.Now()
	if err := db.EnsureAgent(ctx, alex.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.SetCapacity(ctx, alex.ID, 100); err != nil {
		t.Fatal(err)
	}
	const n = 30
	var chats []int64
	for i := range n {
		_, c := newChat(t, db, fmt.Sprint("question ", i))
		if err := db.Take(ctx, c.ID, alex.ID, now); err != nil {
			t.Fatal(err)
		}
		if err := db.Snooze(ctx, c.ID, alex.ID, false, chat.Snooze{Until: now.Add(time.Duration(i+1) * time.Minute)}, now); err != nil {
			t.Fatal(err)
		}
		chats = append(chats, c.ID)
	}
	// One more, until the visitor writes: time never wakes it.
	_, waiting := newChat(t, db, "until I write")
	if err := db.Take(ctx, waiting.ID, alex.ID, now); err != nil {
		t.Fatal(err)
	}
	if err := db.Snooze(ctx, waiting.ID, alex.ID, false, chat.Snooze{UntilReply: true}, now); err != nil {
		t.Fatal(err)
	}
	if woke, err := db.WakeDue(ctx, now); err != nil || len(woke) != 0 {
		t.Fatalf("WakeDue before any is due = %+v, %v", woke, err)
	}
	listener := listen(t, db)

	later := now.Add(2 * time.Hour)
	var mu sync.Mutex
	woken := map[int64]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for {
				woke, err := db.WakeDue(ctx, later)
				if err != nil {
					t.Error(err)
					return
				}
				if len(woke) == 0 {
					return
				}
				mu.Lock()
				for _, w := range woke {
					if w.AgentID != alex.ID {
						t.Errorf("woke %+v, not Alex's", w)
					}
					woken[w.ConversationID]++
				}
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(woken) != n {
		t.Fatalf("woke %d chats, want %d", len(woken), n)
	}
	for _, id := range chats {
		if woken[id] != 1 {
			t.Fatalf("chat %d woke %d times", id, woken[id])
		}
		c, err := db.Conversation(ctx, id)
		if err != nil || c.Snoozed() || c.Status != chat.Assigned {
			t.Fatalf("a woken chat = %+v, %v", c, err)
		}
		if got := lines(t, db, id, chat.ReaderAgent); count(got, chat.LineWoke) != 1 {
			t.Fatalf("chat %d's lines: %v", id, got)
		}
		if got := lines(t, db, id, chat.ReaderVisitor); count(got, chat.LineWoke) != 0 {
			t.Fatalf("the visitor is shown the wake: %v", got)
		}
	}
	notices := 0
	for _, ev := range heard(t, listener, 2*n) {
		if ev.Type == chat.EventWoke {
			notices++
			if ev.UserID != alex.ID || ev.Seq == 0 {
				t.Fatalf("wake notice %+v", ev)
			}
		}
	}
	if notices != n {
		t.Fatalf("%d wake notices, want %d", notices, n)
	}
	if c, _ := db.Conversation(ctx, waiting.ID); !c.SnoozedUntilReply {
		t.Fatalf("a chat snoozed until the visitor writes woke by time: %+v", c)
	}
}

// A visitor's message wakes their snoozed chat in its own transaction: the
// wake line comes right after it, for agents only.
func TestVisitorMessageWakesTheChat(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	db := f.db
	now := time.Now()
	if err := db.EnsureAgent(ctx, f.agent.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.Take(ctx, f.conv.ID, f.agent.ID, now); err != nil {
		t.Fatal(err)
	}
	if err := db.Snooze(ctx, f.conv.ID, f.agent.ID, false, chat.Snooze{UntilReply: true}, now); err != nil {
		t.Fatal(err)
	}
	// An agent's own message wakes nothing.
	if _, _, err := db.SendMessage(ctx, store.Send{ConversationID: f.conv.ID, SenderID: f.agent.ID, Body: "we are looking"}); err != nil {
		t.Fatal(err)
	}
	if c, _ := db.Conversation(ctx, f.conv.ID); !c.SnoozedUntilReply {
		t.Fatalf("an agent's message woke the chat: %+v", c)
	}
	listener := listen(t, db)
	m, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: f.visitor.ID, ClientMsgID: "again", Body: "any news?"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.Conversation(ctx, f.conv.ID)
	if err != nil || c.Snoozed() || c.LastSeq != m.Seq+1 {
		t.Fatalf("after the visitor wrote: %+v, %v (message seq %d)", c, err, m.Seq)
	}
	after, err := db.MessagesAfter(ctx, c.ID, m.Seq, 10, chat.ReaderAgent)
	if err != nil || len(after) != 1 || after[0].Code != chat.LineWokeReply {
		t.Fatalf("after the visitor's message: %+v, %v", after, err)
	}
	if seen, _ := db.MessagesAfter(ctx, c.ID, m.Seq, 10, chat.ReaderVisitor); len(seen) != 0 {
		t.Fatalf("the visitor is shown %+v", seen)
	}
	evs := heard(t, listener, 3)
	if evs[0].Type != chat.EventMessage || evs[0].Seq != m.Seq || evs[0].Delivery == nil || evs[0].Delivery.Conversation.Snoozed() {
		t.Fatalf("the message's event = %+v", evs[0])
	}
	if evs[1].Type != chat.EventWoke || evs[1].UserID != f.agent.ID || evs[1].Seq != m.Seq+1 || evs[2].Type != chat.EventQueue {
		t.Fatalf("the wake's events = %+v", evs[1:])
	}
	// A resend of the same message wakes nothing again.
	if _, created, err := db.SendFromVisitor(ctx, store.Send{SenderID: f.visitor.ID, ClientMsgID: "again", Body: "any news?"}); err != nil || created {
		t.Fatalf("resend = %v, %v", created, err)
	}
	if got := lines(t, db, c.ID, chat.ReaderAgent); count(got, chat.LineWokeReply) != 1 {
		t.Fatalf("lines: %v", got)
	}
	// And the next one, not snoozed, adds no line.
	m2, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: f.visitor.ID, Body: "hello?"})
	if c, _ := db.Conversation(ctx, f.conv.ID); err != nil || c.LastSeq != m2.Seq {
		t.Fatalf("a message to a chat not snoozed: %+v, %v", c, err)
	}
}

func TestReopenRules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	db := f.db
	now := time.Now()
	if err := db.EnsureAgent(ctx, f.agent.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.Reopen(ctx, f.conv.ID, f.agent.ID, now); !errors.Is(err, chat.ErrOpen) {
		t.Fatalf("an open chat reopened: %v", err)
	}
	if err := db.Take(ctx, f.conv.ID, f.agent.ID, now); err != nil {
		t.Fatal(err)
	}
	if err := db.Resolve(ctx, f.conv.ID, f.agent.ID, now); err != nil {
		t.Fatal(err)
	}
	// At capacity: refused, and nothing changes.
	if err := db.SetCapacity(ctx, f.agent.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := db.Reopen(ctx, f.conv.ID, f.agent.ID, now); !errors.Is(err, chat.ErrAtCapacity) {
		t.Fatalf("reopened at capacity: %v", err)
	}
	if err := db.SetCapacity(ctx, f.agent.ID, 2); err != nil {
		t.Fatal(err)
	}
	if err := db.Reopen(ctx, f.conv.ID, f.agent.ID, now); err != nil {
		t.Fatal(err)
	}
	c, err := db.Conversation(ctx, f.conv.ID)
	if err != nil || c.Status != chat.Assigned || c.AssignedAgentID != f.agent.ID {
		t.Fatalf("reopened chat = %+v, %v", c, err)
	}
	got := lines(t, db, c.ID, chat.ReaderVisitor)
	if got[len(got)-2] != chat.LineReopened || got[len(got)-1] != chat.LineJoined {
		t.Fatalf("the visitor is shown %v", got)
	}

	// A visitor with another chat open keeps that one: the reopening is refused.
	if err := db.Resolve(ctx, f.conv.ID, f.agent.ID, now); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, `INSERT INTO conversations (kind, visitor_id, status, queued_at)
		VALUES ('support', $1, 'queued', now())`, f.visitor.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.Reopen(ctx, f.conv.ID, f.agent.ID, now); !errors.Is(err, chat.ErrConflict) {
		t.Fatalf("reopened beside another open chat: %v", err)
	}
	if c, _ := db.Conversation(ctx, f.conv.ID); c.Status != chat.Resolved {
		t.Fatalf("a refused reopening changed the chat: %+v", c)
	}
}
