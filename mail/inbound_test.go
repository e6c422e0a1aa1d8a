package mail_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/kefu-im/kefu/chat"
	kmail "github.com/kefu-im/kefu/mail"
	"github.com/kefu-im/kefu/store"
)

// replyDomain is the tests' reply domain.
const replyDomain = "reply.example.com"

// inboundMaxUpload is the largest file the tests' listener keeps (their
// KEFU_MAX_UPLOAD): small, so that a larger one fits in an email.
const inboundMaxUpload = 256 << 10

// inboundWorld is a world whose emails carry reply and bounce addresses,
// with an inbound listener on a loopback port.
type inboundWorld struct {
	*world
	addr string
}

func newInboundWorld(t testing.TB, tune ...func(*kmail.Config)) *inboundWorld {
	t.Helper()
	w := &inboundWorld{world: newWorld(t, false, append([]func(*kmail.Config){func(c *kmail.Config) { c.ReplyDomain = replyDomain }}, tune...)...)}
	in, err := kmail.NewInbound(w.db, kmail.InboundConfig{Domain: replyDomain, Now: w.clock.Now, Timeout: 10 * time.Second,
		Files: chat.NewPreparer(inboundMaxUpload)}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w.addr = l.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- in.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("the listener stopped with %v", err)
		}
	})
	return w
}

// emailed has Alex reply to a new visitor with email, and returns the
// email they got.
func (w *inboundWorld) emailed(t testing.TB, email string) (chat.User, int64, mailtestMessage) {
	t.Helper()
	v, id := w.chat(t, email, "Where is my order?")
	w.reply(t, id, "It left today.")
	w.clock.Advance(quiet + time.Second)
	w.round(t, 1)
	got := w.smtp.Messages()
	return v, id, mailtestMessage{To: got[len(got)-1].Header.Get("Reply-To"), Bounce: got[len(got)-1].From}
}

// mailtestMessage is what a visitor's mail reader reads of an email: where
// a reply goes, and where reports of its delivery go.
type mailtestMessage struct{ To, Bounce string }

