package live

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Bus listens on a PostgreSQL channel and hands every notification to its
// handler, on one goroutine. A notification means a committed change: a
// serving instance's Notifier sends it once the change has committed, and
// a DB without a publisher (a `kefu user` command) inside the change's
// transaction.
//
// If the listening connection drops, notifications sent meanwhile are lost;
// after reconnecting the Bus calls its resync handler so that every local
// connection rebuilds its view from the database. It calls it as well when
// it hears ResyncPayload, which a Notifier sends after losing events.
type Bus struct {
	connString string
	channel    string
	logger     *slog.Logger
	onEvent    func(ctx context.Context, payload string)
	onResync   func(ctx context.Context)

	readyOnce sync.Once
	ready     chan struct{}
}

// NewBus returns a Bus for channel on the database at connString.
func NewBus(connString, channel string, logger *slog.Logger, onEvent func(context.Context, string), onResync func(context.Context)) *Bus {
	return &Bus{connString: connString, channel: channel, logger: logger, onEvent: onEvent, onResync: onResync, ready: make(chan struct{})}
}

// Ready is closed once the Bus first listens.
func (b *Bus) Ready() <-chan struct{} { return b.ready }

// maxBackoff caps the pause between attempts to reconnect. It is short: a
// lost bus means live updates stop on this instance while sends go on, so
// the bus must be back within a second of the database. A refused attempt
// costs the database next to nothing.
const maxBackoff = 500 * time.Millisecond

// Run listens until ctx ends, reconnecting with capped, jittered backoff.
func (b *Bus) Run(ctx context.Context) {
	backoff := 100 * time.Millisecond
	first := true
	for ctx.Err() == nil {
		err := b.listen(ctx, func() {
			backoff = 100 * time.Millisecond
			if !first {
				b.onResync(ctx)
			}
			first = false
			b.readyOnce.Do(func() { close(b.ready) })
		})
		if ctx.Err() != nil {
			return
		}
		b.logger.Warn("bus connection lost", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff/2 + rand.N(backoff/2+1)):
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

func (b *Bus) listen(ctx context.Context, listening func()) error {
	conn, err := pgx.Connect(ctx, b.connString)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{b.channel}.Sanitize()); err != nil {
		return err
	}
	listening()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if n.Payload == ResyncPayload {
			b.onResync(ctx)
			continue
		}
		b.onEvent(ctx, n.Payload)
	}
}
