package chat

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Hours is when a site's team answers, and what kefu tells a visitor on
// the team's behalf: a weekly schedule in the site's time zone, the dates
// it is closed, and the auto-replies. A site with no opening hours on any
// day is always open, which is every site until its admin sets a schedule.
type Hours struct {
	// Zone is an IANA time zone ("Asia/Shanghai"); "" is UTC.
	Zone string
	// Days holds each weekday's hours, Sunday first (time.Weekday).
	Days [7]DayHours
	// Holidays are the dates (in Zone) the team is closed all day, "2006-01-02".
	Holidays []string
	// WaitMinutes is how long a chat waits with nobody assigned before
	// the waiting auto-reply goes out; 0: never.
	WaitMinutes int
	// Waiting and Outside are the auto-replies a visitor is sent when
	// their chat waits too long, and when it starts outside the hours,
	// in each language; "" says the catalog's words.
	Waiting, Outside Replies
}

// Replies is an auto-reply as its admin wrote it, in English and in
// Simplified Chinese.
type Replies struct {
	EN, ZH string
}

// Args is the reply as its system line stores it: English, then Chinese.
func (r Replies) Args() []string { return []string{r.EN, r.ZH} }

// DayHours is a day's opening hours, in minutes from midnight: open from
// Open until Close, the same day. A day whose Close is not after its Open
// (the zero value) is closed.
type DayHours struct {
	Open  int `json:"open"`
	Close int `json:"close"`
}

// IsOpen reports whether the day has opening hours at all.
func (d DayHours) IsOpen() bool { return d.Close > d.Open }

// DateLayout is how holidays are written.
const DateLayout = "2006-01-02"

// MaxHolidays is the most holidays a site lists; MaxWaitMinutes the
// longest wait before the waiting auto-reply.
const (
	MaxHolidays    = 100
	MaxWaitMinutes = 24 * 60
)

// Scheduled reports whether the site has business hours; without them it
// is always open.
func (h Hours) Scheduled() bool {
	return slices.ContainsFunc(h.Days[:], DayHours.IsOpen)
}

// Location is the hours' time zone.
func (h Hours) Location() (*time.Location, error) {
	if h.Zone == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(h.Zone)
	if err != nil || strings.EqualFold(h.Zone, "local") {
		return nil, Invalid("zone", "error.hours.zone", "Zone", strconv.Quote(h.Zone))
	}
	return loc, nil
}

// location is Location for hours already validated: UTC should the zone
// have vanished from the system's database since.
func (h Hours) location() *time.Location {
	loc, err := h.Location()
	if err != nil {
		return time.UTC
	}
	return loc
}

// Open reports whether the team is open at at.
func (h Hours) Open(at time.Time) bool {
	if !h.Scheduled() {
		return true
	}
	t := at.In(h.location())
	if slices.Contains(h.Holidays, t.Format(DateLayout)) {
		return false
	}
	d := h.Days[t.Weekday()]
	m := t.Hour()*60 + t.Minute()
	return d.IsOpen() && d.Open <= m && m < d.Close
}

// NextOpening is the first time at or after after when the team is open,
// in the hours' time zone; after itself when open then. It reports false
// when the team never opens within a year and a week (holidays covering
// every open day).
func (h Hours) NextOpening(after time.Time) (time.Time, bool) {
	if h.Open(after) {
		return after, true
	}
	loc := h.location()
	t := after.In(loc)
	for i := range 372 {
		day := time.Date(t.Year(), t.Month(), t.Day()+i, 12, 0, 0, 0, loc)
		d := h.Days[day.Weekday()]
		if !d.IsOpen() || slices.Contains(h.Holidays, day.Format(DateLayout)) {
			continue
		}
		opening := time.Date(day.Year(), day.Month(), day.Day(), d.Open/60, d.Open%60, 0, 0, loc)
		if m := opening.Hour()*60 + opening.Minute(); opening.Day() == day.Day() && m < d.Open {
			// The clocks skipped the opening time: it comes that much later.
			opening = opening.Add(time.Duration(d.Open-m) * time.Minute)
		}
		if !opening.Before(after) {
			return opening, true
		}
	}
	return time.Time{}, false
}

// OpenedAt is when the stretch of opening hours that at falls in began:
// the latest opening at or before at, over midnight when the day before
// closed at midnight. It looks back no more than a week: a team open
// round the clock is said to have opened a week before. It reports false
// when the team is closed at at.
func (h Hours) OpenedAt(at time.Time) (time.Time, bool) {
	if !h.Open(at) {
		return time.Time{}, false
	}
	week := at.Add(-7 * 24 * time.Hour)
	if !h.Scheduled() {
		return week, true
	}
	loc := h.location()
	t := at.In(loc)
	for i := range 8 {
		day := time.Date(t.Year(), t.Month(), t.Day()-i, 12, 0, 0, 0, loc)
		d := h.Days[day.Weekday()]
		opening := time.Date(day.Year(), day.Month(), day.Day(), d.Open/60, d.Open%60, 0, 0, loc)
		if !h.Open(opening.Add(-time.Minute)) {
			return opening, true
		}
	}
	return week, true
}

// ParseClock reads "09:00" as minutes from midnight; "24:00" is midnight
// at the day's end.
func ParseClock(s string) (int, error) {
	hh, mm, ok := strings.Cut(strings.TrimSpace(s), ":")
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if !ok || err1 != nil || err2 != nil || len(mm) != 2 || h < 0 || m < 0 || m > 59 || h*60+m > 24*60 {
		return 0, Invalid("hours", "error.hours.clock", "Time", strconv.Quote(s))
	}
	return h*60 + m, nil
}

// Clock writes minutes from midnight as ParseClock reads them.
func Clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// ParseHolidays reads holidays one a line (or separated by commas or
// spaces), sorted, each once.
func ParseHolidays(s string) ([]string, error) {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
		d, err := time.Parse(DateLayout, f)
		if err != nil {
			return nil, Invalid("holidays", "error.hours.date", "Date", strconv.Quote(f))
		}
		out = append(out, d.Format(DateLayout))
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Validate checks hours as an admin set them: a zone the system knows,
// each open day closing after it opens, well-formed dates, a wait between
// 0 and a day, and replies of plain text.
func (h Hours) Validate() error {
	if _, err := h.Location(); err != nil {
		return err
	}
	for _, d := range h.Days {
		if d.Open < 0 || d.Close > 24*60 || (d != DayHours{} && !d.IsOpen()) {
			return Invalid("hours", "error.hours.range", "Open", Clock(max(d.Open, 0)), "Close", Clock(min(max(d.Close, 0), 24*60)))
		}
	}
	if len(h.Holidays) > MaxHolidays {
		return Invalid("holidays", "error.hours.holidays", "Max", MaxHolidays)
	}
	for _, d := range h.Holidays {
		if _, err := time.Parse(DateLayout, d); err != nil {
			return Invalid("holidays", "error.hours.date", "Date", strconv.Quote(d))
		}
	}
	if h.WaitMinutes < 0 || h.WaitMinutes > MaxWaitMinutes {
		return Invalid("wait", "error.hours.wait", "Max", MaxWaitMinutes)
	}
	for _, t := range []string{h.Waiting.EN, h.Waiting.ZH, h.Outside.EN, h.Outside.ZH} {
		if !plainText(t, 500) {
			return Invalid("replies", "error.hours.replies")
		}
	}
	return nil
}
