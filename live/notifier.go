package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// ResyncPayload is the payload of a notification that asks every instance to
// resync: a Notifier sends it once it can NOTIFY again after events were
// lost. An event is JSON, so it can never be this.
const ResyncPayload = "resync"

// Notifier publishes the events of committed changes by NOTIFY, once they
// have committed, on a connection of its own. A NOTIFY inside the change's
// transaction would make every change that announces something commit one
// after another: PostgreSQL holds one lock from a notifying transaction's
// commit until its commit record is flushed, so no two such commits share a
// flush. Published afterwards, the changes commit together, and the events
// they announce while a NOTIFY is under way go together in the next one. The
// NOTIFY's own transaction writes nothing but its events and does not wait
// for a flush (synchronous_commit is off on the Notifier's connection): a
// crash loses the wake-up, which the database's truth does not need.
//
// Events go out in the order Publish was called, each once (equal events
// go in different statements). An instance that stops
// between a commit and its NOTIFY loses that event, as with NATS; an event
// the Notifier could not send (the database out of reach, or more waiting
// than it holds) makes it send ResyncPayload once it can, so that every
// instance rebuilds its view from the database.
type Notifier struct {
	connString string
	channel    string
	logger     *slog.Logger

	mu      sync.Mutex
	pending []string
	running bool // run has started, at the first event
	closing bool
	wake    chan struct{}
	lost    atomic.Bool
	done    chan struct{}
}

// maxPending is how many events may wait for a NOTIFY. Beyond it they are
// dropped, and every instance resyncs.
const maxPending = backlog

// notifyBatch bounds the events one NOTIFY statement carries.
const notifyBatch = 1024

// sendWait bounds one NOTIFY statement, connecting included.
const sendWait = 5 * time.Second

// errClosed is why an event published after Close is lost.
var errClosed = errors.New("the notifier is closed")

// NewNotifier returns a Notifier for channel on the database at connString.
// It connects, and starts its goroutine, at the first event.
func NewNotifier(connString, channel string, logger *slog.Logger) *Notifier {
	return &Notifier{connString: connString, channel: channel, logger: logger,
		wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// Publish sends payload to every instance, after the events published before it.
func (n *Notifier) Publish(payload []byte) {
	n.mu.Lock()
	switch {
	case n.closing:
		n.mu.Unlock()
		// What a socket still open past App.Stop's grace publishes: lost,
		// as with NATS, and no resync follows, the instance being gone.
		n.logger.Warn("bus event published after the bus closed: lost", "err", errClosed)
		return
	case len(n.pending) >= maxPending:
		n.mu.Unlock()
		n.dropped(fmt.Errorf("%d events wait for the database", maxPending))
		return
	}
	n.pending = append(n.pending, string(payload))
	if !n.running {
		n.running = true
		go n.run()
	}
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default: // the notifier is awake already
	}
}

// dropped records that an event was not sent.
func (n *Notifier) dropped(err error) {
	if !n.lost.Swap(true) {
		n.logger.Warn("bus event not published: every instance will resync", "err", err)
	}
}

// take returns up to notifyBatch of the events waiting, and whether the
// Notifier is closing. A batch ends before an event equal to one it holds:
// PostgreSQL delivers a payload sent twice in one transaction once, and two
// equal events (a host's signal sent twice) are two events.
func (n *Notifier) take() ([]string, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	end := min(len(n.pending), notifyBatch)
	seen := make(map[string]struct{}, end)
	for i, p := range n.pending[:end] {
		if _, twice := seen[p]; twice {
			end = i
			break
		}
		seen[p] = struct{}{}
	}
	batch := n.pending[:end:end]
	n.pending = n.pending[end:]
	if len(n.pending) == 0 {
		n.pending = nil // what was taken is not held twice
	}
	return batch, n.closing
}

// run sends what is published until Close, then what was left, within closeWait.
func (n *Notifier) run() {
	defer close(n.done)
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	backoff := 100 * time.Millisecond
	var stop time.Time // set once closing: the deadline for what is left
	for {
		batch, closing := n.take()
		if closing && stop.IsZero() {
			stop = time.Now().Add(closeWait)
		}
		if len(batch) == 0 && !n.lost.Load() {
			if closing {
				return
			}
			<-n.wake
			continue
		}
		// A send that hangs (the database out of reach without a word) is
		// given up as lost, and Close waits no longer than closeWait.
		deadline := time.Now().Add(sendWait)
		if !stop.IsZero() {
			deadline = stop
		}
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		err := n.send(ctx, &conn, batch)
		cancel()
		if err == nil {
			backoff = 100 * time.Millisecond
			continue
		}
		n.dropped(err)
		if !stop.IsZero() && time.Now().After(stop) {
			n.drain()
			return
		}
		time.Sleep(backoff/2 + rand.N(backoff/2+1))
		backoff = min(backoff*2, maxBackoff)
	}
}

// send NOTIFYs batch, after ResyncPayload when events were lost, connecting
// first if need be. A batch that fails is not sent again: it may have
// been, and a resync follows it in either case.
func (n *Notifier) send(ctx context.Context, conn **pgx.Conn, batch []string) error {
	if *conn == nil {
		cfg, err := pgx.ParseConfig(n.connString)
		if err != nil {
			return err
		}
		cfg.RuntimeParams["synchronous_commit"] = "off"
		cfg.RuntimeParams["application_name"] = "kefu notifier"
		if *conn, err = pgx.ConnectConfig(ctx, cfg); err != nil {
			*conn = nil
			return err
		}
	}
	// Cleared before the resync goes, so that an event lost meanwhile
	// sets it again; a send that fails sets it again too.
	if n.lost.Swap(false) {
		batch = append([]string{ResyncPayload}, batch...)
	}
	// One statement, one implicit transaction: its notifications are
	// delivered together, in the array's order.
	_, err := (*conn).Exec(ctx, "SELECT pg_notify($1, p) FROM unnest($2::text[]) WITH ORDINALITY AS e(p, i) ORDER BY i",
		n.channel, batch)
	if err != nil {
		(*conn).Close(context.Background())
		*conn = nil
		return err
	}
	return nil
}

// drain drops what is still waiting once the Notifier gives up.
func (n *Notifier) drain() {
	n.mu.Lock()
	n.pending = nil
	n.mu.Unlock()
}

// Close sends what is still waiting, within a few seconds, and closes the
// connection. It reports an error if some events may not have been
// published. Publish after Close loses the event.
func (n *Notifier) Close() error {
	n.mu.Lock()
	n.closing = true
	running := n.running
	n.mu.Unlock()
	if running {
		select {
		case n.wake <- struct{}{}:
		default:
		}
		<-n.done
	}
	if n.lost.Load() {
		return fmt.Errorf("live: some bus events may not have been published: %w", errLost)
	}
	return nil
}
