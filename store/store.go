// Package store holds all of kefu's SQL: store.DB over a pgx pool, one file
// per aggregate, and the migration runner.
package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kefu-im/kefu/chat"
)

// BusChannel is the LISTEN/NOTIFY channel on which committed changes are announced.
const BusChannel = "kefu_events"

// DB is kefu's database.
type DB struct {
	pool *pgxpool.Pool
	// deliveries is the pool of the reads that deliver stored messages to
	// sockets: connections of their own, so that sends, however many,
	// cannot starve the deliveries of what they store.
	deliveries *pgxpool.Pool
	// publisher, when set, carries the events of committed changes in
	// place of NOTIFY.
	publisher Publisher
	// known is the settings as this instance knows them, shared by every
	// DB made from the one Open made.
	known *knownSettings
	// groups is where the transactions of inOneRoundTrip wait to commit
	// together: each DB has its own, its members being on its pool and
	// announced through its publisher.
	groups *commitGroups
	// reportSlot is held by the one report at a time that reads on a
	// second connection of pool (reports.go); nil when pool has fewer than
	// two. A report that finds it taken reads on its one connection rather
	// than wait, so that no two reports each hold a connection while
	// waiting for another.
	reportSlot chan struct{}
}

// Publisher carries the events of committed changes to every instance, for
// a bus other than PostgreSQL's own LISTEN/NOTIFY. It is called after commit,
// never for a change rolled back, with one chat.Event in JSON, the payload a
// NOTIFY would carry. It does not fail: what it cannot send it must make
// good itself, by having every instance resync from the database.
type Publisher interface {
	Publish(payload []byte)
}

// querier is what both the pool and a transaction offer, so helpers can run in either.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// DefaultPoolSize is the pool's size when none is given: 4, or the number
// of cores when that is more.
func DefaultPoolSize() int { return max(4, runtime.NumCPU()) }

// DeliveryPoolSize is how many connections deliveries have beside a pool of
// size: half as many again, and at least 2.
func DeliveryPoolSize(size int) int { return max(2, size/2) }

// Open connects to the database at url with a pool of DefaultPoolSize
// connections, and checks it answers.
func Open(ctx context.Context, url string) (*DB, error) { return OpenSized(ctx, url, 0) }

// OpenSized connects to the database at url with a pool of at most size
// connections (DefaultPoolSize when 0) and DeliveryPoolSize(size) more
// for deliveries, and checks it answers.
func OpenSized(ctx context.Context, url string, size int) (*DB, error) {
	if size <= 0 {
		size = DefaultPoolSize()
	}
	pool, err := openPool(ctx, url, size)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	// Opened as the first was, this one can only fail to connect, later.
	deliveries, err := openPool(ctx, url, DeliveryPoolSize(size))
	if err != nil {
		pool.Close()
		return nil, err
	}
	db := &DB{pool: pool, deliveries: deliveries, known: &knownSettings{}, groups: &commitGroups{}}
	if size >= 2 {
		db.reportSlot = make(chan struct{}, 1)
	}
	return db, nil
}

// openPool makes a pool of at most size connections; it connects on first use.
func openPool(ctx context.Context, url string, size int) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: parse database url: %w", err)
	}
	cfg.MaxConns = int32(size)
	cfg.MaxConnIdleTime = 5 * time.Minute
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	return pool, nil
}

// Close closes every connection, the deliveries' too.
func (db *DB) Close() {
	db.pool.Close()
	db.deliveries.Close()
}

// Deliveries returns the DB to read from when delivering stored messages
// to sockets: the same database on the deliveries' own connections. Its
// Close closes those alone; the DB it came from closes them as well.
func (db *DB) Deliveries() *DB {
	return &DB{pool: db.deliveries, deliveries: db.deliveries, publisher: db.publisher, known: db.known, groups: &commitGroups{}}
}

// Pool is the underlying pool, for the session store.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Ping checks the database answers, on the pool and on the deliveries'
// connections alike.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return err
	}
	return db.deliveries.Ping(ctx)
}

// WithPublisher returns a DB on the same pool that announces each committed
// change through p, once the change has committed, instead of by NOTIFY
// inside its transaction.
func (db *DB) WithPublisher(p Publisher) *DB {
	return &DB{pool: db.pool, deliveries: db.deliveries, publisher: p, known: db.known, groups: &commitGroups{}, reportSlot: db.reportSlot}
}

// txn is a transaction that keeps the events it announces, when they go to
// a Publisher after commit.
type txn struct {
	pgx.Tx
	publisher Publisher
	events    [][]byte
}

// inTx runs f in one transaction, and once that has committed hands the
// events f announced to the publisher, in the order f announced them.
func (db *DB) inTx(ctx context.Context, f func(tx *txn) error) error {
	t := &txn{publisher: db.publisher}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		t.Tx = tx
		return f(t)
	})
	if err == nil {
		db.publish(t)
	}
	return err
}

// inTwoRoundTrips runs, in one transaction, a first statement whose row
// scan reads, and the statements then makes of it: BEGIN goes with the
// first and COMMIT with the rest, so that the transaction costs two round
// trips where inTx takes four. Once it has committed, the events then
// announced go to the publisher, as with inTx. The txn then is given only
// collects those events: it runs no statement itself (its Tx is nil).
func (db *DB) inTwoRoundTrips(ctx context.Context, first statement, scan func(pgx.Row) error,
	then func(tx *txn) ([]statement, error)) (err error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	defer func() {
		if err != nil {
			rollBack(ctx, conn)
		}
	}()
	var b pgx.Batch
	b.Queue("BEGIN")
	b.Queue(first.sql, first.args...).QueryRow(scan)
	if err := conn.SendBatch(ctx, &b).Close(); err != nil {
		return err
	}
	t := &txn{publisher: db.publisher}
	rest, err := then(t)
	if err != nil {
		return err
	}
	b = pgx.Batch{}
	for _, s := range rest {
		if s.sql != "" {
			b.Queue(s.sql, s.args...)
		}
	}
	b.Queue("COMMIT").Exec(committed)
	if err := conn.SendBatch(ctx, &b).Close(); err != nil {
		return err
	}
	db.publish(t)
	return nil
}

