package handlers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

// TestGroupReadReceipts: in a group, the console of a message's sender
// hears each member's read as it happens, with every member's mark (name
// and how far they read), from which it says "Read by N"; a console that
// opens the group is told the marks as stored.
func TestGroupReadReceipts(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	alex, _, err := k.db.MemberByEmail(ctx, agentEmail)
	if err != nil {
		t.Fatal(err)
	}
	member := func(name string) chat.User {
		u, err := k.db.CreateMember(ctx, store.NewMember{Email: name + "@example.com", Name: name, PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	kim, lee := member("Kim"), member("Lee")
	group, err := k.db.CreateGroup(ctx, alex.ID, "Seed swap", []int64{kim.ID, lee.ID})
	if err != nil {
		t.Fatal(err)
	}
	msg, _, err := k.db.SendMessage(ctx, store.Send{ConversationID: group, SenderID: alex.ID, Body: "Tomatoes on Friday?"})
	if err != nil {
		t.Fatal(err)
	}
	console := k.agent().console()
	console.send(map[string]any{"type": "resume", "conversation_id": group, "seq": 0})
	got := console.waitFor(`<span id="seen"`)
	if !strings.Contains(got, "data-group") || strings.Contains(got, ">Alex</i>") {
		t.Fatalf("the group's marks on opening it:\n%s", got)
	}

	if err := k.db.MarkRead(ctx, group, kim.ID, msg.Seq); err != nil {
		t.Fatal(err)
	}
	got = console.waitFor(fmt.Sprintf(`<i data-seq="%d">Kim</i>`, msg.Seq))
	if !strings.Contains(got, ">Lee</i>") || strings.Contains(got, fmt.Sprintf(`<i data-seq="%d">Lee</i>`, msg.Seq)) {
		t.Fatalf("after Kim read, the console was told:\n%s", got)
	}
	if err := k.db.MarkRead(ctx, group, lee.ID, msg.Seq); err != nil {
		t.Fatal(err)
	}
	console.waitForAll(fmt.Sprintf(`<i data-seq="%d">Kim</i>`, msg.Seq), fmt.Sprintf(`<i data-seq="%d">Lee</i>`, msg.Seq))
}

// TestDirectSeen: in a direct conversation, the console of a message's
// sender hears "Seen" as far as the other person has read, and no marks.
func TestDirectSeen(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	alex, _, err := k.db.MemberByEmail(ctx, agentEmail)
	if err != nil {
		t.Fatal(err)
	}
	sam, err := k.db.CreateMember(ctx, store.NewMember{Email: "sam@example.com", Name: "Sam", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	direct, err := k.db.StartDirect(ctx, alex.ID, sam.ID)
	if err != nil {
		t.Fatal(err)
	}
	msg, _, err := k.db.SendMessage(ctx, store.Send{ConversationID: direct.ID, SenderID: alex.ID, Body: "lunch?"})
	if err != nil {
		t.Fatal(err)
	}
	console := k.agent().console()
	console.send(map[string]any{"type": "resume", "conversation_id": direct.ID, "seq": 0})
	console.waitFor(`<span id="seen"`)
	if err := k.db.MarkRead(ctx, direct.ID, sam.ID, msg.Seq); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`<span id="seen" hidden data-conversation="%d" data-seq="%d"></span>`, direct.ID, msg.Seq)
	if got := console.waitFor(want); strings.Contains(got, "data-group") {
		t.Fatalf("a direct chat's Seen carries group marks:\n%s", got)
	}
}
