package queue_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/queue"
)

// memStore is routing's database in memory: what the dispatcher asks of
// store.DB, applied without locks, so that its decisions are tested alone.
type memStore struct {
	mu      sync.Mutex
	list    chat.AgentList
	loads   []chat.AgentLoad
	queued  []chat.QueuedChat // oldest first
	given   []chat.Assignment
	batches []int // the size of each batch, in order

	listErr, assignErr error
	failAfter          int // batches before assignErr

	purgedBefore time.Time
	swept        []any // now, grace, answer timeout
	handBacks    []chat.HandBack
	drained      chan struct{} // a send each time a batch comes back empty
}

func (m *memStore) AgentList(context.Context) (chat.AgentList, error) { return m.list, m.listErr }

func (m *memStore) AssignBatch(_ context.Context, now time.Time, _ time.Duration, agentIDs []int64, max int,
	pick func(chat.QueuedChat, []chat.AgentLoad) (int64, bool)) ([]chat.Assignment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.assignErr != nil && len(m.batches) == m.failAfter {
		return nil, m.assignErr
	}
	var loads []chat.AgentLoad
	for _, l := range m.loads {
		if slices.Contains(agentIDs, l.ID) {
			loads = append(loads, l)
		}
	}
	var out []chat.Assignment
	m.queued = slices.DeleteFunc(m.queued, func(c chat.QueuedChat) bool {
		if len(out) == max {
			return false
		}
		id, ok := pick(c, loads)
		if !ok {
			return false
		}
		for i := range loads {
			if loads[i].ID == id {
				loads[i].Open++
				loads[i].LastAssignedAt = now
			}
		}
		out = append(out, chat.Assignment{ConversationID: c.ID, AgentID: id})
		return true
	})
	for _, l := range loads {
		m.loads[slices.IndexFunc(m.loads, func(x chat.AgentLoad) bool { return x.ID == l.ID })] = l
	}
	m.given = append(m.given, out...)
	m.batches = append(m.batches, len(out))
	if len(out) == 0 && m.drained != nil {
		m.drained <- struct{}{}
	}
	return out, nil
}

func (m *memStore) PurgePresence(_ context.Context, before time.Time) error {
	m.purgedBefore = before
	return nil
}

func (m *memStore) Sweep(_ context.Context, now time.Time, grace, answerTimeout time.Duration) ([]chat.HandBack, error) {
	m.swept = []any{now, grace, answerTimeout}
	return m.handBacks, nil
}

// ready is an agent online, available and with room.
func ready(id int64, capacity int) chat.AgentLoad {
	return chat.AgentLoad{ID: id, Online: true, Available: true, Capacity: capacity}
}

// waiting returns n queued chats, ids 1..n, a minute apart.
func waiting(start time.Time, n int) []chat.QueuedChat {
	out := make([]chat.QueuedChat, n)
	for i := range out {
		out[i] = chat.QueuedChat{ID: int64(i + 1), QueuedAt: start.Add(time.Duration(i) * time.Minute)}
	}
	return out
}

func memDispatcher(s *memStore, now func() time.Time) *queue.Dispatcher {
	cfg := queue.DefaultConfig
	cfg.Now = now
	return queue.NewDispatcher(s, cfg, slog.New(slog.DiscardHandler))
}

func TestDrainGivesChatsOutInBatchesOldestFirstAndFairly(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	s := &memStore{list: chat.AgentList{IDs: []int64{1, 2, 3}},
		loads: []chat.AgentLoad{ready(1, 100), ready(2, 100), ready(3, 100)}, queued: waiting(start, 250)}
	n, err := memDispatcher(s, func() time.Time { return start.Add(time.Hour) }).Drain(context.Background())
	if err != nil || n != 250 {
		t.Fatalf("Drain = %d, %v; want all 250 chats", n, err)
	}
	if !slices.Equal(s.batches, []int{100, 100, 50, 0}) {
		t.Fatalf("batches %v; want a hundred at a time until one comes back empty", s.batches)
	}
	for i, a := range s.given {
		if want := int64(i%3 + 1); a.ConversationID != int64(i+1) || a.AgentID != want {
			t.Fatalf("assignment %d is %+v; want chat %d to agent %d (oldest first, fewest open chats)", i, a, i+1, want)
		}
	}
}

func TestDrainStopsWhenEveryAgentIsFull(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	away := chat.AgentLoad{ID: 3, Online: true, Capacity: 5}
	offline := chat.AgentLoad{ID: 4, Available: true, Capacity: 5}
	s := &memStore{list: chat.AgentList{IDs: []int64{1, 2, 3, 4}},
		loads: []chat.AgentLoad{ready(1, 2), ready(2, 1), away, offline}, queued: waiting(now.Add(-time.Hour), 6)}
	n, err := memDispatcher(s, func() time.Time { return now }).Drain(context.Background())
	if err != nil || n != 3 {
		t.Fatalf("Drain = %d, %v; want 3, the places the available agents have", n, err)
	}
	if len(s.queued) != 3 || s.queued[0].ID != 4 {
		t.Fatalf("still queued %+v; want the three youngest chats", s.queued)
	}
}

