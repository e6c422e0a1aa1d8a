// Package store holds all of kefu's SQL: store.DB over a pgx pool, one file
// per aggregate, and the migration runner.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// notify announces ev on the bus. Inside a transaction it is delivered at
// commit, and not at all on rollback.
func notify(ctx context.Context, q querier, ev chat.Event) error {
	payload, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	_, err = q.Exec(ctx, "SELECT pg_notify($1, $2)", BusChannel, string(payload))
	return err
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
