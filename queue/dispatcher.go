package queue

import (
	"context"
	"log/slog"
	"time"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/metrics"
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
	// Now is the clock; tests set it.
	Now func() time.Time
	// Metrics counts the chats assigned (nil: nothing).
	Metrics *metrics.Metrics
}

// DefaultConfig is routing as the README describes it.
var DefaultConfig = Config{Grace: 30 * time.Second, AnswerTimeout: 3 * time.Minute, TargetWait: 2 * time.Minute,
	Sweep: 5 * time.Second, Now: time.Now}

// Store is what the dispatcher needs of the database (store.DB in
// production): the agents' list, and routing's transactions.
type Store interface {
	AgentList(ctx context.Context) (chat.AgentList, error)
	// AssignBatch assigns up to max queued chats, oldest first, each to the
	// agent pick chooses, in one transaction.
	AssignBatch(ctx context.Context, now time.Time, grace time.Duration, agentIDs []int64, max int,
		pick func(chat.QueuedChat, []chat.AgentLoad) (agentID int64, ok bool)) ([]chat.Assignment, error)
	// PurgePresence forgets console sockets not seen since before.
	PurgePresence(ctx context.Context, before time.Time) error
	// Sweep applies routing's timers at now and returns the chats handed back.
	Sweep(ctx context.Context, now time.Time, grace, answerTimeout time.Duration) ([]chat.HandBack, error)
}

// Dispatcher assigns queued chats. Every instance runs one; they coordinate
// only through row locks, and none keeps state that decides anything.
type Dispatcher struct {
	db     Store
	cfg    Config
	logger *slog.Logger
	wake   chan struct{}
}

// NewDispatcher returns a dispatcher over db.
func NewDispatcher(db Store, cfg Config, logger *slog.Logger) *Dispatcher {
	return &Dispatcher{db: db, cfg: cfg, logger: logger, wake: make(chan struct{}, 1)}
}

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
		batch, err := d.db.AssignBatch(ctx, now, d.cfg.Grace, agents.IDs, batchSize, func(c chat.QueuedChat, loads []chat.AgentLoad) (int64, bool) {
			return Pick(c, loads, now)
		})
		n += len(batch)
		d.cfg.Metrics.Assigned(len(batch))
		if err != nil || len(batch) == 0 {
			return n, err
		}
	}
}

// batchSize is how many chats one transaction may assign. A batch costs the
// same few round trips whatever its size, so a backlog drains in few
// transactions; each holds routing's turn and its agents' rows for some tens
// of milliseconds at most, which is all a take of the same agent may wait.
const batchSize = 100

// Sweep applies the answer timeout, the offline hand-back and the end of
// target waits, and forgets long-gone console sockets.
func (d *Dispatcher) Sweep(ctx context.Context) ([]chat.HandBack, error) {
	now := d.cfg.Now()
	if err := d.db.PurgePresence(ctx, now.Add(-10*d.cfg.Grace)); err != nil {
		return nil, err
	}
	return d.db.Sweep(ctx, now, d.cfg.Grace, d.cfg.AnswerTimeout)
}
