// Package outbox delivers what kefu's outboxes in PostgreSQL hold: rows
// inserted in the transaction of the change they report, so that a committed
// change goes out at least once and a rolled-back one never. A worker on
// every instance claims due rows with a lease, in a statement that commits
// before anything is sent, delivers them in parallel, and records each
// outcome: done, given up, or tried again after a backoff. A worker that
// dies mid-attempt leaves a lease that expires, and the row is claimed
// again. Web push and webhooks are its two couriers.
package outbox

import (
	"cmp"
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/kefu-im/kefu/metrics"
)

// Config holds a worker's times and limits.
type Config struct {
	// Name names the outbox in log messages: "push", "webhook".
	Name string
	// Poll is how often the outbox is checked for due items.
	Poll time.Duration
	// Lease is how long a claimed item is the worker's. It is at least twice
	// Timeout, so that no item is sent twice at once.
	Lease time.Duration
	// Timeout bounds one attempt, answer included.
	Timeout time.Duration
	// Batch is how many items one round claims and delivers at once.
	Batch int
	// MaxAttempts is when a failing item is given up.
	MaxAttempts int
	// Keep is how long finished items stay in the outbox.
	Keep time.Duration
	// Quiet is how long a Wake waits before the worker looks for due items:
	// what was just enqueued waits out a quiet period first. Zero: at once.
	Quiet time.Duration
	// Backoff is the wait after failed attempt number n (1, 2, …).
	Backoff func(n int) time.Duration
	// Now is the clock; tests set it.
	Now func() time.Time
	// Metrics counts each attempt's outcome, under Name (nil: nothing).
	Metrics *metrics.Metrics
}

// Or returns c with the fields left zero taken from def, except Quiet,
// whose zero means no quiet period.
func (c Config) Or(def Config) Config {
	c.Name = cmp.Or(c.Name, def.Name)
	c.Poll = cmp.Or(c.Poll, def.Poll)
	c.Lease = cmp.Or(c.Lease, def.Lease)
	c.Timeout = cmp.Or(c.Timeout, def.Timeout)
	c.Batch = cmp.Or(c.Batch, def.Batch)
	c.MaxAttempts = cmp.Or(c.MaxAttempts, def.MaxAttempts)
	c.Keep = cmp.Or(c.Keep, def.Keep)
	c.Quiet = max(c.Quiet, 0)
	if c.Backoff == nil {
		c.Backoff = def.Backoff
	}
	if c.Now == nil {
		c.Now = def.Now
	}
	c.Lease = max(c.Lease, 2*c.Timeout) // a lease never lapses while its attempt may still be under way
	return c
}

// Backoff doubles from first after each failed attempt n (first, 2×first,
// 4×first …) up to limit, with ±20% jitter so that retries after a
// receiver's outage do not all arrive at once.
func Backoff(n int, first, limit time.Duration) time.Duration {
	d := first
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// Attempt is how one attempt at an item went.
type Attempt struct {
	// Status is the HTTP status of the answer (0: none came).
	Status int
	// Err is nil when the item was delivered.
	Err error
	// Retry: trying again later may succeed (the receiver was unreachable,
	// busy or failing).
	Retry bool
	// Wait is the least time to wait before trying again, as a receiver
	// asked with Retry-After.
	Wait time.Duration
	// Skip: the item was not sent, because it is no longer needed; Err says
	// why. It is finished without a word in the logs.
	Skip bool
	// Gone: the item went with its destination (a subscription that no
	// longer exists): there is nothing left to record.
	Gone bool
}

// Outcome is what is recorded of an attempt.
type Outcome struct {
	At time.Time
	// Status is the HTTP status of the answer (0: none came).
	Status int
	// Done: the item was delivered.
	Done bool
	// GiveUp: the item is not delivered, now or later: it was no longer
	// needed, or failed for good. Error says why.
	GiveUp bool
	// RetryAt is when to try again, when the item is neither done nor given up.
	RetryAt time.Time
	Error   string
}

// Courier is what a worker needs to deliver one outbox's items of type T.
type Courier[T any] interface {
	// Claim leases up to limit due items until now+lease and counts the
	// attempt, in a statement that commits before anything is sent. Items
	// leased by a live worker are not due.
	Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]T, error)
	// Deliver makes one attempt at item.
	Deliver(ctx context.Context, item T) Attempt
	// Record stores the outcome of the attempt at item. It changes nothing
	// when that attempt's lease was lost to a newer attempt.
	Record(ctx context.Context, item T, o Outcome) error
	// Purge deletes the items finished before before.
	Purge(ctx context.Context, before time.Time) error
	// Describe returns which attempt at item this is (1: the first) and
	// the key-value pairs that name it in logs.
	Describe(item T) (attempt int, attrs []any)
}

