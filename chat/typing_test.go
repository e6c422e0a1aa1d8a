package chat

import (
	"strings"
	"testing"
)

func TestDraft(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"  hello  ", "hello"},
		{strings.Repeat("字", MaxDraft), strings.Repeat("字", MaxDraft)},
		{strings.Repeat("字", MaxDraft+1), strings.Repeat("字", MaxDraft)},
		{" " + strings.Repeat("a", MaxDraft) + "b", strings.Repeat("a", MaxDraft)},
	} {
		if got := Draft(c.in); got != c.want {
			t.Errorf("Draft(%d runes) = %d runes, want %d", len([]rune(c.in)), len([]rune(got)), len([]rune(c.want)))
		}
	}
}

func TestSeenBy(t *testing.T) {
	const visitor, agent, other = 1, 2, 3
	support := Conversation{Kind: Support, VisitorID: visitor}
	group := Conversation{Kind: Group}
	for _, c := range []struct {
		name           string
		conv           Conversation
		viewer, reader int64
		want           bool
	}{
		{"the visitor sees an agent's reading", support, visitor, agent, true},
		{"an agent sees the visitor's reading", support, agent, visitor, true},
		{"an agent does not see another agent's", support, agent, other, false},
		{"nobody sees their own", support, visitor, visitor, false},
		{"a member sees another member's", group, agent, other, true},
		{"a member does not see their own", group, agent, agent, false},
	} {
		if got := c.conv.SeenBy(c.viewer, c.reader); got != c.want {
			t.Errorf("%s: SeenBy = %v, want %v", c.name, got, c.want)
		}
	}
}
