package queue

import (
	"context"
	"log/slog"
	"time"

	"github.com/kefu-im/kefu/store"
)

// Config holds routing's times.
type Config struct {
	// Grace is how long an agent without a live console stays online (30 s).
	Grace time.Duration
	// AnswerTimeout hands back an assigned chat with no agent reply (3 min; 0: never).
	AnswerTimeout time.Duration
	// TargetWait is how long a chat waits for the agent it names (2 min).
	TargetWait time.Duration
	// Sweep is how often timers are checked and the queue retried without a wake-up (5 s).
	Sweep time.Duration
	// Capacity is a new agent's number of open chats (5).
	Capacity int
	// Now is the clock; tests set it.
	Now func() time.Time
}

// DefaultConfig is routing as the README describes it.
var DefaultConfig = Config{Grace: 30 * time.Second, AnswerTimeout: 3 * time.Minute, TargetWait: 2 * time.Minute,
	Sweep: 5 * time.Second, Capacity: 5, Now: time.Now}

// Dispatcher assigns queued chats. Every instance runs one; they coordinate
// only through row locks, and none keeps state that decides anything.
type Dispatcher struct {
	db     *store.DB
	cfg    Config
	logger *slog.Logger
	wake   chan struct{}
}

// NewDispatcher returns a dispatcher over db.
func NewDispatcher(db *store.DB, cfg Config, logger *slog.Logger) *Dispatcher {
	return &Dispatcher{db: db, cfg: cfg, logger: logger, wake: make(chan struct{}, 1)}
}

// Config returns the dispatcher's configuration.
func (d *Dispatcher) Config() Config { return d.cfg }

// Wake asks the dispatcher to look at the queue soon; it never blocks.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run assigns chats whenever woken and sweeps on a timer, until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) {
	tick := time.NewTicker(d.cfg.Sweep)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.wake:
		case <-tick.C:
			if _, err := d.Sweep(ctx); err != nil && ctx.Err() == nil {
				d.logger.Error("routing sweep failed", "err", err)
			}
		}
		if _, err := d.Drain(ctx); err != nil && ctx.Err() == nil {
			d.logger.Error("routing failed", "err", err)
		}
	}
}

// Drain assigns chats until none can be, and returns how many it assigned.
func (d *Dispatcher) Drain(ctx context.Context) (int, error) {
	agents, err := d.db.AgentList(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for {
		now := d.cfg.Now()
		batch, err := d.db.AssignBatch(ctx, now, d.cfg.Grace, agents.IDs, batchSize, func(c store.QueuedChat, loads []store.AgentLoad) (int64, bool) {
			return Pick(chatOf(c), agentsOf(loads), now)
		})
		n += len(batch)
		if err != nil || len(batch) == 0 {
			return n, err
		}
	}
}

// batchSize is how many chats one transaction may assign: a backlog drains
// in few transactions, while each holds the routing lock only briefly.
const batchSize = 10

// Sweep applies the answer timeout, the offline hand-back and the end of
// target waits, and forgets long-gone console sockets.
func (d *Dispatcher) Sweep(ctx context.Context) ([]store.HandBack, error) {
	now := d.cfg.Now()
	if err := d.db.PurgePresence(ctx, now.Add(-10*d.cfg.Grace)); err != nil {
		return nil, err
	}
	return d.db.Sweep(ctx, now, d.cfg.Grace, d.cfg.AnswerTimeout)
}

func chatOf(c store.QueuedChat) Chat {
	return Chat{ID: c.ID, QueuedAt: c.QueuedAt, TargetID: c.TargetID, TargetUntil: c.TargetUntil}
}

func agentsOf(loads []store.AgentLoad) []Agent {
	out := make([]Agent, len(loads))
	for i, l := range loads {
		out[i] = Agent{ID: l.ID, Online: l.Online, Available: l.Available, Open: l.Open, Capacity: l.Capacity, LastAssignedAt: l.LastAssignedAt}
	}
	return out
}