// send delivers raw from from to to over SMTP.
func (w *inboundWorld) send(from string, to []string, raw string) error {
	c, err := smtp.Dial(w.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SendMail(from, to, strings.NewReader(strings.ReplaceAll(raw, "\n", "\r\n"))); err != nil {
		return err
	}
	return c.Quit()
}

// code is the SMTP reply code of err (0: none).
func code(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

// visitorSaid returns the bodies of what visitor v said in conversation id, oldest first.
func (w *inboundWorld) visitorSaid(t testing.TB, id int64, v chat.User) []string {
	t.Helper()
	msgs, _, err := w.db.History(context.Background(), id, 0, 50, chat.ReaderAgent)
	if err != nil {
		t.Fatal(err)
	}
	var said []string
	for _, m := range msgs {
		if m.SenderID == v.ID {
			said = append(said, m.Body)
		}
	}
	return said
}

func reply(from, to, messageID, body string) string {
	return fmt.Sprintf("From: Sam <%s>\nTo: %s\nSubject: Re: Help replied\nMessage-ID: <%s>\nMIME-Version: 1.0\n"+
		"Content-Type: text/plain; charset=utf-8\n\n%s", from, to, messageID, body)
}

func TestAnEmailReplyJoinsTheConversationOnceWithoutWhatItQuotes(t *testing.T) {
	t.Parallel()
	w := newInboundWorld(t)
	v, id, e := w.emailed(t, "sam@example.net")
	to, err := mail.ParseAddress(e.To)
	if err != nil || !strings.HasPrefix(to.Address, "reply+") || !strings.HasSuffix(to.Address, "@"+replyDomain) ||
		len(to.Address) > 64+1+len(replyDomain) {
		t.Fatalf("Reply-To %q, %v; want reply+<token>@%s", e.To, err, replyDomain)
	}
	if !strings.HasPrefix(e.Bounce, "bounce+") || !strings.HasSuffix(e.Bounce, "@"+replyDomain) {
		t.Fatalf("envelope sender %q; want bounce+<token>@%s", e.Bounce, replyDomain)
	}
	raw := reply("sam@example.net", to.Address, "CAF=abc@mail.gmail.com", `Thanks, it arrived!

On Mon, 3 Mar 2025 at 10:15, Help <help@example.com> wrote:
> Hello Sam,
>
> It left today.
`)
	// A server that lower-cases local parts still reaches the conversation.
	for range 2 { // the same message, delivered again, is one reply
		if err := w.send("Sam@Example.net", []string{strings.ToUpper(to.Address)}, raw); err != nil {
			t.Fatalf("delivering the reply: %v", err)
		}
	}
	if said := w.visitorSaid(t, id, v); len(said) != 2 || said[1] != "Thanks, it arrived!" {
		t.Fatalf("the visitor said %q; want their first message and the reply, once, without the quote", said)
	}
	// A new message is a new reply.
	if err := w.send("sam@example.net", []string{to.Address}, reply("sam@example.net", to.Address, "second@example.net",
		"One more thing:\n> It left today.\nit was damaged.")); err != nil {
		t.Fatal(err)
	}
	if said := w.visitorSaid(t, id, v); len(said) != 3 || said[2] != "One more thing:\nit was damaged." {
		t.Fatalf("the visitor said %q", said)
	}
}

func TestAnEmailReplyFromAnotherSenderOrToABadAddressIsRefused(t *testing.T) {
	t.Parallel()
	w := newInboundWorld(t)
	v, id, e := w.emailed(t, "sam@example.net")
	to := strings.Trim(e.To, "<>")
	token := strings.TrimSuffix(strings.TrimPrefix(to, "reply+"), "@"+replyDomain)
	forged := []byte(token)
	forged[len(forged)-1] ^= 1
	for name, c := range map[string]struct {
		from, to string
		want     int
	}{
		"another envelope sender": {"eve@example.org", to, 550},
		"a forged token":          {"sam@example.net", "reply+" + string(forged) + "@" + replyDomain, 550},
		"no token":                {"sam@example.net", "reply+@" + replyDomain, 550},
		"another domain":          {"sam@example.net", "reply+" + token + "@example.org", 550},
		"a look-alike domain":     {"sam@example.net", "reply+" + token + "@" + replyDomain + ".example.org", 550},
		"a bounce token to reply": {"sam@example.net", "reply+" + strings.TrimPrefix(strings.Split(e.Bounce, "@")[0], "bounce+") + "@" + replyDomain, 550},
		"someone else's mailbox":  {"sam@example.net", "postmaster@" + replyDomain, 550},
	} {
		err := w.send(c.from, []string{c.to}, reply(c.from, c.to, name+"@example.net", "Hello"))
		if code(err) != c.want {
			t.Errorf("%s: %v; want %d", name, err, c.want)
		}
	}
	// The envelope is the visitor's, the message's From is not.
	if err := w.send("sam@example.net", []string{to}, reply("eve@example.org", to, "eve@example.org", "Hello")); code(err) != 550 {
		t.Errorf("another From: %v; want 550", err)
	}
	// Nothing but quoted text.
	if err := w.send("sam@example.net", []string{to}, reply("sam@example.net", to, "q@example.net", "> It left today.\n")); code(err) != 550 {
		t.Errorf("only a quote: %v; want 550", err)
	}
	// An expired address.
	w.clock.Advance(kmail.ReplyAddressLife)
	err := w.send("sam@example.net", []string{to}, reply("sam@example.net", to, "late@example.net", "Hello"))
	if code(err) != 550 || !strings.Contains(err.Error(), "expired") {
		t.Errorf("an expired address: %v; want 550, expired", err)
	}
	if said := w.visitorSaid(t, id, v); len(said) != 1 {
		t.Fatalf("the visitor said %q; want only their first message", said)
	}
}

func TestAnEmailReplyFromAChineseMailReaderIsDecoded(t *testing.T) {
	t.Parallel()
	w := newInboundWorld(t)
	v, id, e := w.emailed(t, "sam@qq.example")
	to := strings.Trim(e.To, "<>")
	text := "收到了，谢谢！\n\n------------------ 原始邮件 ------------------\n发件人: \"Help\"<help@example.com>;\n" +
		"发送时间: 2025年3月3日(星期一) 上午10:15\n收件人: \"Sam\"<sam@qq.example>;\n主题: 客服团队回复了您\n\n您好 Sam，\n"
	gb, err := simplifiedchinese.GB18030.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	name, _ := simplifiedchinese.GB18030.NewEncoder().String("山姆")
	raw := fmt.Sprintf("From: =?GB18030?B?%s?= <sam@qq.example>\nTo: %s\nSubject: =?GB18030?B?%s?=\nMessage-ID: <tencent_1@qq.example>\n"+
		"MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"b1\"\n\n--b1\n"+
		"Content-Type: text/plain; charset=\"GB18030\"\nContent-Transfer-Encoding: base64\n\n%s\n--b1\n"+
		"Content-Type: text/html; charset=\"GB18030\"\nContent-Transfer-Encoding: base64\n\n%s\n--b1--\n",
		base64.StdEncoding.EncodeToString([]byte(name)), to, base64.StdEncoding.EncodeToString([]byte(name)),
		wrap(base64.StdEncoding.EncodeToString([]byte(gb))), base64.StdEncoding.EncodeToString([]byte("<div>html</div>")))
	if err := w.send("sam@qq.example", []string{to}, raw); err != nil {
		t.Fatalf("delivering the reply: %v", err)
	}
	if said := w.visitorSaid(t, id, v); len(said) != 2 || said[1] != "收到了，谢谢！" {
		t.Fatalf("the visitor said %q; want the reply decoded from GB18030, without QQ Mail's quote", said)
	}
}

// wrap breaks s into lines of 76 characters, as base64 bodies are.
func wrap(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\n")
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
}

func dsn(to, recipient, action, status, diagnostic string) string {
	return fmt.Sprintf(`From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: %s
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="R"

--R
Content-Type: text/plain; charset=us-ascii

I'm sorry to have to inform you that your message could not be delivered.

--R
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
Arrival-Date: Mon, 3 Mar 2025 10:20:00 +0000

Final-Recipient: rfc822; %s
Original-Recipient: rfc822;%[2]s
Action: %s
Status: %s
Diagnostic-Code: smtp; %s

--R
Content-Type: text/rfc822-headers

From: Help <help@example.com>
Subject: Help replied

--R--
`, to, recipient, action, status, diagnostic)
}

func TestADeliveryReportMarksTheEmailBouncedAndStopsEmailToTheAddress(t *testing.T) {
	t.Parallel()
	w := newInboundWorld(t)
	ctx := context.Background()
	v, id, e := w.emailed(t, "sam@example.net")
	// A delay changes nothing; a message that is no report is dropped.
	if err := w.send("", []string{e.Bounce}, dsn(e.Bounce, "sam@example.net", "delayed", "4.4.7", "421 try later")); err != nil {
		t.Fatal(err)
	}
	if err := w.send("", []string{e.Bounce}, "From: sam@example.net\nSubject: Out of office\nAuto-Submitted: auto-replied\n\nAway.\n"); err != nil {
		t.Fatal(err)
	}
	if failures, err := w.db.MailFailures(ctx, 10); err != nil || len(failures) != 0 {
		t.Fatalf("after a delay: %+v, %v; want no failure", failures, err)
	}
	if err := w.send("", []string{e.Bounce}, dsn(e.Bounce, "Sam@example.net", "failed", "5.1.1",
		"550 5.1.1 <sam@example.net>: Recipient address rejected: User unknown")); err != nil {
		t.Fatalf("delivering the report: %v", err)
	}
	failures, err := w.db.MailFailures(ctx, 10)
	if err != nil || len(failures) != 1 || failures[0].ConversationID != id || !failures[0].Bounced || failures[0].Status != 550 ||
		!strings.Contains(failures[0].Error, "5.1.1") || !strings.Contains(failures[0].Error, "User unknown") {
		t.Fatalf("failures %+v, %v; want the bounce", failures, err)
	}
	if strings.Contains(strings.ToLower(failures[0].Error), "sam@example.net") {
		t.Errorf("the recorded bounce repeats the address: %q", failures[0].Error)
	}
	// The address bounced for good: no more email is queued for it.
	w.reply(t, id, "Did you get it?")
	if ms := w.mails(t, id); len(ms) != 1 {
		t.Errorf("after a permanent bounce: %+v; want no new email", ms)
	}
	// Nor does a transcript go there. An agent's, for the visitor, is refused
	// with the reason; the visitor's own asks them for another address,
	// which becomes theirs and lifts the stop.
	w.resolve(t, id)
	if _, err := w.db.RequestTranscript(ctx, store.Transcript{ConversationID: id, By: chat.Viewer{UserID: w.alex.ID, IsAgent: true}}); !errors.Is(err, chat.ErrBounced) {
		t.Errorf("an agent's transcript for the visitor whose address bounced: %v; want chat.ErrBounced", err)
	}
	var invalid *chat.ValidationError
	if _, err := w.db.RequestTranscript(ctx, store.Transcript{ConversationID: id, By: chat.Viewer{UserID: v.ID}}); !errors.As(err, &invalid) || invalid.Field != "email" {
		t.Errorf("the visitor's own transcript, with no other address: %v; want the email field asked for", err)
	}
	if got := w.smtp.Messages(); len(got) != 1 {
		t.Errorf("%d emails after the refused transcripts; want none more to the bounced address", len(got))
	}
	w.transcript(t, store.Transcript{ConversationID: id, By: chat.Viewer{UserID: v.ID}, Email: "sam@example.org"}, true)
	w.round(t, 1)
	if got := w.smtp.Messages(); len(got) != 2 || got[1].To[0] != "sam@example.org" {
		t.Errorf("after the visitor gave another address: %d emails; want the transcript sent to it", len(got))
	}
	if failures, err := w.db.MailFailures(ctx, 10); err != nil || len(failures) != 1 {
		t.Errorf("failures %+v, %v; want only the bounce", failures, err)
	}
	// A forged bounce address is refused.
	forged := strings.Replace(e.Bounce, "bounce+", "bounce+1", 1)
	if err := w.send("", []string{forged}, dsn(forged, "sam@example.net", "failed", "5.1.1", "550 no")); code(err) != 550 {
		t.Errorf("a forged bounce address: %v; want 550", err)
	}
}

func TestAnAutomaticReplyIsNotStored(t *testing.T) {
	t.Parallel()
	w := newInboundWorld(t)
	v, id, e := w.emailed(t, "sam@example.net")
	to := strings.Trim(e.To, "<>")
	raw := "From: sam@example.net\nTo: " + to + "\nSubject: Out of office\nAuto-Submitted: auto-replied\nMessage-ID: <ooo@example.net>\n\nI am away.\n"
	if err := w.send("sam@example.net", []string{to}, raw); err != nil {
		t.Fatal(err)
	}
	if said := w.visitorSaid(t, id, v); len(said) != 1 {
		t.Fatalf("the visitor said %q; want no out-of-office answer", said)
	}
}

func TestABlockedVisitorsEmailReplyIsRefusedAndNothingIsStored(t *testing.T) {
	t.Parallel()
	w := newInboundWorld(t)
	ctx := context.Background()
	v, id, e := w.emailed(t, "sam@example.net")
	to := strings.Trim(e.To, "<>")
	if err := w.db.BlockVisitor(ctx, w.alex.ID, v.ID, 0); err != nil {
		t.Fatal(err)
	}
	before, err := w.db.Conversation(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	err = w.send("sam@example.net", []string{to}, reply("sam@example.net", to, "blocked@example.net", "Let me in!"))
	if code(err) != 550 {
		t.Fatalf("a blocked visitor's reply: %v; want 550", err)
	}
	after, err := w.db.Conversation(ctx, id)
	if err != nil || after.LastSeq != before.LastSeq {
		t.Fatalf("the conversation went from seq %d to %d, %v; want nothing stored", before.LastSeq, after.LastSeq, err)
	}
	if said := w.visitorSaid(t, id, v); len(said) != 1 {
		t.Fatalf("the visitor said %q; want only their first message", said)
	}
	if newest, err := w.db.VisitorConversation(ctx, v.ID); err != nil || newest.ID != id {
		t.Fatalf("the visitor's newest conversation is %d, %v; want no new one (%d)", newest.ID, err, id)
	}
}

func TestAPermanentBounceOfADigestIsListedAndStopsTheMembersDigests(t *testing.T) {
	t.Parallel()
	w := newInboundWorld(t, func(c *kmail.Config) { c.DigestAfter, c.DigestEvery = time.Minute, time.Hour })
	ctx := context.Background()
	bea := w.member(t, "Bea", "bea@example.com")
	w.direct(t, bea, "Can you cover Friday?")
	w.clock.Advance(time.Minute + time.Second)
	w.round(t, 1)
	got := w.smtp.Messages()
	if len(got) != 1 || got[0].To[0] != "bea@example.com" {
		t.Fatalf("%d emails (%+v); want Bea's digest", len(got), got)
	}
	bounce := got[0].From
	if !strings.HasPrefix(bounce, "bounce+") || got[0].Header.Get("Reply-To") != "" {
		t.Fatalf("the digest's envelope sender %q, Reply-To %q; want a bounce address and no reply address",
			bounce, got[0].Header.Get("Reply-To"))
	}
	if err := w.send("", []string{bounce}, dsn(bounce, "bea@example.com", "failed", "5.1.1",
		"550 5.1.1 <bea@example.com>: Recipient address rejected: User unknown")); err != nil {
		t.Fatalf("delivering the report: %v", err)
	}
	failures, err := w.db.MailFailures(ctx, 10)
	if err != nil || len(failures) != 1 || failures[0].Kind != store.MailDigest || failures[0].ConversationID != 0 ||
		failures[0].Email != "bea@example.com" || !failures[0].Bounced || failures[0].Status != 550 {
		t.Fatalf("failures %+v, %v; want the digest's bounce", failures, err)
	}
	// The address bounced for good: no digest is queued for it again.
	w.direct(t, bea, "Still there?")
	w.clock.Advance(2 * time.Hour)
	w.round(t, 0)
	if ms, err := w.db.MailsTo(ctx, bea.ID, 10); err != nil || len(ms) != 1 {
		t.Fatalf("Bea's emails after the bounce: %+v, %v; want only the bounced digest", ms, err)
	}
}
