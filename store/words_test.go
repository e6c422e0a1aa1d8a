package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

func TestSensitiveWordsRefuseOrMask(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	db := f.db
	if _, err := db.AddSensitiveWords(ctx, f.agent.ID, []string{"傻瓜", " SPAM "}); err != nil {
		t.Fatal(err)
	}
	_, err := db.AddSensitiveWords(ctx, f.agent.ID, []string{"ok", "a\nb"})
	says(t, "a word with a line break", err, "error.words.word")
	if list, err := db.SensitiveWords(ctx); err != nil || strings.Join(list, ",") != "spam,傻瓜" {
		t.Fatalf("SensitiveWords = %q, %v", list, err)
	}

	// Refused on the visitor's open chat (its one statement), the whole
	// way (a new chat), and the console's way; nothing is stored.
	if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: f.visitor.ID, ClientMsgID: "v1", Body: "你是傻瓜"}); !errors.Is(err, chat.ErrMessageBlocked) {
		t.Fatalf("visitor's open chat: %v", err)
	}
	other, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: other.ID, Body: "Buy SPAM now"}); !errors.Is(err, chat.ErrMessageBlocked) {
		t.Fatalf("a new chat: %v", err)
	}
	if _, _, err := db.SendMessage(ctx, store.Send{ConversationID: f.conv.ID, SenderID: f.agent.ID, Body: "spam"}); !errors.Is(err, chat.ErrMessageBlocked) {
		t.Fatalf("the console's way: %v", err)
	}
	if _, err := db.VisitorConversation(ctx, other.ID); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("a refused first message started a chat: %v", err)
	}
	if c, err := db.VisitorConversation(ctx, f.visitor.ID); err != nil || c.LastSeq != 1 {
		t.Fatalf("refused messages were stored: %+v, %v", c, err)
	}

	// Masked, once the setting says so, on every way.
	if err := db.SetWordFilter(ctx, f.agent.ID, "drop"); err == nil {
		t.Fatal("a mode that is not refuse or mask was set")
	}
	if err := db.SetWordFilter(ctx, f.agent.ID, chat.FilterMask); err != nil {
		t.Fatal(err)
	}
	m, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: f.visitor.ID, ClientMsgID: "v2", Body: "你是傻瓜 Spam!"})
	if err != nil || m.Body != "你是＊＊ ****!" {
		t.Fatalf("masked on the open chat: %q, %v", m.Body, err)
	}
	if m, _, err = db.SendMessage(ctx, store.Send{ConversationID: f.conv.ID, SenderID: f.agent.ID, Body: "no spam"}); err != nil || m.Body != "no ****" {
		t.Fatalf("masked the console's way: %q, %v", m.Body, err)
	}
	if got, err := db.Message(ctx, m.ID); err != nil || got.Body != "no ****" {
		t.Fatalf("stored: %q, %v", got.Body, err)
	}

	// A word taken off the list is let through at once.
	if err := db.RemoveSensitiveWord(ctx, f.agent.ID, "spam"); err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveSensitiveWord(ctx, f.agent.ID, "spam"); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("removed twice: %v", err)
	}
	if m, _, err = db.SendFromVisitor(ctx, store.Send{SenderID: f.visitor.ID, Body: "spam"}); err != nil || m.Body != "spam" {
		t.Fatalf("after removal: %q, %v", m.Body, err)
	}
	var n int
	if err := db.Pool().QueryRow(ctx, "SELECT count(*) FROM audit_log WHERE action IN ('words.add', 'words.remove') OR subject = 'word_filter'").Scan(&n); err != nil || n != 3 {
		t.Fatalf("audited %d changes, %v; want 3", n, err)
	}
}

// A list changed through another handle on the same database (another
// instance, whose bus this one has not heard yet) holds from the very next
// message: the open chat's statement checks settings_version.
func TestSensitiveWordsHoldAtOnceAcrossInstances(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	if _, _, err := f.db.SendFromVisitor(ctx, store.Send{SenderID: f.visitor.ID, Body: "垃圾广告"}); err != nil {
		t.Fatal(err) // this instance now knows the settings, with no word listed
	}
	other := f.db.Other()
	if _, err := other.AddSensitiveWords(ctx, f.agent.ID, []string{"垃圾广告"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.db.SendFromVisitor(ctx, store.Send{SenderID: f.visitor.ID, Body: "又是垃圾广告"}); !errors.Is(err, chat.ErrMessageBlocked) {
		t.Fatalf("visitor, after another instance listed the word: %v", err)
	}
	if _, err := other.AddSensitiveWords(ctx, f.agent.ID, []string{"scam"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.db.SendMessage(ctx, store.Send{ConversationID: f.conv.ID, SenderID: f.agent.ID, Body: "SCAM"}); !errors.Is(err, chat.ErrMessageBlocked) {
		t.Fatalf("agent, after another instance listed the word: %v", err)
	}
	// Taken off the list on the other instance, the word no longer refuses
	// here, though this instance has heard nothing of it.
	if err := other.RemoveSensitiveWord(ctx, f.agent.ID, "垃圾广告"); err != nil {
		t.Fatal(err)
	}
	if m, _, err := f.db.SendFromVisitor(ctx, store.Send{SenderID: f.visitor.ID, Body: "还是垃圾广告"}); err != nil || m.Body != "还是垃圾广告" {
		t.Fatalf("visitor, after another instance took the word off: %+v, %v", m, err)
	}
}
