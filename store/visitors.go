package store

// What widget visitors tell about themselves: their name, their browser's
// context, and their rating of a resolved chat.

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/kefu-im/kefu/chat"
)

// CreateVisitorWithin creates an anonymous visitor holding the token that
// hashes to tokenHash, spending one from address's budget b first. When the
// budget is used up it creates nothing and returns a *LimitError.
func (db *DB) CreateVisitorWithin(ctx context.Context, tokenHash []byte, b Budget, address string) (chat.User, error) {
	var u chat.User
	err := db.inTx(ctx, func(tx *txn) error {
		if err := spend(ctx, tx, b, address); err != nil {
			return err
		}
		var err error
		u, err = scanUser(tx.QueryRow(ctx, `INSERT INTO users (kind, visitor_token_hash) VALUES ('visitor', $1) RETURNING `+userColumns, tokenHash))
		return err
	})
	if err != nil {
		return u, fmt.Errorf("store: create visitor: %w", mapErr(err))
	}
	return u, nil
}

// setVisitorDetails records the name and email an anonymous visitor gave
// (an empty one changes nothing); a verified visitor's are their host site's
// to say. The address they write from is kept for a block by address.
func setVisitorDetails(ctx context.Context, q querier, visitorID int64, name, email, addr string) error {
	if name == "" && email == "" && addressArg(addr) == nil {
		return nil
	}
	if email != "" && !chat.ValidEmail(email) {
		return chat.Invalid("email", "error.prechat.emailInvalid")
	}
	_, err := q.Exec(ctx, `UPDATE users SET name = CASE WHEN external_id IS NULL THEN coalesce(nullif($2, ''), name) ELSE name END,
		email = CASE WHEN external_id IS NULL THEN coalesce(nullif($3, ''), email) ELSE email END,
		last_address = coalesce($4::inet, last_address)
		WHERE id = $1 AND kind = 'visitor'`, visitorID, name, email, addressArg(addr))
	return err
}

// RateConversation records the visitor's rating (1–5) and comment of their
// resolved support chat, once per resolution, and tells the agents in a
// private note.
func (db *DB) RateConversation(ctx context.Context, visitorID, id int64, rating int, comment string) error {
	comment, err := chat.ValidateRating(rating, comment)
	if err != nil {
		return err
	}
	err = db.inTx(ctx, func(tx *txn) error {
		var status chat.Status
		var rated *time.Time
		err := tx.QueryRow(ctx, `SELECT status, rated_at FROM conversations WHERE id = $1 AND visitor_id = $2 AND kind = 'support'
			FOR UPDATE`, id, visitorID).Scan(&status, &rated)
		switch {
		case err != nil:
			return err
		case status != chat.Resolved:
			return chat.Invalid("rating", "error.rating.notResolved")
		case rated != nil:
			return chat.Invalid("rating", "error.rating.already")
		}
		if _, err := tx.Exec(ctx, `WITH rated AS (
				UPDATE conversations SET rating = $2, rating_comment = $3, rated_at = now() WHERE id = $1)
			UPDATE past_chats SET rating = $2, rating_comment = $3
			WHERE id = (SELECT id FROM past_chats WHERE conversation_id = $1 ORDER BY end_seq DESC LIMIT 1)`,
			id, rating, comment); err != nil {
			return err
		}
		_, err = insertMessage(ctx, tx, Send{ConversationID: id, Type: chat.Note, Code: chat.NoteRated,
			Args: []string{strconv.Itoa(rating), comment}})
		return err
	})
	if err != nil {
		return fmt.Errorf("store: rate conversation %d: %w", id, mapErr(err))
	}
	return nil
}

// SupportDetails is what the console's sidebar shows of a support chat's visitor.
type SupportDetails struct {
	Visitor  chat.User
	SiteName string
	Context  map[string]string
	Rating   int // 0: not rated
	Comment  string
	Resolved bool
}

// SupportDetailsOf returns support conversation id's details.
func (db *DB) SupportDetailsOf(ctx context.Context, id int64) (SupportDetails, error) {
	var d SupportDetails
	var rating *int16
	var err error
	d.Visitor, err = scanUser(db.pool.QueryRow(ctx, "SELECT "+userColumnsOf("u")+`, coalesce(s.name, ''), c.context, c.rating,
		c.rating_comment, c.status = 'resolved'
		FROM conversations c JOIN users u ON u.id = c.visitor_id LEFT JOIN sites s ON s.id = c.site_id
		WHERE c.id = $1 AND c.kind = 'support'`, id), &d.SiteName, &d.Context, &rating, &d.Comment, &d.Resolved)
	if err != nil {
		return d, fmt.Errorf("store: details of conversation %d: %w", id, mapErr(err))
	}
	if rating != nil {
		d.Rating = int(*rating)
	}
	return d, nil
}

// Unrated reports whether the visitor's support conversation id is resolved and not yet rated.
func (db *DB) Unrated(ctx context.Context, id int64) (bool, error) {
	var unrated bool
	err := db.pool.QueryRow(ctx, `SELECT status = 'resolved' AND rated_at IS NULL FROM conversations WHERE id = $1 AND kind = 'support'`,
		id).Scan(&unrated)
	if err != nil {
		return false, fmt.Errorf("store: rating of conversation %d: %w", id, mapErr(err))
	}
	return unrated, nil
}

// VisitorStatus is what a widget's launcher may know of its visitor while
// the chat is closed: how many messages from others they have not read in
// their conversations, and the newest of them.
type VisitorStatus struct {
	Unread int64
	// From, Text and At are the newest unread message's sender, body and
	// time; From is empty when nothing is unread.
	From string
	Text string
	At   time.Time
	// Type is the newest unread message's: a merged one has no text.
	Type chat.MessageType
}

// StatusOfVisitor returns visitor id's unread count (up to chat.UnreadCap)
// and newest unread message, over the conversations their home lists. A user
// who is not a visitor, or is disabled, is ErrNotFound.
func (db *DB) StatusOfVisitor(ctx context.Context, id int64) (VisitorStatus, error) {
	var st VisitorStatus
	var from, text *string
	var typ *chat.MessageType
	var at *time.Time
	err := db.pool.QueryRow(ctx, `WITH unread AS (
			SELECT m.conversation_id, m.seq, m.sender_id, m.type, m.body, m.created_at
			FROM conversations c
			LEFT JOIN conversation_members cm ON cm.conversation_id = c.id AND cm.user_id = $1
			JOIN messages m ON m.conversation_id = c.id AND m.seq > coalesce(cm.last_read_seq, 0)
			WHERE `+visibleTo+` AND `+visitorsOwn+` AND m.type IN ('text', 'image', 'file', 'merged') AND m.revoked_at IS NULL AND m.sender_id IS DISTINCT FROM $1)
		SELECT (SELECT count(*) FROM (SELECT 1 FROM unread LIMIT $3) capped), display_name(s), n.type, n.body, n.created_at
		FROM users v
		LEFT JOIN LATERAL (SELECT * FROM unread ORDER BY created_at DESC, seq DESC LIMIT 1) n ON true
		LEFT JOIN users s ON s.id = n.sender_id
		WHERE v.id = $1 AND v.kind = 'visitor' AND v.disabled_at IS NULL`, id, false, chat.UnreadCap).Scan(&st.Unread, &from, &typ, &text, &at)
	if err != nil {
		return st, fmt.Errorf("store: status of visitor %d: %w", id, mapErr(err))
	}
	if text != nil {
		st.Text, st.At, st.Type = *text, *at, *typ
		if from != nil {
			st.From = *from
		}
	}
	return st, nil
}
