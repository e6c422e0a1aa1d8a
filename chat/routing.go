package chat

import "time"

// Routing's vocabulary: what the store reads for routing, what the strategy
// decides on, and what the dispatcher reports back.

// AgentLoad is an agent as routing sees them at one moment.
type AgentLoad struct {
	ID             int64
	Online         bool
	Available      bool
	Open           int // chats assigned to them and not resolved
	Capacity       int
	LastAssignedAt time.Time // zero: never assigned
}

// Eligible reports whether the agent may get another chat now.
func (a AgentLoad) Eligible() bool { return a.Online && a.Available && a.Open < a.Capacity }

// OnDuty reports whether the agent takes chats now: online, available and
// with a capacity, whether or not they have room for one more. A visitor
// is told someone is there while an agent is on duty.
func (a AgentLoad) OnDuty() bool { return a.Online && a.Available && a.Capacity > 0 }

// QueuedChat is a chat waiting for an agent.
type QueuedChat struct {
	ID       int64
	QueuedAt time.Time
	// TargetID is the agent a "contact the author" chat asked for, who gets
	// it when eligible; until TargetUntil it waits for them alone.
	TargetID    int64
	TargetUntil time.Time
}

// Waiting reports whether the chat still waits for its target at now.
func (c QueuedChat) Waiting(now time.Time) bool { return c.TargetID != 0 && now.Before(c.TargetUntil) }

// Assignment is a chat given to an agent.
type Assignment struct {
	ConversationID int64
	AgentID        int64
}

// HandBackReason says why an assigned chat went back to the queue.
type HandBackReason string

// Hand-back reasons, as webhooks name them.
const (
	NoAnswer    HandBackReason = "no_answer"
	WentOffline HandBackReason = "offline"
)

// HandBack is a chat returned to the queue, and why.
type HandBack struct {
	ConversationID int64
	AgentID        int64
	Reason         HandBackReason
}
