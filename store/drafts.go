package store

// Drafts: what a member typed in a conversation's composer and has not
// sent, kept per conversation and member so that it follows them to every
// device. Sending a message from a conversation drops its sender's draft
// there (insertion's statement).

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// SaveDraft keeps body as userID's draft in conversation conversationID,
// replacing the one before; an empty body drops it. The body must already
// be checked (chat.ValidateDraft), and the caller must have checked that
// the member may see the conversation.
func (db *DB) SaveDraft(ctx context.Context, conversationID, userID int64, body string) error {
	var err error
	if body == "" {
		_, err = db.pool.Exec(ctx, `DELETE FROM drafts WHERE conversation_id = $1 AND user_id = $2`, conversationID, userID)
	} else {
		_, err = db.pool.Exec(ctx, `INSERT INTO drafts (conversation_id, user_id, body) VALUES ($1, $2, $3)
			ON CONFLICT (conversation_id, user_id) DO UPDATE SET body = excluded.body, updated_at = now()`,
			conversationID, userID, body)
	}
	if err != nil {
		return fmt.Errorf("store: save the draft of %d in conversation %d: %w", userID, conversationID, err)
	}
	return nil
}

// Draft returns userID's draft in conversation conversationID ("": none).
func (db *DB) Draft(ctx context.Context, conversationID, userID int64) (string, error) {
	var body string
	err := db.pool.QueryRow(ctx, `SELECT body FROM drafts WHERE conversation_id = $1 AND user_id = $2`,
		conversationID, userID).Scan(&body)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("store: the draft of %d in conversation %d: %w", userID, conversationID, err)
	}
	return body, nil
}
