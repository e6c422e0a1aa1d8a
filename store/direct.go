package store

// Direct conversations: one per pair of users, started under the
// conversation_grade policy.

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

func directKey(a, b int64) string {
	return fmt.Sprintf("%d:%d", min(a, b), max(a, b))
}

// errNotContactable: the person asked for does not exist, is disabled, or is a visitor.
var errNotContactable = chat.Invalid("to", "error.direct.notContactable")

// contactable checks that to is a member who may be contacted by from.
func contactable(ctx context.Context, q querier, from, to int64) error {
	if from == to {
		return chat.Invalid("to", "error.direct.self")
	}
	u, err := scanUser(q.QueryRow(ctx, "SELECT "+userColumns+" FROM users WHERE id = $1", to))
	if err == pgx.ErrNoRows || (err == nil && (u.Kind != chat.KindMember || u.Disabled())) {
		return errNotContactable
	}
	return err
}

// startDirect returns the direct conversation of from and to, creating it
// when the policy lets from start it. An existing one is not re-checked
// here: every message in it is (see maySend).
func startDirect(ctx context.Context, tx *txn, from, to int64) (int64, error) {
	if err := contactable(ctx, tx, from, to); err != nil {
		return 0, err
	}
	if err := notBlocked(ctx, tx, from, to); err != nil {
		return 0, err
	}
	key := directKey(from, to)
	var id int64
	err := tx.QueryRow(ctx, "SELECT id FROM conversations WHERE direct_key = $1", key).Scan(&id)
	if err == nil {
		return id, nil
	}
	if err != pgx.ErrNoRows {
		return 0, err
	}
	if err := mayStart(ctx, tx, from, to); err != nil {
		return 0, err
	}
	// Two people starting it at once meet at the unique key.
	err = tx.QueryRow(ctx, `INSERT INTO conversations (kind, status, direct_key) VALUES ('direct', 'assigned', $1)
		ON CONFLICT (direct_key) WHERE direct_key IS NOT NULL DO NOTHING RETURNING id`, key).Scan(&id)
	if err == pgx.ErrNoRows {
		return id, tx.QueryRow(ctx, "SELECT id FROM conversations WHERE direct_key = $1", key).Scan(&id)
	}
	if err != nil {
		return 0, err
	}
	_, err = tx.Exec(ctx, `INSERT INTO conversation_members (conversation_id, user_id) VALUES ($1, $2), ($1, $3)`, id, from, to)
	return id, err
}

// StartDirect returns the direct conversation between from and to, starting
// it if the conversation_grade policy allows; a refusal is a
// *chat.RefusedError and stores nothing.
func (db *DB) StartDirect(ctx context.Context, from, to int64) (chat.Conversation, error) {
	var c chat.Conversation
	err := db.inTx(ctx, func(tx *txn) error {
		id, err := startDirect(ctx, tx, from, to)
		if err != nil {
			return err
		}
		c, err = scanConversation(tx.QueryRow(ctx, "SELECT "+conversationColumns+" FROM conversations c WHERE c.id = $1", id))
		return err
	})
	if err != nil {
		return c, fmt.Errorf("store: start conversation of %d with %d: %w", from, to, mapErr(err))
	}
	return c, nil
}

// SendDirect stores s in the direct conversation between its sender and to,
// starting the conversation if the policy allows: "contact the author" from
// the widget, when the author is not customer service.
func (db *DB) SendDirect(ctx context.Context, s Send, to int64) (msg chat.Message, created bool, err error) {
	err = db.inTx(ctx, func(tx *txn) error {
		s := s // the conversation found here is not what sent checks a resend against
		if err := checkVisitor(ctx, tx, s.SenderID, s.Address); err != nil {
			return err
		}
		if s.ConversationID, err = startDirect(ctx, tx, s.SenderID, to); err != nil {
			return err
		}
		if err := db.maySend(ctx, tx, &s); err != nil {
			return err
		}
		msg, err = insertUnblocked(ctx, tx, s)
		return err
	})
	return db.sent(ctx, s, msg, err)
}

// DirectConversation returns the direct conversation between a and b.
func (db *DB) DirectConversation(ctx context.Context, a, b int64) (chat.Conversation, error) {
	c, err := scanConversation(db.pool.QueryRow(ctx, "SELECT "+conversationColumns+
		" FROM conversations c WHERE c.direct_key = $1", directKey(a, b)))
	if err != nil {
		return c, fmt.Errorf("store: conversation of %d with %d: %w", a, b, mapErr(err))
	}
	return c, nil
}
