package store

// What the admin pages read and change: members, passwords, the audit log.

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

// userSubject is how the audit log names a user.
func userSubject(id int64) string { return "user " + strconv.FormatInt(id, 10) }

// Member is a member as the admin pages list them.
type Member struct {
	chat.User
	// Capacity is the open chats they may have as an agent; nil until they
	// have a routing profile.
	Capacity *int
}

// Members returns every member (not visitors) whose name or email contains
// q, ignoring case; all of them when q is empty. They come by name.
func (db *DB) Members(ctx context.Context, q string) ([]Member, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+userColumnsOf("u")+`, a.capacity
		FROM users u LEFT JOIN agents a ON a.user_id = u.id
		WHERE u.kind = 'member'
		AND ($1 = '' OR strpos(lower(u.name), lower($1)) > 0 OR strpos(lower(u.email), lower($1)) > 0)
		ORDER BY lower(display_name(u)), u.id`, q)
	if err != nil {
		return nil, fmt.Errorf("store: members: %w", err)
	}
	members, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Member, error) {
		var m Member
		err := r.Scan(append(userFields(&m.User), &m.Capacity)...)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: members: %w", err)
	}
	return members, nil
}

// ResetPassword gives member userID a new password hash, recording actorID
// (0: none) in the audit log. It bumps their session epoch, so every
// session signed in before it stops working, and forgets the account's
// failed sign-ins, so the new password works at once (an address's own
// failures, for other accounts, stay).
func (db *DB) ResetPassword(ctx context.Context, actorID, userID int64, hash string) error {
	if hash == "" {
		return fmt.Errorf("store: reset password of user %d: empty hash", userID)
	}
	err := db.inTx(ctx, func(tx *txn) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2, session_epoch = session_epoch + 1
			WHERE id = $1 AND kind = 'member'`, userID, hash)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return chat.ErrNotFound
		}
		// The account's failures, whatever address they came from; an
		// address that tried other accounts is still held back.
		if _, err := tx.Exec(ctx, `DELETE FROM login_failures f USING users u
			WHERE u.id = $1 AND lower(f.email) = lower(u.email)`, userID); err != nil {
			return err
		}
		if err := audit(ctx, tx, actorRef(actorID), "user.password_reset", userSubject(userID), nil, nil); err != nil {
			return err
		}
		if actorID == userID {
			return nil // an admin resetting their own password stays signed in where they did it
		}
		return notify(ctx, tx, chat.Event{Type: chat.EventSignedOut, UserID: userID})
	})
	if err != nil {
		return fmt.Errorf("store: reset password of user %d: %w", userID, mapErr(err))
	}
	return nil
}

// AuditEntry is one change in the audit log.
type AuditEntry struct {
	ID int64     `db:"id"`
	At time.Time `db:"created_at"`
	// ActorID is who made the change; nil for the command line or kefu itself.
	ActorID   *int64 `db:"actor_id"`
	ActorName string `db:"actor_name"`
	Action    string `db:"action"`
	Subject   string `db:"subject"`
	// SubjectName is the name of the user a "user <id>" subject names, if any.
	SubjectName string `db:"subject_name"`
	// Old and New are the values as JSON; nil for none.
	Old json.RawMessage `db:"old_value"`
	New json.RawMessage `db:"new_value"`
}

// AuditLog returns up to limit changes older than the entry before (0: the
// newest), newest first, and whether there are older ones.
func (db *DB) AuditLog(ctx context.Context, before int64, limit int) ([]AuditEntry, bool, error) {
	rows, err := db.pool.Query(ctx, `SELECT l.id, l.created_at, l.actor_id,
		display_name(a) AS actor_name, l.action, l.subject,
		display_name(s) AS subject_name, l.old_value, l.new_value
		FROM audit_log l
		LEFT JOIN users a ON a.id = l.actor_id
		LEFT JOIN users s ON s.id = CASE WHEN l.subject ~ '^user [0-9]{1,18}$' THEN substr(l.subject, 6)::bigint END
		WHERE $1::bigint = 0 OR l.id < $1
		ORDER BY l.id DESC
		LIMIT $2`, before, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("store: audit log: %w", err)
	}
	entries, err := pgx.CollectRows(rows, pgx.RowToStructByName[AuditEntry])
	if err != nil {
		return nil, false, fmt.Errorf("store: audit log: %w", err)
	}
	if len(entries) > limit {
		return entries[:limit], true, nil
	}
	return entries, false, nil
}
