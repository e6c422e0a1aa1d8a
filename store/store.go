// Package store holds all of kefu's SQL: store.DB over a pgx pool, one file
// per aggregate, and the migration runner.
package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	// publisher, when set, carries the events of committed changes in
	// place of NOTIFY.
	publisher Publisher
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

// Open connects to the database at url and checks it answers.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: parse database url: %w", err)
	}
	cfg.MaxConnIdleTime = 5 * time.Minute
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	return &DB{pool: pool}, nil
}

// Close closes every connection.
func (db *DB) Close() { db.pool.Close() }

// Pool is the underlying pool, for the session store.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Ping checks the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.pool.Ping(ctx) }

// WithPublisher returns a DB on the same pool that announces each committed
// change through p, once the change has committed, instead of by NOTIFY
// inside its transaction.
func (db *DB) WithPublisher(p Publisher) *DB { return &DB{pool: db.pool, publisher: p} }

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
		for _, payload := range t.events {
			db.publisher.Publish(payload)
		}
	}
	return err
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

// encodeEvent is ev as the bus carries it.
func encodeEvent(ev chat.Event) []byte {
	payload, _ := json.Marshal(ev) // numbers and strings only: it cannot fail
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
