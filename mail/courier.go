package mail

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/kefu-im/kefu/outbox"
	"github.com/kefu-im/kefu/store"
)

// courier sends mail_outbox's emails for outbox.Worker.
type courier struct {
	Outbox
	opts []gomail.Option
	host string
	from string
	base *url.URL
	// replyDomain is the domain of the reply and bounce addresses ("": the
	// emails carry none).
	replyDomain string
	secret      string // signs the links; set by Prepare
	language    string // of a visitor whose widget said none
	now         func() time.Time
	// digestAfter is how long a message stays unread before a digest
	// lists it; digestEvery, the least time between one member's digests.
	digestAfter, digestEvery time.Duration
}

func (c *courier) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.DueMail, error) {
	return c.ClaimMails(ctx, now, lease, limit)
}

func (c *courier) Record(ctx context.Context, d store.DueMail, o outbox.Outcome) error {
	// A failure is an email given up while still needed: refused, or tried
	// too often; not one skipped because nothing was left to say.
	return c.FinishMail(ctx, d, o, o.GiveUp && unneeded(d) == "" && o.Error != errNothingToSay.Error() && o.Error != errAllRead.Error())
}

func (c *courier) Purge(ctx context.Context, before time.Time) error {
	return c.PurgeMails(ctx, before)
}

func (c *courier) Describe(d store.DueMail) (int, []any) {
	// Never the address: logs name the conversation and recipient.
	return d.Attempts, []any{"mail_id", d.ID, "kind", d.Kind, "conversation_id", d.ConversationID, "visitor_id", d.VisitorID,
		"member_id", d.MemberID}
}

// unneeded says why d is no longer worth sending, or "" if it still is. No
// kind goes to an address that bounced for good. A transcript was asked
// for: it goes to whoever has an address and is not disabled. A digest is for members who asked for no other email, and
// have no push device to be told on.
func unneeded(d store.DueMail) string {
	if d.Bounced {
		return "the address bounced"
	}
	switch d.Kind {
	case store.MailTranscript:
		switch {
		case d.Disabled:
			return "the recipient was disabled"
		case d.Email == "":
			return "the recipient has no email address"
		}
		return ""
	case store.MailDigest:
		switch {
		case d.Disabled:
			return "the member was disabled"
		case d.Unsubscribed:
			return "the member unsubscribed"
		case d.Email == "":
			return "the member has no email address"
		case d.Pushed:
			return "the member has a push device"
		}
		return ""
	}
	switch {
	case d.Disabled:
		return "the visitor was disabled"
	case d.Unsubscribed:
		return "the visitor unsubscribed"
	case d.Email == "":
		return "the visitor has no email address"
	case d.Read:
		return "the visitor read the replies"
	}
	return ""
}

// Deliver makes one attempt at d, unless it is no longer needed.
func (c *courier) Deliver(ctx context.Context, d store.DueMail) outbox.Attempt {
	if why := unneeded(d); why != "" {
		return outbox.Attempt{Skip: true, Err: errors.New(why)}
	}
	if err := CheckAddress(d.Email); err != nil {
		return outbox.Attempt{Err: err} // failed for good: it will not parse later either
	}
	var msg *gomail.Msg
	var err error
	switch d.Kind {
	case store.MailTranscript:
		msg, err = c.composeTranscript(ctx, d)
	case store.MailDigest:
		msg, err = c.composeDigest(ctx, d)
	default:
		msg, err = c.compose(ctx, d)
	}
	if errors.Is(err, errNothingToSay) || errors.Is(err, errAllRead) {
		return outbox.Attempt{Skip: true, Err: err}
	}
	if err != nil {
		return outbox.Attempt{Err: fmt.Errorf("cannot write the email: %w", err), Retry: true}
	}
	return c.send(ctx, msg)
}

// send hands msg to the server, and judges its answer: 4xx, or no answer,
// is tried again; 5xx is final.
func (c *courier) send(ctx context.Context, msg *gomail.Msg) outbox.Attempt {
	client, err := gomail.NewClient(c.host, c.opts...)
	if err != nil {
		return outbox.Attempt{Err: fmt.Errorf("SMTP client: %w", err)}
	}
	err = client.DialAndSendWithContext(ctx, msg)
	if err == nil {
		return outbox.Attempt{}
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		code := se.ErrorCode()
		return outbox.Attempt{Status: code, Err: sendError(se), Retry: code < 500}
	}
	// The connection, TLS or authentication failed: the server may be
	// back, or its configuration fixed, by the next attempt.
	return outbox.Attempt{Err: err, Retry: true}
}

// sendError is se's words without the recipient's address, which the
// outbox's row and the log need not repeat.
func sendError(se *gomail.SendError) error {
	msg, _, _ := strings.Cut(se.Error(), ", affected recipient(s): ")
	return errors.New(msg)
}
