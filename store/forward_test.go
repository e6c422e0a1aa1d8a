package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

func TestForward(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	db := f.db
	if err := db.EnsureAgent(ctx, f.agent.ID); err != nil {
		t.Fatal(err)
	}
	member := func(name string) chat.User {
		u, err := db.CreateMember(ctx, store.NewMember{Email: name + "@example.com", Name: name, PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	kim, out := member("Kim"), member("Out")
	group, err := db.CreateGroup(ctx, f.agent.ID, "Team", []int64{kim.ID})
	if err != nil {
		t.Fatal(err)
	}
	direct, err := db.StartDirect(ctx, f.agent.ID, out.ID)
	if err != nil {
		t.Fatal(err)
	}
	alex := chat.Viewer{UserID: f.agent.ID, IsAgent: true}
	hello, _, err := db.History(ctx, f.conv.ID, 0, 1, chat.ReaderAgent)
	if err != nil {
		t.Fatal(err)
	}
	reply, _, err := db.SendMessage(ctx, store.Send{ConversationID: f.conv.ID, SenderID: f.agent.ID, Body: "Hi! How can I help?"})
	if err != nil {
		t.Fatal(err)
	}

	// Given newest first, they are merged oldest first, as they were.
	merged, created, err := db.Forward(ctx, alex, group, []int64{reply.ID, hello[0].ID}, "fw1")
	if err != nil || !created || merged.Type != chat.Merged || len(merged.Forwarded) != 2 {
		t.Fatalf("Forward = %+v, %v, %v", merged, created, err)
	}
	want := []chat.Forwarded{{Sender: f.visitor.DisplayName(), Text: "hello"}, {Sender: "Alex", Text: "Hi! How can I help?"}}
	for i, fw := range merged.Forwarded {
		if fw.Sender != want[i].Sender || fw.Text != want[i].Text || fw.At.IsZero() {
			t.Errorf("forwarded[%d] = %+v, want %+v", i, fw, want[i])
		}
	}
	stored, _, err := db.History(ctx, group, 0, 1, chat.ReaderMember)
	if err != nil || stored[0].ID != merged.ID || len(stored[0].Forwarded) != 2 || stored[0].Forwarded[1].Text != "Hi! How can I help?" {
		t.Fatalf("the group's newest message: %+v, %v", stored, err)
	}
	again, created, err := db.Forward(ctx, alex, group, []int64{reply.ID, hello[0].ID}, "fw1")
	if err != nil || created || again.ID != merged.ID {
		t.Fatalf("a resend of the forward: %+v, %v, %v", again, created, err)
	}

	kims, _, err := db.SendMessage(ctx, store.Send{ConversationID: group, SenderID: kim.ID, Body: "for Out"})
	if err != nil {
		t.Fatal(err)
	}
	revoked, _, err := db.SendMessage(ctx, store.Send{ConversationID: group, SenderID: kim.ID, Body: "oops"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Revoke(ctx, group, revoked.ID, chat.Viewer{UserID: kim.ID}, time.Now()); err != nil {
		t.Fatal(err)
	}
	many := make([]int64, chat.MaxForward+1)
	for i := range many {
		many[i] = int64(i + 1)
	}
	before, _, _ := db.History(ctx, group, 0, 50, chat.ReaderAgent)
	var ve *chat.ValidationError
	for _, c := range []struct {
		name string
		v    chat.Viewer
		to   int64
		ids  []int64
		want func(error) bool
	}{
		{"a member forwarding a support chat's message", chat.Viewer{UserID: kim.ID}, group, []int64{hello[0].ID},
			func(err error) bool { return errors.Is(err, chat.ErrNotFound) }},
		{"to a conversation one cannot see", chat.Viewer{UserID: kim.ID}, direct.ID, []int64{kims.ID},
			func(err error) bool { return errors.Is(err, chat.ErrNotFound) }},
		{"a revoked message", alex, group, []int64{revoked.ID}, func(err error) bool { return errors.As(err, &ve) }},
		{"a merged message", alex, group, []int64{merged.ID}, func(err error) bool { return errors.As(err, &ve) }},
		{"none", alex, group, nil, func(err error) bool { return errors.As(err, &ve) }},
		{"too many", alex, group, many, func(err error) bool { return errors.As(err, &ve) }},
	} {
		if _, _, err := db.Forward(ctx, c.v, c.to, c.ids, ""); !c.want(err) {
			t.Errorf("%s: Forward = %v", c.name, err)
		}
	}
	if after, _, _ := db.History(ctx, group, 0, 50, chat.ReaderAgent); len(after) != len(before) {
		t.Errorf("refused forwards stored %d messages", len(after)-len(before))
	}

	// The grade holds for a forward as for any message: at 200, Alex and
	// Out, neither friends nor in a group together, may not talk.
	if _, _, err := db.Forward(ctx, alex, direct.ID, []int64{reply.ID}, ""); err != nil {
		t.Fatalf("a forward at grade 0: %v", err)
	}
	if err := db.SetGrade(ctx, f.agent.ID, chat.GradeKinOnly); err != nil {
		t.Fatal(err)
	}
	var refused *chat.RefusedError
	if _, _, err := db.Forward(ctx, alex, direct.ID, []int64{reply.ID}, ""); !errors.As(err, &refused) {
		t.Errorf("a forward the grade refuses: %v", err)
	}
}

// TestForwardIsUnread: a merged message counts as unread, in lists and in
// the hub's counts alike, and is the list's last message, for a member
// and for a visitor.
func TestForwardIsUnread(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	db := f.db
	if err := db.EnsureAgent(ctx, f.agent.ID); err != nil {
		t.Fatal(err)
	}
	kim, err := db.CreateMember(ctx, store.NewMember{Email: "kim@example.com", Name: "Kim", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	group, err := db.CreateGroup(ctx, f.agent.ID, "Team", []int64{kim.ID})
	if err != nil {
		t.Fatal(err)
	}
	alex := chat.Viewer{UserID: f.agent.ID, IsAgent: true}
	hello, _, err := db.History(ctx, f.conv.ID, 0, 1, chat.ReaderAgent)
	if err != nil {
		t.Fatal(err)
	}
	before, err := db.Summary(ctx, group, chat.Viewer{UserID: kim.ID})
	if err != nil {
		t.Fatal(err)
	}
	merged, _, err := db.Forward(ctx, alex, group, []int64{hello[0].ID}, "fw-unread")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := db.Summary(ctx, group, chat.Viewer{UserID: kim.ID})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Unread != before.Unread+1 || sum.LastMessage == nil || sum.LastMessage.ID != merged.ID || sum.LastMessage.Type != chat.Merged {
		t.Errorf("Kim's list item after a forward: unread %d (was %d), last %+v", sum.Unread, before.Unread, sum.LastMessage)
	}
	counts, err := db.Unread(ctx, group, merged.Seq, []int64{kim.ID})
	if err != nil || counts[kim.ID] != before.Unread+1 {
		t.Errorf("Unread = %v, %v; want %d", counts, err, before.Unread+1)
	}

	if _, _, err := db.Forward(ctx, alex, f.conv.ID, []int64{hello[0].ID}, "fw-visitor"); err != nil {
		t.Fatal(err)
	}
	st, err := db.StatusOfVisitor(ctx, f.visitor.ID)
	if err != nil || st.Unread != 1 || st.Type != chat.Merged {
		t.Errorf("the visitor's status after a forward to them: %+v, %v", st, err)
	}
}

// TestForwardBlockedAndScreened: a forward into a direct chat whose members
// have blocked one another is not delivered, and each forwarded text is
// screened for the sensitive words as a text is: refused whole, or masked.
func TestForwardBlockedAndScreened(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	db := f.db
	if err := db.EnsureAgent(ctx, f.agent.ID); err != nil {
		t.Fatal(err)
	}
	out, err := db.CreateMember(ctx, store.NewMember{Email: "out@example.com", Name: "Out", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	direct, err := db.StartDirect(ctx, f.agent.ID, out.ID)
	if err != nil {
		t.Fatal(err)
	}
	alex := chat.Viewer{UserID: f.agent.ID, IsAgent: true}
	spam, _, err := db.SendMessage(ctx, store.Send{ConversationID: f.conv.ID, SenderID: f.agent.ID, Body: "buy spam here"})
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		h, _, err := db.History(ctx, direct.ID, 0, 50, chat.ReaderMember)
		if err != nil {
			t.Fatal(err)
		}
		return len(h)
	}
	before := count()

	if err := db.Block(ctx, out.ID, f.agent.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Forward(ctx, alex, direct.ID, []int64{spam.ID}, "fb1"); !errors.Is(err, chat.ErrNotDelivered) {
		t.Errorf("a forward between members who blocked one another: %v", err)
	}
	if err := db.Unblock(ctx, out.ID, f.agent.ID); err != nil {
		t.Fatal(err)
	}

	if _, err := db.AddSensitiveWords(ctx, f.agent.ID, []string{"spam"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Forward(ctx, alex, direct.ID, []int64{spam.ID}, "fb2"); !errors.Is(err, chat.ErrMessageBlocked) {
		t.Errorf("a forward of a listed word, refused: %v", err)
	}
	if n := count(); n != before {
		t.Fatalf("refused forwards stored %d messages", n-before)
	}
	if err := db.SetWordFilter(ctx, f.agent.ID, chat.FilterMask); err != nil {
		t.Fatal(err)
	}
	m, _, err := db.Forward(ctx, alex, direct.ID, []int64{spam.ID}, "fb3")
	if err != nil || len(m.Forwarded) != 1 || m.Forwarded[0].Text != "buy **** here" {
		t.Fatalf("a forward of a listed word, masked: %+v, %v", m, err)
	}
	stored, _, err := db.History(ctx, direct.ID, 0, 1, chat.ReaderMember)
	if err != nil || len(stored) != 1 || len(stored[0].Forwarded) != 1 || stored[0].Forwarded[0].Text != "buy **** here" {
		t.Fatalf("the stored forward: %+v, %v", stored, err)
	}
}
