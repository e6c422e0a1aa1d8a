package outbox_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kefu-im/kefu/metrics"
	"github.com/kefu-im/kefu/metrics/metricstest"
	"github.com/kefu-im/kefu/outbox"
	"github.com/kefu-im/kefu/outbox/outboxtest"
)

// row is an item of table as it stands.
type row struct {
	id          int
	attempts    int
	lockedUntil time.Time
	nextAt      time.Time
	done        bool
	gaveUp      bool
	status      int
	lastError   string
	finishedAt  time.Time
}

// claimed is a row leased for one attempt.
type claimed struct{ id, attempt int }

// table is an outbox in memory, leased and finished by the rules the
// store's outboxes follow. Its courier answers each attempt with the next
// of answers, and delivers once they run out.
type table struct {
	clock   *outboxtest.Clock
	mu      sync.Mutex
	rows    []*row
	answers []outbox.Attempt
	// hold, when set, is called at each attempt before it is answered.
	hold     func(ctx context.Context)
	attempts int
	claims   int
	purged   []time.Time
}

func newTable(clock *outboxtest.Clock, items int, answers ...outbox.Attempt) *table {
	t := &table{clock: clock, answers: answers}
	t.add(items)
	return t
}

func (t *table) add(n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for range n {
		t.rows = append(t.rows, &row{id: len(t.rows) + 1, nextAt: t.clock.Now()})
	}
}

func (t *table) Claim(_ context.Context, now time.Time, lease time.Duration, limit int) ([]claimed, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.claims++
	var out []claimed
	for _, r := range t.rows {
		if len(out) == limit {
			break
		}
		if r.done || r.gaveUp || r.nextAt.After(now) || r.lockedUntil.After(now) {
			continue
		}
		r.attempts++
		r.lockedUntil = now.Add(lease)
		out = append(out, claimed{r.id, r.attempts})
	}
	return out, nil
}

func (t *table) Deliver(ctx context.Context, c claimed) outbox.Attempt {
	if t.hold != nil {
		t.hold(ctx)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.attempts++
	if len(t.answers) == 0 {
		return outbox.Attempt{Status: 200}
	}
	a := t.answers[0]
	t.answers = t.answers[1:]
	return a
}

func (t *table) Record(_ context.Context, c claimed, o outbox.Outcome) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.rows[c.id-1]
	if r.done || r.gaveUp || (!o.Done && r.attempts != c.attempt) {
		return nil
	}
	r.lockedUntil, r.status, r.lastError = time.Time{}, o.Status, o.Error
	switch {
	case o.Done:
		r.done, r.finishedAt = true, o.At
	case o.GiveUp:
		r.gaveUp, r.finishedAt = true, o.At
	default:
		r.nextAt = o.RetryAt
	}
	return nil
}

func (t *table) Purge(_ context.Context, before time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.purged = append(t.purged, before)
	return nil
}

func (t *table) Describe(c claimed) (int, []any) { return c.attempt, []any{"item_id", c.id} }

// row returns a copy of row id as it stands.
func (t *table) row(id int) row {
	t.mu.Lock()
	defer t.mu.Unlock()
	return *t.rows[id-1]
}

// sent counts the attempts answered so far.
func (t *table) sent() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.attempts
}

// groupTable is a table whose outcomes are recorded in groups, as the
// push outbox's are.
type groupTable struct {
	*table
	groups [][]int // the ids of each group, in the order they were recorded
}

func (g *groupTable) RecordGroup(ctx context.Context, items []claimed, outcomes []outbox.Outcome) error {
	ids := make([]int, len(items))
	for i, c := range items {
		ids[i] = c.id
		if err := g.Record(ctx, c, outcomes[i]); err != nil {
			return err
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.groups = append(g.groups, ids)
	return nil
}

// recorded returns the groups recorded so far.
func (g *groupTable) recorded() [][]int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.groups)
}

func newWorker(t *table, cfg outbox.Config) *outbox.Worker[claimed] {
	return newWorkerOf(t, t.clock, cfg)
}

func newGroupWorker(g *groupTable, cfg outbox.Config) *outbox.Worker[claimed] {
	return newWorkerOf(g, g.clock, cfg)
}

func newWorkerOf(c outbox.Courier[claimed], clock *outboxtest.Clock, cfg outbox.Config) *outbox.Worker[claimed] {
	if cfg.Now == nil {
		cfg.Now = clock.Now
	}
	def := outbox.Config{Name: "test", Poll: time.Hour, Lease: 30 * time.Second, Timeout: time.Second, Batch: 16,
		MaxAttempts: 10, Keep: time.Hour, Backoff: outboxtest.NoWait}
	return outbox.New(c, cfg.Or(def), slog.New(slog.DiscardHandler))
}

