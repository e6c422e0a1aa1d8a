package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/kefu-im/kefu/store"
)

// janitorEvery is how often expired rows are purged.
const janitorEvery = 5 * time.Minute

// janitor purges what has expired (store.DB.PurgeExpired) every
// janitorEvery, until ctx ends.
func janitor(ctx context.Context, db *store.DB, logger *slog.Logger) {
	tick := time.NewTicker(janitorEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := db.PurgeExpired(ctx); err != nil && ctx.Err() == nil {
				logger.Warn("purge failed", "err", err)
			}
		}
	}
}
