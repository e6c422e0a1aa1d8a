package chat

import (
	"crypto/sha256"
	"encoding/hex"
)

// Event is what one instance tells every instance through the bus after a
// change commits. It carries ids, and receivers load what they show from the
// database; only a message event may also carry the stored message, as its
// Delivery, so that every instance shows it without reading it back.
type Event struct {
	Type           EventType `json:"t"`
	ConversationID int64     `json:"c,omitempty"`
	MessageID      int64     `json:"m,omitempty"`
	Seq            int64     `json:"s,omitempty"`
	UserID         int64     `json:"u,omitempty"`
	// By is the member who made the change, when one did by hand: the agent
	// who took a chat or transferred it.
	By int64 `json:"by,omitempty"`
	// Session names one of UserID's sessions by its SessionKey.
	Session string `json:"sess,omitempty"`
	// Delivery is the message of an EventMessage and its conversation, as
	// committed, when they fit the bus (MaxEventBytes); nil otherwise.
	Delivery *Delivery `json:"d,omitempty"`
	// Signal is what an EventSignal carries.
	Signal *Signal `json:"sg,omitempty"`
}

// Typing is someone typing in a conversation: their name as a thread shows
// it, and their draft ("" unless relayed, at most MaxDraft characters).
type Typing struct {
	Name  string `json:"n"`
	Draft string `json:"dr,omitempty"`
}

// MaxEventBytes is the most an event may take on the bus: a NOTIFY payload
// must be under 8000 bytes, and the sending instance adds its origin (a
// field "o", which no field of Event may be named, before the others: see
// live.Loopback). An event with a Delivery that would be larger goes
// without it.
const MaxEventBytes = 7900

// Delivery is what a message event carries for its recipients: the message
// and its conversation as the transaction that stored it left them, with
// the title and peer a list shows for it (see Summary). It is only made for
// a text message of a support or group conversation, whose summary is the
// same for every recipient but for their unread count.
type Delivery struct {
	Message      Message
	Conversation Conversation
	Title        string
	PeerID       int64
	// Assignee and Labels are what a console's list item shows besides:
	// with them, a console places the item without asking the store.
	Assignee string  `json:",omitempty"`
	Labels   []Label `json:",omitempty"`
}

// Summary is the conversation as a list shows it, before the recipient's
// unread count: its last message is the delivered one.
func (d *Delivery) Summary() Summary {
	m := d.Message
	return Summary{Conversation: d.Conversation, Title: d.Title, PeerID: d.PeerID, LastMessage: &m,
		Assignee: d.Assignee, Labels: d.Labels}
}

// EventType names a change.
type EventType string

// Event types.
const (
	// EventMessage: a message was stored.
	EventMessage EventType = "message"
	// EventRead: UserID read ConversationID up to Seq.
	EventRead EventType = "read"
	// EventQueue: the queue changed: a chat joined, was assigned (to UserID),
	// handed back or resolved, or an agent's availability changed. Dispatchers wake.
	EventQueue EventType = "queue"
	// EventAssigned: ConversationID was assigned to UserID.
	EventAssigned EventType = "assigned"
	// EventUserDisabled: UserID was disabled; their sockets close everywhere.
	EventUserDisabled EventType = "user_disabled"
	// EventSignedOut: UserID's sessions ended (their password was reset); their sockets close everywhere.
	EventSignedOut EventType = "signed_out"
	// EventSessionEnded: UserID signed out of Session; that session's sockets close everywhere.
	EventSessionEnded EventType = "session_ended"
	// EventSettings: an admin changed the settings.
	EventSettings EventType = "settings"
	// EventMembers: UserID joined or left ConversationID (a group), or it was
	// started with them; their screens update the conversation's list item.
	EventMembers EventType = "members"
	// EventFriends: UserID's friends or invitations changed.
	EventFriends EventType = "friends"
	// EventLabels: the labels on ConversationID changed.
	EventLabels EventType = "labels"
	// EventWoke: ConversationID, snoozed, woke up; UserID has it.
	EventWoke EventType = "woke"
	// EventSignal: an online-only message in ConversationID, from UserID
	// (0: the host API): someone typing, or a host's own (see Signal).
	// Nothing is stored: it is announced directly, never from a transaction.
	EventSignal EventType = "signal"
	// EventRevoked: UserID revoked message MessageID (Seq) of ConversationID.
	EventRevoked EventType = "revoked"
	// EventMarked: UserID pinned, unpinned, hid or muted ConversationID:
	// how it shows in their own list changed.
	EventMarked EventType = "marked"
	// EventVisitorBlocked: an agent blocked visitor UserID; their open
	// widgets say chat is unavailable.
	EventVisitorBlocked EventType = "visitor_blocked"
	// EventHours: an admin changed a site's business hours; the site's open
	// widgets say whether its team is there.
	EventHours EventType = "hours"
)

// Viewer is who is asking to see something: access rules depend on it.
type Viewer struct {
	UserID  int64
	IsAgent bool
}

// SessionKey names a session in an event without giving its token away:
// the SHA-256 of the token, in hex.
func SessionKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
