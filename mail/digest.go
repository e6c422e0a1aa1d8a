package mail

// What a digest email says: the conversations a member left unread, each
// with its unread count, its last message and a link into the console.

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
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

// maxDigest bounds the conversations a digest lists; the console shows them all.
const maxDigest = 20

// previewLen bounds the last message a digest shows of each conversation, in characters.
const previewLen = 140

// DigestPurpose signs a member's id: its link stops their digests.
const DigestPurpose = "kefu mail digest"

// errAllRead is a digest whose conversations were all read by the time it is sent.
var errAllRead = errors.New("the member read them meanwhile")

// DigestUnsubscribePath is the path of the page that stops memberID's digests.
func DigestUnsubscribePath(memberID int64, secret string, now time.Time) string {
	return "/mail/digest/" + auth.SignLink(DigestPurpose, memberID, now.Add(UnsubscribeLinkLife), secret)
}

// composeDigest writes d, a digest, from the conversations its member has
// left unread for the digest's delay, as they stand now.
func (c *courier) composeDigest(ctx context.Context, d store.DueMail) (*gomail.Msg, error) {
	now := c.now()
	missed, err := c.MissedConversations(ctx, d.MemberID, now.Add(-c.digestAfter), maxDigest)
	if err != nil {
		return nil, err
	}
	if len(missed) == 0 {
		return nil, errAllRead
	}
	loc := i18n.For(cmp.Or(d.Language, c.language))
	ctx = i18n.With(ctx, loc)
	p := views.DigestProps{Name: chat.NameIn(loc, d.Name), Subject: loc.N("mail.digest.subject", len(missed)), Console: c.link("/console"),
		Unsubscribe: c.link(DigestUnsubscribePath(d.MemberID, c.secret, now))}
	for _, s := range missed {
		it := views.DigestItem{Title: chat.NameIn(loc, s.Title), Unread: int(s.Unread),
			Link: c.link("/console/c/" + strconv.FormatInt(s.ID, 10))}
		if s.LastMessage != nil {
			it.Preview = clip(thread.Preview(ctx, *s.LastMessage), previewLen)
		}
		p.Items = append(p.Items, it)
	}
	var html bytes.Buffer
	if err := views.Digest(p).Render(ctx, &html); err != nil {
		return nil, err
	}
	return c.envelope(d, p.Subject, p.Unsubscribe, digestText(loc, p), html.String(), now)
}

// digestText is a digest's plain-text part: what the HTML part says.
func digestText(loc *i18n.Localizer, p views.DigestProps) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n%s\n\n", loc.T("mail.reply.hello", "Name", p.Name), loc.T("mail.digest.intro"))
	for _, it := range p.Items {
		fmt.Fprintf(&b, "* %s (%s)\n  %s\n  %s\n\n", it.Title, loc.N("mail.digest.unread", it.Unread),
			strings.Join(strings.Fields(it.Preview), " "), it.Link)
	}
	fmt.Fprintf(&b, "%s:\n%s\n\n-- \n%s\n%s:\n%s\n", loc.T("mail.digest.open"), p.Console, loc.T("mail.digest.why"),
		loc.T("mail.digest.unsubscribe"), p.Unsubscribe)
	return b.String()
}

// clip cuts s to n characters, marking the cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
