package store

import (
	"context"
	"fmt"
	"time"
)

// LoginFailures counts failed sign-ins since since, for the account and for the address.
func (db *DB) LoginFailures(ctx context.Context, email, address string, since time.Time) (byEmail, byAddress int, err error) {
	err = db.pool.QueryRow(ctx, `SELECT
		count(*) FILTER (WHERE lower(email) = lower($1)),
		count(*) FILTER (WHERE address = $2)
		FROM login_failures WHERE created_at >= $3 AND (lower(email) = lower($1) OR address = $2)`,
		email, address, since).Scan(&byEmail, &byAddress)
	if err != nil {
		return 0, 0, fmt.Errorf("store: login failures: %w", err)
	}
	return byEmail, byAddress, nil
}

// RecordLoginFailure notes a failed sign-in.
func (db *DB) RecordLoginFailure(ctx context.Context, email, address string) error {
	_, err := db.pool.Exec(ctx, "INSERT INTO login_failures (email, address) VALUES ($1, $2)", email, address)
	if err != nil {
		return fmt.Errorf("store: record login failure: %w", err)
	}
	return nil
}

// ClearLoginFailures forgets an account's failures after it signs in.
func (db *DB) ClearLoginFailures(ctx context.Context, email string) error {
	if _, err := db.pool.Exec(ctx, "DELETE FROM login_failures WHERE lower(email) = lower($1)", email); err != nil {
		return fmt.Errorf("store: clear login failures: %w", err)
	}
	return nil
}

// PurgeExpired deletes expired sessions and sign-in failures older than a day.
func (db *DB) PurgeExpired(ctx context.Context) error {
	if _, err := db.pool.Exec(ctx, "DELETE FROM sessions WHERE expiry < now()"); err != nil {
		return fmt.Errorf("store: purge sessions: %w", err)
	}
	if _, err := db.pool.Exec(ctx, "DELETE FROM login_failures WHERE created_at < now() - interval '1 day'"); err != nil {
		return fmt.Errorf("store: purge login failures: %w", err)
	}
	if _, err := db.pool.Exec(ctx, "DELETE FROM visitor_tokens WHERE expires_at < now()"); err != nil {
		return fmt.Errorf("store: purge visitor tokens: %w", err)
	}
	return nil
}
