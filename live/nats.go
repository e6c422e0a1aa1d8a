package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// NATSBus is the bus over NATS, for fan-out across many instances. The
// store publishes each committed change's event to a subject once it has
// committed, and every instance, this one included, subscribes to it. Like
// Bus, NATSBus hands every event to its handler on one goroutine, and after
// any gap in what it heard it calls its resync handler, so that every local
// connection rebuilds its view from the database. A gap is a lost
// connection, events dropped because the handler fell far behind, or a
// request from an instance that could not publish everything.
//
// Events from one instance arrive in the order it published them; events of
// one conversation from different instances may cross. The connections keep
// a conversation's order by its seq: one that would leave a gap is preceded
// by the missing messages from the database, a repeat is dropped.
type NATSBus struct {
	url      string
	subject  string
	logger   *slog.Logger
	onEvent  func(ctx context.Context, payload string)
	onResync func(ctx context.Context)

	conn atomic.Pointer[nats.Conn]
	// connected is signalled each time the connection is made.
	connected chan struct{}
	// lost is set when an event could not be published; once connected
	// again, the bus asks every instance to resync.
	lost  atomic.Bool
	ready chan struct{}
}

// backlog is how many events may wait for the handler. Beyond it NATS
// drops them, and the bus resyncs.
const backlog = 1 << 16

// closeWait bounds how long Close waits for what is still buffered to
// reach the server.
const closeWait = 5 * time.Second

var (
	errNotConnected = errors.New("the NATS bus is not connected")
	errLost         = errors.New("a publish failed")
)

// NewNATSBus returns a NATSBus for subject on the NATS server(s) at url
// (comma-separated). Nothing connects until Connect.
func NewNATSBus(url, subject string, logger *slog.Logger, onEvent func(context.Context, string), onResync func(context.Context)) *NATSBus {
	return &NATSBus{url: url, subject: subject, logger: logger, onEvent: onEvent, onResync: onResync,
		connected: make(chan struct{}, 1), ready: make(chan struct{})}
}

// Connect connects to the server. If the server is out of reach it returns
// at once all the same: the connection keeps trying, with the same capped
// backoff as Bus, and holds what is published meanwhile.
func (b *NATSBus) Connect() error {
	nc, err := nats.Connect(b.url,
		nats.Name("kefu"),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(maxBackoff/2),
		nats.ReconnectJitter(maxBackoff/2, maxBackoff/2),
		nats.ConnectHandler(func(*nats.Conn) { b.signal() }),
		nats.ReconnectHandler(func(*nats.Conn) { b.signal() }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				b.logger.Warn("bus connection lost", "err", err)
			}
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			b.logger.Warn("bus error", "err", err)
		}),
	)
	if err != nil {
		return fmt.Errorf("live: connect to NATS: %w", err)
	}
	b.conn.Store(nc)
	return nil
}

// signal tells Run that the connection is made.
func (b *NATSBus) signal() {
	select {
	case b.connected <- struct{}{}:
	default: // one signal is pending already
	}
}

// Publish sends payload to every instance. While the server is out of
// reach it is held and sent on reconnecting; if it cannot be, the bus
// asks every instance to resync once it is connected again.
func (b *NATSBus) Publish(payload []byte) {
	err := errNotConnected
	if nc := b.conn.Load(); nc != nil {
		err = nc.Publish(b.subject, payload)
	}
	if err != nil && !b.lost.Swap(true) {
		b.logger.Warn("bus event not published: every instance will resync", "err", err)
	}
}

// resyncSubject carries requests to resync.
func (b *NATSBus) resyncSubject() string { return b.subject + ".resync" }

// Ready is closed once the bus first listens.
func (b *NATSBus) Ready() <-chan struct{} { return b.ready }

// Run listens until ctx ends. Connect first; Close after.
func (b *NATSBus) Run(ctx context.Context) {
	nc := b.conn.Load()
	msgs := make(chan *nats.Msg, backlog)
	var subs []*nats.Subscription
	for _, subject := range []string{b.subject, b.resyncSubject()} {
		sub, err := nc.ChanSubscribe(subject, msgs)
		if err != nil {
			b.logger.Error("bus cannot subscribe", "subject", subject, "err", err)
			return
		}
		subs = append(subs, sub)
	}
	// The connection signals once it is made (ConnectHandler), also when it
	// was made before Run: signalling here as well would count the first
	// connection twice, and the second would look like a reconnect.
	listening := false
	dropped := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.connected:
			if !b.connectedAgain(ctx, nc, listening) {
				continue
			}
			listening = true
		case m := <-msgs:
			if m.Subject == b.subject {
				b.onEvent(ctx, string(m.Data))
			} else {
				b.onResync(ctx)
			}
		}
		if n := droppedOf(subs); n > dropped {
			dropped = n
			b.logger.Warn("bus events dropped: resyncing", "dropped", n)
			b.onResync(ctx)
		}
	}
}

// connectedAgain runs each time the connection is made. A round trip first
// makes sure the server has the subscriptions, which the connection sends
// again before it reports being connected: from then on nothing committed
// goes unheard. The first time, the bus is then ready; every other time it
// resyncs. If events this instance published were lost, it asks every
// instance to resync as well. It reports whether the round trip was made;
// if not, it is tried again.
func (b *NATSBus) connectedAgain(ctx context.Context, nc *nats.Conn, listening bool) bool {
	flushCtx, cancel := context.WithTimeout(ctx, closeWait)
	defer cancel()
	if err := nc.FlushWithContext(flushCtx); err != nil {
		if ctx.Err() == nil && !nc.IsClosed() {
			b.signal()
		}
		return false
	}
	if b.lost.Swap(false) {
		if err := nc.Publish(b.resyncSubject(), nil); err != nil {
			b.lost.Store(true)
		}
	}
	if listening {
		b.onResync(ctx)
	} else {
		close(b.ready)
	}
	return true
}

// droppedOf is how many messages NATS has dropped from subs.
func droppedOf(subs []*nats.Subscription) int {
	total := 0
	for _, sub := range subs {
		if n, err := sub.Dropped(); err == nil {
			total += n
		}
	}
	return total
}

// Close sends what is still held, within a few seconds, and closes the
// connection. It reports an error if some events may not have been published.
func (b *NATSBus) Close() error {
	nc := b.conn.Load()
	if nc == nil {
		return nil
	}
	defer nc.Close()
	err := errNotConnected
	if nc.IsConnected() {
		err = nc.FlushTimeout(closeWait)
	}
	if err == nil && b.lost.Load() {
		err = errLost
	}
	if err != nil {
		return fmt.Errorf("live: some bus events may not have been published: %w", err)
	}
	return nil
}
