package handlers_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/kefu-im/kefu/app"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/mail"
	"github.com/kefu-im/kefu/mail/mailtest"
	"github.com/kefu-im/kefu/outbox"
	"github.com/kefu-im/kefu/outbox/outboxtest"
	"github.com/kefu-im/kefu/store/storetest"
)

// startWithInbound starts an instance that sends email to a mail sink and
// takes replies on a listener of its own, with an agent.
func startWithInbound(t *testing.T) (srv *mailtest.Server, k *instance, inbound string) {
	t.Helper()
	srv = mailtest.Start(t, false)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	k = startWith(t, storetest.URL(t), func(c *app.Config) {
		c.Mail = mail.Config{Config: outbox.Config{Backoff: outboxtest.NoWait}, Server: srv.URL(), From: "Help <help@example.com>",
			TLS: srv.TLS(), ReplyDomain: "reply.example.com"}
		c.MailInbound = l
	})
	k.ensureAgent()
	return srv, k, l.Addr().String()
}

// TestEmailComesBackThroughTheInstancesListener: an instance with an
// inbound listener takes a visitor's reply into the conversation, and a
// delivery report that its admin page then shows as a bounce.
func TestEmailComesBackThroughTheInstancesListener(t *testing.T) {
	t.Parallel()
	srv, k, inbound := startWithInbound(t)
	ctx := context.Background()
	v, id := k.mailedChat(t, "It left today.")
	k.mailRound(t, 1)
	sent := srv.Messages()[0]
	replyTo, bounce := strings.Trim(sent.Header.Get("Reply-To"), "<>"), sent.From

	deliver := func(from, to, raw string) {
		t.Helper()
		c, err := smtp.Dial(inbound)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.SendMail(from, []string{to}, strings.NewReader(strings.ReplaceAll(raw, "\n", "\r\n"))); err != nil {
			t.Fatalf("delivering to %s: %v", to, err)
		}
	}
	deliver("sam@example.net", replyTo, "From: sam@example.net\nTo: "+replyTo+"\nMessage-ID: <r1@example.net>\nSubject: Re\n\n"+
		"Thank you!\n\nOn Mon, 3 Mar 2025, Help <help@example.com> wrote:\n> It left today.\n")
	msgs, _, err := k.db.History(ctx, id, 0, 50, chat.ReaderAgent)
	if err != nil || len(msgs) == 0 || msgs[len(msgs)-1].SenderID != v.ID || msgs[len(msgs)-1].Body != "Thank you!" {
		t.Fatalf("the conversation ends with %+v, %v; want the visitor's reply", msgs[len(msgs)-1], err)
	}

	deliver("", bounce, "From: MAILER-DAEMON@mx.example.net\nTo: "+bounce+"\nSubject: Undelivered\n"+
		"Content-Type: multipart/report; report-type=delivery-status; boundary=R\n\n--R\nContent-Type: text/plain\n\nSorry.\n"+
		"--R\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"+
		"Final-Recipient: rfc822; sam@example.net\nAction: failed\nStatus: 5.7.1\nDiagnostic-Code: smtp; 554 5.7.1 Message rejected as spam\n\n--R--\n")
	resp, body := k.agent().get("/admin/mail")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="mail-replies"`) || !strings.Contains(body, "reply+…@reply.example.com") ||
		!strings.Contains(body, `data-testid="mail-bounced"`) || !strings.Contains(body, "Message rejected as spam") {
		t.Fatalf("/admin/mail: %s\n%s", resp.Status, body)
	}
}

// TestAnEmailReplyReachesTheAgentsOpenConsoleLive: a visitor's reply by
// email shows in the conversation an agent has open, without a reload.
func TestAnEmailReplyReachesTheAgentsOpenConsoleLive(t *testing.T) {
	t.Parallel()
	srv, k, inbound := startWithInbound(t)
	_, id := k.mailedChat(t, "It left today.")
	k.mailRound(t, 1)
	replyTo := strings.Trim(srv.Messages()[0].Header.Get("Reply-To"), "<>")
	conv, err := k.db.Conversation(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	console := k.agent().console()
	console.send(map[string]any{"type": "resume", "conversation_id": id, "seq": conv.LastSeq})
	console.waitFor(`data-target="#conversation-list" data-swap="innerHTML"`)

	c, err := smtp.Dial(inbound)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	raw := "From: Sam <sam@example.net>\r\nTo: " + replyTo + "\r\nMessage-ID: <live@example.net>\r\nSubject: Re\r\n\r\n" +
		"Got it, thanks by email.\r\n\r\nOn Mon, 3 Mar 2025, Help <help@example.com> wrote:\r\n> It left today.\r\n"
	if err := c.SendMail("sam@example.net", []string{replyTo}, strings.NewReader(raw)); err != nil {
		t.Fatalf("delivering the reply: %v", err)
	}
	// The thread the agent has open gets the message, without its quote.
	frame := console.waitForAll(`data-target="#messages" data-swap="beforeend"`, "Got it, thanks by email.")
	if strings.Contains(frame, "wrote:") {
		t.Fatalf("the console shows the quote with the reply: %s", frame)
	}
}
