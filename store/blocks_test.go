package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

func TestMemberBlocksStopEveryPath(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, alex := newAdmin(t)
	sam, err := db.CreateMember(ctx, store.NewMember{Email: "sam@example.com", Name: "Sam", PasswordHash: "x", ActorID: alex.ID})
	if err != nil {
		t.Fatal(err)
	}
	kim, err := db.CreateMember(ctx, store.NewMember{Email: "kim@example.com", Name: "Kim", PasswordHash: "x", ActorID: alex.ID})
	if err != nil {
		t.Fatal(err)
	}
	conv, err := db.StartDirect(ctx, alex.ID, sam.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SendMessage(ctx, store.Send{ConversationID: conv.ID, SenderID: sam.ID, Body: "hi"}); err != nil {
		t.Fatal(err)
	}
	if err := db.Block(ctx, alex.ID, alex.ID); err == nil {
		t.Fatal("blocked oneself")
	}
	if err := db.Block(ctx, sam.ID, alex.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.Block(ctx, sam.ID, alex.ID); err != nil {
		t.Fatalf("blocking twice: %v", err)
	}
	// Either way, a message in their conversation is not delivered, and the
	// refusal is the same whoever blocked whom.
	for _, from := range []int64{alex.ID, sam.ID} {
		if _, _, err := db.SendMessage(ctx, store.Send{ConversationID: conv.ID, SenderID: from, Body: "still there?"}); !errors.Is(err, chat.ErrNotDelivered) {
			t.Fatalf("a message from %d: %v", from, err)
		}
	}
	if _, err := db.StartDirect(ctx, alex.ID, sam.ID); !errors.Is(err, chat.ErrNotDelivered) {
		t.Fatalf("start: %v", err)
	}
	group, err := db.CreateGroup(ctx, alex.ID, "Team", []int64{kim.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AddGroupMembers(ctx, group, alex.ID, []int64{sam.ID}); !errors.Is(err, chat.ErrNotDelivered) {
		t.Fatalf("added to a group: %v", err)
	}
	if c, err := db.Conversation(ctx, conv.ID); err != nil || c.LastSeq != 1 {
		t.Fatalf("refused messages were stored: %+v, %v", c, err)
	}
	if list, err := db.Blocked(ctx, sam.ID); err != nil || len(list) != 1 || list[0].ID != alex.ID {
		t.Fatalf("Blocked = %+v, %v", list, err)
	}
	// Kim, blocked by nobody, talks as before; once unblocked, so do they.
	if _, err := db.StartDirect(ctx, kim.ID, sam.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.Unblock(ctx, sam.ID, alex.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SendMessage(ctx, store.Send{ConversationID: conv.ID, SenderID: alex.ID, Body: "welcome back"}); err != nil {
		t.Fatal(err)
	}
}

func TestVisitorBlocks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	db := f.db
	// The visitor's address is kept when they start a chat.
	v, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: "hello", Address: "203.0.113.9"}); err != nil {
		t.Fatal(err)
	}
	if err := db.BlockVisitor(ctx, f.agent.ID, v.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := db.BlockVisitor(ctx, f.agent.ID, f.visitor.ID, 0); err != nil {
		t.Fatal(err)
	}
	// Their open chat's statement refuses them, and so does a new chat.
	for _, id := range []int64{v.ID, f.visitor.ID} {
		if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: id, Body: "let me in"}); !errors.Is(err, chat.ErrChatUnavailable) {
			t.Fatalf("visitor %d: %v", id, err)
		}
	}
	// Another visitor from the blocked address is refused a chat; from
	// elsewhere they are not.
	w, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: w.ID, Body: "hi", Address: "203.0.113.9"}); !errors.Is(err, chat.ErrChatUnavailable) {
		t.Fatalf("from the blocked address: %v", err)
	}
	if blocked, err := db.VisitorBlocked(ctx, 0, "203.0.113.9"); err != nil || !blocked {
		t.Fatalf("VisitorBlocked(address) = %v, %v", blocked, err)
	}
	if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: w.ID, Body: "hi", Address: "198.51.100.1"}); err != nil {
		t.Fatalf("from another address: %v", err)
	}
	blocks, err := db.VisitorBlocks(ctx)
	if err != nil || len(blocks) != 3 {
		t.Fatalf("VisitorBlocks = %+v, %v", blocks, err)
	}
	for _, b := range blocks {
		if err := db.LiftVisitorBlock(ctx, f.agent.ID, b.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.LiftVisitorBlock(ctx, f.agent.ID, blocks[0].ID); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("lifted twice: %v", err)
	}
	if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: f.visitor.ID, Body: "thanks"}); err != nil {
		t.Fatalf("after the block was lifted: %v", err)
	}
	var n int
	if err := db.Pool().QueryRow(ctx, "SELECT count(*) FROM audit_log WHERE action IN ('visitor.block', 'visitor.unblock')").Scan(&n); err != nil || n != 5 {
		t.Fatalf("audited %d, %v; want 5", n, err)
	}
}

// TestVisitorBlockSharedAddress: an address many visitors may share as kefu
// sees it (behind a proxy, every visitor's is the proxy's) is not blocked:
// the visitor is, and the refusal says why their address is not.
func TestVisitorBlockSharedAddress(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	db := f.db
	v, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: "hello", Address: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	err = db.BlockVisitor(ctx, f.agent.ID, v.ID, time.Hour)
	var ve *chat.ValidationError
	if !errors.As(err, &ve) || ve.Field != "address" || ve.Say != "error.block.sharedAddress" {
		t.Fatalf("blocking a loopback address: %v", err)
	}
	if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: "let me in"}); !errors.Is(err, chat.ErrChatUnavailable) {
		t.Fatalf("the visitor is not blocked: %v", err)
	}
	w, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: w.ID, Body: "hi", Address: "127.0.0.1"}); err != nil {
		t.Fatalf("another visitor from the same loopback address: %v", err)
	}
	if bs, err := db.VisitorBlocks(ctx); err != nil || len(bs) != 1 || bs[0].Address != "" {
		t.Fatalf("blocks: %+v, %v", bs, err)
	}
}
