package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/storetest"
)

// twoInstances opens two DBs on one test database, as two instances
// would, with an admin who is the one agent, and a visitor.
func twoInstances(t *testing.T) (url string, here, there *store.DB, admin, visitor chat.User) {
	t.Helper()
	ctx := context.Background()
	url = storetest.URL(t)
	open := func() *store.DB {
		db, err := store.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(db.Close)
		return db
	}
	here, there = open(), open()
	admin, _, err := here.EnsureAdmin(ctx, store.NewMember{Email: "alex@example.com", Name: "Alex", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := here.SetAgentList(ctx, admin.ID, chat.AgentList{IDs: []int64{admin.ID}}); err != nil {
		t.Fatal(err)
	}
	visitor, err = here.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	return url, here, there, admin, visitor
}

// TestKnownSettingsNeverLetAMessageThrough: an instance that keeps the
// settings in memory, and has not yet heard that another instance closed
// customer service, still refuses the very next message and stores nothing.
func TestKnownSettingsNeverLetAMessageThrough(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, here, there, admin, visitor := twoInstances(t)
	if _, _, err := here.SendFromVisitor(ctx, store.Send{SenderID: visitor.ID, ClientMsgID: "1", Body: "hello"}); err != nil {
		t.Fatal(err)
	}
	// The chat is open, and here knows the settings: the next message goes the short way.
	m, created, ok, err := here.SendToOpenChat(ctx, store.Send{SenderID: visitor.ID, ClientMsgID: "2", Body: "still there?"})
	if err != nil || !ok || !created || m.Seq != 2 {
		t.Fatalf("SendToOpenChat = %+v, %v, %v, %v; want the second message stored", m, created, ok, err)
	}
	if s, err := here.KnownSettings(ctx); err != nil || s.Grade != chat.GradeAnyone {
		t.Fatalf("KnownSettings = %+v, %v", s, err)
	}

	// Another instance raises the grade to 200; here has not heard of it.
	if err := there.SetGrade(ctx, admin.ID, chat.GradeKinOnly); err != nil {
		t.Fatal(err)
	}
	if s, _ := here.KnownSettings(ctx); s.Grade != chat.GradeAnyone {
		t.Fatalf("here knew of the change without being told: grade %d", s.Grade)
	}
	_, _, err = here.SendFromVisitor(ctx, store.Send{SenderID: visitor.ID, ClientMsgID: "3", Body: "hello?"})
	var refused *chat.RefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("send after the grade was raised elsewhere: %v, want a refusal", err)
	}
	conv, err := here.VisitorConversation(ctx, visitor.ID)
	if err != nil || conv.LastSeq != 2 {
		t.Fatalf("conversation after the refusal: %+v, %v; want 2 messages", conv, err)
	}
	// Having found the statement's check failing, here reads them again.
	if s, _ := here.KnownSettings(ctx); s.Grade != chat.GradeKinOnly {
		t.Fatalf("KnownSettings after the refusal: grade %d, want %d", s.Grade, chat.GradeKinOnly)
	}

	// Forgotten, as the bus makes every instance forget, they are read again.
	if err := there.SetGrade(ctx, admin.ID, chat.GradeAnyone); err != nil {
		t.Fatal(err)
	}
	here.ForgetSettings()
	if s, _ := here.KnownSettings(ctx); s.Grade != chat.GradeAnyone {
		t.Fatalf("KnownSettings after ForgetSettings: grade %d, want %d", s.Grade, chat.GradeAnyone)
	}
}

// TestKnownSettingsWithEmailOffQueueEveryEmailOnceItIsOn: a send that knows
// email is off queues no email, and one that has not yet heard that another
// instance turned it on finds out in its own statement and queues it.
func TestKnownSettingsWithEmailOffQueueEveryEmailOnceItIsOn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url, here, there, admin, visitor := twoInstances(t)
	first, _, err := here.SendFromVisitor(ctx, store.Send{SenderID: visitor.ID, ClientMsgID: "1", Body: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	// Assigned to an agent without push, the chat's messages are for a digest.
	if err := here.SetMailDigest(ctx, time.Hour, 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := here.SetCapacity(ctx, admin.ID, 5); err != nil {
		t.Fatal(err)
	}
	if err := here.Take(ctx, first.ConversationID, admin.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	digests := func() (n int) {
		t.Helper()
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM mail_outbox WHERE kind = 'digest'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	here.ForgetSettings() // as the bus has every instance do after a change
	if _, _, ok, err := here.SendToOpenChat(ctx, store.Send{SenderID: visitor.ID, ClientMsgID: "2", Body: "anyone?"}); err != nil || !ok {
		t.Fatalf("SendToOpenChat = %v, %v", ok, err)
	}
	if s, _ := here.KnownSettings(ctx); s.Email || digests() != 0 {
		t.Fatalf("with email off: known %+v, %d digests queued", s, digests())
	}

	if err := there.SetMailQuiet(ctx, 0); err != nil {
		t.Fatal(err)
	}
	_, _, ok, err := here.SendToOpenChat(ctx, store.Send{SenderID: visitor.ID, ClientMsgID: "3", Body: "still there?"})
	if err != nil || ok {
		t.Fatalf("SendToOpenChat under settings changed elsewhere = %v, %v; want it left to the whole way", ok, err)
	}
	if _, created, err := here.SendFromVisitor(ctx, store.Send{SenderID: visitor.ID, ClientMsgID: "3", Body: "still there?"}); err != nil || !created {
		t.Fatalf("SendFromVisitor = %v, %v", created, err)
	}
	if s, _ := here.KnownSettings(ctx); !s.Email || digests() != 1 {
		t.Fatalf("with email on: known %+v, %d digests queued, want 1", s, digests())
	}
	// Known to be on, the short way queues it as well.
	if _, err := conn.Exec(ctx, "DELETE FROM mail_outbox"); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, err := here.SendToOpenChat(ctx, store.Send{SenderID: visitor.ID, ClientMsgID: "4", Body: "hello?"}); err != nil || !ok {
		t.Fatalf("SendToOpenChat = %v, %v", ok, err)
	}
	if n := digests(); n != 1 {
		t.Fatalf("the short way with email on queued %d digests, want 1", n)
	}
}
