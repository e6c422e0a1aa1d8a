package chat

import (
	"slices"
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
	LineAdminAppointed  SystemCode = "admin_appointed"   // owner, person
	LineAdminDismissed  SystemCode = "admin_dismissed"   // owner, person
	LineHandedOver      SystemCode = "handed_over"       // old owner, new owner
	LineSilenced        SystemCode = "silenced"          // actor, person, until (UTC, "2006-01-02 15:04")
	LineSilencedOpen    SystemCode = "silenced_open"     // actor, person: until let speak again
	LineUnsilenced      SystemCode = "unsilenced"        // actor, person
	LineAllSilenced     SystemCode = "all_silenced"      // actor
	LineAllUnsilenced   SystemCode = "all_unsilenced"    // actor
	LineNoticeSet       SystemCode = "notice_set"        // actor
	LineNoticeCleared   SystemCode = "notice_cleared"    // actor
	LinePinned          SystemCode = "pinned"            // actor
	LineUnpinned        SystemCode = "unpinned"          // actor
	LineJoinAsked       SystemCode = "join_asked"        // person
	LineJoinApproved    SystemCode = "join_approved"     // actor, person
	LineJoinRefused     SystemCode = "join_refused"      // actor, person
	LineSnoozed         SystemCode = "snoozed"           // agent, until (UTC, "2006-01-02 15:04")
	LineSnoozedReply    SystemCode = "snoozed_reply"     // agent: until the visitor writes
	LineWoke            SystemCode = "woke"              // (none): the snooze's time came
	LineWokeReply       SystemCode = "woke_reply"        // (none): the visitor wrote
	LineReopened        SystemCode = "reopened"          // agent
	// The auto-replies a site's team sends a waiting visitor: the admin's
	// words in English and Chinese ("": the catalog's), said to each reader
	// in theirs.
	LineAutoWaiting SystemCode = "auto_waiting" // English, Chinese: the chat waited too long
	LineAutoOutside SystemCode = "auto_outside" // English, Chinese: it started outside business hours
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
	line, ok := systemLines[code]
	if !ok {
		// A line from a newer kefu, read during an upgrade.
		return strings.TrimSpace(string(code) + " " + strings.Join(args, ", "))
	}
	var data []any
	for i, name := range line.args {
		arg := ""
		if i < len(args) {
			arg = args[i]
		}
		data = append(data, name, arg)
	}
	if code == LineAutoWaiting || code == LineAutoOutside {
		if own := autoReply(loc, args); own != "" {
			return own
		}
	}
	if code == LineMembersAdded {
		// Everyone added, listed the language's way.
		data = append(data, "People", strings.Join(args[min(1, len(args)):], loc.T("line.separator")))
	}
	return loc.T("line."+string(code), data...)
}