// GroupRecorder is a Courier that can record the outcomes of several
// attempts in one statement. A worker whose courier is one records a
// round's outcomes in groups, as they come, rather than one by one.
type GroupRecorder[T any] interface {
	// RecordGroup stores outcomes[i] of the attempt at items[i], as Record
	// does for each.
	RecordGroup(ctx context.Context, items []T, outcomes []Outcome) error
}

// Worker delivers an outbox's items as they fall due. Every instance runs
// one; they share the outbox through leases, and none keeps state that
// decides anything.
type Worker[T any] struct {
	courier Courier[T]
	cfg     Config
	logger  *slog.Logger
	wake    chan struct{}
}

// New returns a worker that delivers with courier. cfg is used as it is:
// fill it with Config.Or first.
func New[T any](courier Courier[T], cfg Config, logger *slog.Logger) *Worker[T] {
	return &Worker[T]{courier: courier, cfg: cfg, logger: logger, wake: make(chan struct{}, 1)}
}

// Wake tells the worker that an item was just enqueued: it looks for due
// ones once the quiet period has passed, instead of at its next poll. It
// never blocks.
func (w *Worker[T]) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers items as they fall due, until ctx ends. Attempts still
// waiting for an answer then are abandoned: their leases expire and they
// are made again, by this instance or another.
func (w *Worker[T]) Run(ctx context.Context) {
	tick := time.NewTicker(w.cfg.Poll)
	defer tick.Stop()
	var purged time.Time
	var quietOver <-chan time.Time // armed by a wake while a quiet period runs
	for {
		for {
			n, err := w.Round(ctx)
			if err != nil && ctx.Err() == nil {
				w.logger.Error(w.cfg.Name+" round failed", "err", err)
			}
			if err != nil || n < w.cfg.Batch {
				break
			}
		}
		if now := w.cfg.Now(); now.Sub(purged) >= time.Hour {
			if err := w.courier.Purge(ctx, now.Add(-w.cfg.Keep)); err != nil && ctx.Err() == nil {
				w.logger.Warn(w.cfg.Name+" purge failed", "err", err)
			}
			purged = now
		}
	wait:
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				break wait
			case <-quietOver:
				quietOver = nil
				break wait
			case <-w.wake:
				if w.cfg.Quiet == 0 {
					break wait
				}
				if quietOver == nil {
					quietOver = time.After(w.cfg.Quiet)
				}
			}
		}
	}
}

// Round claims one batch of due items, delivers them in parallel and
// records each outcome. It returns how many it claimed.
func (w *Worker[T]) Round(ctx context.Context) (int, error) {
	due, err := w.courier.Claim(ctx, w.cfg.Now(), w.cfg.Lease, w.cfg.Batch)
	if err != nil {
		return len(due), err // the leases expire and the items are claimed again
	}
	if rec, ok := w.courier.(GroupRecorder[T]); ok {
		w.deliverGroups(ctx, due, rec)
		return len(due), nil
	}
	var wg sync.WaitGroup
	for _, item := range due {
		wg.Go(func() { w.deliver(ctx, item) })
	}
	wg.Wait()
	return len(due), nil
}

// result is how an attempt at item went, and what is to be recorded of it.
type result[T any] struct {
	item T
	a    Attempt
	o    Outcome
	// record: o is to be recorded. It is not when the item went with its
	// destination, or when the worker shut down before an answer came.
	record bool
}

