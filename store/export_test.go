package store

import (
	"context"

	"github.com/kefu-im/kefu/chat"
)

// PurgeBatch is how many idle visitors one PurgeExpired deletes at most.
const PurgeBatch = purgeBatch

// AnnounceThen announces evs in one transaction that then ends with err:
// it commits when err is nil, and rolls back otherwise.
func (db *DB) AnnounceThen(ctx context.Context, err error, evs ...chat.Event) error {
	return db.inTx(ctx, func(tx *txn) error {
		for _, ev := range evs {
			if err := notify(ctx, tx, ev); err != nil {
				return err
			}
		}
		return err
	})
}

// SearchWithin is Search with an agent's search reading the newest window
// messages in order, before the indexes.
func (db *DB) SearchWithin(ctx context.Context, v chat.Viewer, q string, before int64, limit int, window int64) (SearchResults, error) {
	return db.search(ctx, v, q, before, limit, window)
}
