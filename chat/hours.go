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
// Open until Close the same day, or, when Close is not after Open, until
// Close the next day (a night shift: 22:00 to 02:00). A close of 24*60 is
// midnight at the day's end, and 0 to 24*60 the whole day. The zero value
// is a closed day; any other day whose Open equals its Close is refused
// (Validate), as it could mean no hours or all of them.
type DayHours struct {
	Open  int `json:"open"`
	Close int `json:"close"`
}

// IsOpen reports whether the day has opening hours at all.
func (d DayHours) IsOpen() bool { return d.Close != d.Open }

// Overnight reports whether the day's hours run into the next day.
func (d DayHours) Overnight() bool { return d.IsOpen() && d.Close < d.Open }

// end is the day's closing time in minutes from the day's midnight: past
// 24*60 when it falls the next day.
func (d DayHours) end() int {
	if d.Overnight() {
		return d.Close + 24*60
	}
	return d.Close
}

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

// A stretch of opening hours is one day's, from its opening to its
// closing, which may fall the next day. A holiday closes the stretch that
// starts on it; one that started the evening before runs its course.

// stretch is the opening hours that start on the date of day (noon, in
// loc): from its opening until its closing; false when the day is closed
// or a holiday.
func (h Hours) stretch(day time.Time) (from, until time.Time, ok bool) {
	d := h.Days[day.Weekday()]
	if !d.IsOpen() || slices.Contains(h.Holidays, day.Format(DateLayout)) {
		return time.Time{}, time.Time{}, false
	}
	return wall(day, d.Open), wall(day, d.end()), true
}

// wall is the time m minutes after the midnight that starts day's date,
// as the clocks of day's zone read (m past 24*60 is the next day). A time
// the clocks skip comes as much later as it was skipped.
func wall(day time.Time, m int) time.Time {
	y, mo, d := day.Date()
	t := time.Date(y, mo, d, 0, m, 0, 0, day.Location())
	want := time.Date(y, mo, d, 0, m, 0, 0, time.UTC)
	if got := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0, 0, time.UTC); got.Before(want) {
		// Go reads a skipped time on the offset before the jump.
		t = t.Add(want.Sub(got))
	}
	return t
}

// noon is the noon of the date i days after at's, in loc: a day that no
// change of the clocks moves to another date.
func noon(at time.Time, loc *time.Location, i int) time.Time {
	t := at.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day()+i, 12, 0, 0, 0, loc)
}

// within is the stretch that at falls in, the one that opened first when
// two do (a night shift running into the next day's hours); false when the
// team is closed at at.
func (h Hours) within(at time.Time) (from, until time.Time, ok bool) {
	loc := h.location()
	// A stretch ends at most a day after the date it starts on: only the
	// day before's and the day's own can hold at.
	for i := -1; i <= 0; i++ {
		f, u, open := h.stretch(noon(at, loc, i))
		if open && !at.Before(f) && at.Before(u) {
			if ok {
				until = later(until, u)
				continue
			}
			from, until, ok = f, u, true
		}
	}
	return from, until, ok
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Open reports whether the team is open at at.
func (h Hours) Open(at time.Time) bool {
	if !h.Scheduled() {
		return true
	}
	_, _, ok := h.within(at)
	return ok
}

// yearAndWeek is how many days ahead NextOpening and NextChange look.
const yearAndWeek = 372

// NextOpening is the first time at or after after when the team is open,
// in the hours' time zone; after itself when open then. It reports false
// when the team never opens within a year and a week (holidays covering
// every open day).
func (h Hours) NextOpening(after time.Time) (time.Time, bool) {
	if h.Open(after) {
		return after, true
	}
	loc := h.location()
	for i := range yearAndWeek {
		if from, _, ok := h.stretch(noon(after, loc, i)); ok && !from.Before(after) {
			return from, true
		}
	}
	return time.Time{}, false
}

// NextChange is the first time after after when the team opens, if it is
// closed then, or closes, if it is open; false when that does not happen
// within a year and a week (a team always open, or never).
func (h Hours) NextChange(after time.Time) (time.Time, bool) {
	if !h.Scheduled() {
		return time.Time{}, false
	}
	_, until, open := h.within(after)
	if !open {
		return h.NextOpening(after)
	}
	// Stretches that meet or overlap are one: the team closes where the
	// last of them ends.
	for range yearAndWeek {
		_, next, ok := h.within(until)
		if !ok {
			return until, true
		}
		until = next
	}
	return time.Time{}, false
}

// OpenedAt is when the stretch of opening hours that at falls in began:
// the latest opening at or before at, over midnight when the hours run
// into the next day or the day before closed at midnight. It looks back
// no more than a week: a team open round the clock is said to have opened
// a week before. It reports false when the team is closed at at.
func (h Hours) OpenedAt(at time.Time) (time.Time, bool) {
	week := at.Add(-7 * 24 * time.Hour)
	if !h.Scheduled() {
		return week, true
	}
	from, _, ok := h.within(at)
	if !ok {
		return time.Time{}, false
	}
	for from.After(week) {
		earlier, _, ok := h.within(from.Add(-time.Nanosecond))
		if !ok {
			return from, true
		}
		from = earlier
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
// each open day opening before midnight and closing at another time than
// it opens (later that day or the next), well-formed dates, a wait between
// 0 and a day, and replies of plain text.
func (h Hours) Validate() error {
	if _, err := h.Location(); err != nil {
		return err
	}
	for _, d := range h.Days {
		if d.Open < 0 || d.Open >= 24*60 || d.Close < 0 || d.Close > 24*60 || (d != DayHours{} && !d.IsOpen()) {
			return Invalid("hours", "error.hours.range", "Open", Clock(min(max(d.Open, 0), 24*60)), "Close", Clock(min(max(d.Close, 0), 24*60)))
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
