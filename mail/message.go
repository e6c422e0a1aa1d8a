package mail

// What a reply email says. The outbox holds facts; the words are written
// here, when an email is sent, in the visitor's language.

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/store"
	views "github.com/kefu-im/kefu/views/mail"
	"github.com/kefu-im/kefu/views/thread"
)

// Link purposes: a link signed for one reads nothing of the other.
const (
	// ConversationPurpose signs a conversation's id: its link reopens it.
	ConversationPurpose = "kefu mail conversation"
	// UnsubscribePurpose signs a visitor's id: its link stops their emails.
	UnsubscribePurpose = "kefu mail unsubscribe"
)

// How long links work: a conversation's for a month, since it opens the
// conversation to whoever holds the email; unsubscribing for a year, since
// an old email's link should still stop the next ones.
const (
	ConversationLinkLife = 30 * 24 * time.Hour
	UnsubscribeLinkLife  = 365 * 24 * time.Hour
)

// maxLines bounds the replies one email tells; the link shows them all.
const maxLines = 20

// errNothingToSay is an email whose replies are gone (revoked) by the time it is sent.
var errNothingToSay = errors.New("no reply left to tell")

// ConversationPath is the path of the page that reopens conversationID for
// its visitor, signed under secret from now.
func ConversationPath(conversationID int64, secret string, now time.Time) string {
	return "/mail/c/" + auth.SignLink(ConversationPurpose, conversationID, now.Add(ConversationLinkLife), secret)
}

// UnsubscribePath is the path of the page that stops visitorID's emails.
func UnsubscribePath(visitorID int64, secret string, now time.Time) string {
	return "/mail/unsubscribe/" + auth.SignLink(UnsubscribePurpose, visitorID, now.Add(UnsubscribeLinkLife), secret)
}

// compose writes d as an email from the replies it tells, as they stand now.
func (c *courier) compose(ctx context.Context, d store.DueMail) (*gomail.Msg, error) {
	msgs, err := c.MessagesAfter(ctx, d.ConversationID, d.FromSeq-1, maxLines*2, chat.ReaderVisitor)
	if err != nil {
		return nil, err
	}
	loc := i18n.For(cmp.Or(d.Language, c.language))
	lctx := i18n.With(ctx, loc)
	p := views.ReplyProps{Name: chat.NameIn(loc, d.Name), Team: cmp.Or(d.Team, loc.T("mail.team"))}
	for _, m := range msgs {
		if m.Seq > d.ToSeq || len(p.Lines) == maxLines {
			break
		}
		if !m.Type.Said() || m.SenderID == d.VisitorID || m.RevokedAt != nil {
			continue
		}
		text := thread.Text(lctx, m)
		if a := m.Attachment; a != nil {
			text = loc.T("mail.reply.file", "Name", a.Name)
		}
		p.Lines = append(p.Lines, views.Line{From: chat.NameIn(loc, m.SenderName), Text: text})
	}
	if len(p.Lines) == 0 {
		return nil, errNothingToSay
	}
	now := c.now()
	p.Open = c.link(ConversationPath(d.ConversationID, c.secret, now))
	p.Unsubscribe = c.link(UnsubscribePath(d.VisitorID, c.secret, now))

	var html bytes.Buffer
	if err := views.Reply(p).Render(lctx, &html); err != nil {
		return nil, err
	}
	return c.envelope(d, loc.T("mail.reply.subject", "Team", p.Team), p.Unsubscribe, plainText(loc, p), html.String(), now)
}

// link is path on kefu's base URL.
func (c *courier) link(path string) string {
	u := url.URL{Scheme: "http", Host: "localhost", Path: path}
	if c.base != nil {
		u.Scheme, u.Host = c.base.Scheme, c.base.Host
	}
	return u.String()
}

// plainText is the email's plain-text part: what the HTML part says.
func plainText(loc *i18n.Localizer, p views.ReplyProps) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n%s\n\n", loc.T("mail.reply.hello", "Name", p.Name), loc.T("mail.reply.intro", "Team", p.Team))
	for _, l := range p.Lines {
		fmt.Fprintf(&b, "%s:\n", l.From)
		for line := range strings.Lines(l.Text) {
			fmt.Fprintf(&b, "> %s", strings.TrimRight(line, "\r\n")+"\n")
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%s:\n%s\n\n%s\n\n-- \n%s:\n%s\n", loc.T("mail.reply.open"), p.Open, loc.T("mail.reply.expires"),
		loc.T("mail.reply.unsubscribe"), p.Unsubscribe)
	return b.String()
}
