package chat

import "strings"

// MaxDraft is the most characters of a draft that someone typing shows
// agents: enough to follow a sentence, and small enough that a typing event,
// whatever its characters' escaping, stays far below MaxEventBytes.
const MaxDraft = 500

// Draft is what of text a typing event carries: trimmed, and cut to
// MaxDraft characters. Typing is ephemeral, so a longer draft is cut, not
// refused.
func Draft(text string) string {
	text = strings.TrimSpace(text)
	if r := []rune(text); len(r) > MaxDraft {
		return string(r[:MaxDraft])
	}
	return text
}

// SeenBy reports whether readerID reading conversation c shows viewerID that
// their messages were seen: in a support chat, the visitor's reading counts
// for customer service and customer service's for the visitor (not one
// agent's for another); elsewhere, anyone else's.
func (c Conversation) SeenBy(viewerID, readerID int64) bool {
	if readerID == viewerID {
		return false
	}
	return c.Kind != Support || (viewerID == c.VisitorID) != (readerID == c.VisitorID)
}

// ReadMark is how far one member has read a group: a group's read receipts
// are its members' marks.
type ReadMark struct {
	UserID int64
	Name   string
	Seq    int64
}
