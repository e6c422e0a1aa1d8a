// Package queue routes inbound support chats to agents. The strategy here
// is pure and decides who gets a chat; the Dispatcher applies it inside store
// transactions, where row locks make it correct on any number of instances.
package queue

import (
	"slices"
	"time"

	"github.com/kefu-im/kefu/chat"
)

// Pick returns the agent who should get c at now: its target when
// eligible; nobody while it still waits for its target; otherwise the
// eligible agent with the fewest open chats, ties going to whoever has
// waited longest since their last assignment, then to the lowest id.
func Pick(c chat.QueuedChat, agents []chat.AgentLoad, now time.Time) (int64, bool) {
	if c.TargetID != 0 {
		for _, a := range agents {
			if a.ID == c.TargetID && a.Eligible() {
				return a.ID, true
			}
		}
		if c.Waiting(now) {
			return 0, false
		}
	}
	var best *chat.AgentLoad
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
func fairer(a, b chat.AgentLoad) bool {
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
