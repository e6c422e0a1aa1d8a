package mail_test

import (
	"context"
	"log/slog"
	"mime"
	"net/url"
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
	"github.com/kefu-im/kefu/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// quiet is the tests' quiet period: the clock jumps past it.
const quiet = time.Minute

// world is a database with an agent (Alex), a test SMTP server and a mail worker over both.
type world struct {
	db     *store.DB
	smtp   *mailtest.Server
	clock  *outboxtest.Clock
	alex   chat.User
	worker *mail.Worker
}

// newWorld starts a world; tune, when given, changes the mail worker's configuration.
func newWorld(t testing.TB, implicitTLS bool, tune ...func(*mail.Config)) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{db: storetest.DB(t), smtp: mailtest.Start(t, implicitTLS), clock: &outboxtest.Clock{}}
	var err error
	if w.alex, _, err = w.db.EnsureAdmin(ctx, store.NewMember{Email: "alex@example.com", Name: "Alex", PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := w.db.SetAgentCapacity(ctx, 0, w.alex.ID, 1000); err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("https://help.example.com")
	cfg := mail.Config{Config: outbox.Config{Quiet: quiet, Now: w.clock.Now, Backoff: outboxtest.NoWait, MaxAttempts: 3},
		Server: w.smtp.URL(), From: "Help <help@example.com>", BaseURL: base, TLS: w.smtp.TLS()}
	for _, f := range tune {
		f(&cfg)
	}
	if w.worker, err = mail.NewWorker(w.db, cfg, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if err := w.worker.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	return w
}

// chat has a new visitor with email write body and gives the chat to Alex.
func (w *world) chat(t testing.TB, email, body string) (chat.User, int64) {
	t.Helper()
	ctx := context.Background()
	v, err := w.db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := w.db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: body, VisitorEmail: email, VisitorName: "Sam"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.db.Take(ctx, m.ConversationID, w.alex.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	return v, m.ConversationID
}

// reply has Alex write body in conversation id.
func (w *world) reply(t testing.TB, id int64, body string) chat.Message {
	t.Helper()
	m, _, err := w.db.SendMessage(context.Background(), store.Send{ConversationID: id, SenderID: w.alex.ID, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// round runs one round after the quiet period and checks how many it claimed.
func (w *world) round(t testing.TB, want int) {
	t.Helper()
	if n, err := w.worker.Round(context.Background()); err != nil || n != want {
		t.Fatalf("round claimed %d, %v; want %d", n, err, want)
	}
}

func (w *world) mails(t testing.TB, id int64) []store.Mail {
	t.Helper()
	all, err := w.db.Mails(context.Background(), id, 10)
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// parts returns m's decoded text parts.
func parts(t testing.TB, m mailtest.Message) map[string]string {
	t.Helper()
	p, err := m.Parts()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReplyToAVisitorWhoLeftIsEmailedOnceWithBothParts(t *testing.T) {
	t.Parallel()
	for _, implicit := range []bool{false, true} {
		w := newWorld(t, implicit)
		_, id := w.chat(t, "sam@example.net", "Where is my order?")
		w.reply(t, id, "It left today.")
		w.reply(t, id, "Tracking: <b>42</b>\nArriving Friday")
		w.round(t, 0) // the quiet period holds it
		w.clock.Advance(quiet + time.Second)
		w.round(t, 1)
		w.round(t, 0) // sent once
		got := w.smtp.Messages()
		if len(got) != 1 {
			t.Fatalf("implicit TLS %v: %d messages, want 1", implicit, len(got))
		}
		m := got[0]
		if len(m.To) != 1 || m.To[0] != "sam@example.net" || m.From != "help@example.com" {
			t.Errorf("envelope from %q to %q", m.From, m.To)
		}
		if u := m.Header.Get("List-Unsubscribe"); !strings.HasPrefix(u, "<https://help.example.com/mail/unsubscribe/") {
			t.Errorf("List-Unsubscribe: %q", u)
		}
		if p := m.Header.Get("List-Unsubscribe-Post"); p != "List-Unsubscribe=One-Click" {
			t.Errorf("List-Unsubscribe-Post: %q", p)
		}
		parts := parts(t, m)
		for media, wants := range map[string][]string{
			"text/plain": {"Hello Sam,", "> It left today.", "> Tracking: <b>42</b>", "https://help.example.com/mail/c/", "Stop these emails"},
			"text/html": {`<meta name="viewport" content="width=device-width, initial-scale=1">`,
				`<span style="white-space: pre-wrap">It left today.</span>`,
				"Tracking: &lt;b&gt;42&lt;/b&gt;", "Arriving Friday</span>", `href="https://help.example.com/mail/c/`},
		} {
			for _, want := range wants {
				if !strings.Contains(parts[media], want) {
					t.Errorf("implicit TLS %v: the %s part lacks %q:\n%s", implicit, media, want, parts[media])
				}
			}
		}
		if ms := w.mails(t, id); len(ms) != 1 || ms[0].SentAt == nil || ms[0].Attempts != 1 {
			t.Errorf("outbox %+v, want one sent at the first attempt", ms)
		}
	}
}

func TestEmailIsRetriedAfterA4xxAndFailsForGoodOnA5xx(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false)
	_, id := w.chat(t, "sam@example.net", "Hello?")
	w.reply(t, id, "Hi Sam")
	w.clock.Advance(quiet + time.Second)
	w.smtp.Answer(451)
	w.round(t, 1)
	ms := w.mails(t, id)
	if len(ms) != 1 || ms[0].SentAt != nil || ms[0].CancelledAt != nil || ms[0].Status != 451 || ms[0].Failed {
		t.Fatalf("after a 451: %+v, want pending with status 451", ms)
	}
	w.round(t, 1)
	if ms = w.mails(t, id); ms[0].SentAt == nil || len(w.smtp.Messages()) != 1 {
		t.Fatalf("after the retry: %+v, %d messages; want sent once", ms[0], len(w.smtp.Messages()))
	}

	_, id2 := w.chat(t, "nobody@example.net", "Hello?")
	w.reply(t, id2, "Hi there")
	w.clock.Advance(quiet + time.Second)
	w.smtp.Answer(550)
	w.round(t, 1)
	w.round(t, 0) // not tried again
	ms = w.mails(t, id2)
	if len(ms) != 1 || ms[0].CancelledAt == nil || ms[0].Status != 550 || !ms[0].Failed || !strings.Contains(ms[0].LastError, "550") {
		t.Fatalf("after a 550: %+v, want failed for good", ms)
	}
	if strings.Contains(ms[0].LastError, "nobody@example.net") {
		t.Errorf("the recorded error repeats the address: %q", ms[0].LastError)
	}
	failures, err := w.db.MailFailures(context.Background(), 10)
	if err != nil || len(failures) != 1 || failures[0].ConversationID != id2 || failures[0].Email != "nobody@example.net" {
		t.Fatalf("failures %+v, %v; want the 550", failures, err)
	}
}

func TestVisitorWhoLeftTheWidgetUnreadIsEmailedOnceAfterTheQuietPeriod(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false)
	ctx := context.Background()
	v, id := w.chat(t, "sam@example.net", "Hello?")
	w.reply(t, id, "Hi Sam")
	w.clock.Advance(quiet + time.Second)
	// The visitor kept the site open, the widget collapsed, when the email
	// fell due; then they left without reading the reply.
	seen := w.clock.Now().Add(-quiet / 2)
	if err := w.db.TouchWidget(ctx, v.ID, "zh-CN", seen); err != nil {
		t.Fatal(err)
	}
	w.round(t, 0) // it waits for the quiet period after the widget was last seen
	ms := w.mails(t, id)
	if len(ms) != 1 || ms[0].SentAt != nil || ms[0].CancelledAt != nil || ms[0].Attempts != 0 ||
		ms[0].NextAttemptAt.Sub(seen.Add(quiet)).Abs() > time.Millisecond {
		t.Fatalf("visitor seen unread: %+v; want pending, no attempt counted, due at %s", ms, seen.Add(quiet))
	}
	w.reply(t, id, "Are you still there?") // joins the waiting email
	w.clock.Advance(quiet/2 - 2*time.Second)
	w.round(t, 0)
	w.clock.Advance(3 * time.Second)
	w.round(t, 1)
	w.round(t, 0) // sent once
	got := w.smtp.Messages()
	if len(got) != 1 {
		t.Fatalf("%d messages; want one", len(got))
	}
	if text := parts(t, got[0])["text/plain"]; !strings.Contains(text, "Hi Sam") || !strings.Contains(text, "Are you still there?") ||
		!strings.Contains(text, "打开会话并回复") {
		t.Errorf("the email does not tell both replies, in the widget's Chinese:\n%s", text)
	}
	if subj, err := new(mime.WordDecoder).DecodeHeader(got[0].Header.Get("Subject")); err != nil || subj != "客服团队回复了您" {
		t.Errorf("subject %q, %v", subj, err)
	}
	if ms := w.mails(t, id); len(ms) != 1 || ms[0].SentAt == nil || ms[0].Attempts != 1 {
		t.Errorf("outbox %+v, want one sent at its first attempt", ms)
	}

	// A visitor who read the replies in the widget gets none.
	v2, id2 := w.chat(t, "kim@example.net", "Hello?")
	m := w.reply(t, id2, "Hi Kim")
	if err := w.db.MarkRead(ctx, id2, v2.ID, m.Seq); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(quiet + time.Second)
	if err := w.db.TouchWidget(ctx, v2.ID, "", w.clock.Now().Add(-quiet/2)); err != nil {
		t.Fatal(err)
	}
	w.round(t, 1)
	if ms := w.mails(t, id2); len(ms) != 1 || ms[0].CancelledAt == nil || ms[0].Failed || ms[0].LastError != "the visitor read the replies" ||
		len(w.smtp.Messages()) != 1 {
		t.Fatalf("visitor who read the replies: %+v, %d messages; want cancelled, none sent", ms, len(w.smtp.Messages()))
	}

	// Nor does one who unsubscribed.
	if err := w.db.Unsubscribe(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	w.reply(t, id, "One more thing")
	w.clock.Advance(quiet * 2)
	w.round(t, 0) // nothing was enqueued
	if len(w.smtp.Messages()) != 1 {
		t.Errorf("an unsubscribed visitor was emailed")
	}
}

func TestNoEmailIsEnqueuedWhileEmailIsOff(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false)
	if err := w.db.DisableMail(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, id := w.chat(t, "sam@example.net", "Hello?")
	w.reply(t, id, "Hi Sam")
	if ms := w.mails(t, id); len(ms) != 0 {
		t.Fatalf("email off, yet %+v enqueued", ms)
	}
}

func TestAddressesWithHeaderInjectionAreRefused(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"sam@example.net\r\nBcc: eve@example.org", "sam@example.net\nX-Evil: 1", "Sam <sam@example.net>", "not an address", ""} {
		if err := mail.CheckAddress(bad); err != mail.ErrBadAddress {
			t.Errorf("CheckAddress(%q) = %v, want ErrBadAddress", bad, err)
		}
	}
	if err := mail.CheckAddress("sam@example.net"); err != nil {
		t.Errorf("a plain address refused: %v", err)
	}
	if err := mail.CheckSender("Help <help@example.com>\r\nBcc: eve@example.org"); err != mail.ErrBadAddress {
		t.Errorf("a sender with a line break: %v, want ErrBadAddress", err)
	}
}

func TestParseServer(t *testing.T) {
	t.Parallel()
	for raw, ok := range map[string]bool{
		"smtp://user:pass@mail.example.com:587": true, "smtps://mail.example.com": true, "smtp://mail.example.com": true,
		"http://mail.example.com": false, "smtp://": false, "smtp://mail.example.com:99999": false, "smtp://h/path": false,
	} {
		u, err := mail.ParseServer(raw)
		if (err == nil) != ok {
			t.Errorf("ParseServer(%q) = %v, %v; want ok %v", raw, u, err, ok)
		}
	}
	u, _ := mail.ParseServer("smtp://user:hunter2@mail.example.com")
	if r := mail.Redacted(u); r != "smtp://mail.example.com:587" {
		t.Errorf("Redacted = %q", r)
	}
}

func TestAReplyRevokedBeforeItsEmailSendsNothingAndIsNoFailure(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false)
	_, id := w.chat(t, "sam@example.net", "Hello?")
	m := w.reply(t, id, "Wrong chat, sorry")
	if _, err := w.db.Revoke(context.Background(), id, m.ID, chat.Viewer{UserID: w.alex.ID, IsAgent: true}, m.CreatedAt.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(quiet + time.Second)
	w.round(t, 1)
	if ms := w.mails(t, id); len(ms) != 1 || ms[0].CancelledAt == nil || ms[0].Failed || len(w.smtp.Messages()) != 0 {
		t.Fatalf("outbox %+v, %d messages; want cancelled, not failed, nothing sent", ms, len(w.smtp.Messages()))
	}
}

func TestASiteNameWithALineBreakStartsNoHeader(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false)
	ctx := context.Background()
	site, err := w.db.CreateSite(ctx, w.alex.ID, chat.Site{Name: "Shop\r\nBcc: eve@example.org", Colour: "#2563eb",
		Origins: []string{"https://shop.example.com"}, PrechatName: chat.FieldOff, PrechatEmail: chat.FieldOff}, "secret")
	if err != nil {
		t.Fatal(err)
	}
	v, err := w.db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := w.db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: "Hello?", VisitorEmail: "sam@example.net", SiteID: site.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.db.Take(ctx, m.ConversationID, w.alex.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	w.reply(t, m.ConversationID, "Hi Sam")
	w.clock.Advance(quiet + time.Second)
	w.round(t, 1)
	got := w.smtp.Messages()
	if len(got) != 1 || len(got[0].To) != 1 || got[0].Header.Get("Bcc") != "" {
		t.Fatalf("%d emails, the first to %v with Bcc %q; want one to Sam alone", len(got), got[0].To, got[0].Header.Get("Bcc"))
	}
	if subj := got[0].Header.Get("Subject"); !strings.Contains(subj, "Shop Bcc: eve@example.org") {
		t.Errorf("subject %q, want the site's name on one line", subj)
	}
}
