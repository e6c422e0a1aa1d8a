package handlers

// The widget's offer of a resolved chat's transcript by email, while kefu
// sends email: a button, and a field for the address when the visitor has
// none on record. Asking again while one is on its way sends nothing more.

import (
	"context"
	"errors"
	"strings"

	"github.com/a-h/templ"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/mail"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/views/widget"
)

// offersTranscript reports whether the widget offers conv's transcript.
func (s *widgetSocket) offersTranscript(conv chat.Conversation) bool {
	return s.h.Mail.On && !s.screen.aim.direct && conv.Kind == chat.Support && conv.Status == chat.Resolved
}

// transcriptOffer is the offer of conv's transcript, when the widget makes
// one: at a resume, the widget shows it afresh.
func (s *widgetSocket) transcriptOffer(ctx context.Context, conv chat.Conversation) ([]templ.Component, error) {
	s.screen.transcript = s.offersTranscript(conv)
	if !s.screen.transcript {
		return nil, nil
	}
	visitor, err := s.h.DB.User(ctx, s.user.ID)
	if err != nil {
		return nil, err
	}
	// An address that bounced for good is as none: the visitor gives another.
	bounced, err := s.h.DB.Bounced(ctx, s.user.ID)
	if err != nil {
		return nil, err
	}
	return []templ.Component{widget.Transcript(widget.TranscriptProps{ConversationID: conv.ID, Ask: visitor.Email == "" || bounced})}, nil
}

// transcriptChanged offers the transcript of chat id just resolved, or
// takes the offer away when the chat was reopened.
func (s *widgetSocket) transcriptChanged(ctx context.Context, id int64) ([]templ.Component, error) {
	conv, err := s.h.DB.Conversation(ctx, id)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	switch offers := s.offersTranscript(conv); {
	case offers && !s.screen.transcript:
		return s.transcriptOffer(ctx, conv)
	case !offers && s.screen.transcript:
		s.screen.transcript = false
		return []templ.Component{widget.NoTranscript()}, nil
	}
	return nil, nil
}

// transcriptFrame asks for the visitor's transcript of their resolved
// chat, at the address on record or the one they give. A refusal the
// visitor can mend (no address, a bad one) is said beside the form, and
// changes nothing.
func (s *widgetSocket) transcriptFrame(ctx context.Context, f inFrame) error {
	email := strings.TrimSpace(f.Email)
	var err error
	if email != "" && mail.CheckAddress(email) != nil {
		err = chat.Invalid("email", "mail.transcript.badAddress")
	}
	queued := false
	if err == nil {
		queued, err = s.h.DB.RequestTranscript(ctx, store.Transcript{ConversationID: f.ConversationID,
			By: s.viewer(), Email: email})
	}
	var invalid *chat.ValidationError
	p := widget.TranscriptProps{ConversationID: f.ConversationID}
	switch {
	case err == nil:
		p.Done = "widget.transcript.sent"
		if !queued {
			p.Done = "widget.transcript.again"
		}
	case errors.As(err, &invalid):
		p.Ask, p.Email = true, email
	case errors.Is(err, chat.ErrMailOff), errors.Is(err, chat.ErrOpen):
	default:
		return err
	}
	s.conn.Enqueue(func(ctx context.Context) ([]byte, error) {
		if p.Done != "" {
			p.Done = i18n.T(ctx, p.Done)
		} else {
			p.Error = reason(i18n.From(ctx), err)
		}
		return render(ctx, widget.Transcript(p))
	})
	return nil
}