// systemLines holds, for each line kefu writes, its arguments by name in the
// order they are stored (the names its messages use), and whether a
// visitor is shown it in their chat: what happens to the chat itself
// (someone joined, the person they asked for is away, it was resolved), not
// how the team shares it out (transfers, an agent who went away or did not
// answer) nor agents' notes.
var systemLines = map[SystemCode]struct {
	args     []string
	visitors bool
}{
	LineJoined:          {[]string{"Agent"}, true},
	LineNoAnswer:        {[]string{"Agent"}, false},
	LineWentOffline:     {[]string{"Agent"}, false},
	LineTargetAway:      {[]string{"Agent"}, true}, // the visitor asked for them
	LineResolved:        {[]string{"Agent"}, true},
	LineTransferred:     {[]string{"From", "To"}, false},
	LineVisitorSignedIn: {[]string{"Conversation"}, false},
	LineGroupCreated:    {[]string{"Owner", "Title"}, false},
	LineMembersAdded:    {[]string{"Actor"}, false},
	LineMemberRemoved:   {[]string{"Actor", "Person"}, false},
	LineMemberLeft:      {[]string{"Person"}, false},
	LineOwnerLeft:       {[]string{"Person", "Owner"}, false},
	LineGroupRenamed:    {[]string{"Actor", "Title"}, false},
	LineAdminAppointed:  {[]string{"Actor", "Person"}, false},
	LineAdminDismissed:  {[]string{"Actor", "Person"}, false},
	LineHandedOver:      {[]string{"Actor", "Person"}, false},
	LineSilenced:        {[]string{"Actor", "Person", "Until"}, false},
	LineSilencedOpen:    {[]string{"Actor", "Person"}, false},
	LineUnsilenced:      {[]string{"Actor", "Person"}, false},
	LineAllSilenced:     {[]string{"Actor"}, false},
	LineAllUnsilenced:   {[]string{"Actor"}, false},
	LineNoticeSet:       {[]string{"Actor"}, false},
	LineNoticeCleared:   {[]string{"Actor"}, false},
	LinePinned:          {[]string{"Actor"}, false},
	LineUnpinned:        {[]string{"Actor"}, false},
	LineJoinAsked:       {[]string{"Person"}, false},
	LineJoinApproved:    {[]string{"Actor", "Person"}, false},
	LineJoinRefused:     {[]string{"Actor", "Person"}, false},
	NoteRated:           {[]string{"Rating", "Comment"}, false},
	// Snoozing is how an agent sorts their own work: the visitor never sees it.
	LineSnoozed:      {[]string{"Agent", "Until"}, false},
	LineSnoozedReply: {[]string{"Agent"}, false},
	LineWoke:         {nil, false},
	LineWokeReply:    {nil, false},
	LineReopened:     {[]string{"Agent"}, true},
	// Auto-replies speak to the visitor.
	LineAutoWaiting: {[]string{"EN", "ZH"}, true},
	LineAutoOutside: {[]string{"EN", "ZH"}, true},
}

// autoReply is an auto-reply's words as its admin wrote them in loc's
// language, or "" for the catalog's.
func autoReply(loc *i18n.Localizer, args []string) string {
	i := 0
	if strings.HasPrefix(loc.Lang(), "zh") {
		i = 1
	}
	if i < len(args) {
		return args[i]
	}
	return ""
}

// ChangesGroupTop reports whether the line says that what shows at the
// top of a group changed: its notice, its pins, or whether everyone is muted.
func (c SystemCode) ChangesGroupTop() bool {
	switch c {
	case LineNoticeSet, LineNoticeCleared, LinePinned, LineUnpinned, LineAllSilenced, LineAllUnsilenced:
		return true
	}
	return false
}

// ForVisitors reports whether a visitor is shown the line in their chat. A
// code this kefu does not know (from a newer one, during an upgrade) is not.
func (c SystemCode) ForVisitors() bool { return systemLines[c].visitors }

// VisitorLines is every code a visitor is shown, for the store's queries.
func VisitorLines() []string {
	var codes []string
	for c, l := range systemLines {
		if l.visitors {
			codes = append(codes, string(c))
		}
	}
	slices.Sort(codes)
	return codes
}

// Reader is who reads a thread, which decides which of the lines kefu
// wrote into it they are shown.
type Reader uint8

// Readers.
const (
	// ReaderMember sees every system line, and no notes.
	ReaderMember Reader = iota
	// ReaderAgent sees everything: agents' private notes too.
	ReaderAgent
	// ReaderVisitor sees only the system lines meant for visitors
	// (SystemCode.ForVisitors), and no notes.
	ReaderVisitor
)

// Notes reports whether r sees agents' private notes.
func (r Reader) Notes() bool { return r == ReaderAgent }

// AllLines reports whether r sees every system line, not only those for visitors.
func (r Reader) AllLines() bool { return r != ReaderVisitor }

// Sees reports whether r is shown message m. The store's queries say the
// same in SQL (store.readerFilter).
func (r Reader) Sees(m Message) bool {
	switch m.Type {
	case Note:
		return r.Notes()
	case System:
		return r.AllLines() || m.Code.ForVisitors()
	}
	return true
}

// Text is what the message says: its body, or the words of the system line
// it stores as a code.
func (m Message) Text() string {
	if m.Code != "" {
		return SystemText(m.Code, m.Args)
	}
	return m.Body
}
