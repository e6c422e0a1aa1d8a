package store

import (
	"context"
	"fmt"
	"time"

	"github.com/kefu-im/kefu/chat"
)

// messageRevoked is message.revoked's data.
type messageRevoked struct {
	ConversationID int64     `json:"conversation_id"`
	MessageID      int64     `json:"message_id"`
	Seq            int64     `json:"seq"`
	SenderID       int64     `json:"sender_id"`
	RevokedBy      int64     `json:"revoked_by"`
	RevokedAt      time.Time `json:"revoked_at"`
}

// Revoke revokes message id of conversation conversationID for viewer v at now, as chat.MayRevoke
// decides, in one transaction: the message's text leaves its live columns
// (body, args, code and forwarded), revoked_at and revoked_by say when and
// by whom, a pin of it is taken off its group's top (with the line an
// unpin writes, so that consoles show the top as it now stands), and its
// webhook deliveries, the push that replaces a
// notification already shown, and chat.EventRevoked go out at commit. A
// message in a conversation v may not see, or one they are not shown (a
// note, to a visitor or a member), is chat.ErrNotFound. It returns the
// message as it now stands.
func (db *DB) Revoke(ctx context.Context, conversationID, id int64, v chat.Viewer, now time.Time) (chat.Message, error) {
	var msg chat.Message
	err := db.inTx(ctx, func(tx *txn) error {
		var kind chat.ConversationKind
		var role chat.Role
		var admin bool
		var err error
		msg, err = scanMessage(tx.QueryRow(ctx, "SELECT "+messageColumns+`, c.kind,
				coalesce((SELECT role FROM conversation_members WHERE conversation_id = c.id AND user_id = $1 AND c.kind = 'group'), ''),
				coalesce((SELECT is_admin FROM users WHERE id = $1), false)`+messageFrom+
			"JOIN conversations c ON c.id = m.conversation_id WHERE m.id = $3 AND m.conversation_id = $4 AND "+visibleTo+" FOR UPDATE OF m",
			v.UserID, v.IsAgent, id, conversationID), &kind, &role, &admin)
		if err != nil {
			return err
		}
		if msg.Type == chat.Note && !v.IsAgent {
			return chat.ErrNotFound
		}
		if err := chat.MayRevoke(msg, kind, chat.Revoker{UserID: v.UserID, Admin: admin, Role: role}, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE messages SET body = '', args = '{}', code = NULL, forwarded = NULL,
				revoked_at = $2, revoked_by = $3 WHERE id = $1`, id, now, v.UserID); err != nil {
			return err
		}
		// An image's or file's bytes go with its text.
		if _, err := tx.Exec(ctx, "DELETE FROM attachments WHERE message_id = $1", id); err != nil {
			return err
		}
		// A pinned message leaves the group's top, announced as an unpin is.
		tag, err := tx.Exec(ctx, "DELETE FROM pinned_messages WHERE message_id = $1", id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() > 0 {
			name, err := displayName(ctx, tx, v.UserID)
			if err != nil {
				return err
			}
			if err := systemLine(ctx, tx, msg.ConversationID, chat.LineUnpinned, name); err != nil {
				return err
			}
		}
		msg.Body, msg.Args, msg.Code, msg.Forwarded, msg.Attachment = "", []string{}, "", nil, nil
		msg.RevokedAt, msg.RevokedBy = &now, v.UserID
		webhooks, err := eventDeliveries(EventMessageRevoked, messageRevoked{ConversationID: msg.ConversationID, MessageID: id,
			Seq: msg.Seq, SenderID: msg.SenderID, RevokedBy: v.UserID, RevokedAt: now})
		if err != nil {
			return err
		}
		ev := chat.Event{Type: chat.EventRevoked, ConversationID: msg.ConversationID, MessageID: id, Seq: msg.Seq, UserID: v.UserID}
		return execAll(ctx, tx, webhooks, revokePush(msg), announce(tx, ev))
	})
	if err != nil {
		return msg, fmt.Errorf("store: revoke message %d for user %d: %w", id, v.UserID, mapErr(err))
	}
	return msg, nil
}

// revokePush is the note that replaces, for everyone who was notified of
// message m, that notification with one saying it was revoked.
func revokePush(m chat.Message) statement {
	if m.Type != chat.Text {
		return statement{}
	}
	return pushes(pushNote{kind: PushRevoked, conversationID: m.ConversationID, seq: m.Seq, senderID: m.RevokedBy})
}
