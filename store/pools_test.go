package store_test

import (
	"context"
	"testing"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/storetest"
)

// Deliveries read on connections of their own: with every connection of
// the pool taken, as by senders waiting on a busy database, a stored
// message can still be read for delivery.
func TestDeliveriesReadWhileThePoolIsTaken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := store.OpenSized(ctx, storetest.URL(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, _, err := db.EnsureAdmin(ctx, store.NewMember{Email: "alex@example.com", Name: "Alex", PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	visitor, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	sent, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: visitor.ID, Body: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		conn, err := db.Pool().Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Release()
	}
	if n := db.Pool().Stat().IdleConns(); n != 0 {
		t.Fatalf("%d connections of the pool left idle, want all taken", n)
	}
	deliveries := db.Deliveries()
	msg, err := deliveries.Message(ctx, sent.ID)
	if err != nil || msg.Body != "hello" {
		t.Fatalf("Message = %+v, %v", msg, err)
	}
	conv, err := deliveries.Conversation(ctx, msg.ConversationID)
	if err != nil || conv.VisitorID != visitor.ID {
		t.Fatalf("Conversation = %+v, %v", conv, err)
	}
}
