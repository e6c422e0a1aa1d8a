package handlers

// What a visitor's message stores and starts: a support chat or a direct
// conversation, with the pre-chat fields the site asks for and what the
// widget says of the visitor's page.

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

// storeMessage stores a visitor's message. "Contact the author": an agent
// named by the page gets a support chat first; anyone else, a direct
// conversation. Either way the conversation_grade policy decides, in the
// store's transaction. Reader goroutine.
func (s *widgetSocket) storeMessage(ctx context.Context, f inFrame, snd store.Send) (chat.Message, bool, error) {
	h := s.h
	direct, err := h.directTarget(ctx, f.To)
	if err != nil {
		return chat.Message{}, false, err
	}
	if direct {
		return h.stored(h.DB.SendDirect(ctx, snd, f.To))
	}
	if f.To == 0 {
		// Most messages go on in the visitor's open chat, and are stored at once.
		if msg, created, ok, err := h.DB.SendToOpenChat(ctx, snd); ok || err != nil {
			return h.stored(msg, created, err)
		}
	}
	if f.To != 0 {
		snd.TargetID, snd.TargetUntil = f.To, h.Now().Add(h.Routing.TargetWait)
	}
	starting, err := s.startingChat(ctx, f, &snd)
	if err != nil {
		return chat.Message{}, false, err
	}
	msg, created, err := h.stored(h.DB.SendFromVisitor(ctx, snd))
	if err == nil && starting {
		// What the visitor gave is kept: the fields go until a new chat needs them.
		s.conn.Enqueue(s.showPrechat(chat.Prechat{}, nil))
	}
	return msg, created, err
}

// fieldsNeeded is a message refused because a new chat needs a pre-chat
// field the visitor has not given: the widget shows the fields, and the
// message stays in the composer.
type fieldsNeeded struct {
	rules chat.Prechat
	err   error // a *chat.ValidationError naming the field
}

func (e *fieldsNeeded) Error() string { return e.err.Error() }
func (e *fieldsNeeded) Unwrap() error { return e.err }

// startingChat checks and records, when this message starts (or reopens) a
// support chat, what the visitor gives with it: the pre-chat fields the site
// asks for and the page's context. It reports whether the message starts one.
func (s *widgetSocket) startingChat(ctx context.Context, f inFrame, snd *store.Send) (bool, error) {
	db := s.h.DB
	conv, err := db.VisitorConversation(ctx, s.user.ID)
	if err == nil && conv.Status != chat.Resolved {
		return false, nil // it goes on
	}
	if err != nil && !isNotFound(err) {
		return false, err
	}
	view, err := s.h.loadWaitView(ctx, 0)
	if err != nil {
		return false, err
	}
	visitor, err := db.User(ctx, s.user.ID)
	if err != nil {
		return false, err
	}
	site := s.aim.site
	if site.ID != 0 {
		// As the site is now: its pre-chat fields may have changed since the resume.
		if site, err = db.Site(ctx, site.ID); err != nil {
			return false, err
		}
	}
	_, outside, err := s.h.siteOutside(ctx, site.ID)
	if err != nil {
		return false, err
	}
	rules := site.PrechatFor(visitor, s.h.away(view.anyone, outside))
	name, email, err := rules.Check(f.Name, f.Email)
	if err != nil {
		return false, &fieldsNeeded{rules: rules, err: err}
	}
	snd.SiteID = site.ID
	snd.Context = visitorContext(f.Context, s.userAgent)
	if email != "" {
		snd.Context["email"] = email
		snd.VisitorEmail = email
	}
	if name != "" {
		snd.Context["name"] = name
		snd.VisitorName = name // stored with the message, or not at all
	}
	return true, nil
}

// contextKeys are what the widget may say of the visitor's browser.
var contextKeys = []string{"page", "referrer", "language", "timezone"}

// visitorContext keeps the known keys of what the widget sent, each cut to
// a sane length, and the browser's user agent.
func visitorContext(in map[string]string, userAgent string) map[string]string {
	out := map[string]string{}
	for _, k := range contextKeys {
		// A value that is not plain text (bad UTF-8, or a NUL, which jsonb refuses) is dropped.
		if v := strings.TrimSpace(in[k]); v != "" && utf8.ValidString(v) && !strings.ContainsRune(v, 0) {
			out[k] = truncate(v, 2000)
		}
	}
	if userAgent != "" {
		out["user_agent"] = truncate(userAgent, 500)
	}
	return out
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
