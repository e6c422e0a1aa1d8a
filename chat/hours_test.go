package chat

import (
	"errors"
	"testing"
	"time"
)

// weekdays is open Monday to Friday, 09:00 to 17:00.
func weekdays(zone string, holidays ...string) Hours {
	h := Hours{Zone: zone, Holidays: holidays}
	for d := time.Monday; d <= time.Friday; d++ {
		h.Days[d] = DayHours{Open: 9 * 60, Close: 17 * 60}
	}
	return h
}

func at(t *testing.T, zone, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestHoursOpen(t *testing.T) {
	t.Parallel()
	const sh, ny = "Asia/Shanghai", "America/New_York"
	sunday := weekdays(ny)
	sunday.Days[time.Sunday] = DayHours{Open: 2*60 + 30, Close: 4 * 60}
	tests := []struct {
		name  string
		h     Hours
		at    time.Time
		open  bool
		next  time.Time // zero: at itself
		never bool
	}{
		{"no schedule is always open", Hours{}, at(t, "UTC", "2026-12-06 03:00"), true, time.Time{}, false},
		{"holidays alone change nothing", Hours{Holidays: []string{"2026-12-06"}}, at(t, "UTC", "2026-12-06 03:00"), true, time.Time{}, false},
		{"a weekday within hours", weekdays(sh), at(t, sh, "2026-12-01 09:00"), true, time.Time{}, false},
		{"closing time is closed", weekdays(sh), at(t, sh, "2026-12-01 17:00"), false, at(t, sh, "2026-12-02 09:00"), false},
		{"before opening, the same day", weekdays(sh), at(t, sh, "2026-12-01 08:59"), false, at(t, sh, "2026-12-01 09:00"), false},
		{"Saturday waits for Monday", weekdays(sh), at(t, sh, "2026-12-05 12:00"), false, at(t, sh, "2026-12-07 09:00"), false},
		{"Friday evening waits for Monday", weekdays(sh), at(t, sh, "2026-12-04 18:00"), false, at(t, sh, "2026-12-07 09:00"), false},
		{"read in the site's zone, not UTC", weekdays(sh), at(t, "UTC", "2026-12-01 02:00"), true, time.Time{}, false},
		{"UTC evening is the site's next morning", weekdays(sh), at(t, "UTC", "2026-12-01 23:30"), false, at(t, sh, "2026-12-02 09:00"), false},
		{"a holiday is closed", weekdays(sh, "2026-12-02"), at(t, sh, "2026-12-02 10:00"), false, at(t, sh, "2026-12-03 09:00"), false},
		{"holidays in a row", weekdays(sh, "2026-12-31", "2027-01-01"), at(t, sh, "2026-12-30 17:30"), false, at(t, sh, "2027-01-04 09:00"), false},
		{"after the clocks went forward", weekdays(ny), at(t, ny, "2026-03-06 17:00"), false, at(t, ny, "2026-03-09 09:00"), false},
		{"an opening the clocks skip", sunday, at(t, ny, "2026-03-08 01:00"), false, at(t, ny, "2026-03-08 03:30"), false},
		{"after the clocks went back", sunday, at(t, ny, "2026-11-01 01:30"), false, at(t, ny, "2026-11-01 02:30"), false},
		{"closed every open day", Hours{Days: [7]DayHours{time.Monday: {Open: 60, Close: 120}}, Holidays: mondays(t)},
			at(t, "UTC", "2026-12-01 00:00"), false, time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.h.Open(tt.at); got != tt.open {
				t.Errorf("Open(%v) = %v, want %v", tt.at, got, tt.open)
			}
			next, ok := tt.h.NextOpening(tt.at)
			want := tt.next
			if want.IsZero() {
				want = tt.at
			}
			switch {
			case tt.never && ok:
				t.Errorf("NextOpening(%v) = %v, want never", tt.at, next)
			case !tt.never && (!ok || !next.Equal(want)):
				t.Errorf("NextOpening(%v) = %v, %v; want %v", tt.at, next, ok, want)
			}
			if ok && !tt.h.Open(next) {
				t.Errorf("not open at its next opening %v", next)
			}
		})
	}
}

