package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/storetest"
)

// recorder is a Publisher that keeps what it is given and checks, for each
// message it is told of, that the message can be read outside the
// transaction that stored it: that it is told after commit.
type recorder struct {
	db *store.DB // without the recorder

	mu     sync.Mutex
	events []chat.Event
	early  []int64 // messages announced before they could be read
}

func (r *recorder) Publish(payload []byte) {
	var ev chat.Event
	if err := json.Unmarshal(payload, &ev); err != nil {
		panic(err)
	}
	var readable error
	if ev.Type == chat.EventMessage {
		_, readable = r.db.Message(context.Background(), ev.MessageID)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if readable != nil {
		r.early = append(r.early, ev.MessageID)
	}
	r.events = append(r.events, ev)
}

// take returns the events published since the last take, without the
// deliveries they carry (TestMessageEventCarriesWhatIsStored checks those).
func (r *recorder) take() []chat.Event {
	evs := r.takeWhole()
	for i := range evs {
		evs[i].Delivery = nil
	}
	return evs
}

// takeWhole returns the events published since the last take, as published.
func (r *recorder) takeWhole() []chat.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	evs := r.events
	r.events = nil
	return evs
}

func TestPublisherIsToldOfCommittedChangesOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	rec := &recorder{db: f.db}
	db := f.db.WithPublisher(rec)

	m, created, err := db.SendMessage(ctx, store.Send{ConversationID: f.conv.ID, SenderID: f.agent.ID, ClientMsgID: "c1", Body: "hi"})
	if err != nil || !created {
		t.Fatalf("SendMessage = %v, %v", created, err)
	}
	sent := chat.Event{Type: chat.EventMessage, ConversationID: m.ConversationID, MessageID: m.ID, Seq: m.Seq}
	if got := rec.take(); !slices.Equal(got, []chat.Event{sent}) {
		t.Fatalf("published %+v, want %+v", got, sent)
	}
	if len(rec.early) > 0 {
		t.Fatalf("messages %v were published before they committed", rec.early)
	}

	// A resend is answered with the stored message and announces it again:
	// the first announcement may have been lost with the instance that
	// stored it, which never acknowledged it.
	if _, created, err := db.SendMessage(ctx, store.Send{ConversationID: f.conv.ID, SenderID: f.agent.ID, ClientMsgID: "c1", Body: "hi"}); err != nil || created {
		t.Fatalf("resend = %v, %v", created, err)
	}
	if got := rec.take(); !slices.Equal(got, []chat.Event{sent}) {
		t.Fatalf("a resend published %+v, want %+v", got, sent)
	}

	a, b := chat.Event{Type: chat.EventFriends, UserID: 1}, chat.Event{Type: chat.EventFriends, UserID: 2}
	if err := db.AnnounceThen(ctx, errors.New("rolled back"), a, b); err == nil {
		t.Fatal("the rolled-back transaction reported no error")
	}
	if got := rec.take(); len(got) > 0 {
		t.Fatalf("a rolled-back change published %+v", got)
	}
	// As with NOTIFY, an event announced twice in one transaction goes out once.
	if err := db.AnnounceThen(ctx, nil, a, b, a); err != nil {
		t.Fatal(err)
	}
	if got := rec.take(); !slices.Equal(got, []chat.Event{a, b}) {
		t.Fatalf("published %+v, want %+v", got, []chat.Event{a, b})
	}
}

// TestPublisherReplacesNotify: with a Publisher, a change sends no NOTIFY.
// Notifications arrive in commit order, so the first one heard after a
// change made with a Publisher is that of a later change made without.
func TestPublisherReplacesNotify(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.DB(t)
	pooled, err := db.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conn := pooled.Hijack()
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "LISTEN "+store.BusChannel); err != nil {
		t.Fatal(err)
	}
	published := chat.Event{Type: chat.EventFriends, UserID: 1}
	if err := db.WithPublisher(&recorder{db: db}).AnnounceThen(ctx, nil, published); err != nil {
		t.Fatal(err)
	}
	notified := chat.Event{Type: chat.EventFriends, UserID: 2}
	if err := db.AnnounceThen(ctx, nil, notified); err != nil {
		t.Fatal(err)
	}
	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	n, err := conn.WaitForNotification(wait)
	if err != nil {
		t.Fatal(err)
	}
	var got chat.Event
	if err := json.Unmarshal([]byte(n.Payload), &got); err != nil || got != notified {
		t.Fatalf("first notification %s, want %+v", n.Payload, notified)
	}
}

// A message event carries the message and its conversation as they were
// committed, the same as what an instance would read back; one too large
// for the bus carries ids only.
func TestMessageEventCarriesWhatIsStored(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	rec := &recorder{db: f.db}
	db := f.db.WithPublisher(rec)

	m, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: f.visitor.ID, ClientMsgID: "d1", Body: "where is my order?", VisitorName: "Mei"})
	if err != nil {
		t.Fatal(err)
	}
	evs := rec.takeWhole()
	if len(evs) != 1 || evs[0].Delivery == nil {
		t.Fatalf("published %+v, want one message event with its delivery", evs)
	}
	d := evs[0].Delivery
	stored, err := f.db.Message(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Message.CreatedAt.Equal(stored.CreatedAt) {
		t.Fatalf("carried created_at %v, stored %v", d.Message.CreatedAt, stored.CreatedAt)
	}
	d.Message.CreatedAt = stored.CreatedAt
	if !reflect.DeepEqual(d.Message, stored) {
		t.Fatalf("carried message %+v, stored %+v", d.Message, stored)
	}
	want, err := f.db.SummaryOf(ctx, m.ConversationID)
	if err != nil {
		t.Fatal(err)
	}
	got := d.Summary()
	if got.ID != want.ID || got.Kind != want.Kind || got.Status != want.Status || got.LastSeq != want.LastSeq ||
		got.VisitorID != want.VisitorID || got.AssignedAgentID != want.AssignedAgentID ||
		got.Title != want.Title || got.PeerID != want.PeerID || got.LastMessage.ID != want.LastMessage.ID ||
		!got.LastMessageAt.Equal(*want.LastMessageAt) {
		t.Fatalf("carried summary %+v, read back %+v", got, want)
	}
	if got.Title != "Mei" {
		t.Fatalf("carried title %q, want the visitor's name", got.Title)
	}

	long := strings.Repeat("客", chat.MaxBodyChars) // 12,000 bytes: more than a NOTIFY may carry
	if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: f.visitor.ID, ClientMsgID: "d2", Body: long}); err != nil {
		t.Fatal(err)
	}
	evs = rec.takeWhole()
	if len(evs) != 1 || evs[0].Delivery != nil || evs[0].MessageID == 0 {
		t.Fatalf("published %+v, want one message event with ids only", evs)
	}
}
