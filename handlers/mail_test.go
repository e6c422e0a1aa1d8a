package handlers_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kefu-im/kefu/app"
	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/mail"
	"github.com/kefu-im/kefu/mail/mailtest"
	"github.com/kefu-im/kefu/outbox"
	"github.com/kefu-im/kefu/outbox/outboxtest"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/storetest"
)

// newMailKefu starts an instance whose email goes through a test SMTP
// server, with no quiet period; the tests run the mail worker's rounds.
func newMailKefu(t *testing.T) (*instance, *mailtest.Server) {
	t.Helper()
	srv := mailtest.Start(t, false)
	k := startWith(t, storetest.URL(t), func(c *app.Config) {
		c.Mail = mail.Config{Config: outbox.Config{Backoff: outboxtest.NoWait}, Server: srv.URL(), From: "Help <help@example.com>", TLS: srv.TLS()}
	})
	k.ensureAgent()
	return k, srv
}

// mailedChat has a visitor with an email write, the admin agent take the
// chat and reply; it returns the visitor and the conversation.
func (k *instance) mailedChat(t *testing.T, reply string) (chat.User, int64) {
	t.Helper()
	ctx := context.Background()
	k.agent().onDuty(k.adminID())
	v, err := k.db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := k.db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: "Where is my order?", VisitorEmail: "sam@example.net"})
	if err != nil {
		t.Fatal(err)
	}
	k.take(t, m.ConversationID)
	if _, _, err := k.db.SendMessage(ctx, store.Send{ConversationID: m.ConversationID, SenderID: k.adminID(), Body: reply}); err != nil {
		t.Fatal(err)
	}
	return v, m.ConversationID
}

// take gives chat id to the admin agent, unless the dispatcher did: they
// are the one agent on duty.
func (k *instance) take(t *testing.T, id int64) {
	t.Helper()
	if err := k.db.Take(context.Background(), id, k.adminID(), time.Now()); err != nil && !errors.Is(err, chat.ErrAlreadyAssigned) {
		t.Fatal(err)
	}
	c, err := k.db.Conversation(context.Background(), id)
	if err != nil || c.AssignedAgentID != k.adminID() {
		t.Fatalf("chat %d assigned to %d, %v; want the admin", id, c.AssignedAgentID, err)
	}
}

var linkRe = regexp.MustCompile(`http://[^/\s]+(/mail/c/[0-9a-f.]+)`)

func TestEmailLinkReopensTheConversationAndRefusesForgedAndExpiredOnes(t *testing.T) {
	t.Parallel()
	k, srv := newMailKefu(t)
	ctx := context.Background()
	v, id := k.mailedChat(t, "It left today.")
	if n, err := k.app.Mail().Round(ctx); err != nil || n != 1 {
		t.Fatalf("round claimed %d, %v; want 1", n, err)
	}
	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("%d emails, want 1", len(got))
	}
	parts, err := got[0].Parts()
	if err != nil {
		t.Fatal(err)
	}
	m := linkRe.FindStringSubmatch(parts["text/plain"])
	if m == nil {
		t.Fatalf("no link in:\n%s", parts["text/plain"])
	}
	link := m[1]

	b := k.browser() // no cookie, no visitor token: the link alone
	resp, body := b.get(link)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "It left today.") || !strings.Contains(body, "Where is my order?") {
		t.Fatalf("GET the link: %s\n%s", resp.Status, body)
	}
	resp, _ = b.send(http.MethodPost, link, url.Values{"body": {"Thanks, found it"}}, http.Header{})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reply from the link's page: %s", resp.Status)
	}
	// The page's form carries a client message id: sent twice, it stores one message.
	twice := url.Values{"body": {"Is it insured?"}, "client_msg_id": {"mail-form-1"}}
	for range 2 {
		if resp, _ := b.send(http.MethodPost, link, twice, http.Header{}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("a reply with its client message id: %s", resp.Status)
		}
	}
	// A refused reply keeps what the visitor wrote, beside why, and stores nothing.
	long := strings.Repeat("x", chat.MaxBodyChars+1)
	resp, body = b.send(http.MethodPost, link, url.Values{"body": {long}, "client_msg_id": {"mail-form-2"}}, http.Header{})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `data-testid="mail-reply-error"`) || !strings.Contains(body, long) {
		t.Fatalf("a refused reply from the link's page: %s; want 400 with the error and the text kept\n%.2000s", resp.Status, body)
	}
	msgs, err := k.db.MessagesAfter(ctx, id, 0, 50, chat.ReaderVisitor)
	if err != nil || len(msgs) < 2 || msgs[len(msgs)-2].Body != "Thanks, found it" || msgs[len(msgs)-1].Body != "Is it insured?" ||
		msgs[len(msgs)-1].SenderID != v.ID {
		t.Fatalf("the replies are not the conversation's newest messages, by the visitor, once each: %+v, %v", msgs, err)
	}

	forged := link[:len(link)-1] + map[bool]string{true: "0", false: "1"}[!strings.HasSuffix(link, "0")]
	if resp, body := b.get(forged); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "This link is not valid.") {
		t.Errorf("a forged link: %s\n%s", resp.Status, body)
	}
	if resp, body := b.send(http.MethodPost, forged, url.Values{"body": {"forged"}}, http.Header{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a reply through a forged link: %s\n%s", resp.Status, body)
	}
	secret, err := k.db.MailSecret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	expired := "/mail/c/" + auth.SignLink(mail.ConversationPurpose, id, time.Now().Add(-time.Minute), secret)
	if resp, body := b.get(expired); resp.StatusCode != http.StatusGone || !strings.Contains(body, "This link has expired.") {
		t.Errorf("an expired link: %s\n%s", resp.Status, body)
	}
	// A link to stop emails does not open the conversation.
	other := "/mail/c/" + auth.SignLink(mail.UnsubscribePurpose, id, time.Now().Add(time.Hour), secret)
	if resp, _ := b.get(other); resp.StatusCode != http.StatusForbidden {
		t.Errorf("an unsubscribe link as a conversation's: %s", resp.Status)
	}
	if msgs2, _ := k.db.MessagesAfter(ctx, id, 0, 50, chat.ReaderVisitor); len(msgs2) != len(msgs) {
		t.Errorf("refused links changed the conversation: %d messages, want %d", len(msgs2), len(msgs))
	}
}

