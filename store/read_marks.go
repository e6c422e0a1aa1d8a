package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

// ReadMarks returns how far each member of group conversation id has read
// it (conversation_members.last_read_seq), with their names: the group's
// read receipts. Other conversations have none.
func (db *DB) ReadMarks(ctx context.Context, c chat.Conversation) ([]chat.ReadMark, error) {
	if c.Kind != chat.Group {
		return nil, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT cm.user_id, display_name(u), cm.last_read_seq
		FROM conversation_members cm JOIN users u ON u.id = cm.user_id
		WHERE cm.conversation_id = $1 ORDER BY cm.last_read_seq DESC, cm.user_id`, c.ID)
	if err != nil {
		return nil, fmt.Errorf("store: read marks of conversation %d: %w", c.ID, err)
	}
	marks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (chat.ReadMark, error) {
		var m chat.ReadMark
		return m, r.Scan(&m.UserID, &m.Name, &m.Seq)
	})
	if err != nil {
		return nil, fmt.Errorf("store: read marks of conversation %d: %w", c.ID, err)
	}
	return marks, nil
}