func TestDrainGivesChatsOnlyToListedAgents(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for name, list := range map[string]chat.AgentList{
		"not listed":                     {IDs: []int64{1}},
		"customer_service_uids is false": {Unrestricted: true},
	} {
		s := &memStore{list: list, loads: []chat.AgentLoad{ready(1, 1), ready(2, 5)}, queued: waiting(now, 3)}
		n, err := memDispatcher(s, func() time.Time { return now }).Drain(context.Background())
		if want := len(list.IDs); err != nil || n != want {
			t.Errorf("%s: Drain = %d, %v; want %d", name, n, err, want)
		}
		for _, a := range s.given {
			if a.AgentID != 1 {
				t.Errorf("%s: chat %d went to agent %d, who is not listed", name, a.ConversationID, a.AgentID)
			}
		}
	}
}

func TestDrainKeepsAChatForItsTargetUntilTheWaitEnds(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	clock := now
	target := chat.AgentLoad{ID: 2, Online: true, Capacity: 5} // away
	s := &memStore{list: chat.AgentList{IDs: []int64{1, 2}}, loads: []chat.AgentLoad{ready(1, 5), target},
		queued: []chat.QueuedChat{
			{ID: 1, QueuedAt: now.Add(-2 * time.Minute), TargetID: 2, TargetUntil: now.Add(time.Minute)},
			{ID: 2, QueuedAt: now.Add(-time.Minute)},
		}}
	d := memDispatcher(s, func() time.Time { return clock })
	if n, err := d.Drain(context.Background()); err != nil || n != 1 || s.given[0] != (chat.Assignment{ConversationID: 2, AgentID: 1}) {
		t.Fatalf("while the older chat waits for its target: Drain = %d, %v, given %+v; want only the younger chat", n, err, s.given)
	}
	clock = now.Add(time.Minute)
	if n, err := d.Drain(context.Background()); err != nil || n != 1 || s.given[1] != (chat.Assignment{ConversationID: 1, AgentID: 1}) {
		t.Fatalf("after the wait: Drain = %d, %v, given %+v; want the chat in the general queue", n, err, s.given)
	}
}

func TestDrainReportsWhatItAssignedBeforeAFailure(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	broken := errors.New("database unavailable")
	s := &memStore{listErr: broken}
	if n, err := memDispatcher(s, func() time.Time { return now }).Drain(context.Background()); !errors.Is(err, broken) || n != 0 {
		t.Fatalf("without the agents' list: Drain = %d, %v", n, err)
	}
	s = &memStore{list: chat.AgentList{IDs: []int64{1}}, loads: []chat.AgentLoad{ready(1, 500)}, queued: waiting(now, 150),
		assignErr: broken, failAfter: 1}
	if n, err := memDispatcher(s, func() time.Time { return now }).Drain(context.Background()); !errors.Is(err, broken) || n != 100 {
		t.Fatalf("second batch failing: Drain = %d, %v; want the first batch's 100 and the error", n, err)
	}
}

func TestSweepForgetsOldSocketsAndAppliesTheTimers(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	back := []chat.HandBack{{ConversationID: 7, AgentID: 1, Reason: chat.NoAnswer}}
	s := &memStore{handBacks: back}
	got, err := memDispatcher(s, func() time.Time { return now }).Sweep(context.Background())
	if err != nil || !slices.Equal(got, back) {
		t.Fatalf("Sweep = %+v, %v; want the store's hand-backs", got, err)
	}
	cfg := queue.DefaultConfig
	if want := now.Add(-10 * cfg.Grace); !s.purgedBefore.Equal(want) {
		t.Errorf("presence purged before %v; want %v (ten grace periods)", s.purgedBefore, want)
	}
	if want := []any{now, cfg.Grace, cfg.AnswerTimeout}; !slices.Equal(s.swept, want) {
		t.Errorf("swept with %v; want %v", s.swept, want)
	}
}

func TestRunDrainsWhenWokenAndStopsWithItsContext(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	s := &memStore{list: chat.AgentList{IDs: []int64{1}}, loads: []chat.AgentLoad{ready(1, 5)}, drained: make(chan struct{})}
	cfg := queue.DefaultConfig
	cfg.Now, cfg.Sweep = func() time.Time { return now }, time.Hour
	d := queue.NewDispatcher(s, cfg, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx) }()

	s.mu.Lock()
	s.queued = waiting(now, 2)
	s.mu.Unlock()
	d.Wake()
	<-s.drained
	s.mu.Lock()
	given := len(s.given)
	s.mu.Unlock()
	if given != 2 {
		t.Fatalf("after a wake-up %d chats were given out; want 2", given)
	}
	cancel()
	<-done
}
