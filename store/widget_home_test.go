package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

// TestVisitorConversationsListsOnlyTheirOwn: a visitor's home lists their
// support chat and their direct conversation, each with their own unread
// count and last message, and nothing of another visitor who writes to
// the same author and the same customer service.
func TestVisitorConversationsListsOnlyTheirOwn(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	db := f.db
	author, err := db.CreateMember(ctx, store.NewMember{Email: "ann@example.com", Name: "Ann", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	say := func(s store.Send, to int64) chat.Message {
		t.Helper()
		var m chat.Message
		var err error
		if to != 0 {
			m, _, err = db.SendDirect(ctx, s, to)
		} else {
			m, _, err = db.SendMessage(ctx, s)
		}
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	// The agent answers the support chat once; the author twice in the direct one.
	say(store.Send{ConversationID: f.conv.ID, SenderID: f.agent.ID, ClientMsgID: "a1", Body: "How can I help?"}, 0)
	first := say(store.Send{SenderID: f.visitor.ID, ClientMsgID: "v1", Body: "About your book"}, author.ID)
	say(store.Send{ConversationID: first.ConversationID, SenderID: author.ID, ClientMsgID: "b1", Body: "Yes?"}, 0)
	say(store.Send{ConversationID: first.ConversationID, SenderID: author.ID, ClientMsgID: "b2", Body: "<b>Ask away</b>"}, 0)

	other, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	theirs := say(store.Send{SenderID: other.ID, ClientMsgID: "o1", Body: "someone else's"}, author.ID)
	if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: other.ID, ClientMsgID: "o2", Body: "someone else's support"}); err != nil {
		t.Fatal(err)
	}

	got, err := db.VisitorConversations(ctx, f.visitor.ID, 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("the visitor's home lists %d conversations, want 2: %+v", len(got), got)
	}
	direct, support := got[0], got[1] // newest activity first
	if direct.Kind != chat.Direct || direct.PeerID != author.ID || direct.Title != "Ann" || direct.Unread != 2 ||
		direct.LastMessage == nil || direct.LastMessage.Body != "<b>Ask away</b>" {
		t.Fatalf("the direct row is %+v, want Ann's with 2 unread and her last message", direct)
	}
	if support.ID != f.conv.ID || support.Unread != 1 || support.LastMessage.Body != "How can I help?" {
		t.Fatalf("the support row is %+v, want the visitor's chat with 1 unread", support)
	}
	for _, s := range got {
		if s.ID == theirs.ConversationID || s.VisitorID == other.ID {
			t.Fatalf("another visitor's conversation %d is listed", s.ID)
		}
	}
	// Reading clears a row's count.
	if err := db.MarkRead(ctx, first.ConversationID, f.visitor.ID, 3); err != nil {
		t.Fatal(err)
	}
	if got, err = db.VisitorConversations(ctx, f.visitor.ID, 20); err != nil || got[0].Unread != 0 {
		t.Fatalf("after reading, the direct row is %+v, %v; want 0 unread", got[0], err)
	}
	// The launcher counts what the home lists, and no more: once a newer
	// support chat has replaced the old one, the old one's unread answer no
	// longer counts, as the visitor could never open it to read it.
	if st, err := db.StatusOfVisitor(ctx, f.visitor.ID); err != nil || st.Unread != 1 || st.Text != "How can I help?" {
		t.Fatalf("the launcher's status is %+v, %v; want the support chat's 1 unread answer", st, err)
	}
	if err := db.Resolve(ctx, f.conv.ID, f.agent.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, `INSERT INTO conversations (kind, status, visitor_id, last_seq) VALUES ('support', 'queued', $1, 1)`, f.visitor.ID); err != nil {
		t.Fatal(err)
	}
	if got, err = db.VisitorConversations(ctx, f.visitor.ID, 20); err != nil || len(got) != 2 || got[0].ID == f.conv.ID || got[1].ID == f.conv.ID {
		t.Fatalf("after a new support chat the home lists %+v, %v; want the new one in place of the old", got, err)
	}
	if st, err := db.StatusOfVisitor(ctx, f.visitor.ID); err != nil || st.Unread != 0 || st.Text != "" {
		t.Fatalf("the launcher's status is %+v, %v; want nothing unread in what the home lists", st, err)
	}
	// A visitor who never wrote has nothing to list.
	fresh, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := db.VisitorConversations(ctx, fresh.ID, 20); err != nil || len(got) != 0 {
		t.Fatalf("a new visitor's home lists %+v, %v; want nothing", got, err)
	}
}

// TestReplyTimeIsTheMedianOfRecentFirstResponses: the median over the
// newest answered chats since a time; none when no chat was answered.
func TestReplyTimeIsTheMedianOfRecentFirstResponses(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now()
	if _, ok, err := f.db.ReplyTime(ctx, now.Add(-14*24*time.Hour), 200); err != nil || ok {
		t.Fatalf("ReplyTime with no answered chat = %v, %v; want unknown", ok, err)
	}
	// Answered 1, 3 and 30 minutes after joining the queue; one long ago, in 5 hours.
	for i, c := range []struct{ ago, took time.Duration }{{time.Hour, time.Minute}, {2 * time.Hour, 3 * time.Minute},
		{3 * time.Hour, 30 * time.Minute}, {30 * 24 * time.Hour, 5 * time.Hour}} {
		v, err := f.db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
		if err != nil {
			t.Fatal(err)
		}
		m, _, err := f.db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, ClientMsgID: "q", Body: "hi"})
		if err != nil {
			t.Fatal(err)
		}
		answered := now.Add(-c.ago)
		if _, err := f.db.Pool().Exec(ctx, `UPDATE conversations SET queued_at = $2, first_response_at = $3 WHERE id = $1`,
			m.ConversationID, answered.Add(-c.took), answered); err != nil {
			t.Fatal(i, err)
		}
	}
	got, ok, err := f.db.ReplyTime(ctx, now.Add(-14*24*time.Hour), 200)
	if err != nil || !ok || got.Round(time.Second) != 3*time.Minute {
		t.Fatalf("ReplyTime = %v, %v, %v; want the median of the last 14 days, 3m", got, ok, err)
	}
	// The newest two alone: 1 and 3 minutes.
	if got, _, _ := f.db.ReplyTime(ctx, now.Add(-14*24*time.Hour), 2); got.Round(time.Second) != 2*time.Minute {
		t.Fatalf("ReplyTime over the newest 2 = %v, want 2m", got)
	}
}

