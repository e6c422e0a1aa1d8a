package chat

import (
	"fmt"
	"strings"
)

// SystemCode names what a line kefu writes into a conversation says: a
// system line, or a note for the agents (a visitor's rating). A line is
// stored as its code and arguments (the names and values it mentions, as
// they were then), and its words are written when it is shown, in the
// reader's language: views/thread's Text for people, SystemText (English)
// for machines (the API, webhooks).
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

// SystemText is the words of the system line code with args, in English,
// for machine readers; people read a line in their own language (the
// catalog's line.<code>, which says the same in English).
func SystemText(code SystemCode, args []string) string {
	a := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return ""
	}
	switch code {
	case LineJoined:
		return a(0) + " joined the chat."
	case LineNoAnswer:
		return a(0) + " did not answer in time, so the chat is back in the queue."
	case LineWentOffline:
		return a(0) + " went offline, so the chat is back in the queue."
	case LineTargetAway:
		return a(0) + " is not available right now, so the chat joined the general queue."
	case LineResolved:
		return a(0) + " marked the chat resolved."
	case LineTransferred:
		return a(0) + " transferred the chat to " + a(1) + "."
	case LineVisitorSignedIn:
		return "The visitor signed in; the chat goes on in their conversation #" + a(0) + "."
	case LineGroupCreated:
		return fmt.Sprintf("%s created the group \"%s\".", a(0), a(1))
	case LineMembersAdded:
		return fmt.Sprintf("%s added %s.", a(0), strings.Join(args[min(1, len(args)):], ", "))
	case LineMemberRemoved:
		return fmt.Sprintf("%s removed %s.", a(0), a(1))
	case LineMemberLeft:
		return a(0) + " left the group."
	case LineOwnerLeft:
		return fmt.Sprintf("%s left the group; %s owns it now.", a(0), a(1))
	case LineGroupRenamed:
		return fmt.Sprintf("%s renamed the group \"%s\".", a(0), a(1))
	case NoteRated:
		if a(1) == "" {
			return "The visitor rated this chat " + a(0) + " out of 5."
		}
		return "The visitor rated this chat " + a(0) + " out of 5: " + a(1)
	}
	// A line from a newer kefu, read during an upgrade.
	return strings.TrimSpace(string(code) + " " + strings.Join(args, ", "))
}

// Text is what the message says: its body, or the words of the system line
// it stores as a code.
func (m Message) Text() string {
	if m.Code != "" {
		return SystemText(m.Code, m.Args)
	}
	return m.Body
}