// mondays is every Monday for more than a year from December 2026.
func mondays(t *testing.T) []string {
	var out []string
	for d := at(t, "UTC", "2026-12-07 00:00"); d.Year() < 2028; d = d.AddDate(0, 0, 7) {
		out = append(out, d.Format(DateLayout))
	}
	return out
}

func TestHoursValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		h    Hours
		say  string // "": valid
	}{
		{"the zero value", Hours{}, ""},
		{"weekdays in Shanghai", weekdays("Asia/Shanghai", "2026-10-01"), ""},
		{"open until midnight", Hours{Days: [7]DayHours{{Open: 0, Close: 24 * 60}}}, ""},
		{"an unknown zone", Hours{Zone: "Mars/Olympus"}, "error.hours.zone"},
		{"the machine's zone", Hours{Zone: "Local"}, "error.hours.zone"},
		{"a night shift, closing the next day", Hours{Days: [7]DayHours{time.Monday: {Open: 22 * 60, Close: 2 * 60}}}, ""},
		{"until midnight the next day", Hours{Days: [7]DayHours{time.Monday: {Open: 22 * 60, Close: 0}}}, ""},
		{"closing as it opens", Hours{Days: [7]DayHours{time.Monday: {Open: 9 * 60, Close: 9 * 60}}}, "error.hours.range"},
		{"opening at the day's end", Hours{Days: [7]DayHours{time.Monday: {Open: 24 * 60, Close: 60}}}, "error.hours.range"},
		{"a negative close", Hours{Days: [7]DayHours{time.Monday: {Open: 60, Close: -60}}}, "error.hours.range"},
		{"past midnight", Hours{Days: [7]DayHours{time.Monday: {Open: 60, Close: 25 * 60}}}, "error.hours.range"},
		{"a malformed date", Hours{Holidays: []string{"2026-13-01"}}, "error.hours.date"},
		{"a negative wait", Hours{WaitMinutes: -1}, "error.hours.wait"},
		{"a wait over a day", Hours{WaitMinutes: MaxWaitMinutes + 1}, "error.hours.wait"},
		{"a reply too long", Hours{Waiting: Replies{ZH: string(make([]rune, 501))}}, "error.hours.replies"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.h.Validate()
			var ve *ValidationError
			switch {
			case tt.say == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.say != "" && (!errors.As(err, &ve) || ve.Say != tt.say):
				t.Errorf("Validate() = %v, want %s", err, tt.say)
			}
		})
	}
}

