// Package queue routes inbound support chats to agents. The strategy here
// is pure and decides who gets a chat; the Dispatcher applies it inside store
// transactions, where row locks make it correct on any number of instances.
package queue

import (
	"slices"
	"time"
)

// Agent is an agent as the strategy sees them at one moment.
type Agent struct {
	ID             int64
	Online         bool
	Available      bool
	Open           int // chats assigned to them and not resolved
	Capacity       int
	LastAssignedAt time.Time // zero: never assigned
}

// Eligible reports whether the agent may get another chat now.
func (a Agent) Eligible() bool { return a.Online && a.Available && a.Open < a.Capacity }

// Chat is a queued chat as the strategy sees it.
type Chat struct {
	ID       int64
	QueuedAt time.Time
	// TargetID is the agent a "contact the author" chat asked for, who gets
	// it when eligible; until TargetUntil it waits for them alone.
	TargetID    int64
	TargetUntil time.Time
}

// Waiting reports whether chat still waits for its target at now.
func (c Chat) Waiting(now time.Time) bool { return c.TargetID != 0 && now.Before(c.TargetUntil) }

// Pick returns the agent who should get chat at now: its target when
// eligible; nobody while it still waits for its target; otherwise the
// eligible agent with the fewest open chats, ties going to whoever has
// waited longest since their last assignment, then to the lowest id.
func Pick(chat Chat, agents []Agent, now time.Time) (int64, bool) {
	if chat.TargetID != 0 {
		for _, a := range agents {
			if a.ID == chat.TargetID && a.Eligible() {
				return a.ID, true
			}
		}
		if chat.Waiting(now) {
			return 0, false
		}
	}
	var best *Agent
	for i := range agents {
		a := &agents[i]
		if a.Eligible() && (best == nil || fairer(*a, *best)) {
			best = a
		}
	}
	if best == nil {
		return 0, false
	}
	return best.ID, true
}

// fairer reports whether a should get the next chat before b.
func fairer(a, b Agent) bool {
	if a.Open != b.Open {
		return a.Open < b.Open
	}
	if !a.LastAssignedAt.Equal(b.LastAssignedAt) {
		return a.LastAssignedAt.Before(b.LastAssignedAt)
	}
	return a.ID < b.ID
}

// EstimateWait guesses how long the chat at position (1 = next) will wait,
// from the times of recent assignments: position times the mean gap between
// them. It reports false when there is too little history to say.
func EstimateWait(position int, recent []time.Time) (time.Duration, bool) {
	if position < 1 || len(recent) < 2 {
		return 0, false
	}
	times := slices.Clone(recent)
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	gap := times[len(times)-1].Sub(times[0]) / time.Duration(len(times)-1)
	return time.Duration(position) * gap, true
}