func TestOneClickUnsubscribeStopsEmails(t *testing.T) {
	t.Parallel()
	k, srv := newMailKefu(t)
	ctx := context.Background()
	v, _ := k.mailedChat(t, "It left today.")
	if n, err := k.app.Mail().Round(ctx); err != nil || n != 1 {
		t.Fatalf("round claimed %d, %v; want 1", n, err)
	}
	header := srv.Messages()[0].Header.Get("List-Unsubscribe")
	u, err := url.Parse(strings.Trim(header, "<>"))
	if err != nil || !strings.HasPrefix(u.Path, "/mail/unsubscribe/") {
		t.Fatalf("List-Unsubscribe %q", header)
	}
	b := k.browser()
	if resp, body := b.get(u.Path); resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="unsubscribe-button"`) {
		t.Fatalf("the unsubscribe page: %s\n%s", resp.Status, body)
	}
	if off, _ := k.db.Unsubscribed(ctx, v.ID); off {
		t.Fatal("showing the page unsubscribed the visitor")
	}
	// What a mail reader posts (RFC 8058): no page, no cookie, no origin.
	resp, body := b.send(http.MethodPost, u.Path, url.Values{"List-Unsubscribe": {"One-Click"}}, http.Header{})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="unsubscribed"`) {
		t.Fatalf("one-click unsubscribe: %s\n%s", resp.Status, body)
	}
	if off, err := k.db.Unsubscribed(ctx, v.ID); err != nil || !off {
		t.Fatalf("unsubscribed = %v, %v", off, err)
	}
	forged := strings.Replace(u.Path, "/unsubscribe/"+strconv.FormatInt(v.ID, 10)+".", "/unsubscribe/"+strconv.FormatInt(v.ID+1, 10)+".", 1)
	if resp, _ := b.send(http.MethodPost, forged, nil, http.Header{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("unsubscribing another visitor with a changed link: %s", resp.Status)
	}
}

