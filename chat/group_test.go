package chat

import (
	"errors"
	"strings"
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
		"@all，开会":           true,
		"@all开会":            false,
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

// TestSegments: a body cut into plain text and mentions. A name ends at
// the end, at whitespace or punctuation, or, in Chinese, anywhere after it,
// and the longest name that ends wins: the sender's own name too, which is
// never highlighted.
func TestSegments(t *testing.T) {
	names := func(ns ...string) []Mention {
		var ms []Mention
		for i, n := range ns {
			ms = append(ms, Mention{UserID: int64(i + 1), Name: n})
		}
		return ms
	}
	cases := []struct {
		body, sender string
		mentions     []Mention
		all          bool
		want         string // mentions in [ ]
	}{
		{"@Alice hi", "", names("Al", "Alice"), false, "[@Alice] hi"},
		{"@Alice hi", "", names("Al"), false, "@Alice hi"},
		{"@Al, @Alice", "", names("Al"), false, "[@Al], @Alice"},
		{"@Al", "", names("Al"), false, "[@Al]"},
		{"@Al2 @Al_x", "", names("Al"), false, "@Al2 @Al_x"},
		{"(@Al) @Al. @Al!@Al", "", names("Al"), false, "([@Al]) [@Al]. [@Al]![@Al]"},
		{"@Bo Li, @Bo and @小明: @all @x", "", names("Bo", "Bo Li", "小明"), true, "[@Bo Li], [@Bo] and [@小明]: [@all] @x"},
		{"@Bo Li @Bo", "Bo Li", names("Bo"), false, "@Bo Li [@Bo]"},
		{"@Alice。@Alice，好 @Alice😀", "", names("Alice"), false, "[@Alice]。[@Alice]，好 [@Alice]😀"},
		{"@Al你好", "", names("Al"), false, "@Al你好"},
		{"@小明你好", "", names("小明"), false, "[@小明]你好"},
		{"请@张三看一下", "", names("张三"), false, "请[@张三]看一下"},
		{"@小明明你好，@小明在吗", "", names("小明", "小明明"), false, "[@小明明]你好，[@小明]在吗"},
		{"@小明明你好", "", names("小明"), false, "[@小明]明你好"},
		{"@all, @allen", "", nil, true, "[@all], @allen"},
		{"@Bo", "", nil, false, "@Bo"},
	}
	for _, c := range cases {
		var b strings.Builder
		for _, seg := range Segments(c.body, c.sender, c.mentions, c.all) {
			if seg.Mention {
				b.WriteString("[" + seg.Text + "]")
			} else {
				b.WriteString(seg.Text)
			}
		}
		if b.String() != c.want {
			t.Errorf("Segments(%q, %v) = %q, want %q", c.body, c.mentions, b.String(), c.want)
		}
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
