package live_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kefu-im/kefu/live"
	"github.com/kefu-im/kefu/live/natstest"
)

// natsInstance is one instance's NATS bus and what it heard.
type natsInstance struct {
	bus      *live.NATSBus
	log      lockedBuffer
	events   chan string
	resynced chan struct{}
}

// newNATSBus makes a NATS bus on url; onEvent, when not nil, runs before
// an event is recorded.
func newNATSBus(url string, onEvent func()) *natsInstance {
	n := &natsInstance{events: make(chan string, 1<<17), resynced: make(chan struct{}, 16)}
	n.bus = live.NewNATSBus(url, "kefu_bus_test", slog.New(slog.NewTextHandler(&n.log, nil)),
		func(_ context.Context, payload string) {
			if onEvent != nil {
				onEvent()
			}
			n.events <- payload
		},
		func(context.Context) {
			select {
			case n.resynced <- struct{}{}:
			default:
			}
		})
	return n
}

// startNATSBus runs a new NATS bus on url until t ends.
func startNATSBus(t *testing.T, url string, onEvent func()) *natsInstance {
	t.Helper()
	n := newNATSBus(url, onEvent)
	n.run(t)
	return n
}

// run connects n's bus and runs it until t ends.
func (n *natsInstance) run(t *testing.T) {
	t.Helper()
	if err := n.bus.Connect(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.bus.Run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
		if err := n.bus.Close(); err != nil {
			t.Error(err)
		}
	})
}

func (n *natsInstance) waitReady(t *testing.T) {
	t.Helper()
	select {
	case <-n.bus.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("the NATS bus did not start listening")
	}
}

func (n *natsInstance) waitResync(t *testing.T, why string) {
	t.Helper()
	select {
	case <-n.resynced:
	case <-time.After(10 * time.Second):
		t.Fatalf("no resync %s", why)
	}
}

// hear returns the next event heard.
func (n *natsInstance) hear(t *testing.T) string {
	t.Helper()
	select {
	case p := <-n.events:
		return p
	case <-time.After(10 * time.Second):
		t.Fatal("no event heard")
		return ""
	}
}

// TestNATSBusInOrderAndBackAfterARestart: what one instance publishes,
// every instance hears in order; after the server restarts, each resyncs,
// and hears what is published afterwards.
func TestNATSBusInOrderAndBackAfterARestart(t *testing.T) {
	t.Parallel()
	server := natstest.Start(t)
	a, b := startNATSBus(t, server.URL(), nil), startNATSBus(t, server.URL(), nil)
	a.waitReady(t)
	b.waitReady(t)
	const n = 500
	for i := range n {
		a.bus.Publish(fmt.Appendf(nil, "event %d", i))
	}
	for i := range n {
		want := fmt.Sprintf("event %d", i)
		if got := b.hear(t); got != want {
			t.Fatalf("heard %q, want %q", got, want)
		}
		if got := a.hear(t); got != want {
			t.Fatalf("the publisher heard %q, want %q", got, want)
		}
	}

	server.Restart()
	a.waitResync(t, "after the server restarted")
	b.waitResync(t, "after the server restarted")
	a.bus.Publish([]byte("after"))
	if got := b.hear(t); got != "after" {
		t.Fatalf("heard %q after the restart, want %q", got, "after")
	}
}

// TestNATSBusLostPublishResyncsEveryInstance: an event that could not be
// published (here, before the connection was made) has every instance
// resync once the publisher is connected.
func TestNATSBusLostPublishResyncsEveryInstance(t *testing.T) {
	t.Parallel()
	server := natstest.Start(t)
	b := startNATSBus(t, server.URL(), nil)
	b.waitReady(t)

	publisher := newNATSBus(server.URL(), nil)
	publisher.bus.Publish([]byte("lost"))
	publisher.run(t)
	b.waitResync(t, "after an event was lost")
}

// TestNATSBusResyncsAHandlerFarBehind: a handler that falls further behind
// than the bus holds loses events, and is told to resync.
func TestNATSBusResyncsAHandlerFarBehind(t *testing.T) {
	t.Parallel()
	server := natstest.Start(t)
	release := make(chan struct{})
	slow := startNATSBus(t, server.URL(), func() { <-release })
	a := startNATSBus(t, server.URL(), nil)
	slow.waitReady(t)
	a.waitReady(t)
	const n = 1<<16 + 1000
	for i := range n {
		a.bus.Publish(fmt.Appendf(nil, "event %d", i))
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(slow.log.String(), "slow consumer") {
		if time.Now().After(deadline) {
			t.Fatalf("no events were dropped:\n%s", slow.log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(release)
	slow.waitResync(t, "after events were dropped")
}
