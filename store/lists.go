package store

import (
	"strings"

	"github.com/kefu-im/kefu/chat"
)

// Where a list of conversations, newest activity first, finds them: each
// source walks few rows however many chats have been resolved and however
// many conversations other people have, and a list merges the newest of
// each of its sources (listQuery).
//
// Support chats are found by their activity (conversation_activity a,
// whose index is two: open support chats, and resolved ones, migration
// 0036) when the viewer is an agent, who sees them all, and by their
// visitor otherwise. Direct and group conversations are in neither index:
// they are found by the viewer's own membership.
type listSource struct {
	from, where string
}

var (
	// openSupport: every open support chat, by activity.
	openSupport = listSource{"conversation_activity a JOIN conversations c ON c.id = a.conversation_id",
		"a.support AND NOT a.resolved"}
	// resolvedSupport: every resolved support chat, by activity.
	resolvedSupport = listSource{"conversation_activity a JOIN conversations c ON c.id = a.conversation_id",
		"a.support AND a.resolved"}
	// ownSupport: the support chats viewer $1 is the visitor of.
	ownSupport = listSource{"conversations c JOIN conversation_activity a ON a.conversation_id = c.id",
		"c.visitor_id = $1 AND a.support"}
	// memberships: the direct and group conversations viewer $1 is in,
	// each looked up by its id. OFFSET 0 keeps the planner from joining
	// the activity as a whole instead: under a row limit it may walk all of
	// it in id order, to meet the viewer's few.
	memberships = listSource{"conversation_members x CROSS JOIN LATERAL (SELECT * FROM conversation_activity xa" +
		" WHERE xa.conversation_id = x.conversation_id OFFSET 0) a JOIN conversations c ON c.id = a.conversation_id",
		"x.user_id = $1 AND NOT a.support"}
)

// listSources are the sources of the list of view for viewer v (all: the
// list of everything v sees, Summaries').
func listSources(v chat.Viewer, view chat.View, all bool) []listSource {
	switch {
	case !v.IsAgent:
		return []listSource{ownSupport, memberships}
	case all:
		return []listSource{openSupport, resolvedSupport, memberships}
	case view == chat.ViewResolved:
		return []listSource{resolvedSupport}
	case view == chat.ViewUnassigned, view == chat.ViewSnoozed:
		return []listSource{openSupport}
	}
	return []listSource{openSupport, memberships}
}

// listQuery is the query of a list that merges sources: the newest n of
// each that viewer $1 (an agent if $2) sees and where holds (conditions on
// c, a and cm, the viewer's member row, after the access rule's), then the
// newest n of them all, each as summarySelect reads it.
func listQuery(sources []listSource, where, n string) string {
	from := "(" + sourceParts(sources, "a.*", where+byActivity+" LIMIT "+n) + ") a JOIN conversations c ON c.id = a.conversation_id"
	return summarySelectFrom(unreadCount, from) + byActivity + " LIMIT " + n
}

// listCount is the query of how many of sources' conversations viewer $1
// sees and where holds, at most n. Each source is counted in the list's
// order, as its index has it: in the table's order, the planner would
// hope to meet n of them soon, and might read all the others.
func listCount(sources []listSource, where, n string) string {
	return "SELECT count(*) FROM (SELECT 1 FROM (" + sourceParts(sources, "1", where+byActivity+" LIMIT "+n) + ") p LIMIT " + n + ") n"
}

// sourceParts selects cols of each of sources where the access rule and
// where hold, followed by tail, as one UNION ALL.
func sourceParts(sources []listSource, cols, tail string) string {
	parts := make([]string, len(sources))
	for i, s := range sources {
		parts[i] = "(SELECT " + cols + " FROM " + s.from + memberRow + " WHERE " + s.where + " AND " + visibleTo + tail + ")"
	}
	return strings.Join(parts, " UNION ALL ")
}

// memberRow joins viewer $1's member row of conversation c, as cm.
const memberRow = " LEFT JOIN conversation_members cm ON cm.conversation_id = c.id AND cm.user_id = $1"

// byActivity orders a list, newest activity first.
const byActivity = " ORDER BY a.last_message_at DESC, a.conversation_id DESC"
