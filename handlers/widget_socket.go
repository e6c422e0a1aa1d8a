package handlers

// The widget's side of the live socket: what a visitor's message starts,
// what the widget is aimed at, and the state around its thread (queue
// status, pre-chat fields, whether chat is open at all, the rating form).

import (
	"bytes"
	"context"
	"crypto/hmac"
	"strings"
	"unicode/utf8"

	"github.com/a-h/templ"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/live"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/views/widget"
)

// sendFromWidget stores a visitor's message. "Contact the author": an agent
// named by the page gets a support chat first; anyone else, a direct
// conversation. Either way the conversation_grade policy decides, in the
// store's transaction.
func (c *client) sendFromWidget(ctx context.Context, f inFrame, s store.Send) (chat.Message, bool, error) {
	direct, err := c.h.directTarget(ctx, f.To)
	if err != nil {
		return chat.Message{}, false, err
	}
	if direct {
		return c.h.DB.SendDirect(ctx, s, f.To)
	}
	if f.To != 0 {
		s.TargetID, s.TargetUntil = f.To, c.h.Now().Add(c.h.Routing.TargetWait)
	}
	starting, err := c.startingChat(ctx, f, &s)
	if err != nil {
		return chat.Message{}, false, err
	}
	msg, created, err := c.h.DB.SendFromVisitor(ctx, s)
	if err == nil && starting {
		// What the visitor gave is kept: the fields go until a new chat needs them.
		c.conn.Enqueue(c.showPrechat(chat.Prechat{}))
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
func (c *client) startingChat(ctx context.Context, f inFrame, s *store.Send) (bool, error) {
	conv, err := c.h.DB.VisitorConversation(ctx, c.user.ID)
	if err == nil && conv.Status != chat.Resolved {
		return false, nil // it goes on
	}
	if err != nil && !isNotFound(err) {
		return false, err
	}
	view, err := c.h.loadQueueView(ctx)
	if err != nil {
		return false, err
	}
	visitor, err := c.h.DB.User(ctx, c.user.ID)
	if err != nil {
		return false, err
	}
	site := c.aim.site
	if site.ID != 0 {
		// As the site is now: its pre-chat fields may have changed since the resume.
		if site, err = c.h.DB.Site(ctx, site.ID); err != nil {
			return false, err
		}
	}
	rules := site.PrechatFor(visitor, view.anyone)
	name, email, err := rules.Check(f.Name, f.Email)
	if err != nil {
		return false, &fieldsNeeded{rules: rules, err: err}
	}
	s.SiteID = site.ID
	s.Context = visitorContext(f.Context, c.userAgent)
	if email != "" {
		s.Context["email"] = email
		s.VisitorEmail = email
	}
	if name != "" {
		s.Context["name"] = name
		s.VisitorName = name // stored with the message, or not at all
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
		if v := strings.TrimSpace(in[k]); v != "" && utf8.ValidString(v) {
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

// directTarget reports whether a widget chat aimed at to (0: nobody) is a
// direct conversation with that person, rather than a support chat.
func (h *Handler) directTarget(ctx context.Context, to int64) (bool, error) {
	if to == 0 {
		return false, nil
	}
	agents, err := h.DB.AgentList(ctx)
	return !agents.Has(to), err
}

// resolveAim works out what a resume frame says the widget is for: its site
// and the person it is aimed at. The site is the one that vouched for a
// verified visitor; otherwise the one the widget's page was served for,
// which the page proves with the token kefu signed into it. A site id
// without its token is ignored, so that no visitor can file a chat under a
// site of their choosing.
func (c *client) resolveAim(ctx context.Context, f inFrame) (aim, error) {
	var a aim
	siteID := c.user.SiteID
	if siteID == 0 && f.Site != 0 {
		secret, err := c.h.DB.SiteSecret(ctx, f.Site)
		if err != nil && !isNotFound(err) {
			return a, err
		}
		if err == nil && hmac.Equal([]byte(f.SiteToken), []byte(siteToken(f.Site, secret))) {
			siteID = f.Site
		}
	}
	if siteID != 0 {
		site, err := c.h.DB.Site(ctx, siteID)
		if err != nil && !isNotFound(err) {
			return a, err
		}
		a.site = site
	}
	a.to = max(f.To, 0)
	var err error
	a.direct, err = c.h.directTarget(ctx, a.to)
	return a, err
}

// widgetConversation returns the conversation the widget shows, if it exists yet.
func (c *client) widgetConversation(ctx context.Context) (chat.Conversation, error) {
	if a := c.screen.aim; a.direct {
		return c.h.DB.DirectConversation(ctx, c.user.ID, a.to)
	}
	return c.h.DB.VisitorConversation(ctx, c.user.ID)
}

// renderWidgetState writes the widget's queue status, whether chat is open
// at all, the pre-chat fields for a visitor about to start a chat, and the
// rating form for a resolved, unrated chat.
func (c *client) renderWidgetState(ctx context.Context, buf *bytes.Buffer, conv chat.Conversation) error {
	sc := &c.screen
	view, err := c.h.loadQueueView(ctx)
	if err != nil {
		return err
	}
	settings, err := c.h.DB.Settings(ctx)
	if err != nil {
		return err
	}
	closed := c.closedReason(settings)
	sc.closed = &closed
	w := c.waitFor(view)
	sc.wait, sc.anyone = &w, view.anyone
	rules, err := c.prechatFor(ctx, conv, view.anyone)
	if err != nil {
		return err
	}
	sc.prechat = &rules
	comps := []templ.Component{widget.WaitStatus(w), widget.Availability(closed), widget.Prechat(rules)}
	if conv.Kind == chat.Support && conv.Status == chat.Resolved {
		unrated, err := c.h.DB.Unrated(ctx, conv.ID)
		if err != nil {
			return err
		}
		if unrated {
			sc.rating = true
			comps = append(comps, widget.RatingPrompt(conv.ID))
		}
	}
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
func (c *client) closedReason(s chat.Settings) string {
	if c.screen.aim.direct {
		return ""
	}
	return closedReason(s)
}

// closedReason says why support chats cannot start under s, or "".
func closedReason(s chat.Settings) string {
	if refused, ok := s.SupportOpen().(*chat.RefusedError); ok {
		return refused.Reason
	}
	return ""
}

// prechatFor is what the widget asks of a visitor whose chat is conv (zero:
// none yet) before their next message: nothing while a chat goes on or in a
// direct conversation, else what a new chat needs that they have not given.
func (c *client) prechatFor(ctx context.Context, conv chat.Conversation, anyone bool) (chat.Prechat, error) {
	if c.screen.aim.direct || (conv.ID != 0 && conv.Status != chat.Resolved) {
		return chat.Prechat{}, nil
	}
	visitor, err := c.h.DB.User(ctx, c.user.ID)
	if err != nil {
		return chat.Prechat{}, err
	}
	return c.screen.aim.site.PrechatFor(visitor, anyone), nil
}

// wants reports whether a message of the conversation summed up by sum
// belongs in this widget: the widget shows one conversation.
func (sc *screen) wants(id int64, sum *chat.Summary) bool {
	switch {
	case sc.openID != 0:
		return id == sc.openID
	case sum == nil:
		return true // the visitor's own message, resent
	case sc.aim.direct:
		return sum.Kind == chat.Direct && sum.PeerID == sc.aim.to
	}
	return sum.Kind == chat.Support
}

// queueChanged shows the widget what a change of the queue means for it:
// its place in line; the pre-chat fields, when whether anyone is available
// changed or its own chat (id) changed, say was resolved; and the rating
// form for its chat just resolved.
func (c *client) queueChanged(view queueView, id int64) live.Job {
	return func(ctx context.Context) ([]byte, error) {
		sc := &c.screen
		var comps []templ.Component
		w := c.waitFor(view)
		if sc.wait == nil || *sc.wait != w {
			sc.wait = &w
			comps = append(comps, widget.WaitStatus(w))
		}
		ours := id != 0 && id == sc.openID
		if sc.resumed && (ours || view.anyone != sc.anyone) {
			sc.anyone = view.anyone
			conv, err := c.widgetConversation(ctx)
			if err != nil && !isNotFound(err) {
				return nil, err
			}
			rules, err := c.prechatFor(ctx, conv, view.anyone)
			if err != nil {
				return nil, err
			}
			if sc.prechat == nil || *sc.prechat != rules {
				sc.prechat = &rules
				comps = append(comps, widget.Prechat(rules))
			}
		}
		if ours {
			unrated, err := c.h.DB.Unrated(ctx, id)
			if err != nil && !isNotFound(err) {
				return nil, err
			}
			switch {
			case unrated:
				sc.rating = true
				comps = append(comps, widget.RatingPrompt(id))
			case sc.rating:
				// Reopened: the form for the chat that was resolved goes.
				if conv, err := c.h.DB.Conversation(ctx, id); err != nil {
					return nil, err
				} else if conv.Status != chat.Resolved {
					sc.rating = false
					comps = append(comps, widget.NoRating())
				}
			}
		}
		return render(ctx, comps...)
	}
}

// waitFor is the queue status this widget shows: the visitor's place in
// the support queue, unless the widget is aimed at someone directly or
// says that chat is unavailable.
func (c *client) waitFor(view queueView) widget.Wait {
	if sc := c.screen; sc.aim.direct || (sc.closed != nil && *sc.closed != "") {
		return widget.Wait{}
	}
	w := view.waitFor(c.user.ID)
	w.Offline = c.screen.aim.site.OfflineMessage
	return w
}

// settingsChanged shows whether chat is open, when the settings changed it.
func (c *client) settingsChanged(s chat.Settings) live.Job {
	return func(ctx context.Context) ([]byte, error) {
		sc := &c.screen
		if !sc.resumed {
			return nil, nil // the resume will say
		}
		closed := c.closedReason(s)
		if sc.closed != nil && *sc.closed == closed {
			return nil, nil
		}
		sc.closed = &closed
		// The queue status goes while chat is closed (not "you are number 2
		// in line" above "chat is unavailable"), and comes back with it.
		w := widget.Wait{}
		if closed == "" {
			view, err := c.h.loadQueueView(ctx)
			if err != nil {
				return nil, err
			}
			w = c.waitFor(view)
		}
		comps := []templ.Component{widget.Availability(closed)}
		if sc.wait == nil || *sc.wait != w {
			sc.wait = &w
			comps = append(comps, widget.WaitStatus(w))
		}
		return render(ctx, comps...)
	}
}

// showPrechat shows the pre-chat fields rules asks for, after comps, when
// the browser does not show them already: what the visitor typed into them
// stays.
func (c *client) showPrechat(rules chat.Prechat, comps ...templ.Component) live.Job {
	return func(ctx context.Context) ([]byte, error) {
		sc := &c.screen
		if sc.prechat == nil || *sc.prechat != rules {
			sc.prechat = &rules
			comps = append(comps, widget.Prechat(rules))
		}
		return render(ctx, comps...)
	}
}

// rate stores the visitor's rating of their resolved chat and thanks them.
func (c *client) rate(ctx context.Context, f inFrame) error {
	if !c.widget {
		return chat.Invalid("type", "Unknown frame type.")
	}
	if err := c.h.DB.RateConversation(ctx, c.user.ID, f.ConversationID, f.Rating, f.Comment); err != nil {
		return err
	}
	c.conn.Enqueue(func(ctx context.Context) ([]byte, error) {
		c.screen.rating = true // the thanks, until the chat reopens
		return render(ctx, widget.Rated())
	})
	return nil
}