func TestAdminMailPageSaysWhetherEmailIsOnAndListsFailures(t *testing.T) {
	t.Parallel()
	k, srv := newMailKefu(t)
	ctx := context.Background()
	_, id := k.mailedChat(t, "It left today.")
	srv.Answer(550)
	if n, err := k.app.Mail().Round(ctx); err != nil || n != 1 {
		t.Fatalf("round claimed %d, %v; want 1", n, err)
	}
	resp, body := k.agent().get("/admin/mail")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="mail-on"`) || !strings.Contains(body, "help@example.com") ||
		!strings.Contains(body, `data-testid="mail-failure"`) || !strings.Contains(body, "sam@example.net") ||
		!strings.Contains(body, "550") || !strings.Contains(body, "/console/c/"+strconv.FormatInt(id, 10)) {
		t.Fatalf("/admin/mail: %s\n%s", resp.Status, body)
	}

	off := newKefu(t) // no KEFU_SMTP_URL
	_, id = off.mailedChat(t, "It left today.")
	if ms, err := off.db.Mails(ctx, id, 10); err != nil || len(ms) != 0 {
		t.Fatalf("email off, yet %+v, %v enqueued", ms, err)
	}
	if resp, body := off.agent().get("/admin/mail"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="mail-off"`) {
		t.Fatalf("/admin/mail with email off: %s\n%s", resp.Status, body)
	}
}

// newQuietMailKefu starts an instance whose email waits out quiet on
// clock, through a test SMTP server.
func newQuietMailKefu(t *testing.T, clock *outboxtest.Clock, quiet time.Duration) (*instance, *mailtest.Server) {
	t.Helper()
	srv := mailtest.Start(t, false)
	k := startWith(t, storetest.URL(t), func(c *app.Config) {
		c.Now = clock.Now
		// The agent's own digest of what they left unread comes long after these tests' rounds.
		c.Mail = mail.Config{Config: outbox.Config{Quiet: quiet, Backoff: outboxtest.NoWait}, Server: srv.URL(), From: "help@example.com", TLS: srv.TLS(),
			DigestAfter: 100 * quiet}
	})
	k.ensureAgent()
	k.agent().onDuty(k.adminID())
	return k, srv
}

// mailRound runs one round of k's mail worker and checks how many it claimed.
func (k *instance) mailRound(t *testing.T, want int) {
	t.Helper()
	if n, err := k.app.Mail().Round(context.Background()); err != nil || n != want {
		t.Fatalf("round claimed %d, %v; want %d", n, err, want)
	}
}

// replyAs has the admin agent write body in conversation id.
func (k *instance) replyAs(t *testing.T, id int64, body string) {
	t.Helper()
	if _, _, err := k.db.SendMessage(context.Background(), store.Send{ConversationID: id, SenderID: k.adminID(), Body: body}); err != nil {
		t.Fatal(err)
	}
}

func TestVisitorBackInTheWidgetIsEmailedOnlyOnceTheyLeaveUnread(t *testing.T) {
	t.Parallel()
	clock := &outboxtest.Clock{}
	const quiet = time.Hour
	k, srv := newQuietMailKefu(t, clock, quiet)
	ctx := context.Background()
	token := k.visitorToken()
	v, err := k.db.VisitorByToken(ctx, auth.TokenHash(token))
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := k.db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: "Hello?", VisitorEmail: "sam@example.net"})
	if err != nil {
		t.Fatal(err)
	}
	k.take(t, m.ConversationID)
	k.replyAs(t, m.ConversationID, "Hi Sam")
	k.mailRound(t, 0) // the quiet period holds it
	clock.Advance(quiet + time.Minute)
	// The visitor comes back before the email goes, the widget collapsed:
	// the socket records them as present once open, before it handles its
	// first frame.
	k.liveWidget(token)
	k.mailRound(t, 0)
	ms, err := k.db.Mails(ctx, m.ConversationID, 10)
	if err != nil || len(ms) != 1 || ms[0].SentAt != nil || ms[0].CancelledAt != nil || ms[0].Attempts != 0 || len(srv.Messages()) != 0 {
		t.Fatalf("outbox %+v, %v, %d emails; want one waiting, unsent, no attempt counted", ms, err, len(srv.Messages()))
	}
	// They leave without reading it: once the quiet period has passed since
	// the widget was last seen, the reply goes by email, once.
	clock.Advance(quiet + time.Minute)
	k.mailRound(t, 1)
	k.mailRound(t, 0)
	if got := srv.Messages(); len(got) != 1 {
		t.Fatalf("%d emails; want one", len(got))
	}
}

