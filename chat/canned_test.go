package chat

import (
	"strings"
	"testing"
)

func TestCannedFill(t *testing.T) {
	v := FillValues{VisitorName: "{{agent.name}}", VisitorEmail: "", AgentName: "Alex", SiteName: "<b>Shop</b>"}
	for _, tc := range []struct{ body, want string }{
		{"Hi {{visitor.name}}", "Hi {{agent.name}}"}, // a value is not read again
		{"{{ agent.name }}{{agent.name}}", "AlexAlex"},
		{"mail: {{visitor.email}}.", "mail: ."},
		{"{{site.name}}", "<b>Shop</b>"}, // plain text; escaped where shown
		{"{not} {{ a placeholder", "{not} {{ a placeholder"},
	} {
		if got := (Canned{Body: tc.body}).Fill(v); got != tc.want {
			t.Errorf("Fill(%q) = %q, want %q", tc.body, got, tc.want)
		}
	}
}

func TestCannedValidate(t *testing.T) {
	for _, tc := range []struct {
		shortcut, body, say string
	}{
		{"ok", "fine {{visitor.name}} {{visitor.email}} {{agent.name}} {{site.name}}", ""},
		{"/a-b_9", "x", ""},
		{strings.Repeat("z", MaxShortcutChars), strings.Repeat("x", MaxCannedChars), ""},
		{strings.Repeat("z", MaxShortcutChars+1), "x", "canned.invalid.shortcutLong"},
		{"a/b", "x", "canned.invalid.shortcutChars"},
		{"ok", "{{}}", "canned.invalid.placeholder"},
		{"ok", "{{visitor}}", "canned.invalid.placeholder"},
		{"ok", "\xff", "error.body.notUTF8"},
	} {
		_, err := Canned{Shortcut: tc.shortcut, Body: tc.body}.Validate()
		got := ""
		if ve, ok := err.(*ValidationError); ok {
			got = ve.Say
		} else if err != nil {
			got = err.Error()
		}
		if got != tc.say {
			t.Errorf("Validate(%q, %.20q) = %q, want %q", tc.shortcut, tc.body, got, tc.say)
		}
	}
}
