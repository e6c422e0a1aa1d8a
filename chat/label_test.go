package chat

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLabelValidate(t *testing.T) {
	for _, c := range []struct {
		name, color string
		say         string // "": valid
		wantName    string
		wantColor   string
	}{
		{"  Billing ", "#2563EB", "", "Billing", "#2563eb"},
		{strings.Repeat("长", MaxLabelName), "#000000", "", strings.Repeat("长", MaxLabelName), "#000000"},
		{strings.Repeat("x", MaxLabelName+1), "#000000", "error.label.name", "", ""},
		{"   ", "#000000", "error.label.name", "", ""},
		{"a\x00b", "#000000", "error.label.name", "", ""},
		{"ok", "red", "error.label.color", "", ""},
		{"ok", "#12345", "error.label.color", "", ""},
		{"ok", "", "error.label.color", "", ""},
	} {
		l := Label{Name: c.name, Color: c.color}
		err := l.Validate()
		var ve *ValidationError
		switch {
		case c.say == "" && err != nil:
			t.Errorf("%q %q: %v", c.name, c.color, err)
		case c.say == "" && (l.Name != c.wantName || l.Color != c.wantColor):
			t.Errorf("%q %q: became %q %q", c.name, c.color, l.Name, l.Color)
		case c.say != "" && (!errors.As(err, &ve) || ve.Say != c.say):
			t.Errorf("%q %q: %v, want %s", c.name, c.color, err, c.say)
		}
	}
}

func TestSnoozeFor(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	// Tuesday 2026-12-01 23:30 in Shanghai, 15:30 UTC.
	now := time.Date(2026, 12, 1, 15, 30, 0, 0, time.UTC)
	for _, c := range []struct {
		preset, custom string
		loc            *time.Location
		want           time.Time
		reply          bool
		say            string
	}{
		{preset: SnoozeHour, loc: time.UTC, want: now.Add(time.Hour)},
		{preset: SnoozeTomorrow, loc: time.UTC, want: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)},
		{preset: SnoozeTomorrow, loc: shanghai, want: time.Date(2026, 12, 2, 9, 0, 0, 0, shanghai)},
		{preset: SnoozeWeek, loc: time.UTC, want: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)},
		{preset: SnoozeReply, loc: time.UTC, reply: true},
		{preset: SnoozeCustom, custom: "2026-12-24T18:00", loc: shanghai, want: time.Date(2026, 12, 24, 18, 0, 0, 0, shanghai)},
		{preset: SnoozeCustom, custom: "2026-12-01T15:00", loc: time.UTC, say: "error.snooze.past"},
		{preset: SnoozeCustom, custom: "2028-01-01T09:00", loc: time.UTC, say: "error.snooze.far"},
		{preset: SnoozeCustom, custom: "soon", loc: time.UTC, say: "error.snooze.when"},
		{preset: "", loc: time.UTC, say: "error.snooze.when"},
		{preset: "", custom: "2026-12-24T18:00", loc: time.UTC, want: time.Date(2026, 12, 24, 18, 0, 0, 0, time.UTC)},
	} {
		s, err := SnoozeFor(c.preset, c.custom, c.loc, now)
		var ve *ValidationError
		switch {
		case c.say != "" && (!errors.As(err, &ve) || ve.Say != c.say):
			t.Errorf("%s %q: %v, want %s", c.preset, c.custom, err, c.say)
		case c.say == "" && err != nil:
			t.Errorf("%s %q: %v", c.preset, c.custom, err)
		case c.say == "" && (s.UntilReply != c.reply || !s.Until.Equal(c.want)):
			t.Errorf("%s %q: %+v, want %v (reply %v)", c.preset, c.custom, s, c.want, c.reply)
		}
	}
}

func TestSnoozeLinesAreForAgentsOnly(t *testing.T) {
	for _, code := range []SystemCode{LineSnoozed, LineSnoozedReply, LineWoke, LineWokeReply} {
		m := Message{Type: System, Code: code}
		if ReaderVisitor.Sees(m) || !ReaderAgent.Sees(m) {
			t.Errorf("%s: a visitor sees it, or an agent does not", code)
		}
	}
}
