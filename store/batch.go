package store

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// statement is one SQL statement and its arguments, to run at once or to
// send with others in one round trip. The zero statement does nothing.
type statement struct {
	sql  string
	args []any
}

// exec runs s on q.
func (s statement) exec(ctx context.Context, q querier) error {
	if s.sql == "" {
		return nil
	}
	_, err := q.Exec(ctx, s.sql, s.args...)
	return err
}

// execAll runs statements in order in tx, sent together in one round trip.
// The first to fail fails the batch, and with it the transaction.
func execAll(ctx context.Context, tx *txn, statements ...statement) error {
	var b pgx.Batch
	for _, s := range statements {
		if s.sql != "" {
			b.Queue(s.sql, s.args...).Exec(func(pgconn.CommandTag) error { return nil })
		}
	}
	if b.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, &b).Close()
}
