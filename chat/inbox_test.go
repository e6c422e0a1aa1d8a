package chat

import "testing"

func TestInboxExcludes(t *testing.T) {
	me := Viewer{UserID: 7, IsAgent: true}
	queued := Conversation{Kind: Support, Status: Queued}
	mine := Conversation{Kind: Support, Status: Assigned, AssignedAgentID: 7}
	theirs := Conversation{Kind: Support, Status: Assigned, AssignedAgentID: 8}
	resolved := Conversation{Kind: Support, Status: Resolved, AssignedAgentID: 7}
	direct := Conversation{Kind: Direct, Status: Queued} // the column's default, not a state of its own
	byLabel := InboxFilter{LabelID: 3}
	cases := []struct {
		view   View
		filter InboxFilter
		c      Conversation
		want   bool
	}{
		{ViewMine, InboxFilter{}, mine, false},
		{ViewMine, InboxFilter{}, theirs, true},
		{ViewMine, InboxFilter{}, queued, true},
		{ViewMine, InboxFilter{}, resolved, true},
		{ViewMine, InboxFilter{}, direct, false},
		{ViewMine, byLabel, direct, true},
		{ViewUnassigned, InboxFilter{}, queued, false},
		{ViewUnassigned, InboxFilter{}, mine, true},
		{ViewUnassigned, InboxFilter{}, direct, true},
		{ViewAll, InboxFilter{}, theirs, false},
		{ViewAll, InboxFilter{}, direct, false},
		{ViewAll, InboxFilter{}, resolved, true},
		{ViewResolved, InboxFilter{}, resolved, false},
		{ViewResolved, InboxFilter{}, queued, true},
		{ViewResolved, InboxFilter{}, direct, true},
		{ViewSnoozed, InboxFilter{}, mine, false},
		{ViewSnoozed, InboxFilter{}, resolved, true},
		{ViewSnoozed, InboxFilter{}, direct, true},
	}
	for _, c := range cases {
		if got := (Inbox{View: c.view, Filter: c.filter}).Excludes(me, c.c); got != c.want {
			t.Errorf("%s %+v excludes %+v = %t, want %t", c.view, c.filter, c.c, got, c.want)
		}
	}
}

func TestParseView(t *testing.T) {
	for _, v := range Views {
		if got, err := ParseView(string(v)); got != v || err != nil {
			t.Errorf("ParseView(%q) = %q, %v", v, got, err)
		}
	}
	if got, err := ParseView(""); got != ViewMine || err != nil {
		t.Errorf("no view: %q, %v", got, err)
	}
	for _, s := range []string{"Mine", "later", " mine", "all "} {
		if _, err := ParseView(s); err == nil {
			t.Errorf("ParseView(%q) took it", s)
		}
	}
}
