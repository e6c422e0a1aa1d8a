package queue

import (
	"testing"
	"time"

	"github.com/kefu-im/kefu/chat"
)

func TestPick(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	ago := func(m int) time.Time { return now.Add(-time.Duration(m) * time.Minute) }
	ready := func(id int64, open int, last time.Time) chat.AgentLoad {
		return chat.AgentLoad{ID: id, Online: true, Available: true, Open: open, Capacity: 3, LastAssignedAt: last}
	}
	general := chat.QueuedChat{ID: 1, QueuedAt: ago(5)}
	tests := []struct {
		name   string
		queued chat.QueuedChat
		agents []chat.AgentLoad
		want   int64 // 0: nobody
	}{
		{"no agents", general, nil, 0},
		{"fewest open chats wins", general, []chat.AgentLoad{ready(1, 2, ago(60)), ready(2, 1, ago(1)), ready(3, 2, ago(90))}, 2},
		{"tie: longest since last assignment", general, []chat.AgentLoad{ready(1, 1, ago(5)), ready(2, 1, ago(30)), ready(3, 1, ago(10))}, 2},
		{"tie: never assigned before anyone", general, []chat.AgentLoad{ready(1, 0, ago(30)), ready(2, 0, time.Time{})}, 2},
		{"full tie: lowest id", general, []chat.AgentLoad{ready(7, 0, ago(3)), ready(4, 0, ago(3))}, 4},
		{"offline is skipped", general, []chat.AgentLoad{{ID: 1, Available: true, Capacity: 3}, ready(2, 2, ago(1))}, 2},
		{"away is skipped", general, []chat.AgentLoad{{ID: 1, Online: true, Capacity: 3}, ready(2, 2, ago(1))}, 2},
		{"at capacity is skipped", general, []chat.AgentLoad{ready(1, 3, ago(60)), ready(2, 2, ago(1))}, 2},
		{"zero capacity never gets chats", general, []chat.AgentLoad{{ID: 1, Online: true, Available: true, Capacity: 0}}, 0},
		{"nobody eligible", general, []chat.AgentLoad{ready(1, 3, ago(1)), {ID: 2, Online: true, Capacity: 3}}, 0},
		{"target eligible gets it even when busier", chat.QueuedChat{ID: 1, TargetID: 2, TargetUntil: now.Add(time.Minute)},
			[]chat.AgentLoad{ready(1, 0, time.Time{}), ready(2, 2, ago(1))}, 2},
		{"target eligible after the wait still gets it", chat.QueuedChat{ID: 1, TargetID: 2, TargetUntil: ago(1)},
			[]chat.AgentLoad{ready(1, 0, time.Time{}), ready(2, 2, ago(1))}, 2},
		{"target away: wait", chat.QueuedChat{ID: 1, TargetID: 2, TargetUntil: now.Add(time.Minute)},
			[]chat.AgentLoad{ready(1, 0, time.Time{}), {ID: 2, Online: true, Capacity: 3}}, 0},
		{"target full: wait", chat.QueuedChat{ID: 1, TargetID: 2, TargetUntil: now.Add(time.Second)},
			[]chat.AgentLoad{ready(1, 0, time.Time{}), ready(2, 3, ago(1))}, 0},
		{"target wait over: general queue", chat.QueuedChat{ID: 1, TargetID: 2, TargetUntil: now},
			[]chat.AgentLoad{ready(1, 1, time.Time{}), {ID: 2, Online: true, Capacity: 3}}, 1},
		{"target not an agent here: general after the wait", chat.QueuedChat{ID: 1, TargetID: 9, TargetUntil: ago(1)},
			[]chat.AgentLoad{ready(1, 1, time.Time{})}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Pick(tt.queued, tt.agents, now)
			if ok != (tt.want != 0) || got != tt.want {
				t.Fatalf("Pick = %d, %v; want %d", got, ok, tt.want)
			}
		})
	}
}

func TestEstimateWait(t *testing.T) {
	base := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	recent := []time.Time{base.Add(4 * time.Minute), base, base.Add(2 * time.Minute)} // a gap of 2 min on average
	tests := []struct {
		position int
		recent   []time.Time
		want     time.Duration
		ok       bool
	}{
		{1, recent, 2 * time.Minute, true},
		{3, recent, 6 * time.Minute, true},
		{0, recent, 0, false},
		{1, recent[:1], 0, false},
		{1, nil, 0, false},
	}
	for _, tt := range tests {
		got, ok := EstimateWait(tt.position, tt.recent)
		if got != tt.want || ok != tt.ok {
			t.Errorf("EstimateWait(%d, %d times) = %v, %v; want %v, %v", tt.position, len(tt.recent), got, ok, tt.want, tt.ok)
		}
	}
}
