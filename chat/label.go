package chat

import (
	"strings"
	"time"
)

// Label is a tag an admin keeps, with a colour, that agents put on support
// conversations.
type Label struct {
	ID        int64
	Name      string
	Color     string    // #rrggbb, lower case
	CreatedAt time.Time `json:",omitzero"`
}

// MaxLabelName is the longest label name, in characters.
const MaxLabelName = 40

// Validate trims the label's name and lower-cases its colour, and checks
// that the name is 1 to MaxLabelName characters of plain text and the
// colour is #rrggbb.
func (l *Label) Validate() error {
	l.Name = strings.TrimSpace(l.Name)
	l.Color = strings.ToLower(strings.TrimSpace(l.Color))
	if l.Name == "" || !plainText(l.Name, MaxLabelName) {
		return Invalid("name", "error.label.name", "Max", MaxLabelName)
	}
	if !colourRe.MatchString(l.Color) {
		return Invalid("color", "error.label.color")
	}
	return nil
}

// MaxSnooze is how far ahead a chat may be snoozed.
const MaxSnooze = 366 * 24 * time.Hour

// Snooze is how long an agent sets an assigned support chat aside: until a
// time, or until the visitor writes (UntilReply).
type Snooze struct {
	Until      time.Time
	UntilReply bool
}

// Validate checks the snooze at now: a time ahead, and within MaxSnooze.
func (s Snooze) Validate(now time.Time) error {
	switch {
	case s.UntilReply:
		return nil
	case s.Until.IsZero():
		return Invalid("until", "error.snooze.when")
	case !s.Until.After(now):
		return Invalid("until", "error.snooze.past")
	case s.Until.Sub(now) > MaxSnooze:
		return Invalid("until", "error.snooze.far")
	}
	return nil
}

// Snooze presets, as the console's snooze form names them.
const (
	SnoozeHour     = "hour"     // an hour from now
	SnoozeTomorrow = "tomorrow" // tomorrow at 9:00
	SnoozeWeek     = "week"     // next Monday at 9:00
	SnoozeReply    = "reply"    // until the visitor writes
	SnoozeCustom   = "custom"   // at custom, a local date and time ("2006-01-02T15:04")
)

// SnoozeFor is the snooze that preset names at now, in the agent's time
// zone loc (days start at 9:00 there), with custom for SnoozeCustom; it is
// validated as Snooze.Validate does.
func SnoozeFor(preset, custom string, loc *time.Location, now time.Time) (Snooze, error) {
	local := now.In(loc)
	nine := func(days int) time.Time {
		y, m, d := local.Date()
		return time.Date(y, m, d+days, 9, 0, 0, 0, loc)
	}
	var s Snooze
	if preset == "" && strings.TrimSpace(custom) != "" {
		preset = SnoozeCustom // a date and time given without choosing "at"
	}
	switch preset {
	case SnoozeHour:
		s.Until = now.Add(time.Hour)
	case SnoozeTomorrow:
		s.Until = nine(1)
	case SnoozeWeek:
		days := (8 - int(local.Weekday())) % 7
		if days == 0 {
			days = 7
		}
		s.Until = nine(days)
	case SnoozeReply:
		s.UntilReply = true
	case SnoozeCustom:
		t, err := time.ParseInLocation("2006-01-02T15:04", strings.TrimSpace(custom), loc)
		if err != nil {
			return s, Invalid("until", "error.snooze.when")
		}
		s.Until = t
	default:
		return s, Invalid("until", "error.snooze.when")
	}
	return s, s.Validate(now)
}