// round runs one round of w and checks how many it claimed.
func round(t *testing.T, w *outbox.Worker[claimed], want int) {
	t.Helper()
	if n, err := w.Round(context.Background()); err != nil || n != want {
		t.Fatalf("round claimed %d, %v; want %d", n, err, want)
	}
}

// run starts w until the returned stop is called; stop waits for it to end.
func run(t *testing.T, w *outbox.Worker[claimed]) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// waitFor waits until cond holds, for ten seconds at most.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s", what)
		}
		<-tick.C
	}
}

var (
	serverError = outbox.Attempt{Status: 500, Err: errors.New("HTTP 500 Internal Server Error"), Retry: true}
	notFound    = outbox.Attempt{Status: 404, Err: errors.New("HTTP 404 Not Found")}
)

func TestRetriedWithBackoffUntilDoneThenNeverAgain(t *testing.T) {
	t.Parallel()
	clk := &outboxtest.Clock{}
	tb := newTable(clk, 1, serverError, serverError)
	w := newWorker(tb, outbox.Config{Backoff: func(n int) time.Duration { return time.Duration(n) * time.Minute }})
	round(t, w, 1)
	if r := tb.row(1); r.done || r.status != 500 || r.lastError != "HTTP 500 Internal Server Error" ||
		r.nextAt.Before(clk.Now().Add(50*time.Second)) {
		t.Fatalf("after a 500: %+v, want a retry in a minute", r)
	}
	round(t, w, 0) // waiting out the backoff
	clk.Advance(time.Minute)
	round(t, w, 1)
	if r := tb.row(1); r.nextAt.Before(clk.Now().Add(110 * time.Second)) {
		t.Fatalf("after the second 500: %+v, want a retry in two minutes", r)
	}
	clk.Advance(2 * time.Minute)
	round(t, w, 1)
	if r := tb.row(1); !r.done || r.attempts != 3 || r.status != 200 || r.lastError != "" {
		t.Fatalf("after the answer: %+v, want done on attempt 3", r)
	}
	clk.Advance(24 * time.Hour)
	round(t, w, 0)
	if tb.sent() != 3 {
		t.Fatalf("%d attempts, want 3", tb.sent())
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	tb := newTable(&outboxtest.Clock{}, 1, serverError, serverError, serverError, serverError)
	w := newWorker(tb, outbox.Config{MaxAttempts: 3})
	for range 3 {
		round(t, w, 1)
	}
	tb.clock.Advance(time.Hour)
	round(t, w, 0)
	if r := tb.row(1); !r.gaveUp || r.attempts != 3 || r.status != 500 || r.lastError != "HTTP 500 Internal Server Error" ||
		r.finishedAt.IsZero() || tb.sent() != 3 {
		t.Fatalf("after giving up: %+v, %d attempts", r, tb.sent())
	}
}

func TestFailureNotWorthRetryingIsGivenUpAtOnce(t *testing.T) {
	t.Parallel()
	tb := newTable(&outboxtest.Clock{}, 1, notFound)
	w := newWorker(tb, outbox.Config{})
	round(t, w, 1)
	tb.clock.Advance(time.Hour)
	round(t, w, 0)
	if r := tb.row(1); !r.gaveUp || r.attempts != 1 || r.status != 404 || r.lastError != "HTTP 404 Not Found" {
		t.Fatalf("after a 404: %+v", r)
	}
}

func TestWaitsAsTheReceiverAsks(t *testing.T) {
	t.Parallel()
	busy := outbox.Attempt{Status: 429, Err: errors.New("HTTP 429 Too Many Requests"), Retry: true, Wait: 2 * time.Minute}
	tb := newTable(&outboxtest.Clock{}, 1, busy)
	w := newWorker(tb, outbox.Config{})
	round(t, w, 1)
	tb.clock.Advance(time.Minute)
	round(t, w, 0)
	tb.clock.Advance(time.Minute)
	round(t, w, 1)
	if r := tb.row(1); !r.done || r.attempts != 2 {
		t.Fatalf("after the wait: %+v", r)
	}
}

func TestSkippedIsFinishedUnsentAndGoneIsNotRecorded(t *testing.T) {
	t.Parallel()
	tb := newTable(&outboxtest.Clock{}, 2, outbox.Attempt{Skip: true, Err: errors.New("the message was read")},
		outbox.Attempt{Gone: true})
	w := newWorker(tb, outbox.Config{Batch: 1})
	round(t, w, 1)
	if r := tb.row(1); !r.gaveUp || r.lastError != "the message was read" {
		t.Fatalf("skipped: %+v", r)
	}
	round(t, w, 1)
	if r := tb.row(2); r.done || r.gaveUp || r.lockedUntil.IsZero() {
		t.Fatalf("gone: %+v, want nothing recorded", r)
	}
}

func TestShutdownMidAttemptRecordsNothingAndTheLeaseExpires(t *testing.T) {
	t.Parallel()
	tb := newTable(&outboxtest.Clock{}, 1, outbox.Attempt{Err: context.Canceled}) // no answer came
	arrived := make(chan struct{}, 1)
	tb.hold = func(ctx context.Context) {
		arrived <- struct{}{}
		<-ctx.Done()
	}
	stop := run(t, newWorker(tb, outbox.Config{Lease: 30 * time.Second}))
	<-arrived
	stop() // the instance dies while the receiver holds its request
	if r := tb.row(1); r.done || r.gaveUp || r.attempts != 1 || r.lastError != "" || r.lockedUntil.IsZero() {
		t.Fatalf("after the crash: %+v, want leased with one unrecorded attempt", r)
	}
	tb.hold = nil
	other := newWorker(tb, outbox.Config{})
	round(t, other, 0) // the dead worker's lease holds
	tb.clock.Advance(31 * time.Second)
	round(t, other, 1)
	if r := tb.row(1); !r.done || r.attempts != 2 {
		t.Fatalf("after the lease: %+v", r)
	}
}

func TestAnswerDuringShutdownIsRecorded(t *testing.T) {
	t.Parallel()
	tb := newTable(&outboxtest.Clock{}, 1)
	arrived := make(chan struct{}, 1)
	tb.hold = func(ctx context.Context) {
		arrived <- struct{}{}
		<-ctx.Done() // the answer comes as the worker stops
	}
	stop := run(t, newWorker(tb, outbox.Config{}))
	<-arrived
	stop()
	if r := tb.row(1); !r.done {
		t.Fatalf("an answer that came was not recorded: %+v", r)
	}
}

func TestGroupsRecordEachOutcomeOnce(t *testing.T) {
	t.Parallel()
	unneeded := outbox.Attempt{Skip: true, Err: errors.New("the message was read")}
	g := &groupTable{table: newTable(&outboxtest.Clock{}, 12, serverError, notFound, unneeded, outbox.Attempt{Gone: true})}
	m := metrics.New(nil)
	w := newGroupWorker(g, outbox.Config{Metrics: m, MaxAttempts: 1})
	round(t, w, 12)
	var ids []int
	for _, group := range g.recorded() {
		ids = append(ids, group...)
	}
	slices.Sort(ids)
	if len(ids) != 11 || len(slices.Compact(slices.Clone(ids))) != 11 {
		t.Fatalf("recorded %v, want each of the 11 that did not go with their destination once", ids)
	}
	var done, gaveUp, gone int
	for id := 1; id <= 12; id++ {
		switch r := g.row(id); {
		case r.done:
			done++
		case r.gaveUp:
			gaveUp++
		case !r.lockedUntil.IsZero() && slices.Index(ids, id) < 0:
			gone++
		default:
			t.Errorf("item %d: %+v, neither finished nor gone", id, r)
		}
	}
	if done != 8 || gaveUp != 3 || gone != 1 {
		t.Errorf("%d done, %d given up, %d gone; want 8, 3 (the 500 on its last attempt, the 404, the unneeded) and 1", done, gaveUp, gone)
	}
	s := metricstest.Of(t, m)
	for outcome, want := range map[string]float64{"delivered": 8, "given_up": 2, "skipped": 2} {
		series := `kefu_outbox_outcomes_total{outbox="test",outcome="` + outcome + `"}`
		if s[series] != want {
			t.Errorf("%s = %v, want %v", series, s[series], want)
		}
	}
}

func TestSlowAttemptHoldsBackNoOtherOutcome(t *testing.T) {
	t.Parallel()
	g := &groupTable{table: newTable(&outboxtest.Clock{}, 4)}
	release := make(chan struct{})
	var first sync.Once
	g.hold = func(context.Context) {
		slow := false
		first.Do(func() { slow = true })
		if slow {
			<-release // the receiver is slow to answer this one
		}
	}
	w := newGroupWorker(g, outbox.Config{})
	rounds := make(chan error, 1)
	go func() { _, err := w.Round(context.Background()); rounds <- err }()
	finished := func() int {
		n := 0
		for id := 1; id <= 4; id++ {
			if g.row(id).done {
				n++
			}
		}
		return n
	}
	waitFor(t, "the three quick answers recorded", func() bool { return finished() == 3 })
	close(release)
	if err := <-rounds; err != nil {
		t.Fatal(err)
	}
	if n, groups := finished(), g.recorded(); n != 4 || len(groups) < 2 {
		t.Fatalf("%d done in groups %v; want all 4, the slow one in a group of its own", n, groups)
	}
}

func TestRoundsGoOnWhileBatchesAreFull(t *testing.T) {
	t.Parallel()
	tb := newTable(&outboxtest.Clock{}, 10)
	run(t, newWorker(tb, outbox.Config{Batch: 4})) // polls hourly: only full batches bring the next round
	waitFor(t, "every item delivered", func() bool { return tb.sent() == 10 })
	for id := 1; id <= 10; id++ {
		if r := tb.row(id); !r.done || r.attempts != 1 {
			t.Fatalf("item %d: %+v", id, r)
		}
	}
}

func TestWakeWaitsOutTheQuietPeriod(t *testing.T) {
	t.Parallel()
	for _, quiet := range []time.Duration{0, 100 * time.Millisecond} {
		tb := newTable(&outboxtest.Clock{}, 0)
		w := newWorker(tb, outbox.Config{Quiet: quiet}) // polls hourly
		run(t, w)
		waitFor(t, "the first round", func() bool { tb.mu.Lock(); defer tb.mu.Unlock(); return len(tb.purged) == 1 })
		tb.add(1)
		woken := time.Now()
		w.Wake()
		w.Wake() // a second wake does not start another quiet period, nor block
		waitFor(t, "the item woken for", func() bool { return tb.sent() == 1 })
		if waited := time.Since(woken); waited < quiet {
			t.Fatalf("sent %s after the wake, within the quiet period of %s", waited, quiet)
		}
	}
}

func TestPurgesFinishedItemsHourly(t *testing.T) {
	t.Parallel()
	tb := newTable(&outboxtest.Clock{}, 0)
	run(t, newWorker(tb, outbox.Config{Poll: time.Millisecond, Keep: 48 * time.Hour}))
	purges := func() int { tb.mu.Lock(); defer tb.mu.Unlock(); return len(tb.purged) }
	waitFor(t, "the first purge", func() bool { return purges() == 1 })
	tb.mu.Lock()
	before := tb.purged[0]
	tb.mu.Unlock()
	if before.After(tb.clock.Now().Add(-47 * time.Hour)) {
		t.Fatalf("purged what finished before %s, want two days ago", before)
	}
	claims := func() int { tb.mu.Lock(); defer tb.mu.Unlock(); return tb.claims }
	waitFor(t, "twenty polls", func() bool { return claims() >= 20 })
	if purges() != 1 { // polls within the hour purge nothing more
		t.Fatalf("%d purges within the hour", purges())
	}
	tb.clock.Advance(time.Hour)
	waitFor(t, "the next hour's purge", func() bool { return purges() == 2 })
}

func TestBackoffDoublesToItsCap(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		first, limit time.Duration
		want         map[int]time.Duration
	}{
		{2 * time.Second, 10 * time.Minute, map[int]time.Duration{0: 2 * time.Second, 1: 2 * time.Second, 2: 4 * time.Second,
			5: 32 * time.Second, 9: 512 * time.Second, 10: 10 * time.Minute, 100: 10 * time.Minute}},
		{5 * time.Second, time.Hour, map[int]time.Duration{1: 5 * time.Second, 2: 10 * time.Second, 3: 20 * time.Second,
			10: 2560 * time.Second, 11: time.Hour, 15: time.Hour, 100: time.Hour, 1 << 40: time.Hour}},
	} {
		for n, base := range c.want {
			for range 20 {
				if d := outbox.Backoff(n, c.first, c.limit); d < base*8/10 || d > base*12/10 {
					t.Fatalf("Backoff(%d, %s, %s) = %s, want %s ± 20%%", n, c.first, c.limit, d, base)
				}
			}
		}
	}
}

func TestConfigTakesDefaultsAndLeasesOutlastAttempts(t *testing.T) {
	t.Parallel()
	def := outbox.Config{Name: "push", Poll: time.Second, Lease: 30 * time.Second, Timeout: 10 * time.Second, Batch: 32,
		MaxAttempts: 10, Keep: time.Hour, Quiet: 5 * time.Second, Backoff: outboxtest.NoWait, Now: time.Now}
	got := outbox.Config{Batch: 4, Timeout: time.Minute}.Or(def)
	if got.Name != "push" || got.Poll != time.Second || got.Batch != 4 || got.MaxAttempts != 10 || got.Keep != time.Hour ||
		got.Quiet != 0 || got.Lease != 2*time.Minute || got.Backoff == nil || got.Now == nil {
		t.Fatalf("Or = %+v, want the defaults, no quiet period, and a lease of twice the timeout", got)
	}
}
