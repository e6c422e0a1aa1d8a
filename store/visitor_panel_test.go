package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

// TestVisitorPagesKeepTheNewestOnce: a page is recorded once while it stays
// the newest, only the newest 20 are kept, an address's credentials are
// dropped, and what is not a web address is refused and records nothing.
func TestVisitorPagesKeepTheNewestOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	db := f.db
	for _, page := range []string{"https://shop.example/a", "https://shop.example/a", "https://me:secret@shop.example/b"} {
		if err := db.RecordVisitorPage(ctx, f.visitor.ID, page); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.VisitorPages(ctx, f.visitor.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].URL != "https://shop.example/b" || got[1].URL != "https://shop.example/a" {
		t.Fatalf("pages = %+v, want b then a, once each, without credentials", got)
	}
	for _, bad := range []string{"", "javascript:alert(1)", "/relative", "https://", "https://shop.example/\x00", "https://shop.example/" + string(make([]byte, 2001))} {
		err := db.RecordVisitorPage(ctx, f.visitor.ID, bad)
		if _, ok := errors.AsType[*chat.ValidationError](err); !ok {
			t.Errorf("RecordVisitorPage(%.30q) = %v, want an input error", bad, err)
		}
	}
	for i := range 25 {
		if err := db.RecordVisitorPage(ctx, f.visitor.ID, fmt.Sprintf("https://shop.example/p%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	got, err = db.VisitorPages(ctx, f.visitor.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 20 || got[0].URL != "https://shop.example/p24" || got[19].URL != "https://shop.example/p5" {
		t.Fatalf("kept %d pages, %v … %v; want the newest 20, p24 … p5", len(got), got[0], got[len(got)-1])
	}
}

// TestPastChatsKeepEachRound: a visitor who writes again after a resolve
// reopens the same chat; the panel still lists the resolved round, with its
// agent, last message and rating, and no note.
func TestPastChatsKeepEachRound(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	db := f.db
	now := time.Now()
	if err := db.EnsureAgent(ctx, f.agent.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.Take(ctx, f.conv.ID, f.agent.ID, now); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SendMessage(ctx, store.Send{ConversationID: f.conv.ID, SenderID: f.agent.ID, ClientMsgID: "a1", Body: "Sorted!"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SendMessage(ctx, store.Send{ConversationID: f.conv.ID, SenderID: f.agent.ID, Type: chat.Note, Body: "refund done"}); err != nil {
		t.Fatal(err)
	}
	if got, err := db.PastChats(ctx, f.visitor.ID, 10); err != nil || len(got) != 0 {
		t.Fatalf("past chats of an open first chat = %+v, %v; want none", got, err)
	}
	if err := db.Resolve(ctx, f.conv.ID, f.agent.ID, now); err != nil {
		t.Fatal(err)
	}
	if err := db.RateConversation(ctx, f.visitor.ID, f.conv.ID, 4, "quick"); err != nil {
		t.Fatal(err)
	}
	m, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: f.visitor.ID, ClientMsgID: "v2", Body: "me again"})
	if err != nil || m.ConversationID != f.conv.ID {
		t.Fatalf("writing again = %+v, %v; want the same chat reopened", m, err)
	}
	got, err := db.PastChats(ctx, f.visitor.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ConversationID != f.conv.ID || got[0].Agent != "Alex" || got[0].Last != "Sorted!" ||
		got[0].Rating != 4 || got[0].EndSeq >= m.Seq || got[0].ResolvedAt.Before(got[0].StartedAt) {
		t.Fatalf("past chats = %+v, want the resolved round: Alex, last \"Sorted!\", rated 4, ending before seq %d", got, m.Seq)
	}
}
