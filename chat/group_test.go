package chat

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

// TestMayInGroup: who may do what in a group, by role.
func TestMayInGroup(t *testing.T) {
	cases := []struct {
		actor  Role
		act    GroupAction
		target Role
		want   bool
	}{
		{Owner, ActAppoint, Member, true},
		{Owner, ActAppoint, Admin, true}, // dismiss
		{Admin, ActAppoint, Member, false},
		{Member, ActAppoint, Member, false},
		{Owner, ActHandOver, Admin, true},
		{Owner, ActHandOver, Member, true},
		{Admin, ActHandOver, Member, false},
		{Owner, ActHandOver, "", false}, // not a member
		{Owner, ActRemove, Admin, true},
		{Owner, ActRemove, Member, true},
		{Owner, ActRemove, Owner, false},
		{Admin, ActRemove, Member, true},
		{Admin, ActRemove, Admin, false},
		{Admin, ActRemove, Owner, false},
		{Member, ActRemove, Member, false},
		{Owner, ActSilence, Admin, true},
		{Admin, ActSilence, Member, true},
		{Admin, ActSilence, Admin, false},
		{Admin, ActSilence, Owner, false},
		{Member, ActSilence, Member, false},
		{Owner, ActSilenceAll, "", true},
		{Admin, ActSilenceAll, "", true},
		{Member, ActSilenceAll, "", false},
		{Admin, ActNotice, "", true},
		{Member, ActNotice, "", false},
		{Admin, ActPin, "", true},
		{Member, ActPin, "", false},
		{Admin, ActAdd, "", true},
		{Member, ActAdd, "", false},
		{Admin, ActApprove, "", true},
		{Member, ActApprove, "", false},
		{Owner, ActMentionAll, "", true},
		{Admin, ActMentionAll, "", true},
		{Member, ActMentionAll, "", false},
		{Member, ActRename, "", true},
		{"", ActRename, "", false},
		{Owner, "fly", "", false},
	}
	for _, c := range cases {
		if got := MayInGroup(c.actor, c.act, c.target); got != c.want {
			t.Errorf("MayInGroup(%q, %q, %q) = %v, want %v", c.actor, c.act, c.target, got, c.want)
		}
	}
}

// TestMentionsAll: @all counts as a word of its own, in English and Chinese text.
func TestMentionsAll(t *testing.T) {
	for body, want := range map[string]bool{
		"@all":              true,
		"hi @all please":    true,
		"大家好 @all 开会了":      true,
		"(@all)":            true,
		"@alligator":        false,
		"mail@all.example":  false,
		"@al":               false,
		"nothing here":      false,
		"@allen and @all!":  true,
		"我们@all":            false, // joined to the word before it
		"\u3000@all\u3000x": true,
	} {
		if got := MentionsAll(body); got != want {
			t.Errorf("MentionsAll(%q) = %v, want %v", body, got, want)
		}
	}
	if err := MayMention(Member, "@all look"); !errors.Is(err, ErrMentionAll) {
		t.Errorf("a member's @all: %v", err)
	}
	for _, r := range []Role{Owner, Admin} {
		if err := MayMention(r, "@all look"); err != nil {
			t.Errorf("%s's @all: %v", r, err)
		}
	}
	if err := MayMention(Member, "@Bo look"); err != nil {
		t.Errorf("a member's @name: %v", err)
	}
}

// TestSegments: a body cut into plain text and mentions, the longest name first.
func TestSegments(t *testing.T) {
	ms := []Mention{{UserID: 1, Name: "Bo"}, {UserID: 2, Name: "Bo Li"}, {UserID: 3, Name: "小明"}}
	got := Segments("@Bo Li, @Bo and @小明: @all @x", ms, true)
	want := []Segment{{"@Bo Li", true}, {", ", false}, {"@Bo", true}, {" and ", false}, {"@小明", true}, {": ", false},
		{"@all", true}, {" @x", false}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Segments = %#v", got)
	}
	if got := Segments("@Bo", nil, false); !reflect.DeepEqual(got, []Segment{{"@Bo", false}}) {
		t.Errorf("no mentions: %#v", got)
	}
}

// TestSilenceUntil and notices: limits, with a clear refusal.
func TestSilenceUntil(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	if u, err := SilenceUntil(now, 0); err != nil || !u.IsZero() {
		t.Errorf("until let speak: %v, %v", u, err)
	}
	if u, err := SilenceUntil(now, time.Hour); err != nil || !u.Equal(now.Add(time.Hour)) {
		t.Errorf("an hour: %v, %v", u, err)
	}
	for _, d := range []time.Duration{-time.Minute, MaxSilence + time.Minute} {
		var ve *ValidationError
		if _, err := SilenceUntil(now, d); !errors.As(err, &ve) {
			t.Errorf("%v: %v", d, err)
		}
	}
	if n, err := ValidateNotice("  公告  "); err != nil || n != "公告" {
		t.Errorf("notice: %q, %v", n, err)
	}
	long := make([]rune, MaxNoticeChars+1)
	for i := range long {
		long[i] = '字'
	}
	var ve *ValidationError
	if _, err := ValidateNotice(string(long)); !errors.As(err, &ve) {
		t.Errorf("long notice: %v", err)
	}
}

// TestChangesGroupTop: the lines after which a console redraws the top of a group.
func TestChangesGroupTop(t *testing.T) {
	for code, want := range map[SystemCode]bool{
		LineNoticeSet: true, LineNoticeCleared: true, LinePinned: true, LineUnpinned: true,
		LineAllSilenced: true, LineAllUnsilenced: true,
		LineSilenced: false, LineAdminAppointed: false, LineJoined: false, "merged": false,
	} {
		if got := code.ChangesGroupTop(); got != want {
			t.Errorf("%s.ChangesGroupTop() = %v, want %v", code, got, want)
		}
	}
}
