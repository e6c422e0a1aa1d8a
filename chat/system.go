package chat

import (
	"strings"

	"github.com/kefu-im/kefu/i18n"
)

// SystemCode names what a line kefu writes into a conversation says: a
// system line, or a note for the agents (a visitor's rating). A line is
// stored as its code and arguments (the names and values it mentions, as
// they were then), and its words are written when it is shown, in the
// reader's language: LineIn for people, SystemText (English) for machines
// (the API, webhooks).
type SystemCode string

// System lines, with the arguments each takes.
const (
	LineJoined          SystemCode = "joined"            // agent
	LineNoAnswer        SystemCode = "no_answer"         // agent
	LineWentOffline     SystemCode = "went_offline"      // agent
	LineTargetAway      SystemCode = "target_away"       // the agent the chat waited for
	LineResolved        SystemCode = "resolved"          // agent
	LineTransferred     SystemCode = "transferred"       // from, to
	LineVisitorSignedIn SystemCode = "visitor_signed_in" // the conversation that goes on
	LineGroupCreated    SystemCode = "group_created"     // owner, title
	LineMembersAdded    SystemCode = "members_added"     // actor, each person added
	LineMemberRemoved   SystemCode = "member_removed"    // actor, person
	LineMemberLeft      SystemCode = "member_left"       // person
	LineOwnerLeft       SystemCode = "owner_left"        // person, the new owner
	LineGroupRenamed    SystemCode = "group_renamed"     // actor, title
	// NoteRated is a note (chat.Note), not a system line.
	NoteRated SystemCode = "rated" // rating (1–5), comment ("": none)
)

// SystemText is the words of the system line code with args in English,
// for machine readers (the API, webhooks); people read it in their own
// language (LineIn).
func SystemText(code SystemCode, args []string) string { return LineIn(english, code, args) }

// LineIn is the system line code with args in loc's language: the
// catalog's line.<code>, with the line's arguments by name.
func LineIn(loc *i18n.Localizer, code SystemCode, args []string) string {
	names, ok := lineArgs[code]
	if !ok {
		// A line from a newer kefu, read during an upgrade.
		return strings.TrimSpace(string(code) + " " + strings.Join(args, ", "))
	}
	var data []any
	for i, name := range names {
		arg := ""
		if i < len(args) {
			arg = args[i]
		}
		data = append(data, name, arg)
	}
	if code == LineMembersAdded {
		// Everyone added, listed the language's way.
		data = append(data, "People", strings.Join(args[min(1, len(args)):], loc.T("line.separator")))
	}
	return loc.T("line."+string(code), data...)
}

// lineArgs names, for each line kefu writes, its arguments in the order
// they are stored: the names its messages use.
var lineArgs = map[SystemCode][]string{
	LineJoined:          {"Agent"},
	LineNoAnswer:        {"Agent"},
	LineWentOffline:     {"Agent"},
	LineTargetAway:      {"Agent"},
	LineResolved:        {"Agent"},
	LineTransferred:     {"From", "To"},
	LineVisitorSignedIn: {"Conversation"},
	LineGroupCreated:    {"Owner", "Title"},
	LineMembersAdded:    {"Actor"},
	LineMemberRemoved:   {"Actor", "Person"},
	LineMemberLeft:      {"Person"},
	LineOwnerLeft:       {"Person", "Owner"},
	LineGroupRenamed:    {"Actor", "Title"},
	NoteRated:           {"Rating", "Comment"},
}

// Text is what the message says: its body, or the words of the system line
// it stores as a code.
func (m Message) Text() string {
	if m.Code != "" {
		return SystemText(m.Code, m.Args)
	}
	return m.Body
}
