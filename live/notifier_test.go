package live_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/live"
	"github.com/kefu-im/kefu/store/storetest"
)

const notifierChannel = "kefu_notifier_test"

// listener is a Bus on a test's database, with what it hears.
type listener struct {
	events  chan string
	resyncs chan struct{}
}

func listen(t *testing.T, url string) *listener {
	t.Helper()
	l := &listener{events: make(chan string, 1<<14), resyncs: make(chan struct{}, 16)}
	bus := live.NewBus(url, notifierChannel, slog.New(slog.DiscardHandler),
		func(_ context.Context, payload string) { l.events <- payload },
		func(context.Context) { l.resyncs <- struct{}{} })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { bus.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-bus.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("the bus did not start listening")
	}
	return l
}

func (l *listener) hear(t *testing.T) string {
	t.Helper()
	select {
	case p := <-l.events:
		return p
	case <-time.After(10 * time.Second):
		t.Fatal("heard nothing")
		return ""
	}
}

// TestNotifierInOrderToEveryInstance: what one instance publishes, fast
// enough for many events to go in one NOTIFY, every listener hears once,
// in the order published.
func TestNotifierInOrderToEveryInstance(t *testing.T) {
	t.Parallel()
	url := storetest.URL(t)
	a, b := listen(t, url), listen(t, url)
	n := live.NewNotifier(url, notifierChannel, slog.New(slog.DiscardHandler))
	t.Cleanup(func() { _ = n.Close() })
	const count = 3000
	for i := range count {
		n.Publish(fmt.Appendf(nil, `{"n":%d}`, i))
	}
	for _, l := range []*listener{a, b} {
		for i := range count {
			if got, want := l.hear(t), fmt.Sprintf(`{"n":%d}`, i); got != want {
				t.Fatalf("heard %s, want %s", got, want)
			}
		}
	}
	if err := n.Close(); err != nil {
		t.Fatalf("Close = %v, want nil: nothing was lost", err)
	}
	select {
	case p := <-a.events:
		t.Fatalf("heard %s more", p)
	default:
	}
}

// TestNotifierCloseSendsWhatIsLeft: Close returns once everything published
// before it has gone out.
func TestNotifierCloseSendsWhatIsLeft(t *testing.T) {
	t.Parallel()
	url := storetest.URL(t)
	l := listen(t, url)
	n := live.NewNotifier(url, notifierChannel, slog.New(slog.DiscardHandler))
	const count = 500
	for i := range count {
		n.Publish(fmt.Appendf(nil, `{"n":%d}`, i))
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	for i := range count {
		if got, want := l.hear(t), fmt.Sprintf(`{"n":%d}`, i); got != want {
			t.Fatalf("heard %s, want %s", got, want)
		}
	}
}

// TestNotifierLostEventsResyncEveryInstance: an event the Notifier could not
// send (its connection was cut) has every instance resync, though their
// own connections stayed up, and what is published next is heard.
func TestNotifierLostEventsResyncEveryInstance(t *testing.T) {
	t.Parallel()
	url := storetest.URL(t)
	l := listen(t, url)
	var log lockedBuffer
	n := live.NewNotifier(url, notifierChannel, slog.New(slog.NewTextHandler(&log, nil)))
	t.Cleanup(func() { _ = n.Close() })
	n.Publish([]byte(`{"n":1}`))
	if got := l.hear(t); got != `{"n":1}` {
		t.Fatalf("heard %s", got)
	}

	ctx := context.Background()
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var cut int
	if err := admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = 'kefu notifier' AND datname = current_database()`).Scan(&cut); err != nil || cut != 1 {
		t.Fatalf("cut %d notifier connections (%v), want 1", cut, err)
	}
	for gone := false; !gone; {
		if err := admin.QueryRow(ctx, `SELECT NOT EXISTS (SELECT FROM pg_stat_activity
			WHERE application_name = 'kefu notifier' AND datname = current_database())`).Scan(&gone); err != nil {
			t.Fatal(err)
		}
	}
	n.Publish([]byte(`{"n":2}`)) // on the cut connection: lost
	select {
	case <-l.resyncs:
	case p := <-l.events:
		t.Fatalf("heard %s before the resync", p)
	case <-time.After(10 * time.Second):
		t.Fatal("no resync after an event was lost")
	}
	if !strings.Contains(log.String(), "every instance will resync") {
		t.Fatalf("the loss was not logged:\n%s", log.String())
	}
	n.Publish([]byte(`{"n":3}`))
	if got := l.hear(t); got != `{"n":3}` {
		t.Fatalf("heard %s after the resync, want the next event", got)
	}
	if err := n.Close(); err != nil {
		t.Fatalf("Close = %v: the resync went out", err)
	}
}

// TestNotifierSendsEqualEventsEachTime: an event published twice is heard
// twice, though PostgreSQL delivers a payload sent twice in one
// transaction once.
func TestNotifierSendsEqualEventsEachTime(t *testing.T) {
	t.Parallel()
	url := storetest.URL(t)
	l := listen(t, url)
	n := live.NewNotifier(url, notifierChannel, slog.New(slog.DiscardHandler))
	sent := []string{`{"n":1}`, `{"n":1}`, `{"n":2}`, `{"n":1}`, `{"n":2}`, `{"n":2}`}
	for _, p := range sent {
		n.Publish([]byte(p))
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	for i, want := range sent {
		if got := l.hear(t); got != want {
			t.Fatalf("event %d: heard %s, want %s", i, got, want)
		}
	}
}

// TestNotifierKeepsEachPublishersOrder: events published from many
// goroutines at once are each heard once, each goroutine's in its order.
func TestNotifierKeepsEachPublishersOrder(t *testing.T) {
	t.Parallel()
	url := storetest.URL(t)
	l := listen(t, url)
	n := live.NewNotifier(url, notifierChannel, slog.New(slog.DiscardHandler))
	const publishers, each = 4, 500
	var wg sync.WaitGroup
	for p := range publishers {
		wg.Go(func() {
			for i := range each {
				n.Publish(fmt.Appendf(nil, `{"p":%d,"n":%d}`, p, i))
			}
		})
	}
	wg.Wait()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	next := make([]int, publishers)
	for range publishers * each {
		var p, i int
		if _, err := fmt.Sscanf(l.hear(t), `{"p":%d,"n":%d}`, &p, &i); err != nil {
			t.Fatal(err)
		}
		if i != next[p] {
			t.Fatalf("publisher %d: heard event %d, want %d", p, i, next[p])
		}
		next[p]++
	}
}
