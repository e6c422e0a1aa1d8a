package chat

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// View is one of the console's inboxes: which conversations its list shows.
type View string

// The console's views. Mine is every viewer's; the others are customer
// service's.
const (
	// ViewMine: the open support chats assigned to the viewer and not
	// snoozed, and their own direct and group conversations.
	ViewMine View = "mine"
	// ViewUnassigned: the queue, the open chats no agent has, not snoozed.
	ViewUnassigned View = "unassigned"
	// ViewAll: every open conversation the viewer may see, not snoozed.
	ViewAll View = "all"
	// ViewResolved: the resolved support chats.
	ViewResolved View = "resolved"
	// ViewSnoozed: the open support chats set aside until later.
	ViewSnoozed View = "snoozed"
)

// Views are the views in the order the console shows their tabs.
var Views = []View{ViewMine, ViewUnassigned, ViewAll, ViewResolved, ViewSnoozed}

// ParseView reads a view's name; none is Mine.
func ParseView(s string) (View, error) {
	if s == "" {
		return ViewMine, nil
	}
	for _, v := range Views {
		if string(v) == s {
			return v, nil
		}
	}
	return "", Invalid("view", "console.invalid.view")
}

// ForAgents reports whether only customer service may look at v.
func (v View) ForAgents() bool { return v != ViewMine }

// InboxFilter narrows a view to the support chats of one site, with one
// label, or with one agent (zero: any). Any filter leaves out direct and
// group conversations, which have none of these.
type InboxFilter struct {
	SiteID, LabelID, AgentID int64
}

// Any reports whether f narrows anything.
func (f InboxFilter) Any() bool { return f.SiteID != 0 || f.LabelID != 0 || f.AgentID != 0 }

// Cursor is where a page of a list ends: the last item's activity and id,
// in the list's order (newest activity first, then highest id).
type Cursor struct {
	At time.Time
	ID int64
}

// IsZero reports whether c is no cursor: the first page.
func (c Cursor) IsZero() bool { return c.ID == 0 }

// String encodes c for a URL: the activity in microseconds (PostgreSQL's
// precision, so that a tie compares equal), a dot, the id.
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	return strconv.FormatInt(c.At.UnixMicro(), 10) + "." + strconv.FormatInt(c.ID, 10)
}

// ParseCursor reads a cursor that String wrote; "" is the first page.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	at, id, ok := strings.Cut(s, ".")
	micros, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil || n < 1 || micros < 0 {
		return Cursor{}, Invalid("before", "console.invalid.cursor")
	}
	return Cursor{At: time.UnixMicro(micros).UTC(), ID: n}, nil
}

// Inbox is what a console's list shows: a view, narrowed by a filter,
// from a cursor on.
type Inbox struct {
	View   View
	Filter InboxFilter
	Before Cursor
}

// Validate checks that viewer v may look at the inbox: only customer
// service has views other than Mine, and filters.
func (in Inbox) Validate(v Viewer) error {
	if !v.IsAgent && (in.View.ForAgents() || in.Filter.Any()) {
		return fmt.Errorf("inbox %s for user %d: %w", in.View, v.UserID, ErrNotAllowed)
	}
	return nil
}

// Excludes reports whether conversation c, as it stands, is surely not in
// viewer v's inbox in, by its kind, status and agent alone: a live list
// then takes it out without asking the store. False means it may be (its
// snooze, site and labels are the store's to tell).
func (in Inbox) Excludes(v Viewer, c Conversation) bool {
	support := c.Kind == Support
	if in.Filter.Any() && !support {
		return true
	}
	switch in.View {
	case ViewMine:
		return support && (c.Status != Assigned || c.AssignedAgentID != v.UserID)
	case ViewUnassigned:
		return !support || c.Status != Queued
	case ViewAll:
		return support && c.Status == Resolved
	case ViewResolved:
		return !support || c.Status != Resolved
	case ViewSnoozed:
		return !support || c.Status == Resolved
	}
	return false
}

// Holds reports whether conversation c, which carries labels, is in viewer
// v's inbox in, as the store's query decides (store's viewWhere and
// filterWhere; a test holds the two together); known is false for a filter
// by site, which the conversation does not carry. The access rule is the
// caller's: v may see c. What v hid is not known here: Holds speaks of a
// conversation just written in, and a message after the hiding shows it again.
func (in Inbox) Holds(v Viewer, c Conversation, labels []Label) (holds, known bool) {
	f := in.Filter
	if f.SiteID != 0 {
		return false, false
	}
	support, snoozed := c.Kind == Support, c.Snoozed()
	var view bool
	switch in.View {
	case ViewMine:
		view = !support || (c.Status == Assigned && c.AssignedAgentID == v.UserID && !snoozed)
	case ViewUnassigned:
		view = support && c.Status == Queued && !snoozed
	case ViewAll:
		view = !support || (c.Status != Resolved && !snoozed)
	case ViewResolved:
		view = support && c.Status == Resolved
	case ViewSnoozed:
		view = support && c.Status != Resolved && snoozed
	}
	switch {
	case !view, f.Any() && !support, f.AgentID != 0 && c.AssignedAgentID != f.AgentID:
		return false, true
	case f.LabelID != 0:
		return slices.ContainsFunc(labels, func(l Label) bool { return l.ID == f.LabelID }), true
	}
	return true, true
}

// MaxPinned is how many conversations a member may pin to the top of
// their list at once: the pinned all come on the list's first page.
const MaxPinned = 20

// Pinning reports whether view v lists pinned conversations first. Mine,
// everyone's own list, does; customer service's shared views stay in the
// order of activity, where a pin is only marked.
func (v View) Pinning() bool { return v == ViewMine }

// Hides reports whether view v leaves out what its viewer hid: the views
// of their own and open conversations; Resolved and Snoozed are records
// and show everything.
func (v View) Hides() bool { return v == ViewMine || v == ViewAll }

// InboxCounts is how many conversations each view holds, up to CountCap.
type InboxCounts map[View]int

// CountCap is where counting a view stops: a tab shows "999+" from there.
const CountCap = 1000
