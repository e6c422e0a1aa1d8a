package handlers

// The state around the widget's thread: its place in the queue, whether
// chat is open at all, the pre-chat fields and the rating form. All of it
// runs on the socket's writer goroutine.

import (
	"bytes"
	"context"
	"io"

	"github.com/a-h/templ"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/live"
	"github.com/kefu-im/kefu/views/widget"
)

// renderState writes the widget's queue status, whether chat is open at
// all, the pre-chat fields for a visitor about to start a chat, and the
// rating form for a resolved, unrated chat.
func (s *widgetSocket) renderState(ctx context.Context, buf *bytes.Buffer, conv chat.Conversation) error {
	sc := &s.screen
	view, err := s.h.loadWaitView(ctx, s.user.ID)
	if err != nil {
		return err
	}
	settings, err := s.h.DB.Settings(ctx)
	if err != nil {
		return err
	}
	if sc.blocked, err = s.h.DB.VisitorBlocked(ctx, s.user.ID, s.addr); err != nil {
		return err
	}
	closed := s.closedReason(ctx, settings)
	sc.closed = &closed
	sc.outside, sc.back = false, ""
	if !sc.aim.direct {
		if sc.back, sc.outside, err = s.h.siteOutside(ctx, sc.aim.site.ID); err != nil {
			return err
		}
	}
	w := s.waitFor(view)
	sc.wait, sc.anyone, sc.viewAt = &w, view.anyone, view.loaded
	rules, err := s.prechatFor(ctx, conv, view.anyone)
	if err != nil {
		return err
	}
	sc.prechat = &rules
	comps := []templ.Component{widget.WaitStatus(w), widget.Hours(sc.back), widget.Availability(closed), widget.Prechat(rules)}
	if conv.Kind == chat.Support && conv.Status == chat.Resolved {
		unrated, err := s.h.DB.Unrated(ctx, conv.ID)
		if err != nil {
			return err
		}
		if unrated {
			sc.rating = true
			comps = append(comps, widget.RatingPrompt(conv.ID))
		}
	}
	offer, err := s.transcriptOffer(ctx, conv)
	if err != nil {
		return err
	}
	comps = append(comps, offer...)
	for _, comp := range comps {
		if err := comp.Render(ctx, buf); err != nil {
			return err
		}
	}
	return nil
}

// closedReason says why a visitor cannot start a support chat from this
// widget now, or "" when they can (or the widget is aimed at a person
// directly, which the grade decides message by message).
// A visitor an agent blocked is told that chat is unavailable, wherever
// the widget is aimed.
func (s *widgetSocket) closedReason(ctx context.Context, settings chat.Settings) string {
	switch {
	case s.screen.blocked:
		return i18n.T(ctx, "widget.unavailable")
	case s.screen.aim.direct:
		return ""
	}
	return closedReason(ctx, settings)
}

// showBlocked shows the widget that chat is unavailable: an agent blocked
// the visitor (chat.EventVisitorBlocked), or a send was refused because one
// did.
func (s *widgetSocket) showBlocked() live.Job {
	return func(ctx context.Context) ([]byte, error) {
		sc := &s.screen
		sc.blocked = true
		closed := i18n.T(ctx, "widget.unavailable")
		sc.closed = &closed
		w := widget.Wait{}
		sc.wait = &w
		return render(ctx, widget.Availability(closed), widget.WaitStatus(w))
	}
}

// closedReason says, in the words of ctx's reader, why support chats
// cannot start under s, or "". A visitor is told that chat is unavailable,
// not why: the admin pages say why.
func closedReason(ctx context.Context, s chat.Settings) string {
	if s.SupportOpen() != nil {
		return i18n.T(ctx, "widget.unavailable")
	}
	return ""
}

// prechatFor is what the widget asks of a visitor whose chat is conv (zero:
// none yet) before their next message: nothing while a chat goes on or in a
// direct conversation, else what a new chat needs that they have not given.
func (s *widgetSocket) prechatFor(ctx context.Context, conv chat.Conversation, anyone bool) (chat.Prechat, error) {
	if s.screen.aim.direct || (conv.ID != 0 && conv.Status != chat.Resolved) {
		return chat.Prechat{}, nil
	}
	visitor, err := s.h.DB.User(ctx, s.user.ID)
	if err != nil {
		return chat.Prechat{}, err
	}
	return s.screen.aim.site.PrechatFor(visitor, s.h.away(anyone, s.screen.outside)), nil
}

// waitFor is the queue status this widget shows: the visitor's place in
// the support queue, unless the widget is aimed at someone directly or
// says that chat is unavailable.
func (s *widgetSocket) waitFor(view queueView) widget.Wait {
	if sc := &s.screen; sc.aim.direct || (sc.closed != nil && *sc.closed != "") {
		return widget.Wait{}
	}
	w := view.waitFor(s.user.ID)
	w.Offline = s.screen.aim.site.OfflineMessage
	if s.screen.outside {
		w.Anyone = false // the offline message, outside business hours
	}
	w.Mail = s.h.Mail.On
	return w
}