// attempt makes one attempt at item and judges how it went.
func (w *Worker[T]) attempt(ctx context.Context, item T) result[T] {
	a := w.courier.Deliver(ctx, item)
	r := result[T]{item: item, a: a}
	if a.Gone {
		w.cfg.Metrics.Attempted(w.cfg.Name, metrics.Skipped)
		return r // with its destination: nothing is left to record
	}
	if !a.Skip && a.Err != nil && a.Status == 0 && ctx.Err() != nil {
		return r // shut down mid-attempt: the lease expires and the item is sent again
	}
	attempt, _ := w.courier.Describe(item)
	now := w.cfg.Now()
	r.o, r.record = Outcome{At: now, Status: a.Status}, true
	switch {
	case a.Err == nil:
		r.o.Done = true
	case a.Skip, !a.Retry, attempt >= w.cfg.MaxAttempts:
		r.o.GiveUp, r.o.Error = true, a.Err.Error()
	default:
		r.o.Error = a.Err.Error()
		r.o.RetryAt = now.Add(max(w.cfg.Backoff(attempt), a.Wait))
	}
	return r
}

// recordContext bounds the recording of outcomes. An answer that came is
// recorded even during shutdown, so that it is not sent again.
func recordContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
}

// deliver makes one attempt at item and records how it went.
func (w *Worker[T]) deliver(ctx context.Context, item T) {
	r := w.attempt(ctx, item)
	if !r.record {
		return
	}
	ctx, cancel := recordContext(ctx)
	defer cancel()
	w.report(r, w.courier.Record(ctx, item, r.o))
}

// deliverGroups makes one attempt at each item in parallel and records the
// outcomes in groups as they come: each group is what came while the
// previous one was being recorded. Answers that come together cost one
// statement, and a slow receiver holds back no other item's outcome.
func (w *Worker[T]) deliverGroups(ctx context.Context, due []T, rec GroupRecorder[T]) {
	results := make(chan result[T], len(due))
	for _, item := range due {
		go func() { results <- w.attempt(ctx, item) }()
	}
	items, outcomes := make([]T, 0, len(due)), make([]Outcome, 0, len(due))
	group := make([]result[T], 0, len(due))
	for left := len(due); left > 0; left -= len(group) {
		group = append(group[:0], <-results)
	gather:
		for {
			select {
			case r := <-results:
				group = append(group, r)
			default:
				break gather
			}
		}
		items, outcomes = items[:0], outcomes[:0]
		for _, r := range group {
			if r.record {
				items, outcomes = append(items, r.item), append(outcomes, r.o)
			}
		}
		if len(items) == 0 {
			continue
		}
		rctx, cancel := recordContext(ctx)
		err := rec.RecordGroup(rctx, items, outcomes)
		cancel()
		for _, r := range group {
			if r.record {
				w.report(r, err)
			}
		}
	}
}

// report counts and logs an outcome, once recording it ended with err.
func (w *Worker[T]) report(r result[T], err error) {
	a, o := r.a, r.o
	log := func() *slog.Logger {
		attempt, attrs := w.courier.Describe(r.item)
		return w.logger.With(append(attrs, "attempt", attempt)...)
	}
	switch {
	case err != nil:
		log().Error(w.cfg.Name+" outcome not recorded", "err", err)
	case o.Done:
		w.cfg.Metrics.Attempted(w.cfg.Name, metrics.Delivered)
	case a.Skip:
		w.cfg.Metrics.Attempted(w.cfg.Name, metrics.Skipped)
	case o.GiveUp:
		w.cfg.Metrics.Attempted(w.cfg.Name, metrics.GivenUp)
		log().Warn(w.cfg.Name+" delivery failed for good", "status", a.Status, "err", o.Error)
	default:
		w.cfg.Metrics.Attempted(w.cfg.Name, metrics.Retried)
		log().Info(w.cfg.Name+" attempt failed", "status", a.Status, "err", o.Error, "retry_at", o.RetryAt)
	}
}
