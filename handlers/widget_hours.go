package handlers

// Business hours on the widget: outside them, it says when the team is
// back and takes a message as it does when nobody is available (the
// site's offline message, and the visitor's email); chats still queue.

import (
	"context"
	"fmt"
	"time"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
)

// siteOutside reports whether site id's team is outside its business hours
// now, and if so says, in the words of ctx's reader, when it is back.
func (h *Handler) siteOutside(ctx context.Context, id int64) (back string, outside bool, err error) {
	if id == 0 {
		return "", false, nil
	}
	hours, err := h.DB.SiteHours(ctx, id)
	if err != nil {
		return "", false, err
	}
	now := h.Now()
	if hours.Open(now) {
		return "", false, nil
	}
	next, ok := hours.NextOpening(now)
	if !ok {
		return i18n.T(ctx, "widget.hours.away"), true, nil
	}
	return i18n.T(ctx, "widget.hours.back", "When", backWhen(ctx, now, next)), true, nil
}

// backWhen is when the team opens next, in the site's time zone (next's):
// its weekday and time within the week ("Monday 09:00"), else its date.
func backWhen(ctx context.Context, now, next time.Time) string {
	day := next.Format(chat.DateLayout)
	if next.Sub(now) < 6*24*time.Hour {
		day = i18n.T(ctx, fmt.Sprint("hours.day.", int(next.Weekday())))
	}
	return i18n.T(ctx, "widget.hours.when", "Day", day, "Time", next.Format("15:04"))
}
