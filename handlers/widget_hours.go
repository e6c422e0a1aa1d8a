package handlers

// Business hours on the widget: outside them, it says when the team is
// back and takes a message as it does when nobody is available (the
// site's offline message, and the visitor's email); chats still queue.
// An open widget switches when its site's team opens or closes.

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/a-h/templ"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/live"
	"github.com/kefu-im/kefu/views/widget"
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

// hoursWatch keeps this instance's open widgets in step with their sites'
// business hours: one watch for every site and socket, which reads the
// hours again only when some site's team is due to open or close, or an
// admin changed some site's hours (chat.EventHours), and then tells the
// widgets of the sites whose state changed.
type hoursWatch struct {
	mu sync.Mutex
	// sites is every site's hours with whether its team was open at the
	// last look; nil before the first.
	sites map[int64]siteHours
	// next is the soonest time a site's team opens or closes; zero: never.
	next time.Time
	// stale says the bus may have missed a change of hours (hub.resync).
	stale bool
}

type siteHours struct {
	hours chat.Hours
	open  bool
	// next is when the team was due to open or close after that look;
	// zero: never.
	next time.Time
}

// ShowHours tells this instance's open widgets that their site's team has
// opened or closed, when one has since the last call: each switches between
// the offline form and the chat composer, and says when the team is back.
// Every instance calls it each second; it reads the database only when a
// team is due to open or close.
func (h *Handler) ShowHours(ctx context.Context) error { return h.hub.showHours(ctx, false) }

// showHours is ShowHours, reading every site's hours at once when changed
// says an admin changed some.
func (hb *hub) showHours(ctx context.Context, changed bool) error {
	w := &hb.hours
	w.mu.Lock()
	defer w.mu.Unlock()
	now := hb.h.Now()
	if w.sites != nil && !changed && !w.stale && (w.next.IsZero() || now.Before(w.next)) {
		return nil
	}
	w.stale = false
	all, err := hb.h.DB.AllSiteHours(ctx)
	if err != nil {
		return err
	}
	sites := make(map[int64]siteHours, len(all))
	moved := make(map[int64]bool)
	w.next = time.Time{}
	for id, hours := range all {
		next, _ := hours.NextChange(now)
		sites[id] = siteHours{hours: hours, open: hours.Open(now), next: next}
		// The first look tells every widget: one may have opened before it,
		// on the state of a moment since gone. So does a change that fell
		// due since the last look, though the state is the same again: the
		// team opened and closed in between (a look was late), and a widget
		// may show either.
		was, ok := w.sites[id]
		if w.sites == nil || !ok || was.open != sites[id].open || !reflect.DeepEqual(was.hours, hours) ||
			!was.next.IsZero() && !now.Before(was.next) {
			moved[id] = true
		}
		if !next.IsZero() && (w.next.IsZero() || next.Before(w.next)) {
			w.next = next
		}
	}
	w.sites = sites
	if len(moved) == 0 {
		return nil
	}
	for _, c := range hb.widgets.All() {
		c.conn.Enqueue(c.hoursChanged(moved))
	}
	return nil
}

// hoursChanged shows the widget whether its site's team is there, when
// sites holds its site: when it is back if not, the offline message or
// the place in line, and the pre-chat fields that go with them.
func (s *widgetSocket) hoursChanged(sites map[int64]bool) live.Job {
	return func(ctx context.Context) ([]byte, error) {
		sc := &s.screen
		if !sc.threads.resumed || sc.aim.direct || !sites[sc.aim.site.ID] {
			return nil, nil // the resume will say
		}
		back, outside, err := s.h.siteOutside(ctx, sc.aim.site.ID)
		if err != nil {
			return nil, err
		}
		if outside == sc.outside && back == sc.back {
			return nil, nil
		}
		sc.outside, sc.back = outside, back
		comps := []templ.Component{widget.Hours(back)}
		view, err := s.h.loadWaitView(ctx, s.user.ID)
		if err != nil {
			return nil, err
		}
		if wait := s.waitFor(view); sc.wait == nil || *sc.wait != wait {
			sc.wait, sc.viewAt = &wait, view.loaded
			comps = append(comps, widget.WaitStatus(wait))
		}
		conv, err := s.conversation(ctx)
		if err != nil && !isNotFound(err) {
			return nil, err
		}
		rules, err := s.prechatFor(ctx, conv, sc.anyone)
		if err != nil {
			return nil, err
		}
		if sc.prechat == nil || *sc.prechat != rules {
			sc.prechat = &rules
			comps = append(comps, widget.Prechat(rules))
		}
		return render(ctx, comps...)
	}
}
