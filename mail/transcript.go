package mail

// What a transcript email says: the conversation, whole, in the
// recipient's language, with each message's time in the site's time zone.

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/store"
	views "github.com/kefu-im/kefu/views/mail"
	"github.com/kefu-im/kefu/views/thread"
)

// maxTranscript bounds the messages a transcript tells.
const maxTranscript = 2000

// composeTranscript writes d, a transcript, from the conversation as it
// stands up to when it was asked for: a visitor's copy shows what the
// widget showed them, an agent's what the console shows, notes too.
func (c *courier) composeTranscript(ctx context.Context, d store.DueMail) (*gomail.Msg, error) {
	reader := chat.ReaderVisitor
	if d.MemberID != 0 {
		reader = chat.ReaderAgent
	}
	msgs, err := c.MessagesAfter(ctx, d.ConversationID, 0, maxTranscript+1, reader)
	if err != nil {
		return nil, err
	}
	loc := i18n.For(cmp.Or(d.Language, c.language))
	ctx = i18n.With(ctx, loc)
	zone, err := time.LoadLocation(cmp.Or(d.Zone, "UTC"))
	if err != nil {
		zone = time.UTC
	}
	team := cmp.Or(d.Team, loc.T("mail.team"))
	p := views.TranscriptProps{Name: chat.NameIn(loc, d.Name), Zone: zone.String(),
		Subject: loc.T("mail.transcript.subject", "Team", team), Intro: loc.T("mail.transcript.intro", "Team", team)}
	visitor := ""
	for _, m := range msgs {
		if m.Seq > d.ToSeq {
			break
		}
		if len(p.Lines) == maxTranscript {
			p.More = true
			break
		}
		if m.SenderID == d.VisitorID && visitor == "" {
			visitor = chat.NameIn(loc, m.SenderName)
		}
		text := thread.Text(ctx, m)
		if a := m.Attachment; a != nil && m.RevokedAt == nil {
			text = loc.T("mail.reply.file", "Name", a.Name)
		}
		from := ""
		if m.Type != chat.System {
			from = chat.NameIn(loc, m.SenderName)
		}
		p.Lines = append(p.Lines, views.TranscriptLine{At: m.CreatedAt.In(zone).Format(loc.T("mail.transcript.layout")), From: from,
			Text: text, Note: m.Type == chat.Note})
	}
	if len(p.Lines) == 0 {
		return nil, errNothingToSay
	}
	now := c.now()
	if d.MemberID != 0 {
		// An agent's own copy: whose conversation, not whose team.
		p.Subject = loc.T("mail.transcript.subjectAgent", "Visitor", visitor, "Team", team)
		p.Intro = loc.T("mail.transcript.introAgent", "Visitor", visitor, "Team", team)
	} else {
		p.Unsubscribe = c.link(UnsubscribePath(d.VisitorID, c.secret, now))
	}
	var html bytes.Buffer
	if err := views.Transcript(p).Render(ctx, &html); err != nil {
		return nil, err
	}
	return c.envelope(d, p.Subject, p.Unsubscribe, transcriptText(loc, p), html.String(), now)
}

// transcriptText is a transcript's plain-text part: what the HTML part says.
func transcriptText(loc *i18n.Localizer, p views.TranscriptProps) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n%s\n%s\n\n", loc.T("mail.reply.hello", "Name", p.Name), p.Intro, loc.T("mail.transcript.zone", "Zone", p.Zone))
	for _, l := range p.Lines {
		switch {
		case l.From == "":
			fmt.Fprintf(&b, "[%s] -- %s --\n", l.At, l.Text)
			continue
		case l.Note:
			fmt.Fprintf(&b, "[%s] %s (%s):\n", l.At, l.From, loc.T("mail.transcript.note"))
		default:
			fmt.Fprintf(&b, "[%s] %s:\n", l.At, l.From)
		}
		for line := range strings.Lines(l.Text) {
			fmt.Fprintf(&b, "  %s\n", strings.TrimRight(line, "\r\n"))
		}
	}
	if p.More {
		fmt.Fprintf(&b, "\n%s\n", loc.T("mail.transcript.more"))
	}
	if p.Unsubscribe != "" {
		fmt.Fprintf(&b, "\n-- \n%s:\n%s\n", loc.T("mail.reply.unsubscribe"), p.Unsubscribe)
	}
	return b.String()
}
