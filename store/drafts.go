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

	"github.com/kefu-im/kefu/chat"
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

// FillValues returns what canned responses' placeholders stand for in
// conversation id, but the agent's name, which the caller knows: its
// visitor's name and email and its site's name, each "" when there is none.
func (db *DB) FillValues(ctx context.Context, id int64) (chat.FillValues, error) {
	var v chat.FillValues
	err := db.pool.QueryRow(ctx, `SELECT coalesce(u.name, ''), coalesce(u.email, ''), coalesce(s.name, '')
		FROM conversations c LEFT JOIN users u ON u.id = c.visitor_id LEFT JOIN sites s ON s.id = c.site_id
		WHERE c.id = $1`, id).Scan(&v.VisitorName, &v.VisitorEmail, &v.SiteName)
	if err != nil {
		return v, fmt.Errorf("store: placeholders of conversation %d: %w", id, mapErr(err))
	}
	return v, nil
}
