package mail_test

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/mail"
	"github.com/kefu-im/kefu/mail/mailtest"
	"github.com/kefu-im/kefu/outbox"
	"github.com/kefu-im/kefu/outbox/outboxtest"
	"github.com/kefu-im/kefu/store"
)

// resolve has Alex resolve conversation id.
func (w *world) resolve(t testing.TB, id int64) {
	t.Helper()
	if err := w.db.Resolve(context.Background(), id, w.alex.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// transcript asks for t's transcript, and checks whether it was queued.
func (w *world) transcript(t testing.TB, tr store.Transcript, want bool) {
	t.Helper()
	queued, err := w.db.RequestTranscript(context.Background(), tr)
	if err != nil || queued != want {
		t.Fatalf("RequestTranscript(%+v) = %v, %v; want %v", tr, queued, err, want)
	}
}

// wantParts checks that m's plain and HTML parts each hold every one of wants.
func wantParts(t testing.TB, m mailtest.Message, wants ...string) map[string]string {
	t.Helper()
	p := parts(t, m)
	for _, media := range []string{"text/plain", "text/html"} {
		for _, want := range wants {
			if !strings.Contains(p[media], want) {
				t.Errorf("the %s part lacks %q:\n%s", media, want, p[media])
			}
		}
	}
	return p
}

func TestVisitorsTranscriptAfterTheResolveIsEmailedOnceWithBothParts(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false)
	ctx := context.Background()
	v, id := w.chat(t, "sam@example.net", "Where is my order?")
	w.reply(t, id, "It left today: <b>42</b>")
	if _, _, err := w.db.SendMessage(ctx, store.Send{ConversationID: id, SenderID: w.alex.ID, Type: chat.Note, Body: "Asked twice before"}); err != nil {
		t.Fatal(err)
	}
	mine := store.Transcript{ConversationID: id, By: chat.Viewer{UserID: v.ID}}
	if _, err := w.db.RequestTranscript(ctx, mine); !errors.Is(err, chat.ErrOpen) {
		t.Fatalf("a transcript of an open chat: %v, want ErrOpen", err)
	}
	w.resolve(t, id)
	w.transcript(t, mine, true)
	w.transcript(t, mine, false) // asked again: one is on its way
	w.clock.Advance(quiet + time.Second)
	w.round(t, 2) // the transcript, and the reply email its visitor never read
	w.round(t, 0)
	var got []mailtest.Message
	for _, m := range w.smtp.Messages() {
		if strings.Contains(m.Header.Get("Subject"), "Your conversation with") {
			got = append(got, m)
		}
	}
	if len(got) != 1 || len(got[0].To) != 1 || got[0].To[0] != "sam@example.net" {
		t.Fatalf("%d transcripts (%+v); want one, to Sam", len(got), got)
	}
	p := wantParts(t, got[0], "Hello Sam,", "Sam", "Where is my order?", "Alex", "Times are in UTC.")
	if !strings.Contains(p["text/plain"], "It left today: <b>42</b>") || !strings.Contains(p["text/html"], "It left today: &lt;b&gt;42&lt;/b&gt;") {
		t.Errorf("the reply is not in both parts, escaped in HTML:\n%s\n%s", p["text/plain"], p["text/html"])
	}
	for media, text := range p {
		if strings.Contains(text, "Asked twice before") {
			t.Errorf("the visitor's transcript (%s) shows an agent's note", media)
		}
	}
	if u := got[0].Header.Get("List-Unsubscribe"); !strings.HasPrefix(u, "<https://help.example.com/mail/unsubscribe/") {
		t.Errorf("List-Unsubscribe: %q", u)
	}
	ms := w.mails(t, id)
	if len(ms) != 2 || ms[0].Kind != store.MailTranscript || ms[0].SentAt == nil || ms[0].MemberID != 0 {
		t.Fatalf("outbox %+v; want the transcript sent", ms)
	}
}

func TestAVisitorWithoutAnAddressGivesOneForTheTranscript(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false)
	ctx := context.Background()
	v, id := w.chat(t, "", "Hello?")
	w.reply(t, id, "Hi there")
	w.resolve(t, id)
	for _, bad := range []string{"", "sam@example.net\r\nBcc: eve@example.org", "Sam <sam@example.net>"} {
		_, err := w.db.RequestTranscript(ctx, store.Transcript{ConversationID: id, By: chat.Viewer{UserID: v.ID}, Email: bad})
		var ve *chat.ValidationError
		if !errors.As(err, &ve) || ve.Field != "email" {
			t.Errorf("address %q: %v, want a ValidationError on the email", bad, err)
		}
	}
	if u, err := w.db.User(ctx, v.ID); err != nil || u.Email != "" {
		t.Fatalf("refusals changed the visitor: %+v, %v", u, err)
	}
	if ms := w.mails(t, id); len(ms) != 0 {
		t.Fatalf("refusals queued %+v", ms)
	}
	// Another visitor's conversation is not theirs to ask for.
	other, err := w.db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.RequestTranscript(ctx, store.Transcript{ConversationID: id, By: chat.Viewer{UserID: other.ID}, Email: "eve@example.org"}); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("another visitor asked: %v, want ErrNotFound", err)
	}
	w.transcript(t, store.Transcript{ConversationID: id, By: chat.Viewer{UserID: v.ID}, Email: "kim@example.net"}, true)
	if u, err := w.db.User(ctx, v.ID); err != nil || u.Email != "kim@example.net" {
		t.Fatalf("the address given is not the visitor's: %+v, %v", u, err)
	}
	w.round(t, 1)
	if got := w.smtp.Messages(); len(got) != 1 || got[0].To[0] != "kim@example.net" {
		t.Fatalf("%d emails; want the transcript to the address given", len(got))
	}

	if err := w.db.DisableMail(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.RequestTranscript(ctx, store.Transcript{ConversationID: id, By: chat.Viewer{UserID: v.ID}}); !errors.Is(err, chat.ErrMailOff) {
		t.Fatalf("email off: %v, want ErrMailOff", err)
	}
}

