package store

import (
	"context"

	"github.com/kefu-im/kefu/chat"
)

// Forward stores, in conversation to, one merged message from v that holds
// the messages ids as they are now (each sender's name, time and text),
// oldest first. v must see every one of them (else chat.ErrNotFound), each
// a text that stands (else a chat.ValidationError), and may write in to as
// in any conversation: its access rule, then the conversation_grade policy
// and the sensitive-word filter (on each forwarded text) as for a text
// message there, and a direct conversation whose members have blocked one
// another refuses it with chat.ErrNotDelivered. A resend with the same client message id
// returns the stored message and created == false.
func (db *DB) Forward(ctx context.Context, v chat.Viewer, to int64, ids []int64, clientMsgID string) (msg chat.Message, created bool, err error) {
	ids, err = chat.ValidateForward(ids)
	if err != nil {
		return msg, false, err
	}
	reader := chat.ReaderMember
	if v.IsAgent {
		reader = chat.ReaderAgent
	}
	s := Send{ConversationID: to, SenderID: v.UserID, ClientMsgID: clientMsgID, Type: chat.Merged}
	err = db.inTx(ctx, func(tx *txn) error {
		msgs, err := collectMessages(tx.Query(ctx, "SELECT "+messageColumns+messageFrom+
			"JOIN conversations c ON c.id = m.conversation_id WHERE "+visibleTo+" AND m.id = ANY($3) AND "+readerFilter+
			" ORDER BY m.created_at, m.id", v.UserID, v.IsAgent, ids, reader.Notes(), reader.AllLines(), visitorLines))
		if err != nil {
			return err
		}
		if len(msgs) != len(ids) {
			return chat.ErrNotFound
		}
		for _, m := range msgs {
			if !m.Forwardable() {
				return chat.Invalid("messages", "error.forward.kind")
			}
			s.Forwarded = append(s.Forwarded, chat.Forwarded{Sender: m.SenderName, At: m.CreatedAt, Text: m.Body})
		}
		var ok bool
		if err := tx.QueryRow(ctx, "SELECT true FROM conversations c WHERE "+visibleTo+" AND c.id = $3",
			v.UserID, v.IsAgent, to).Scan(&ok); err != nil {
			return err
		}
		policy := s
		policy.Type = chat.Text // what it carries is text, and the grade holds for it as for any
		if err := db.maySend(ctx, tx, &policy); err != nil {
			return err
		}
		s.Forwarded = policy.Forwarded // each text screened for the sensitive words
		if msg, err = insertUnblocked(ctx, tx, s); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "UPDATE messages SET forwarded = $2 WHERE id = $1", msg.ID, s.Forwarded)
		return err
	})
	return db.sent(ctx, s, msg, err)
}
