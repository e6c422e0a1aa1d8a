package store

// Transcripts by email: a support conversation, whole, asked for by its
// visitor once it is resolved, or by an agent for the visitor or for
// themselves. The request is a row of the mail outbox, inserted in its own
// transaction; the messages are read when the email is written.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

// TranscriptAgain is how long after asking for a conversation's transcript
// the same recipient's next request is taken as a repeat, and sends
// nothing more: a double click, a visitor asking over and over.
const TranscriptAgain = 10 * time.Minute

// Transcript asks for a support conversation's transcript by email.
type Transcript struct {
	ConversationID int64
	// By is who asks: the conversation's visitor, or an agent.
	By chat.Viewer
	// ToMe: an agent wants it at their own address, not the visitor's.
	ToMe bool
	// Email is the address a visitor with none on record gives ("": none).
	Email string
}

// RequestTranscript queues t's email, and reports whether it did: false
// when the same transcript was asked for within TranscriptAgain, or still
// waits. A visitor asks for their own conversation once it is resolved,
// and an address they give becomes theirs when they had none (as the
// pre-chat form's would). An agent may ask for any support conversation
// they may see; the visitor's copy needs the visitor's address, and their
// not having unsubscribed. Refusals change nothing: chat.ErrMailOff,
// chat.ErrNoAddress, chat.ErrUnsubscribed, chat.ErrOpen (a visitor's chat
// not resolved), chat.ErrNotFound (not theirs to see), and a
// chat.ValidationError for a visitor's missing or bad address.
func (db *DB) RequestTranscript(ctx context.Context, t Transcript) (bool, error) {
	var queued bool
	err := db.inTx(ctx, func(tx *txn) error {
		var on bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM settings WHERE key = $1)", SettingMailQuiet).Scan(&on); err != nil {
			return err
		}
		if !on {
			return chat.ErrMailOff
		}
		c, err := scanConversation(tx.QueryRow(ctx, "SELECT "+conversationColumns+" FROM conversations c WHERE "+visibleTo+
			" AND c.id = $3 FOR SHARE", t.By.UserID, t.By.IsAgent, t.ConversationID))
		if err != nil {
			return mapErr(err)
		}
		if c.Kind != chat.Support {
			return chat.ErrNotFound
		}
		var memberID *int64
		switch {
		case c.VisitorID == t.By.UserID:
			if c.Status != chat.Resolved {
				return chat.ErrOpen
			}
			if err := giveTranscriptAddress(ctx, tx, t.By.UserID, t.Email); err != nil {
				return err
			}
		case !t.By.IsAgent:
			return chat.ErrNotFound
		case t.ToMe:
			memberID = &t.By.UserID
		default:
			var email string
			var off, bounced bool
			if err := tx.QueryRow(ctx, `SELECT coalesce(email, ''), mail_unsubscribed_at IS NOT NULL,
					coalesce(mail_bounced = lower(email), false) FROM users WHERE id = $1`,
				c.VisitorID).Scan(&email, &off, &bounced); err != nil {
				return err
			}
			switch {
			case email == "":
				return chat.ErrNoAddress
			case off:
				return chat.ErrUnsubscribed
			case bounced:
				return chat.ErrBounced
			}
		}
		err = tx.QueryRow(ctx, `INSERT INTO mail_outbox (kind, conversation_id, visitor_id, member_id, from_seq, to_seq, not_before, next_attempt_at)
			SELECT 'transcript', c.id, c.visitor_id, $2, 1, c.last_seq, now(), now() FROM conversations c
			WHERE c.id = $1 AND NOT EXISTS (SELECT 1 FROM mail_outbox x WHERE x.kind = 'transcript' AND x.conversation_id = $1
				AND x.member_id IS NOT DISTINCT FROM $2 AND x.created_at > now() - $3 * interval '1 millisecond')
			ON CONFLICT (conversation_id, coalesce(member_id, 0)) WHERE sent_at IS NULL AND cancelled_at IS NULL AND kind = 'transcript'
			DO NOTHING
			RETURNING true`, c.ID, memberID, TranscriptAgain.Milliseconds()).Scan(&queued)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: transcript of conversation %d for user %d: %w", t.ConversationID, t.By.UserID, err)
	}
	return queued, nil
}

// giveTranscriptAddress makes sure visitorID has an address for their
// transcript: the one on record, else (none, or it bounced for good)
// email, which becomes theirs.
func giveTranscriptAddress(ctx context.Context, tx *txn, visitorID int64, email string) error {
	var onRecord string
	var bounced bool
	if err := tx.QueryRow(ctx, "SELECT coalesce(email, ''), coalesce(mail_bounced = lower(email), false) FROM users WHERE id = $1 FOR UPDATE",
		visitorID).Scan(&onRecord, &bounced); err != nil {
		return err
	}
	switch {
	case onRecord != "" && !bounced:
		return nil
	case email == "":
		return chat.Invalid("email", "mail.transcript.needAddress")
	case !chat.ValidEmail(email):
		return chat.Invalid("email", "mail.transcript.badAddress")
	}
	_, err := tx.Exec(ctx, "UPDATE users SET email = $2 WHERE id = $1", visitorID, email)
	return err
}
