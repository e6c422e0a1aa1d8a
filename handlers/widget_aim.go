package handlers

import (
	"context"
	"crypto/hmac"

	"github.com/kefu-im/kefu/chat"
)

// aim is what a widget is for: the site embedding it (zero: none), the
// person it is aimed at (0: customer service) and whether that is a direct
// conversation rather than a support chat.
type aim struct {
	site   chat.Site
	to     int64
	direct bool
}

// resolveAim works out what a resume frame says the widget is for: its site
// and the person it is aimed at. The site is the one that vouched for a
// verified visitor; otherwise the one the widget's page was served for,
// which the page proves with the token kefu signed into it. A site id
// without its token is ignored, so that no visitor can file a chat under a
// site of their choosing.
func (s *widgetSocket) resolveAim(ctx context.Context, f inFrame) (aim, error) {
	var a aim
	db := s.h.DB
	siteID := s.user.SiteID
	if siteID == 0 && f.Site != 0 {
		secret, err := db.SiteSecret(ctx, f.Site)
		if err != nil && !isNotFound(err) {
			return a, err
		}
		if err == nil && hmac.Equal([]byte(f.SiteToken), []byte(siteToken(f.Site, secret))) {
			siteID = f.Site
		}
	}
	if siteID != 0 {
		site, err := db.Site(ctx, siteID)
		if err != nil && !isNotFound(err) {
			return a, err
		}
		a.site = site
	}
	a.to = max(f.To, 0)
	var err error
	a.direct, err = s.h.directTarget(ctx, a.to)
	return a, err
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

// conversation returns the conversation the widget shows as aimed at its
// last resume, if it exists yet. Writer goroutine only.
func (s *widgetSocket) conversation(ctx context.Context) (chat.Conversation, error) {
	return s.aimedConversation(ctx, s.screen.aim)
}

// aimedConversation is the visitor's conversation that a widget with aim a
// shows, on whichever goroutine holds a.
func (s *widgetSocket) aimedConversation(ctx context.Context, a aim) (chat.Conversation, error) {
	if a.direct {
		return s.h.DB.DirectConversation(ctx, s.user.ID, a.to)
	}
	return s.h.DB.VisitorConversation(ctx, s.user.ID)
}

// wants reports whether a message of the conversation summed up by sum
// belongs in this widget: the widget shows one conversation.
func (sc *widgetScreen) wants(id int64, sum *chat.Summary) bool {
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
