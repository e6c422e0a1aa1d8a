package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/kefu-im/kefu/store"
)

// The rounds every instance makes on the database. Each is safe on many
// instances at once: the store hands each row to one of them.
const (
	// janitorEvery is how often expired rows are purged (store.DB.PurgeExpired).
	janitorEvery = 5 * time.Minute
	// wakeEvery is how often snoozed chats whose time has come are woken
	// (store.DB.WakeDue): each exactly once, whichever instance gets to it.
	wakeEvery = 5 * time.Second
	// indexEvery is how often new messages are indexed for search
	// (store.DB.IndexPending); a search finds them before that too.
	indexEvery = 200 * time.Millisecond
	// autoReplyEvery is how often the auto-replies due are sent
	// (store.DB.AutoReply): each to a chat exactly once.
	autoReplyEvery = 5 * time.Second
	// hoursEvery is how often this instance's open widgets are told that
	// their site's team opened or closed (handlers.Handler.ShowHours),
	// which reads the database only when one is due to.
	hoursEvery = time.Second
)

// rounds starts the janitor, the waker, the search indexer, the
// auto-replier and the business hours' watch.
func (a *App) rounds() {
	a.spawn(func(ctx context.Context) {
		every(ctx, janitorEvery, a.logger, "purge", func(ctx context.Context) (bool, error) {
			return false, a.db.PurgeExpired(ctx)
		})
	})
	a.spawn(func(ctx context.Context) {
		every(ctx, wakeEvery, a.logger, "waking snoozed chats", func(ctx context.Context) (bool, error) {
			woke, err := a.db.WakeDue(ctx, a.now())
			return len(woke) >= store.WakeBatch, err
		})
	})
	a.spawn(func(ctx context.Context) {
		every(ctx, indexEvery, a.logger, "indexing messages for search", func(ctx context.Context) (bool, error) {
			n, err := a.db.IndexPending(ctx, store.IndexBatch)
			return n >= store.IndexBatch, err
		})
	})
	a.spawn(func(ctx context.Context) {
		every(ctx, autoReplyEvery, a.logger, "sending auto-replies", func(ctx context.Context) (bool, error) {
			n, err := a.db.AutoReply(ctx, a.now())
			return n >= store.AutoReplyBatch, err
		})
	})
	a.spawn(func(ctx context.Context) {
		every(ctx, hoursEvery, a.logger, "showing business hours", func(ctx context.Context) (bool, error) {
			return false, a.handler.ShowHours(ctx)
		})
	})
}

// every calls work each period until ctx ends, and again at once while it
// says there is more (a full batch). A failure is logged and waits for the
// next period.
func every(ctx context.Context, period time.Duration, logger *slog.Logger, what string, work func(context.Context) (more bool, err error)) {
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			for {
				more, err := work(ctx)
				if err != nil && ctx.Err() == nil {
					logger.Warn(what+" failed", "err", err)
				}
				if err != nil || !more {
					break
				}
			}
		}
	}
}
