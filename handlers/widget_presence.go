package handlers

import (
	"context"
	"time"
)

// widgetSeenEvery is how often an open widget socket records that its
// visitor is still there, while email is on: KEFU_MAIL_QUIET is at least
// twice as long, so a visitor reading the widget is never emailed.
const widgetSeenEvery = time.Minute

// keepWidgetSeen records, while email is on, that the visitor's widget is
// open, speaking lang: at once, every widgetSeenEvery, and when it closes,
// which starts the quiet period after which replies go by email. It
// returns the function that ends it.
func (s *widgetSocket) keepWidgetSeen(lang string) (stop func()) {
	h := s.h
	if !h.Mail.On {
		return func() {}
	}
	touch := func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(h.Base), 5*time.Second)
		defer cancel()
		if err := h.DB.TouchWidget(ctx, s.user.ID, lang, h.Now()); err != nil {
			h.Logger.Warn("widget presence failed", "visitor_id", s.user.ID, "err", err)
		}
	}
	touch()
	halt := repeat(widgetSeenEvery, touch)
	return func() {
		halt()
		touch()
	}
}