// inOneRoundTrip stores the visitor's message in (newAloneInsertion's,
// decided under the settings' version) in a transaction sent with its
// BEGIN and COMMIT in one round trip: in's statement must be all the
// transaction does for it. When the statement fails, the server skips the
// COMMIT and the transaction is rolled back; when it stores nothing
// (pgx.ErrNoRows), it changed nothing. Once committed, after announces the
// change's events, which go to the publisher: the DB must have one
// (errNoPublisher), since a NOTIFY would have to be inside the transaction,
// which ends before its row is read.
//
// The transaction may be shared with the messages of others that arrive at
// the same time (commitGroups), stored with it in one statement
// (groupSendSQL), which commit, and read now(), with it.
func (db *DB) inOneRoundTrip(ctx context.Context, in *insertion, version int64, after func(tx *txn)) error {
	if db.publisher == nil {
		return errNoPublisher
	}
	return db.groups.commit(db, &roundTrip{ctx: ctx, in: in, version: version, after: after})
}

// inOneRoundTripAlone is inOneRoundTrip in a transaction of its own.
func (db *DB) inOneRoundTripAlone(ctx context.Context, first statement, scan func(pgx.Row) error, after func(tx *txn)) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	var b pgx.Batch
	b.Queue("BEGIN")
	b.Queue(first.sql, first.args...).QueryRow(scan)
	b.Queue("COMMIT").Exec(committed)
	err = conn.SendBatch(ctx, &b).Close()
	if err != nil {
		rollBack(ctx, conn)
	}
	conn.Release()
	if err != nil {
		return err
	}
	t := &txn{publisher: db.publisher}
	after(t)
	db.publish(t)
	return nil
}

// errNoPublisher is inOneRoundTrip's refusal to run without a publisher.
var errNoPublisher = errors.New("store: a transaction in one round trip needs a publisher for its events")

// committed checks the tag of a COMMIT sent in a batch: in a transaction
// that failed, COMMIT says ROLLBACK.
func committed(tag pgconn.CommandTag) error {
	if tag.String() == "ROLLBACK" {
		return pgx.ErrTxCommitRollback
	}
	return nil
}

// rollBack ends the transaction a batch left open or failed on conn, if
// any. A connection that cannot say ROLLBACK is not given back open.
func rollBack(ctx context.Context, conn *pgxpool.Conn) {
	if pg := conn.Conn().PgConn(); pg.IsClosed() || pg.TxStatus() == 'I' {
		return
	}
	if _, err := conn.Exec(ctx, "ROLLBACK"); err != nil {
		conn.Conn().Close(ctx)
	}
}

// publish gives the publisher the events t announced, once t has committed.
func (db *DB) publish(t *txn) {
	for _, payload := range t.events {
		db.publisher.Publish(payload)
	}
}

// notify announces ev on the bus: delivered at commit, and not at all on
// rollback. As with NOTIFY, an event announced twice in one transaction is
// delivered once.
func notify(ctx context.Context, tx *txn, ev chat.Event) error {
	return announce(tx, ev).exec(ctx, tx)
}

// announce is notify for a batch: the NOTIFY to run in tx, or nothing when
// ev goes to the publisher after commit.
func announce(tx *txn, ev chat.Event) statement {
	payload := encodeEvent(ev)
	if tx.publisher == nil {
		return statement{sql: "SELECT pg_notify($1, $2)", args: []any{BusChannel, string(payload)}}
	}
	if !slices.ContainsFunc(tx.events, func(p []byte) bool { return bytes.Equal(p, payload) }) {
		tx.events = append(tx.events, payload)
	}
	return statement{}
}

// Announce tells every instance of ev, which changes nothing stored (someone
// typing): at once, on its own, on the same bus as committed changes. An
// event larger than a NOTIFY may carry is refused.
func (db *DB) Announce(ctx context.Context, ev chat.Event) error {
	payload := encodeEvent(ev)
	if len(payload) > chat.MaxEventBytes {
		return fmt.Errorf("store: announce %s in conversation %d: %d bytes, more than the bus carries", ev.Type, ev.ConversationID, len(payload))
	}
	if db.publisher != nil {
		db.publisher.Publish(payload)
		return nil
	}
	if _, err := db.pool.Exec(ctx, "SELECT pg_notify($1, $2)", BusChannel, string(payload)); err != nil {
		return fmt.Errorf("store: announce %s in conversation %d: %w", ev.Type, ev.ConversationID, err)
	}
	return nil
}

// encodeEvent is ev as the bus carries it: without its Delivery when that
// would make it larger than chat.MaxEventBytes.
func encodeEvent(ev chat.Event) []byte {
	payload, _ := json.Marshal(ev) // numbers, strings and times only: it cannot fail
	if len(payload) > chat.MaxEventBytes && ev.Delivery != nil {
		ev.Delivery = nil
		payload, _ = json.Marshal(ev)
	}
	return payload
}

// mapErr turns database errors into chat's sentinels at the store boundary.
func mapErr(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return chat.ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return fmt.Errorf("%w: %s", chat.ErrConflict, pe.ConstraintName)
	}
	return err
}
