package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

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

// SnoozeForTest sets conversation id's snoozed_until as the snooze action
// would: until (nil: not snoozed; the zero time: until the visitor writes).
func (db *DB) SnoozeForTest(ctx context.Context, id int64, until *time.Time) error {
	var at any
	switch {
	case until == nil:
	case until.IsZero():
		at = "infinity"
	default:
		at = *until
	}
	_, err := db.pool.Exec(ctx, "UPDATE conversations SET snoozed_until = $2::timestamptz WHERE id = $1", id, at)
	return err
}

// LabelForTest adds a label with color and puts it on conversations ids.
func (db *DB) LabelForTest(ctx context.Context, name, color string, ids ...int64) (int64, error) {
	var id int64
	if err := db.pool.QueryRow(ctx, "INSERT INTO labels (name, color) VALUES ($1, $2) RETURNING id", name, color).Scan(&id); err != nil {
		return 0, err
	}
	_, err := db.pool.Exec(ctx, "INSERT INTO conversation_labels (conversation_id, label_id) SELECT unnest($1::bigint[]), $2", ids, id)
	return id, err
}

// ActiveAtForTest sets the last activity of conversations ids to at, for ties.
func (db *DB) ActiveAtForTest(ctx context.Context, at time.Time, ids ...int64) error {
	_, err := db.pool.Exec(ctx, `WITH c AS (UPDATE conversations SET last_message_at = $2 WHERE id = ANY($1) RETURNING id, kind, status, last_message_at)
		`+movesActivity("c"), ids, at)
	return err
}

// SearchWithin is Search with an agent's search reading the newest window
// messages in order, before the indexes.
func (db *DB) SearchWithin(ctx context.Context, v chat.Viewer, q string, before int64, limit int, window int64) (SearchResults, error) {
	return db.search(ctx, v, q, before, limit, window)
}

// MessageColumnsForTest reads what message id's live columns hold.
func (db *DB) MessageColumnsForTest(ctx context.Context, id int64) (body string, args []string, revokedBy *int64, err error) {
	err = db.pool.QueryRow(ctx, "SELECT body, args, revoked_by FROM messages WHERE id = $1", id).Scan(&body, &args, &revokedBy)
	return body, args, revokedBy, err
}

// Other is another instance's handle on db's database: it knows the
// settings for itself, and hears nothing of db's changes but the database.
func (db *DB) Other() *DB {
	return &DB{pool: db.pool, deliveries: db.deliveries, known: &knownSettings{}, groups: &commitGroups{}}
}

// GroupsAtOnce is how many commit groups an instance commits at the same time.
const GroupsAtOnce = groupsAtOnce

// WaitingToCommit is how many one-round-trip transactions wait for a
// commit group to end.
func (db *DB) WaitingToCommit() int {
	db.groups.mu.Lock()
	defer db.groups.mu.Unlock()
	return len(db.groups.waiting)
}

// SetGroupLockWaitForTest sets how long db's commit groups wait for a lock.
func (db *DB) SetGroupLockWaitForTest(d time.Duration) {
	db.groups.lockWait = d
}

// QueryIDForTest runs sql, which returns one id, with args: for tests that
// build rows as they were at times of their choosing.
func (db *DB) QueryIDForTest(ctx context.Context, sql string, args ...any) (int64, error) {
	var id int64
	err := db.pool.QueryRow(ctx, sql, args...).Scan(&id)
	return id, err
}

// ExecForTest runs sql with args: for seeding tests and benchmarks.
func (db *DB) ExecForTest(ctx context.Context, sql string, args ...any) error {
	_, err := db.pool.Exec(ctx, sql, args...)
	return err
}

// SeedStatement is a statement and its arguments, for ExecOnOneConnForTest.
type SeedStatement struct {
	SQL  string
	Args []any
}

// ExecOnOneConnForTest runs stmts in order on one connection, so that a
// session setting one of them makes holds for those after it.
func (db *DB) ExecOnOneConnForTest(ctx context.Context, stmts []SeedStatement) error {
	return db.pool.AcquireFunc(ctx, func(conn *pgxpool.Conn) error {
		for _, s := range stmts {
			if _, err := conn.Exec(ctx, s.SQL, s.Args...); err != nil {
				return fmt.Errorf("%.60s: %w", s.SQL, err)
			}
		}
		return nil
	})
}