// queueChanged shows the widget what a change of the queue means for it:
// its place in line; the pre-chat fields, when whether anyone is available
// changed or its own chat (id) changed, say was resolved; and the rating
// form for its chat just resolved.
func (s *widgetSocket) queueChanged(view queueView, id int64) live.Job {
	return func(ctx context.Context) ([]byte, error) {
		sc := &s.screen
		var comps []templ.Component
		fresh := !view.loaded.Before(sc.viewAt) // else a later view is shown already
		if fresh {
			sc.viewAt = view.loaded
			w := s.waitFor(view)
			if sc.wait == nil || *sc.wait != w {
				sc.wait = &w
				comps = append(comps, widget.WaitStatus(w))
			}
		}
		ours := id != 0 && id == sc.openID
		if fresh && sc.threads.resumed && view.anyone != sc.anyone && !sc.aim.direct {
			// Who is there changed: the header says it.
			comps = append(comps, templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
				settings, err := s.h.DB.KnownSettings(ctx)
				if err != nil {
					return err
				}
				return s.renderTeam(ctx, w, settings)
			}))
		}
		if fresh && sc.threads.resumed && (ours || view.anyone != sc.anyone) {
			sc.anyone = view.anyone
			conv, err := s.conversation(ctx)
			if err != nil && !isNotFound(err) {
				return nil, err
			}
			rules, err := s.prechatFor(ctx, conv, view.anyone)
			if err != nil {
				return nil, err
			}
			if sc.prechat == nil || *sc.prechat != rules {
				sc.prechat = &rules
				comps = append(comps, widget.Prechat(rules))
			}
		}
		if ours {
			more, err := s.ratingChanged(ctx, id)
			if err != nil {
				return nil, err
			}
			comps = append(comps, more...)
			if more, err = s.transcriptChanged(ctx, id); err != nil {
				return nil, err
			}
			comps = append(comps, more...)
		}
		return render(ctx, comps...)
	}
}

// ratingChanged shows the rating form for chat id just resolved, or takes
// the form away when the chat was reopened.
func (s *widgetSocket) ratingChanged(ctx context.Context, id int64) ([]templ.Component, error) {
	sc := &s.screen
	unrated, err := s.h.DB.Unrated(ctx, id)
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	switch {
	case unrated:
		sc.rating = true
		return []templ.Component{widget.RatingPrompt(id)}, nil
	case sc.rating:
		conv, err := s.h.DB.Conversation(ctx, id)
		if err != nil {
			return nil, err
		}
		if conv.Status != chat.Resolved {
			sc.rating = false
			return []templ.Component{widget.NoRating()}, nil
		}
	}
	return nil, nil
}

// settingsChanged shows whether chat is open, when the settings changed it.
func (s *widgetSocket) settingsChanged(settings chat.Settings) live.Job {
	return func(ctx context.Context) ([]byte, error) {
		sc := &s.screen
		if !sc.threads.resumed {
			return nil, nil // the resume will say
		}
		if sc.aim.direct && !sc.blocked { // the grade may now refuse the person, or no longer
			var buf bytes.Buffer
			if err := s.renderGrade(ctx, &buf, settings); err != nil {
				return nil, err
			}
			return frameBytes(&buf), nil
		}
		closed := s.closedReason(ctx, settings)
		if sc.closed != nil && *sc.closed == closed {
			return nil, nil
		}
		sc.closed = &closed
		// The queue status goes while chat is closed (not "you are number 2
		// in line" above "chat is unavailable"), and comes back with it.
		w := widget.Wait{}
		if closed == "" {
			view, err := s.h.loadWaitView(ctx, s.user.ID)
			if err != nil {
				return nil, err
			}
			w, sc.viewAt = s.waitFor(view), view.loaded
		}
		comps := []templ.Component{widget.Availability(closed)}
		if sc.wait == nil || *sc.wait != w {
			sc.wait = &w
			comps = append(comps, widget.WaitStatus(w))
		}
		return render(ctx, comps...)
	}
}

// showPrechat shows the pre-chat fields rules asks for, between comps and
// after, when the browser does not show them already: what the visitor
// typed into them stays.
func (s *widgetSocket) showPrechat(rules chat.Prechat, comps []templ.Component, after ...templ.Component) live.Job {
	return func(ctx context.Context) ([]byte, error) {
		sc := &s.screen
		if sc.prechat == nil || *sc.prechat != rules {
			sc.prechat = &rules
			comps = append(comps, widget.Prechat(rules))
		}
		return render(ctx, append(comps, after...)...)
	}
}
