// Package chat holds kefu's domain: users, conversations, messages, the rules
// that govern them and the typed errors every other package speaks. It does no I/O.
package chat

import "time"

// UserKind tells members, who sign in with a password, from visitors, who
// reach kefu only through the widget.
type UserKind string

// User kinds.
const (
	KindMember  UserKind = "member"
	KindVisitor UserKind = "visitor"
)

// User is anyone who can take part in a conversation.
type User struct {
	ID         int64
	Kind       UserKind
	Email      string
	Name       string
	IsAdmin    bool
	DisabledAt *time.Time
	// A verified visitor: the site that vouched for them and their id there.
	SiteID     int64
	ExternalID string
	Avatar     string
	// Language is a member's own choice of language ("": their browser's).
	Language string
}

// DisplayName is the name shown beside the user's messages.
func (u User) DisplayName() string {
	switch {
	case u.Name != "":
		return u.Name
	case u.Kind == KindVisitor:
		return VisitorName(u.ID)
	default:
		return u.Email
	}
}

// Disabled reports whether an admin has disabled the user.
func (u User) Disabled() bool { return u.DisabledAt != nil }

// ConversationKind is direct (two people), group, or support (a visitor and the agents).
type ConversationKind string

// Conversation kinds.
const (
	Direct  ConversationKind = "direct"
	Group   ConversationKind = "group"
	Support ConversationKind = "support"
)

// Status is where a support conversation stands.
type Status string

// Support conversation states.
const (
	Queued   Status = "queued"
	Assigned Status = "assigned"
	Resolved Status = "resolved"
)

// Conversation is a thread of messages.
type Conversation struct {
	ID            int64
	Kind          ConversationKind
	Title         string
	VisitorID     int64
	Status        Status
	LastSeq       int64
	LastMessageAt *time.Time
	CreatedAt     time.Time
	// Support routing: when it joined the queue (its place), and who has it.
	QueuedAt        *time.Time
	AssignedAgentID int64
	// A support chat its agent set aside: until SnoozedUntil, or until the
	// visitor writes (SnoozedUntilReply). Neither: not snoozed.
	SnoozedUntil      *time.Time `json:",omitempty"`
	SnoozedUntilReply bool       `json:",omitempty"`
}

// Snoozed reports whether the conversation is set aside.
func (c Conversation) Snoozed() bool { return c.SnoozedUntil != nil || c.SnoozedUntilReply }

// MessageType tells what a message's body holds.
type MessageType string

// Message types.
const (
	Text   MessageType = "text"
	System MessageType = "system"
	// Note is a private note between agents; visitors never see it.
	Note MessageType = "note"
	// Image and File carry an attachment (Message.Attachment); the body
	// is the file's name.
	Image MessageType = "image"
	File  MessageType = "file"
	// Merged is several messages forwarded as one (Message.Forwarded).
	Merged MessageType = "merged"
)

// Said reports whether a message of type t is something a person said (text,
// an image, a file, a forwarded chat history): what unread counts, pushes, first responses and the
// conversation_grade policy are about. System lines and notes are not.
func (t MessageType) Said() bool {
	return t == Text || t == Image || t == File || t == Merged || t == ""
}

// Message is one entry in a conversation. Seq numbers a conversation's
// messages 1, 2, 3… with no gap.
type Message struct {
	ID             int64
	ConversationID int64
	Seq            int64
	SenderID       int64
	SenderName     string
	ClientMsgID    string
	Type           MessageType
	Body           string
	// Code and Args are a line kefu wrote, a system line or a note (its
	// Body is empty): Text gives its words.
	Code      SystemCode
	Args      []string
	CreatedAt time.Time
	// Attachment is what an image or file message carries (nil otherwise).
	Attachment *Attachment `json:",omitempty"`
	// RevokedAt is when the message was revoked (nil: it stands), and
	// RevokedBy who revoked it; a revoked message keeps no text.
	RevokedAt *time.Time `json:",omitempty"`
	RevokedBy int64      `json:",omitempty"`
	// Forwarded is a merged message's content: the messages forwarded, as
	// they were.
	Forwarded []Forwarded `json:",omitempty"`
	// Mentions are the group members the message names with @, and
	// MentionAll whether it said @all.
	Mentions   []Mention `json:",omitempty"`
	MentionAll bool      `json:",omitempty"`
}

// Mentioned reports whether m mentions userID (by name, or with @all,
// unless they wrote it).
func (m Message) Mentioned(userID int64) bool {
	if userID == 0 || userID == m.SenderID {
		return false
	}
	if m.MentionAll {
		return true
	}
	for _, x := range m.Mentions {
		if x.UserID == userID {
			return true
		}
	}
	return false
}

// UnreadCap is where unread counting stops; lists show "99+" from there.
const UnreadCap = 100

// Summary is a conversation as one viewer sees it in a list: with the last
// message and the viewer's unread count.
type Summary struct {
	Conversation
	Title       string
	PeerID      int64 // the visitor of a support chat, the other person of a direct one
	LastMessage *Message
	Unread      int64
	// Mentioned: a message the viewer has not read mentions them.
	Mentioned bool
	// Assignee names the agent a support chat is (or was last) assigned to.
	Assignee string
	// Labels are the labels put on the conversation, by name.
	Labels []Label
	// Muted: the viewer turned the conversation's notifications off; its
	// unread messages show as a dot, uncounted, and make no sound.
	Muted bool
	// PinnedAt is when the viewer pinned the conversation to the top of
	// their list; nil when it is not pinned.
	PinnedAt *time.Time
}

// AgentState is what an agent says of themselves: available for new chats, or away.
type AgentState string

// Agent states. Offline is not stored: it is the absence of a live console.
const (
	Available AgentState = "available"
	Away      AgentState = "away"
)

// Agent is an agent's routing profile.
type Agent struct {
	UserID   int64
	Name     string
	State    AgentState
	Capacity int
	Online   bool
	Open     int
}

// QueueEntry is a chat waiting in the queue, with its place (1 = next).
type QueueEntry struct {
	ConversationID int64
	VisitorID      int64
	Position       int
	QueuedAt       time.Time
	// Preview is the visitor's newest text message: for a chat they
	// reopened, what they wrote last, not what they wrote first.
	Preview string
}
