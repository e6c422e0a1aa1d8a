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
	// indexEvery is how often an indexer with nothing pending looks for
	// new messages to index for search (store.DB.IndexPending), and
	// indexPause how long it waits after a batch that was not full; a
	// search finds the messages before that too.
	indexEvery = time.Second
	indexPause = 50 * time.Millisecond
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
	a.spawn(a.indexing)
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

// indexing indexes the messages pending for search as they come, in
// small batches (store.IndexBatch): again at once after a full batch,
// after indexPause after one that was not, and after indexEvery when none
// was pending. A busy instance so takes the database a few milliseconds
// at a time, which the messages sent meanwhile would otherwise wait
// behind, and an idle one asks once a second.
func (a *App) indexing(ctx context.Context) {
	timer := time.NewTimer(indexEvery)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		n, err := a.db.IndexPending(ctx, store.IndexBatch)
		wait := indexEvery
		switch {
		case err != nil:
			if ctx.Err() == nil {
				a.logger.Warn("indexing messages for search failed", "err", err)
			}
		case n >= store.IndexBatch:
			wait = 0
		case n > 0:
			wait = indexPause
		}
		timer.Reset(wait)
	}
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
