package store

import (
	"context"
	"fmt"
	"time"

	"github.com/kefu-im/kefu/chat"
)

// LoginLimits bound sign-in attempts over Window: PerAccount for one email,
// PerAddress from one client address.
type LoginLimits struct {
	Window     time.Duration
	PerAccount int
	PerAddress int
}

// Advisory lock classes (the first key of pg_advisory_xact_lock's two-key
// form): sign-in attempts on one account, and from one address, take turns.
const (
	loginAccountLock = 0x6b6c0001
	loginAddressLock = 0x6b6c0002
)

// ReserveLoginAttempt records a sign-in attempt for email from address
// before its password is checked, or, when the account or the address has
// used up its attempts within the window, records nothing and returns a
// *LimitError. Attempts on one account and from one address wait for each
// other on transaction-scoped locks, so counting and recording are one
// step: attempts sent in parallel cannot all slip under the limit. A
// successful sign-in then takes its account's attempts back
// (ClearLoginFailures); the rest stay as failures.
func (db *DB) ReserveLoginAttempt(ctx context.Context, email, address string, l LoginLimits) error {
	err := db.inTx(ctx, func(tx *txn) error {
		// Always the account first, then the address, so two attempts never wait for each other in a circle.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, hashtext(lower($2)))", loginAccountLock, email); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, hashtext($2))", loginAddressLock, address); err != nil {
			return err
		}
		// A new statement sees every attempt committed before the locks were granted.
		var byAccount, byAddress int
		var accountWait, addressWait float64
		err := tx.QueryRow(ctx, `SELECT
			count(*) FILTER (WHERE lower(email) = lower($1)),
			count(*) FILTER (WHERE address = $2),
			coalesce(extract(epoch FROM min(created_at) FILTER (WHERE lower(email) = lower($1)) + $3 * interval '1 second' - clock_timestamp()), 0),
			coalesce(extract(epoch FROM min(created_at) FILTER (WHERE address = $2) + $3 * interval '1 second' - clock_timestamp()), 0)
			FROM login_failures
			WHERE created_at >= clock_timestamp() - $3 * interval '1 second' AND (lower(email) = lower($1) OR address = $2)`,
			email, address, l.Window.Seconds()).Scan(&byAccount, &byAddress, &accountWait, &addressWait)
		switch {
		case err != nil:
			return err
		case byAccount >= l.PerAccount:
			// The oldest attempt leaving the window makes room for one more.
			return &LimitError{What: "sign-ins to one account", RetryAfter: secondsLeft(accountWait)}
		case byAddress >= l.PerAddress:
			return &LimitError{What: "sign-ins from one address", RetryAfter: secondsLeft(addressWait)}
		}
		_, err = tx.Exec(ctx, "INSERT INTO login_failures (email, address, created_at) VALUES ($1, $2, clock_timestamp())", email, address)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: reserve sign-in attempt: %w", err)
	}
	return nil
}

// ClearLoginFailures forgets an account's attempts after it signs in.
func (db *DB) ClearLoginFailures(ctx context.Context, email string) error {
	if _, err := db.pool.Exec(ctx, "DELETE FROM login_failures WHERE lower(email) = lower($1)", email); err != nil {
		return fmt.Errorf("store: clear login failures: %w", err)
	}
	return nil
}

// EndSession deletes the session with token, signed in as userID, and
// announces it, in one transaction: every instance closes the sockets that
// session opened, and only those.
func (db *DB) EndSession(ctx context.Context, userID int64, token string) error {
	if token == "" {
		return nil
	}
	err := db.inTx(ctx, func(tx *txn) error {
		if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE token = $1", token); err != nil {
			return err
		}
		if userID == 0 {
			return nil // nobody was signed in: no socket to close
		}
		return notify(ctx, tx, chat.Event{Type: chat.EventSessionEnded, UserID: userID, Session: chat.SessionKey(token)})
	})
	if err != nil {
		return fmt.Errorf("store: end session: %w", err)
	}
	return nil
}

// SessionLive reports whether the session with token still holds: it
// exists and has not expired (scs keeps the earlier of its idle and
// absolute deadlines as expiry).
func (db *DB) SessionLive(ctx context.Context, token string) (bool, error) {
	var live bool
	err := db.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM sessions WHERE token = $1 AND expiry > now())", token).Scan(&live)
	if err != nil {
		return false, fmt.Errorf("store: session live: %w", err)
	}
	return live, nil
}

// idleVisitorsKept is how long an anonymous visitor who never wrote
// anything is kept, and purgeBatch how many of them one purge deletes.
const (
	idleVisitorsKept = 7 * 24 * time.Hour
	purgeBatch       = 500
)

// PurgeExpired deletes expired sessions, visitor tokens and request
// budgets, sign-in failures older than a day, and anonymous visitors who
// wrote nothing and are more than a week old (the oldest first, at most
// purgeBatch of them, so that a purge stays short; the next purge goes on).
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
	if _, err := db.pool.Exec(ctx, "DELETE FROM rate_budgets WHERE resets_at < now()"); err != nil {
		return fmt.Errorf("store: purge budgets: %w", err)
	}
	// Visitors are created before their first message is stored; one who
	// never wrote (the message was refused, or the token was only asked
	// for) is not in any conversation. users_anonymous_idx walks them
	// oldest first.
	_, err := db.pool.Exec(ctx, `DELETE FROM users WHERE id IN (
		SELECT u.id FROM users u
		WHERE u.kind = 'visitor' AND u.external_id IS NULL
			AND u.created_at < now() - $1 * interval '1 second'
			AND NOT EXISTS (SELECT 1 FROM conversation_members m WHERE m.user_id = u.id)
			AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.visitor_id = u.id)
			AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.sender_id = u.id)
		ORDER BY u.created_at LIMIT $2)`, idleVisitorsKept.Seconds(), purgeBatch)
	if err != nil {
		return fmt.Errorf("store: purge idle visitors: %w", err)
	}
	return nil
}
