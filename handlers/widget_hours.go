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

// away is why a widget takes a message rather than a chat: nobody is
// available (!anyone), or the site is outside its business hours; and
// whether replies reach the visitor by email. Both ask for the visitor's
// email (chat.Site.PrechatFor).
func (h *Handler) away(anyone, outside bool) chat.Absence {
	return chat.Absence{Nobody: !anyone, Outside: outside, Mail: h.Mail.On}
}

// backWhen is when the team opens next, in the site's time zone (next's):
// its weekday and time within the week ("Monday 09:00"), else its date,
// and the zone's offset from UTC, which a visitor elsewhere needs to read
// the time ("Monday 09:00 (UTC+8)").
func backWhen(ctx context.Context, now, next time.Time) string {
	day := next.Format(chat.DateLayout)
	if next.Sub(now) < 6*24*time.Hour {
		day = i18n.T(ctx, fmt.Sprint("hours.day.", int(next.Weekday())))
	}
	return i18n.T(ctx, "widget.hours.when", "Day", day, "Time", next.Format("15:04"), "Zone", utcOffset(next))
}

// utcOffset is t's zone as its offset from UTC: "UTC", "UTC+8", "UTC-3:30".
func utcOffset(t time.Time) string {
	_, off := t.Zone()
	if off == 0 {
		return "UTC"
	}
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	h, m := off/3600, off%3600/60
	if m == 0 {
		return fmt.Sprintf("UTC%s%d", sign, h)
	}
	return fmt.Sprintf("UTC%s%d:%02d", sign, h, m)
}
