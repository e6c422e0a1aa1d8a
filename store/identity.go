package store

// Verified visitors: users a host site vouches for, by its id for them.

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

// upsertExternalUser returns the verified visitor (site, external id),
// creating them on first sight and taking the newest name, email and avatar.
func upsertExternalUser(ctx context.Context, q querier, e chat.ExternalUser) (chat.User, error) {
	if err := e.Validate(); err != nil {
		return chat.User{}, err
	}
	var site *int64
	if e.SiteID != 0 {
		site = &e.SiteID
	}
	var email *string
	if e.Email != "" {
		email = &e.Email
	}
	return scanUser(q.QueryRow(ctx, `INSERT INTO users (kind, site_id, external_id, name, email, avatar)
		VALUES ('visitor', $1, $2, $3, $4, $5)
		ON CONFLICT (coalesce(site_id, 0), external_id) WHERE external_id IS NOT NULL
		DO UPDATE SET name = excluded.name, email = excluded.email, avatar = excluded.avatar
		RETURNING `+userColumns, site, e.ExternalID, e.Name, email, e.Avatar))
}

// UpsertExternalUser creates or updates the verified visitor e.
func (db *DB) UpsertExternalUser(ctx context.Context, e chat.ExternalUser) (chat.User, error) {
	u, err := upsertExternalUser(ctx, db.pool, e)
	if err != nil {
		return u, fmt.Errorf("store: upsert external user: %w", mapErr(err))
	}
	return u, nil
}

// ExternalUserByID returns the verified visitor (siteID, externalID).
func (db *DB) ExternalUserByID(ctx context.Context, siteID int64, externalID string) (chat.User, error) {
	u, err := scanUser(db.pool.QueryRow(ctx, "SELECT "+userColumns+
		" FROM users WHERE coalesce(site_id, 0) = $1 AND external_id = $2", siteID, externalID))
	if err != nil {
		return u, fmt.Errorf("store: external user: %w", mapErr(err))
	}
	return u, nil
}

// Identify exchanges a verified identity for a widget session: the visitor
// (siteID, e.ExternalID) is created on first sight, tokenHash becomes theirs
// until expires, and the anonymous visitor anonID (0: none) hands over their
// conversations and is retired, so the chat goes on under the verified name.
func (db *DB) Identify(ctx context.Context, e chat.ExternalUser, tokenHash []byte, expires time.Time, anonID int64) (chat.User, error) {
	var u chat.User
	err := db.inTx(ctx, func(tx *txn) error {
		var err error
		if u, err = upsertExternalUser(ctx, tx, e); err != nil {
			return err
		}
		if u.Disabled() {
			return chat.ErrUnauthorized
		}
		if _, err := tx.Exec(ctx, "INSERT INTO visitor_tokens (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
			tokenHash, u.ID, expires); err != nil {
			return err
		}
		if anonID == 0 || anonID == u.ID {
			return nil
		}
		return carryOver(ctx, tx, anonID, u.ID)
	})
	if err != nil {
		return u, fmt.Errorf("store: identify %q of site %d: %w", e.ExternalID, e.SiteID, mapErr(err))
	}
	return u, nil
}

// carryOver moves anonymous visitor anon's conversations to the verified
// visitor to, then retires anon. A support chat moves unless to has an open
// one already (that one goes on); a direct conversation moves unless to has
// one with the same person.
func carryOver(ctx context.Context, tx *txn, anon, to int64) error {
	var anonymous bool
	err := tx.QueryRow(ctx, `SELECT external_id IS NULL FROM users WHERE id = $1 AND kind = 'visitor' FOR UPDATE`, anon).Scan(&anonymous)
	if err == pgx.ErrNoRows || (err == nil && !anonymous) {
		return nil // not an anonymous visitor: nothing of theirs to take
	}
	if err != nil {
		return err
	}
	// One open support chat per visitor: when the verified visitor has one
	// already, the anonymous one is resolved, saying where the chat goes on,
	// and moves with the visitor's history.
	var open, stays int64
	err = tx.QueryRow(ctx, `SELECT
		coalesce((SELECT id FROM conversations WHERE visitor_id = $1 AND kind = 'support' AND status <> 'resolved'), 0),
		coalesce((SELECT id FROM conversations WHERE visitor_id = $2 AND kind = 'support' AND status <> 'resolved'), 0)`,
		anon, to).Scan(&open, &stays)
	if err != nil {
		return err
	}
	if open != 0 && stays != 0 {
		if _, err := tx.Exec(ctx, `UPDATE conversations SET status = 'resolved', resolved_at = now() WHERE id = $1`, open); err != nil {
			return err
		}
		if err := systemLine(ctx, tx, open, chat.LineVisitorSignedIn, strconv.FormatInt(stays, 10)); err != nil {
			return err
		}
		if err := keepRound(ctx, tx, open); err != nil {
			return err
		}
		if err := notify(ctx, tx, chat.Event{Type: chat.EventQueue, ConversationID: open}); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, "UPDATE past_chats SET visitor_id = $2 WHERE visitor_id = $1", anon, to); err != nil {
		return err
	}
	var moved []int64
	rows, err := tx.Query(ctx, `UPDATE conversations c SET visitor_id = $2 WHERE c.visitor_id = $1 AND c.kind = 'support'
		RETURNING c.id`, anon, to)
	if err != nil {
		return err
	}
	if moved, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
		return err
	}
	// Direct conversations: their key names both people.
	rows, err = tx.Query(ctx, `SELECT c.id, m.user_id FROM conversations c
		JOIN conversation_members m ON m.conversation_id = c.id AND m.user_id <> $1
		JOIN conversation_members a ON a.conversation_id = c.id AND a.user_id = $1
		WHERE c.kind = 'direct'`, anon)
	if err != nil {
		return err
	}
	type direct struct{ id, other int64 }
	directs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[direct])
	if err != nil {
		return err
	}
	for _, d := range directs {
		tag, err := tx.Exec(ctx, `UPDATE conversations SET direct_key = $2 WHERE id = $1
			AND NOT EXISTS (SELECT 1 FROM conversations WHERE direct_key = $2)`, d.id, directKey(to, d.other))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			moved = append(moved, d.id)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE conversation_members SET user_id = $2 WHERE user_id = $1 AND conversation_id = ANY($3)`,
		anon, to, moved); err != nil {
		return err
	}
	// A message keeps its client id unless the verified visitor sent one
	// with the same id (each device numbering its own): a resend needs it
	// only from the session that sent it, which ends here.
	if _, err := tx.Exec(ctx, `UPDATE messages m SET sender_id = $2, client_msg_id = CASE WHEN EXISTS (
			SELECT 1 FROM messages o WHERE o.sender_id = $2 AND o.client_msg_id = m.client_msg_id) THEN NULL ELSE m.client_msg_id END
		WHERE m.sender_id = $1 AND m.conversation_id = ANY($3)`,
		anon, to, moved); err != nil {
		return err
	}
	// The anonymous token stops working: the widget now holds the verified session.
	if _, err := tx.Exec(ctx, "UPDATE users SET disabled_at = now() WHERE id = $1", anon); err != nil {
		return err
	}
	for _, id := range moved {
		if err := notify(ctx, tx, chat.Event{Type: chat.EventMembers, ConversationID: id, UserID: to}); err != nil {
			return err
		}
	}
	return nil
}