func TestEmailLinkPageReadsTheRepliesSeesTheVisitorAndNamesTheSite(t *testing.T) {
	t.Parallel()
	clock := &outboxtest.Clock{}
	const quiet = time.Hour
	k, srv := newQuietMailKefu(t, clock, quiet)
	ctx := context.Background()
	site, err := k.db.CreateSite(ctx, k.adminID(), chat.Site{Name: "Lantern Books", Colour: "#2563eb",
		Origins: []string{"https://books.example.com"}, PrechatName: chat.FieldOff, PrechatEmail: chat.FieldOff}, "secret")
	if err != nil {
		t.Fatal(err)
	}
	v, err := k.db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := k.db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: "Where is my order?", VisitorEmail: "sam@example.net", SiteID: site.ID})
	if err != nil {
		t.Fatal(err)
	}
	id := m.ConversationID
	k.take(t, id)
	k.replyAs(t, id, "It left today.")
	clock.Advance(quiet + time.Minute)
	k.mailRound(t, 1)
	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("%d emails, want 1", len(got))
	}
	parts, err := got[0].Parts()
	if err != nil {
		t.Fatal(err)
	}
	match := linkRe.FindStringSubmatch(parts["text/plain"])
	if match == nil {
		t.Fatalf("no link in:\n%s", parts["text/plain"])
	}
	link := match[1]
	last := func() store.Mail {
		t.Helper()
		ms, err := k.db.Mails(ctx, id, 10)
		if err != nil || len(ms) == 0 {
			t.Fatalf("outbox %+v, %v", ms, err)
		}
		return ms[0]
	}

	// Fetching the page, as a mail provider's link checker does, reads
	// nothing: the email stays due.
	k.replyAs(t, id, "Tracking: 42")
	b := k.browser()
	resp, body := b.get(link)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Tracking: 42") || !strings.Contains(body, "<h1>Lantern Books</h1>") ||
		strings.Contains(body, "Customer service") || !strings.Contains(body, `data-seen="`+link+`/seen"`) || !strings.Contains(body, "/static/mail.") {
		t.Fatalf("GET the link: %s; want the replies under the site's name, and the script that says when they are seen\n%s", resp.Status, body)
	}
	if ml := last(); ml.CancelledAt != nil || ml.SentAt != nil {
		t.Fatalf("after the page was fetched: %+v; want the email still due", ml)
	}
	// The page shown to a person reads the replies: their email is cancelled.
	if resp, _ := b.send(http.MethodPost, link+"/seen", nil, http.Header{}); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("the page's seen: %s", resp.Status)
	}
	k.mailRound(t, 1)
	if ml := last(); ml.CancelledAt == nil || ml.LastError != "the visitor read the replies" || len(srv.Messages()) != 1 {
		t.Fatalf("after the page was viewed: %+v, %d emails; want cancelled as read", ml, len(srv.Messages()))
	}

	// Viewing it counts as being there: a reply written just after waits.
	k.replyAs(t, id, "Anything else?")
	k.mailRound(t, 0)
	if ml := last(); ml.SentAt != nil || ml.CancelledAt != nil || ml.Attempts != 0 {
		t.Fatalf("a reply after the page was viewed: %+v; want waiting", ml)
	}

	// Replying there reads the replies, and counts as being there too.
	clock.Advance(quiet + time.Minute)
	if resp, _ := b.send(http.MethodPost, link, url.Values{"body": {"No, thanks"}}, http.Header{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reply from the link's page: %s", resp.Status)
	}
	k.mailRound(t, 1)
	if ml := last(); ml.CancelledAt == nil || ml.LastError != "the visitor read the replies" {
		t.Fatalf("after the reply from the page: %+v; want cancelled as read", ml)
	}
	k.replyAs(t, id, "Glad to help")
	k.mailRound(t, 0)
	clock.Advance(quiet + time.Minute)
	k.mailRound(t, 1)
	if got := srv.Messages(); len(got) != 2 {
		t.Fatalf("%d emails; want the one after the visitor left the page", len(got))
	}
}

func TestAPIRefusesAnEmailWithHeaderInjectionAndChangesNothing(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	key := k.apiKeyOf("shop", 0, 0)
	if status, raw := k.apiCall(key, http.MethodPut, "/api/v1/users/u-1", `{"name":"Lee","email":"lee@example.com"}`); status != http.StatusOK {
		t.Fatalf("create user: %d %s", status, raw)
	}
	status, raw := k.apiCall(key, http.MethodPut, "/api/v1/users/u-1", `{"name":"Eve","email":"lee@example.com\r\nBcc: eve@example.org"}`)
	if status != http.StatusBadRequest || !strings.Contains(raw, "email") {
		t.Fatalf("an email with a line break: %d %s; want 400 naming the email", status, raw)
	}
	u, err := k.db.ExternalUserByID(context.Background(), 0, "u-1")
	if err != nil || u.Name != "Lee" || u.Email != "lee@example.com" {
		t.Fatalf("after the refusal: %+v, %v; want Lee as she was", u, err)
	}
}
