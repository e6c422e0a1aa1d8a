package handlers

// A site's business hours and auto-replies, set on the admin's sites page.

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
)

// hoursFromForm reads the hours form: per weekday (0 Sunday … 6 Saturday)
// open_N and close_N ("09:00"; both empty: closed; a close of "00:00" is
// midnight at the day's end, as "24:00", which a time input cannot hold, so
// that 00:00 to 00:00 is the whole day; a close before the opening is the
// next day's), the zone, the holidays one a line, the wait in minutes and the four
// replies.
func hoursFromForm(r *http.Request) (chat.Hours, error) {
	h := chat.Hours{
		Zone:    strings.TrimSpace(r.PostFormValue("zone")),
		Waiting: chat.Replies{EN: strings.TrimSpace(r.PostFormValue("waiting_en")), ZH: strings.TrimSpace(r.PostFormValue("waiting_zh"))},
		Outside: chat.Replies{EN: strings.TrimSpace(r.PostFormValue("outside_en")), ZH: strings.TrimSpace(r.PostFormValue("outside_zh"))},
	}
	for d := range h.Days {
		open, shut := r.PostFormValue(fmt.Sprint("open_", d)), r.PostFormValue(fmt.Sprint("close_", d))
		if strings.TrimSpace(open) == "" && strings.TrimSpace(shut) == "" {
			continue
		}
		var err error
		if h.Days[d].Open, err = chat.ParseClock(open); err != nil {
			return h, err
		}
		if h.Days[d].Close, err = chat.ParseClock(shut); err != nil {
			return h, err
		}
		if h.Days[d].Close == 0 {
			h.Days[d].Close = 24 * 60
		}
	}
	var err error
	if h.Holidays, err = chat.ParseHolidays(r.PostFormValue("holidays")); err != nil {
		return h, err
	}
	if wait := strings.TrimSpace(r.PostFormValue("wait_minutes")); wait != "" {
		if h.WaitMinutes, err = strconv.Atoi(wait); err != nil {
			return h, chat.Invalid("wait", "error.hours.wait", "Max", chat.MaxWaitMinutes)
		}
	}
	return h, h.Validate()
}

func (h *Handler) adminSiteHoursUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx := r.Context()
	s, err := h.DB.Site(ctx, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	hours, err := hoursFromForm(r)
	if err == nil {
		err = h.DB.SetSiteHours(ctx, accountFrom(ctx).ID, id, hours)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.adminDone(w, r, i18n.T(ctx, "hours.saved", "Name", s.Name), "/admin/sites")
}
