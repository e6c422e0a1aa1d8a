package chat

import "time"

// VisitedPage is a host page a visitor's launcher loaded on.
type VisitedPage struct {
	URL    string
	SeenAt time.Time
}

// PastChat is one resolved round of a visitor's support chats: a visitor
// who writes again after a resolve reopens the same conversation, and each
// round before is kept.
type PastChat struct {
	ConversationID int64
	Agent          string // who had it; empty when nobody did
	StartedAt      time.Time
	ResolvedAt     time.Time
	// EndSeq is the seq of the round's resolved line, where the round
	// ends in the thread.
	EndSeq int64
	// Last is the round's newest message that is not a note or a system
	// line; empty when none is.
	Last   string
	Rating int // 0: not rated
}
