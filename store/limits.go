package store

import (
	"context"
	"fmt"
	"time"

	"github.com/kefu-im/kefu/chat"
)

// LimitError refuses a request because a limit was reached. RetryAfter is
// when trying again may succeed. It wraps chat.ErrRateLimited.
type LimitError struct {
	What       string
	RetryAfter time.Duration
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s: limit reached, retry after %s", e.What, e.RetryAfter)
}

func (e *LimitError) Unwrap() error { return chat.ErrRateLimited }

// secondsLeft turns a number of seconds the database computed into a wait
// of at least one second.
func secondsLeft(s float64) time.Duration {
	return max(time.Duration(s*float64(time.Second)).Round(time.Second), time.Second)
}

// Budget is a number of requests allowed per window, counted per key (a
// client address) under Name.
type Budget struct {
	Name   string
	Limit  int
	Window time.Duration
}

// SpendBudget takes one request from key's budget b, or returns a
// *LimitError when the window's budget is used up.
func (db *DB) SpendBudget(ctx context.Context, b Budget, key string) error {
	if err := spend(ctx, db.pool, b, key); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// spend takes one request from key's budget b in one statement: the
// budget's row is locked by the upsert, so requests arriving at once on any
// instance are counted one after another. A window that has ended starts
// over. The count stops at one past the limit.
func spend(ctx context.Context, q querier, b Budget, key string) error {
	var used int
	var left float64
	err := q.QueryRow(ctx, `INSERT INTO rate_budgets AS b (name, key, used, resets_at)
		VALUES ($1, $2, 1, now() + $3 * interval '1 second')
		ON CONFLICT (name, key) DO UPDATE SET
			used = CASE WHEN b.resets_at <= now() THEN 1 ELSE least(b.used + 1, $4 + 1) END,
			resets_at = CASE WHEN b.resets_at <= now() THEN now() + $3 * interval '1 second' ELSE b.resets_at END
		RETURNING used, extract(epoch FROM resets_at - now())`,
		b.Name, key, b.Window.Seconds(), b.Limit).Scan(&used, &left)
	if err != nil {
		return fmt.Errorf("spend from budget %s: %w", b.Name, err)
	}
	if used > b.Limit {
		return &LimitError{What: b.Name, RetryAfter: secondsLeft(left)}
	}
	return nil
}
