package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/kefu-im/kefu/store"
)

// wakeEvery is how often snoozed chats whose time has come are woken.
const wakeEvery = 5 * time.Second

// waker wakes snoozed chats whose time has come (store.DB.WakeDue), every
// wakeEvery until ctx ends. Every instance runs one: the store wakes each
// chat exactly once, whichever instance gets to it.
func waker(ctx context.Context, db *store.DB, now func() time.Time, logger *slog.Logger) {
	tick := time.NewTicker(wakeEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			for {
				woke, err := db.WakeDue(ctx, now())
				if err != nil && ctx.Err() == nil {
					logger.Warn("waking snoozed chats failed", "err", err)
				}
				if err != nil || len(woke) < store.WakeBatch {
					break
				}
			}
		}
	}
}