func TestParseClockAndHolidays(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int{"09:00": 540, "9:05": 545, " 17:30 ": 1050, "24:00": 1440, "00:00": 0} {
		if got, err := ParseClock(in); err != nil || got != want {
			t.Errorf("ParseClock(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "9", "9:0", "24:01", "12:60", "-1:00", "nine:00"} {
		if _, err := ParseClock(in); err == nil {
			t.Errorf("ParseClock(%q) = nil error", in)
		}
	}
	got, err := ParseHolidays("2026-12-25\n2026-10-01, 2026-12-25")
	if err != nil || len(got) != 2 || got[0] != "2026-10-01" || got[1] != "2026-12-25" {
		t.Errorf("ParseHolidays = %v, %v", got, err)
	}
	if _, err := ParseHolidays("2026-02-30"); err == nil {
		t.Error("ParseHolidays accepted 2026-02-30")
	}
}

func TestAutoReplyLines(t *testing.T) {
	t.Parallel()
	own := Replies{EN: "Back soon", ZH: "马上回来"}.Args()
	if got := LineIn(english, LineAutoWaiting, own); got != "Back soon" {
		t.Errorf("English = %q", got)
	}
	if !LineAutoWaiting.ForVisitors() || !LineAutoOutside.ForVisitors() {
		t.Error("auto-replies are not shown to visitors")
	}
	if got := SystemText(LineAutoOutside, Replies{ZH: "只有中文"}.Args()); got == "" || got == "只有中文" {
		t.Errorf("English without an English reply = %q, want the catalog's", got)
	}
}

// TestHoursOpenedAt: the waiting auto-reply counts a chat's wait from the
// later of its queue time and the opening of the stretch of hours it is
// in, which runs over midnight when a day closes at midnight.
func TestHoursOpenedAt(t *testing.T) {
	t.Parallel()
	const sh = "Asia/Shanghai"
	nights := weekdays(sh)
	nights.Days[time.Friday] = DayHours{Open: 20 * 60, Close: 24 * 60}
	nights.Days[time.Saturday] = DayHours{Open: 0, Close: 2 * 60}
	var always Hours
	for d := range always.Days {
		always.Days[d] = DayHours{Open: 0, Close: 24 * 60}
	}
	tests := []struct {
		name string
		h    Hours
		at   time.Time
		want time.Time // zero: closed
	}{
		{"within the day's hours", weekdays(sh), at(t, sh, "2026-12-01 10:15"), at(t, sh, "2026-12-01 09:00")},
		{"at the opening itself", weekdays(sh), at(t, sh, "2026-12-01 09:00"), at(t, sh, "2026-12-01 09:00")},
		{"closed", weekdays(sh), at(t, sh, "2026-12-01 08:00"), time.Time{}},
		{"over midnight", nights, at(t, sh, "2026-12-05 01:00"), at(t, sh, "2026-12-04 20:00")},
		{"read in the site's zone", weekdays(sh), at(t, "UTC", "2026-12-01 02:00"), at(t, sh, "2026-12-01 09:00")},
		{"round the clock: a week before", always, at(t, "UTC", "2026-12-01 02:00"), at(t, "UTC", "2026-11-24 02:00")},
		{"no schedule: a week before", Hours{}, at(t, "UTC", "2026-12-01 02:00"), at(t, "UTC", "2026-11-24 02:00")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.h.OpenedAt(tt.at)
			if ok != !tt.want.IsZero() || !got.Equal(tt.want) {
				t.Errorf("OpenedAt(%v) = %v, %v; want %v", tt.at, got, ok, tt.want)
			}
		})
	}
}

// TestPrechatWhenAway: outside business hours the widget asks for an email
// but requires it only where the site does; nobody available within the
// hours requires it while kefu sends email, and else asks for it as
// outside the hours.
func TestPrechatWhenAway(t *testing.T) {
	t.Parallel()
	site := func(email FieldRule) Site { return Site{ID: 1, PrechatEmail: email} }
	tests := []struct {
		name string
		site Site
		away Absence
		want FieldRule
	}{
		{"someone there", site(FieldOff), Absence{}, FieldOff},
		{"outside, email off", site(FieldOff), Absence{Outside: true}, FieldOptional},
		{"outside, email on", site(FieldOff), Absence{Outside: true, Mail: true}, FieldOptional},
		{"outside, nobody either", site(FieldOff), Absence{Outside: true, Nobody: true, Mail: true}, FieldOptional},
		{"outside, the site requires it", site(FieldRequired), Absence{Outside: true}, FieldRequired},
		{"nobody, email on", site(FieldOff), Absence{Nobody: true, Mail: true}, FieldRequired},
		{"nobody, email off", site(FieldOff), Absence{Nobody: true}, FieldOptional},
		{"nobody, email off, the site requires it", site(FieldRequired), Absence{Nobody: true}, FieldRequired},
	}
	for _, tt := range tests {
		if got := tt.site.PrechatFor(User{}, tt.away).Email; got != tt.want {
			t.Errorf("%s: email %s, want %s", tt.name, got, tt.want)
		}
	}
	if got := site(FieldOff).PrechatFor(User{Email: "ada@example.com"}, Absence{Outside: true}).Email; got != FieldOff {
		t.Errorf("a visitor who gave their email is asked again: %s", got)
	}
}

// nightly is open every night from 22:00 until 06:00 the next morning.
func nightly(zone string, holidays ...string) Hours {
	h := Hours{Zone: zone, Holidays: holidays}
	for d := range h.Days {
		h.Days[d] = DayHours{Open: 22 * 60, Close: 6 * 60}
	}
	return h
}

// TestHoursOvernight: a day whose close is not after its open closes the
// next day. Open, NextOpening, NextChange and OpenedAt agree across
// midnight, the end of the week, holidays (a holiday closes the hours that
// start on it) and changes of the clocks.
func TestHoursOvernight(t *testing.T) {
	t.Parallel()
	const sh, ny = "Asia/Shanghai", "America/New_York"
	friday := weekdays(sh)
	friday.Days[time.Friday] = DayHours{Open: 22 * 60, Close: 2 * 60}
	saturday := weekdays(sh)
	saturday.Days[time.Saturday] = DayHours{Open: 22 * 60, Close: 6 * 60}
	joined := weekdays(sh)
	joined.Days[time.Sunday] = DayHours{Open: 22 * 60, Close: 9 * 60}
	untilMidnight := Hours{Zone: sh}
	untilMidnight.Days[time.Tuesday] = DayHours{Open: 20 * 60, Close: 0}
	skipped := Hours{Zone: ny}
	skipped.Days[time.Saturday] = DayHours{Open: 22 * 60, Close: 2*60 + 30}
	// 2026-12-04 is a Friday, 2026-12-25 too.
	tests := []struct {
		name   string
		h      Hours
		at     time.Time
		open   bool
		next   time.Time // the next opening when closed, the closing when open
		opened time.Time // when open
	}{
		{"Friday's night shift, before midnight", friday, at(t, sh, "2026-12-04 23:00"), true,
			at(t, sh, "2026-12-05 02:00"), at(t, sh, "2026-12-04 22:00")},
		{"Friday's night shift, on Saturday", friday, at(t, sh, "2026-12-05 01:59"), true,
			at(t, sh, "2026-12-05 02:00"), at(t, sh, "2026-12-04 22:00")},
		{"Friday's night shift ends", friday, at(t, sh, "2026-12-05 02:00"), false, at(t, sh, "2026-12-07 09:00"), time.Time{}},
		{"Friday before the night shift", friday, at(t, sh, "2026-12-04 21:59"), false, at(t, sh, "2026-12-04 22:00"), time.Time{}},
		{"Saturday night runs into Sunday", saturday, at(t, sh, "2026-12-06 05:00"), true,
			at(t, sh, "2026-12-06 06:00"), at(t, sh, "2026-12-05 22:00")},
		{"Sunday morning after the shift", saturday, at(t, sh, "2026-12-06 06:00"), false, at(t, sh, "2026-12-07 09:00"), time.Time{}},
		{"Sunday night runs into Monday's day", joined, at(t, sh, "2026-12-07 12:00"), true,
			at(t, sh, "2026-12-07 17:00"), at(t, sh, "2026-12-06 22:00")},
		{"a close of 00:00 is the night's midnight", untilMidnight, at(t, sh, "2026-12-01 23:59"), true,
			at(t, sh, "2026-12-02 00:00"), at(t, sh, "2026-12-01 20:00")},
		{"a holiday closes the night that starts on it", nightly(sh, "2026-12-25"), at(t, sh, "2026-12-25 23:00"), false,
			at(t, sh, "2026-12-26 22:00"), time.Time{}},
		{"the night before a holiday runs its course", nightly(sh, "2026-12-25"), at(t, sh, "2026-12-25 05:00"), true,
			at(t, sh, "2026-12-25 06:00"), at(t, sh, "2026-12-24 22:00")},
		{"nor does the holiday's night reach the next morning", nightly(sh, "2026-12-25"), at(t, sh, "2026-12-26 03:00"), false,
			at(t, sh, "2026-12-26 22:00"), time.Time{}},
		{"read in the site's zone", nightly(sh), at(t, "UTC", "2026-12-01 20:00"), true,
			at(t, sh, "2026-12-02 06:00"), at(t, sh, "2026-12-01 22:00")},
		{"every night: the next closing, not the next day's", nightly(sh), at(t, sh, "2026-12-01 23:00"), true,
			at(t, sh, "2026-12-02 06:00"), at(t, sh, "2026-12-01 22:00")},
		{"the night the clocks go back is an hour longer", nightly(ny), at(t, ny, "2026-11-01 05:30"), true,
			at(t, ny, "2026-11-01 06:00"), at(t, ny, "2026-10-31 22:00")},
		{"the night the clocks go forward", nightly(ny), at(t, ny, "2026-03-08 03:30"), true,
			at(t, ny, "2026-03-08 06:00"), at(t, ny, "2026-03-07 22:00")},
		{"a closing the clocks skip comes as much later", skipped, at(t, ny, "2026-03-08 03:15"), true,
			at(t, ny, "2026-03-08 03:30"), at(t, ny, "2026-03-07 22:00")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.h.Validate(); err != nil {
				t.Fatal(err)
			}
			if got := tt.h.Open(tt.at); got != tt.open {
				t.Errorf("Open(%v) = %v, want %v", tt.at, got, tt.open)
			}
			next, ok := tt.h.NextChange(tt.at)
			if !ok || !next.Equal(tt.next) {
				t.Errorf("NextChange(%v) = %v, %v; want %v", tt.at, next, ok, tt.next)
			}
			if ok && tt.h.Open(next) == tt.open {
				t.Errorf("open is %v at %v as at %v", tt.open, next, tt.at)
			}
			if ok && tt.h.Open(next.Add(-time.Nanosecond)) != tt.open {
				t.Errorf("the change comes before %v", next)
			}
			opening, ok := tt.h.NextOpening(tt.at)
			if want := map[bool]time.Time{true: tt.at, false: tt.next}[tt.open]; !ok || !opening.Equal(want) {
				t.Errorf("NextOpening(%v) = %v, %v; want %v", tt.at, opening, ok, want)
			}
			opened, ok := tt.h.OpenedAt(tt.at)
			if ok != tt.open || !opened.Equal(tt.opened) {
				t.Errorf("OpenedAt(%v) = %v, %v; want %v", tt.at, opened, ok, tt.opened)
			}
		})
	}
}

