package store

// Email coming back to kefu: who may reply by email to a conversation, and
// the bounces that delivery status notifications report after an email was
// sent.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

// MailReplier is the visitor whose email replies a conversation takes.
type MailReplier struct {
	ConversationID int64
	VisitorID      int64
	// Email is the visitor's address now ("": none).
	Email string
	// Disabled: the visitor was disabled, and may not write.
	Disabled bool
}

// MailReplier returns the visitor of support conversation id:
// chat.ErrNotFound for any other conversation, or none.
func (db *DB) MailReplier(ctx context.Context, id int64) (MailReplier, error) {
	r := MailReplier{ConversationID: id}
	if err := db.pool.QueryRow(ctx, `SELECT v.id, coalesce(v.email, ''), v.disabled_at IS NOT NULL
		FROM conversations c JOIN users v ON v.id = c.visitor_id AND v.kind = 'visitor'
		WHERE c.id = $1 AND c.kind = 'support'`, id).Scan(&r.VisitorID, &r.Email, &r.Disabled); err != nil {
		return r, fmt.Errorf("store: email replier of conversation %d: %w", id, mapErr(err))
	}
	return r, nil
}

// Bounce is what a delivery status notification says of an email kefu sent.
type Bounce struct {
	MailID int64
	// Status is the SMTP reply code the report quotes (0: none).
	Status int
	// Error is the report's status and diagnostic, for the admin page.
	Error string
	// Permanent: the address will not work (a 5.x.x status), rather than
	// the server having given up on a passing failure.
	Permanent bool
	// Recipient is the address the report names ("": none).
	Recipient string
	At        time.Time
}

// ErrNotSentYet is a bounce of an email whose sending is not recorded yet:
// the report overtook the worker's record, and should come again shortly.
var ErrNotSentYet = errors.New("store: the email is not recorded as sent yet")

// MailBounced records bounce b of an email that was sent: it is failed, with
// the report's words, for the admin page. A permanent bounce of the
// recipient's address as it still stands stops their email (pending ones are
// cancelled, no new ones enqueued) until they give another address. The
// email is chat.ErrNotFound when purged, ErrNotSentYet before it is
// recorded as sent.
func (db *DB) MailBounced(ctx context.Context, b Bounce) error {
	err := db.inTx(ctx, func(tx *txn) error {
		var recipientID int64
		var sent bool
		err := tx.QueryRow(ctx, `SELECT coalesce(member_id, visitor_id), sent_at IS NOT NULL FROM mail_outbox WHERE id = $1 FOR UPDATE`,
			b.MailID).Scan(&recipientID, &sent)
		if err != nil {
			return err
		}
		if !sent {
			return ErrNotSentYet
		}
		if _, err := tx.Exec(ctx, `UPDATE mail_outbox SET failed = true, bounced_at = coalesce(bounced_at, $2),
			status = $3, last_error = $4 WHERE id = $1`, b.MailID, b.At, b.Status, clipError(b.Error)); err != nil {
			return err
		}
		if !b.Permanent || b.Recipient == "" {
			return nil
		}
		tag, err := tx.Exec(ctx, `UPDATE users SET mail_bounced = lower($2) WHERE id = $1 AND lower(email) = lower($2)`,
			recipientID, b.Recipient)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE mail_outbox SET cancelled_at = $2, last_error = 'the address bounced'
			WHERE coalesce(member_id, visitor_id) = $1 AND sent_at IS NULL AND cancelled_at IS NULL`, recipientID, b.At)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		err = chat.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store: bounce of email %d: %w", b.MailID, err)
	}
	return nil
}