func TestAgentsTranscriptGoesToTheVisitorOrToThemselves(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false)
	ctx := context.Background()
	_, id := w.chat(t, "sam@example.net", "Where is my order?")
	w.reply(t, id, "It left today.")
	if _, _, err := w.db.SendMessage(ctx, store.Send{ConversationID: id, SenderID: w.alex.ID, Type: chat.Note, Body: "Asked twice before"}); err != nil {
		t.Fatal(err)
	}
	agent := chat.Viewer{UserID: w.alex.ID, IsAgent: true}
	w.transcript(t, store.Transcript{ConversationID: id, By: agent}, true)
	w.transcript(t, store.Transcript{ConversationID: id, By: agent, ToMe: true}, true)
	w.transcript(t, store.Transcript{ConversationID: id, By: agent, ToMe: true}, false)
	w.round(t, 2)
	to := map[string]mailtest.Message{}
	for _, m := range w.smtp.Messages() {
		to[m.To[0]] = m
	}
	if len(to) != 2 {
		t.Fatalf("emails to %v; want Sam and Alex", to)
	}
	p := wantParts(t, to["sam@example.net"], "Where is my order?", "It left today.")
	if strings.Contains(p["text/plain"], "Asked twice before") {
		t.Errorf("the visitor's copy shows the note")
	}
	wantParts(t, to["alex@example.com"], "Hello Alex,", "Where is my order?", "It left today.", "Asked twice before", "Private note")
	if to["alex@example.com"].Header.Get("List-Unsubscribe") != "" {
		t.Errorf("the agent's own copy offers to unsubscribe")
	}

	// A member who is not an agent may not see the chat; a visitor with
	// no address, or who unsubscribed, gets none from an agent.
	bea, err := w.db.CreateMember(ctx, store.NewMember{Email: "bea@example.com", Name: "Bea", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.RequestTranscript(ctx, store.Transcript{ConversationID: id, By: chat.Viewer{UserID: bea.ID}, ToMe: true}); !errors.Is(err, chat.ErrNotFound) {
		t.Errorf("a member who is not an agent: %v, want ErrNotFound", err)
	}
	_, bare := w.chat(t, "", "Hello?")
	if _, err := w.db.RequestTranscript(ctx, store.Transcript{ConversationID: bare, By: agent}); !errors.Is(err, chat.ErrNoAddress) {
		t.Errorf("a visitor with no address: %v, want ErrNoAddress", err)
	}
	v3, third := w.chat(t, "lee@example.net", "Hello?")
	if err := w.db.Unsubscribe(ctx, v3.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.RequestTranscript(ctx, store.Transcript{ConversationID: third, By: agent}); !errors.Is(err, chat.ErrUnsubscribed) {
		t.Errorf("a visitor who unsubscribed: %v, want ErrUnsubscribed", err)
	}
	if ms := w.mails(t, bare); len(ms) != 0 {
		t.Errorf("refusals queued %+v", ms)
	}
}

// digestWorld is a world whose digests wait a minute unread and come at
// most once an hour.
func digestWorld(t testing.TB) *world {
	t.Helper()
	w := newWorld(t, false)
	base, _ := url.Parse("https://help.example.com")
	cfg := mail.Config{Config: outbox.Config{Quiet: quiet, Now: w.clock.Now, Backoff: outboxtest.NoWait, MaxAttempts: 3},
		Server: w.smtp.URL(), From: "help@example.com", BaseURL: base, TLS: w.smtp.TLS(), DigestAfter: time.Minute, DigestEvery: time.Hour}
	var err error
	if w.worker, err = mail.NewWorker(w.db, cfg, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if err := w.worker.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	return w
}

// member makes a member named name with email.
func (w *world) member(t testing.TB, name, email string) chat.User {
	t.Helper()
	u, err := w.db.CreateMember(context.Background(), store.NewMember{Email: email, Name: name, PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// direct has Alex write body to u, and returns the conversation.
func (w *world) direct(t testing.TB, u chat.User, body string) chat.Message {
	t.Helper()
	m, _, err := w.db.SendDirect(context.Background(), store.Send{SenderID: w.alex.ID, Body: body}, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestADigestGoesOnceToAMemberWithoutPushAndNotToOneWithPushOrWhoRead(t *testing.T) {
	t.Parallel()
	w := digestWorld(t)
	ctx := context.Background()
	bea := w.member(t, "Bea", "bea@example.com")
	cy := w.member(t, "Cy", "cy@example.com")
	dee := w.member(t, "Dee", "dee@example.com")
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	secret := make([]byte, 16)
	rand.Read(secret)
	b64 := base64.RawURLEncoding
	if _, err := w.db.SavePushSubscription(ctx, cy.ID, "https://push.example.com/cy", b64.EncodeToString(k.PublicKey().Bytes()),
		b64.EncodeToString(secret), "Firefox on Linux"); err != nil {
		t.Fatal(err)
	}
	toBea := w.direct(t, bea, "Can you cover Friday?")
	w.direct(t, bea, "It is the <late> shift")
	w.direct(t, cy, "Lunch?")
	toDee := w.direct(t, dee, "Meeting moved")
	w.round(t, 0) // a message unread for less than the delay says nothing yet
	if err := w.db.MarkRead(ctx, toDee.ConversationID, dee.ID, toDee.Seq); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(time.Minute + time.Second)
	w.round(t, 2) // Bea's, and Dee's, who read meanwhile
	w.round(t, 0)
	got := w.smtp.Messages()
	if len(got) != 1 || got[0].To[0] != "bea@example.com" {
		t.Fatalf("%d digests (%+v); want one, to Bea", len(got), got)
	}
	p := wantParts(t, got[0], "Hello Bea,", "Alex", "2 unread", "https://help.example.com/console/c/"+strconv.FormatInt(toBea.ConversationID, 10))
	if !strings.Contains(p["text/plain"], "It is the <late> shift") || !strings.Contains(p["text/html"], "It is the &lt;late&gt; shift") {
		t.Errorf("the last message is not previewed, escaped in HTML:\n%s\n%s", p["text/plain"], p["text/html"])
	}
	if u := got[0].Header.Get("List-Unsubscribe"); !strings.HasPrefix(u, "<https://help.example.com/mail/digest/") {
		t.Errorf("List-Unsubscribe: %q", u)
	}
	if ms, err := w.db.MailsTo(ctx, cy.ID, 10); err != nil || len(ms) != 0 {
		t.Errorf("a member with push got %+v, %v", ms, err)
	}
	if ms, err := w.db.MailsTo(ctx, dee.ID, 10); err != nil || len(ms) != 1 || ms[0].CancelledAt == nil || ms[0].Failed || ms[0].SentAt != nil {
		t.Errorf("a member who read meanwhile: %+v, %v; want cancelled, not failed", ms, err)
	}

	// More unread: the next digest waits the period after the last.
	w.direct(t, bea, "Still there?")
	w.clock.Advance(2 * time.Minute)
	w.round(t, 0)
	w.clock.Advance(time.Hour)
	w.round(t, 1)
	if got := w.smtp.Messages(); len(got) != 2 {
		t.Fatalf("%d emails; want Bea's second digest an hour after the first", len(got))
	}

	// Unsubscribed: none more.
	if err := w.db.Unsubscribe(ctx, bea.ID); err != nil {
		t.Fatal(err)
	}
	w.direct(t, bea, "Hello?")
	w.clock.Advance(2 * time.Hour)
	w.round(t, 0)
}