// TestHoursNextChange: a team always open, or never, does not change; a
// day open from 00:00 to 24:00 joins the night shift before it.
func TestHoursNextChange(t *testing.T) {
	t.Parallel()
	var always Hours
	for d := range always.Days {
		always.Days[d] = DayHours{Open: 0, Close: 24 * 60}
	}
	if next, ok := always.NextChange(at(t, "UTC", "2026-12-01 10:00")); ok {
		t.Errorf("round the clock, NextChange = %v", next)
	}
	if next, ok := (Hours{}).NextChange(at(t, "UTC", "2026-12-01 10:00")); ok {
		t.Errorf("with no hours, NextChange = %v", next)
	}
	never := Hours{Days: [7]DayHours{time.Monday: {Open: 60, Close: 120}}, Holidays: mondays(t)}
	if next, ok := never.NextChange(at(t, "UTC", "2026-12-01 00:00")); ok {
		t.Errorf("closed every open day, NextChange = %v", next)
	}
	weekend := nightly("UTC")
	weekend.Days[time.Saturday] = DayHours{Open: 0, Close: 24 * 60}
	if next, ok := weekend.NextChange(at(t, "UTC", "2026-12-05 12:00")); !ok || !next.Equal(at(t, "UTC", "2026-12-06 00:00")) {
		t.Errorf("NextChange = %v, %v; want Sunday 00:00", next, ok)
	}
	if opened, ok := weekend.OpenedAt(at(t, "UTC", "2026-12-05 12:00")); !ok || !opened.Equal(at(t, "UTC", "2026-12-04 22:00")) {
		t.Errorf("OpenedAt = %v, %v; want Friday 22:00", opened, ok)
	}
}
