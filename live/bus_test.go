package live_test

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/live"
	"github.com/kefu-im/kefu/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// TestBusIsBackWithinASecondOfTheDatabase: after an outage long enough for
// the bus's backoff to reach its cap, the bus tries again every half second
// at most, so it listens again and asks for a resync within about a second
// of the database's return, and hears what is published after it.
func TestBusIsBackWithinASecondOfTheDatabase(t *testing.T) {
	t.Parallel()
	url := storetest.URL(t)
	events := make(chan string, 16)
	resynced := make(chan time.Time, 16)
	var log lockedBuffer
	logger := slog.New(slog.NewTextHandler(&log, nil))
	bus := live.NewBus(url, "kefu_bus_test", logger,
		func(_ context.Context, payload string) { events <- payload },
		func(context.Context) { resynced <- time.Now() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { bus.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-bus.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("the bus did not start listening")
	}

	end := storetest.Outage(t, url)
	// The outage lasts until the bus's pauses between attempts have grown to their cap.
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(log.String(), "retry_in=500ms") < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("the bus's retries did not reach their cap:\n%s", log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	end()
	select {
	case <-resynced:
	case <-time.After(10 * time.Second):
		t.Fatal("the bus did not resync after the database came back")
	}
	// What bounds the time to come back is the pause between attempts:
	// never more than half a second. (How long it takes is measured, not
	// timed here: a loaded machine may add its own delay.)
	for _, m := range regexp.MustCompile(`retry_in=(\S+)`).FindAllStringSubmatch(log.String(), -1) {
		if d, err := time.ParseDuration(m[1]); err != nil || d > 500*time.Millisecond {
			t.Fatalf("the bus paused %s between attempts, more than 500ms:\n%s", m[1], log.String())
		}
	}

	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "SELECT pg_notify('kefu_bus_test', 'after')"); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-events:
		if p != "after" {
			t.Fatalf("heard %q, want %q", p, "after")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the bus does not hear what is published after the outage")
	}
}

// lockedBuffer is a bytes.Buffer that the bus's logger and the test share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