// TestOnlineNeedsAnOpenConsoleAndNotAway: a member is online while a
// console socket of theirs is open and fresh and they have not said they
// are away; a closed socket in its grace period is not online.
func TestOnlineNeedsAnOpenConsoleAndNotAway(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now()
	const grace = time.Minute
	online := func() bool {
		t.Helper()
		ok, err := f.db.Online(ctx, f.agent.ID, now, grace)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if online() {
		t.Fatal("a member with no console is online")
	}
	if err := f.db.TouchPresence(ctx, "s1", f.agent.ID, now.Add(-10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if !online() {
		t.Fatal("a member with a console open and no routing profile is not online")
	}
	if err := f.db.EnsureAgent(ctx, f.agent.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.db.SetAgentState(ctx, f.agent.ID, chat.Away); err != nil {
		t.Fatal(err)
	}
	if online() {
		t.Fatal("an agent who is away is online")
	}
	if err := f.db.SetAgentState(ctx, f.agent.ID, chat.Available); err != nil {
		t.Fatal(err)
	}
	if !online() {
		t.Fatal("an available agent with a console open is not online")
	}
	if err := f.db.ClosePresence(ctx, "s1", now.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if online() {
		t.Fatal("a member whose console closed is online during the grace period")
	}
	if err := f.db.TouchPresence(ctx, "s2", f.agent.ID, now.Add(-2*grace)); err != nil {
		t.Fatal(err)
	}
	if online() {
		t.Fatal("a console not refreshed for longer than the grace is online")
	}
}
