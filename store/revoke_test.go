package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/outbox"
	"github.com/kefu-im/kefu/store"
)

func TestRevokeInAGroup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	db := f.db
	member := func(name string) chat.User {
		u, err := db.CreateMember(ctx, store.NewMember{Email: name + "@example.com", Name: name, PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	kim, lee, sam, out := member("kim"), member("lee"), member("sam"), member("out")
	group, err := db.CreateGroup(ctx, kim.ID, "Plans", []int64{lee.ID, sam.ID})
	if err != nil {
		t.Fatal(err)
	}
	p, a := browserKeys(t)
	if _, err := db.SavePushSubscription(ctx, kim.ID, "https://push.example.net/kim", p, a, "Kim's"); err != nil {
		t.Fatal(err)
	}
	send := func(body string) chat.Message {
		m, _, err := db.SendMessage(ctx, store.Send{ConversationID: group, SenderID: lee.ID, Body: body})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	as := func(u chat.User) chat.Viewer { return chat.Viewer{UserID: u.ID} }

	first := send("zanzibar secret plan")
	now := first.CreatedAt.Add(time.Minute)
	got, err := db.Revoke(ctx, group, first.ID, as(lee), now)
	if err != nil || got.RevokedAt == nil || got.RevokedBy != lee.ID || got.Body != "" {
		t.Fatalf("Revoke own = %+v, %v", got, err)
	}
	body, args, by, err := db.MessageColumnsForTest(ctx, first.ID)
	if err != nil || body != "" || len(args) != 0 || by == nil || *by != lee.ID {
		t.Fatalf("live columns after revoke: %q %v %v, %v", body, args, by, err)
	}
	found, err := db.Search(ctx, as(kim), "zanzibar", 0, 20)
	if err != nil || len(found.Messages) != 0 {
		t.Fatalf("search found a revoked message: %+v, %v", found.Messages, err)
	}
	hist, _, err := db.History(ctx, group, 0, 50, chat.ReaderMember)
	if err != nil || hist[len(hist)-1].ID != first.ID || hist[len(hist)-1].RevokedAt == nil {
		t.Fatalf("history after revoke: %+v, %v", hist, err)
	}
	pushes, err := db.Pushes(ctx, kim.ID, 5)
	if err != nil || len(pushes) != 1 || pushes[0].Kind != store.PushRevoked || pushes[0].Seq != first.Seq {
		t.Fatalf("kim's notifications after the revoke: %+v, %v", pushes, err)
	}

	for _, c := range []struct {
		name  string
		conv  int64
		msg   chat.Message
		by    chat.User
		after time.Duration
		want  error
	}{
		{"revoked twice", group, first, lee, time.Minute, chat.ErrAlreadyRevoked},
		{"own, too late", group, send("late"), lee, chat.RevokeWindow + time.Second, chat.ErrRevokeTooLate},
		{"another member's", group, send("mine"), sam, time.Second, chat.ErrNotYours},
		{"not a member", group, send("private"), out, time.Second, chat.ErrNotFound},
		{"another conversation's id", f.conv.ID, send("elsewhere"), lee, time.Second, chat.ErrNotFound},
	} {
		if _, err := db.Revoke(ctx, c.conv, c.msg.ID, as(c.by), c.msg.CreatedAt.Add(c.after)); !errors.Is(err, c.want) {
			t.Errorf("%s: Revoke = %v, want %v", c.name, err, c.want)
		}
		if c.want != chat.ErrAlreadyRevoked {
			if body, _, _, _ := db.MessageColumnsForTest(ctx, c.msg.ID); body == "" {
				t.Errorf("%s: the refused revoke emptied the message", c.name)
			}
		}
	}
	// The group's owner, one of its admins, and a kefu admin, revoke anyone's at any time.
	if err := db.SetAdmin(ctx, group, kim.ID, sam.ID, true); err != nil {
		t.Fatal(err)
	}
	for _, by := range []chat.User{kim, sam, f.agent} {
		if by.ID == f.agent.ID {
			if err := db.AddGroupMembers(ctx, group, kim.ID, []int64{f.agent.ID}); err != nil {
				t.Fatal(err)
			}
		}
		m := send("old news")
		if _, err := db.Revoke(ctx, group, m.ID, as(by), m.CreatedAt.Add(time.Hour)); err != nil {
			t.Errorf("%s revoking a member's message an hour on: %v", by.Name, err)
		}
	}
}

func TestRevokeInASupportChat(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	db := f.db
	hook, err := db.CreateWebhook(ctx, f.agent.ID, store.NewWebhook{URL: "https://hooks.example.com/kefu",
		Events: []string{store.EventMessageRevoked}, Secret: "whsec_x"})
	if err != nil {
		t.Fatal(err)
	}
	visitor := chat.Viewer{UserID: f.visitor.ID}
	agent := chat.Viewer{UserID: f.agent.ID, IsAgent: true}
	if err := db.EnsureAgent(ctx, f.agent.ID); err != nil {
		t.Fatal(err)
	}
	mine, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: f.visitor.ID, Body: "my card number is 4111"})
	if err != nil {
		t.Fatal(err)
	}
	note, _, err := db.SendMessage(ctx, store.Send{ConversationID: f.conv.ID, SenderID: f.agent.ID, Type: chat.Note, Body: "careful"})
	if err != nil {
		t.Fatal(err)
	}
	at := mine.CreatedAt.Add(30 * time.Second)
	if _, err := db.Revoke(ctx, f.conv.ID, mine.ID, agent, at); !errors.Is(err, chat.ErrNotYours) {
		t.Errorf("an agent revoking the visitor's message: %v", err)
	}
	if _, err := db.Revoke(ctx, f.conv.ID, note.ID, visitor, at); !errors.Is(err, chat.ErrNotFound) {
		t.Errorf("a visitor revoking a note: %v", err)
	}
	if _, err := db.Revoke(ctx, f.conv.ID, mine.ID, visitor, at); err != nil {
		t.Fatalf("the visitor revoking their own: %v", err)
	}
	if body, _, _, _ := db.MessageColumnsForTest(ctx, mine.ID); body != "" {
		t.Errorf("the revoked message still holds %q", body)
	}
	sent, err := db.RecentDeliveries(ctx, 10)
	if err != nil || len(sent[hook.ID]) != 1 || sent[hook.ID][0].Event != store.EventMessageRevoked ||
		!strings.Contains(string(sent[hook.ID][0].Payload), fmt.Sprintf(`"message_id":%d`, mine.ID)) ||
		strings.Contains(string(sent[hook.ID][0].Payload), "4111") {
		t.Errorf("the webhook's deliveries after the revoke: %+v, %v", sent[hook.ID], err)
	}
	if _, err := db.Revoke(ctx, f.conv.ID, note.ID, agent, note.CreatedAt.Add(time.Second)); err != nil {
		t.Errorf("an agent revoking their note: %v", err)
	}
}

// TestRevokeKeepsANewerNotification: revoking a message notifies only
// whoever it was the newest notification of in its conversation, since a
// browser keeps one notification per conversation.
func TestRevokeKeepsANewerNotification(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	db := f.db
	member := func(name string) chat.User {
		u, err := db.CreateMember(ctx, store.NewMember{Email: name + "@example.com", Name: name, PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	kim, lee := member("kim"), member("lee")
	group, err := db.CreateGroup(ctx, kim.ID, "Plans", []int64{lee.ID})
	if err != nil {
		t.Fatal(err)
	}
	p, a := browserKeys(t)
	if _, err := db.SavePushSubscription(ctx, kim.ID, "https://push.example.net/kim", p, a, "Kim's"); err != nil {
		t.Fatal(err)
	}
	sendAndPush := func(body string) chat.Message {
		m, _, err := db.SendMessage(ctx, store.Send{ConversationID: group, SenderID: lee.ID, Body: body})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().Add(time.Minute) // past the quiet period
		due, err := db.ClaimPushes(ctx, now, 30*time.Second, time.Minute, 10)
		if err != nil || len(due) != 1 || due[0].Seq != m.Seq {
			t.Fatalf("claim of %q = %+v, %v", body, due, err)
		}
		if err := db.FinishPushes(ctx, due, []outbox.Outcome{{At: now, Done: true}}); err != nil {
			t.Fatal(err)
		}
		return m
	}
	older, newer := sendAndPush("older"), sendAndPush("newer")
	revokes := func() int {
		all, err := db.Pushes(ctx, kim.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, p := range all {
			if p.Kind == store.PushRevoked {
				n++
			}
		}
		return n
	}
	if _, err := db.Revoke(ctx, group, older.ID, chat.Viewer{UserID: lee.ID}, older.CreatedAt.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if n := revokes(); n != 0 {
		t.Fatalf("revoking the older message sent %d revoke notifications over the newer one's", n)
	}
	if _, err := db.Revoke(ctx, group, newer.ID, chat.Viewer{UserID: lee.ID}, newer.CreatedAt.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if n := revokes(); n != 1 {
		t.Fatalf("revoking the newest message sent %d revoke notifications, want 1", n)
	}
}

// TestRevokeUnpins: a revoked message leaves its group's top, with the line
// an unpin writes, and cannot be pinned again.
func TestRevokeUnpins(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	db := f.db
	kim, err := db.CreateMember(ctx, store.NewMember{Email: "kim@example.com", Name: "Kim", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	group, err := db.CreateGroup(ctx, kim.ID, "Plans", []int64{f.agent.ID})
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := db.SendMessage(ctx, store.Send{ConversationID: group, SenderID: kim.ID, Body: "pin me"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Pin(ctx, group, kim.ID, m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Revoke(ctx, group, m.ID, chat.Viewer{UserID: kim.ID}, m.CreatedAt.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	g, err := db.GroupOf(ctx, group, kim.ID)
	if err != nil || len(g.Pins) != 0 {
		t.Fatalf("pins after the revoke: %+v, %v", g.Pins, err)
	}
	last, _, err := db.History(ctx, group, 0, 1, chat.ReaderMember)
	if err != nil || len(last) != 1 || last[0].Code != chat.LineUnpinned {
		t.Fatalf("the group's last line after the revoke: %+v, %v", last, err)
	}
	if err := db.Pin(ctx, group, kim.ID, m.ID); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("pinning a revoked message: %v", err)
	}
	if g, _ := db.GroupOf(ctx, group, kim.ID); len(g.Pins) != 0 {
		t.Fatalf("a revoked message was pinned: %+v", g.Pins)
	}
}
