package store

// Labels: the set admins keep, and the labels agents put on support chats.

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kefu-im/kefu/chat"
)

// MaxLabels is how many labels admins may keep, and MaxChatLabels how many
// one conversation may carry: a list of chips, not a database.
const (
	MaxLabels     = 200
	MaxChatLabels = 10
)

func labelSubject(id int64) string { return "label " + strconv.FormatInt(id, 10) }

// labelAudit is what the audit log keeps of a label.
func labelAudit(l chat.Label) map[string]string {
	return map[string]string{"name": l.Name, "color": l.Color}
}

func scanLabel(row pgx.CollectableRow) (chat.Label, error) {
	var l chat.Label
	return l, row.Scan(&l.ID, &l.Name, &l.Color, &l.CreatedAt)
}

// labelErr turns a clash with another label's name into the refusal that
// names it.
func labelErr(err error, name string) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == "labels_name_key" {
		return chat.Invalid("name", "error.label.duplicate", "Name", name)
	}
	return mapErr(err)
}

// Labels returns every label, by name.
func (db *DB) Labels(ctx context.Context) ([]chat.Label, error) {
	rows, err := db.pool.Query(ctx, "SELECT id, name, color, created_at FROM labels ORDER BY lower(name), id")
	if err != nil {
		return nil, fmt.Errorf("store: labels: %w", err)
	}
	ls, err := pgx.CollectRows(rows, scanLabel)
	if err != nil {
		return nil, fmt.Errorf("store: labels: %w", err)
	}
	return ls, nil
}

// CreateLabel adds label l, recording actorID in the audit log. A name that
// another label has already, whatever its case, is refused.
func (db *DB) CreateLabel(ctx context.Context, actorID int64, l chat.Label) (chat.Label, error) {
	if err := l.Validate(); err != nil {
		return l, err
	}
	err := db.inTx(ctx, func(tx *txn) error {
		// One label at a time, so that the count below holds.
		if _, err := tx.Exec(ctx, "LOCK TABLE labels IN SHARE ROW EXCLUSIVE MODE"); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM labels").Scan(&n); err != nil {
			return err
		}
		if n >= MaxLabels {
			return chat.Invalid("name", "error.label.tooMany", "Max", MaxLabels)
		}
		if err := tx.QueryRow(ctx, "INSERT INTO labels (name, color) VALUES ($1, $2) RETURNING id, created_at",
			l.Name, l.Color).Scan(&l.ID, &l.CreatedAt); err != nil {
			return labelErr(err, l.Name)
		}
		return audit(ctx, tx, actorRef(actorID), "label.create", labelSubject(l.ID), nil, labelAudit(l))
	})
	if err != nil {
		return l, fmt.Errorf("store: create label: %w", err)
	}
	return l, nil
}

// UpdateLabel renames and recolours label l.ID, recording actorID and what
// it was in the audit log.
func (db *DB) UpdateLabel(ctx context.Context, actorID int64, l chat.Label) (chat.Label, error) {
	if err := l.Validate(); err != nil {
		return l, err
	}
	err := db.inTx(ctx, func(tx *txn) error {
		var was chat.Label
		if err := tx.QueryRow(ctx, "SELECT name, color FROM labels WHERE id = $1 FOR UPDATE", l.ID).Scan(&was.Name, &was.Color); err != nil {
			return mapErr(err)
		}
		if was.Name == l.Name && was.Color == l.Color {
			return nil
		}
		if err := tx.QueryRow(ctx, "UPDATE labels SET name = $2, color = $3 WHERE id = $1 RETURNING created_at",
			l.ID, l.Name, l.Color).Scan(&l.CreatedAt); err != nil {
			return labelErr(err, l.Name)
		}
		if err := audit(ctx, tx, actorRef(actorID), "label.update", labelSubject(l.ID), labelAudit(was), labelAudit(l)); err != nil {
			return err
		}
		return notify(ctx, tx, chat.Event{Type: chat.EventLabels})
	})
	if err != nil {
		return l, fmt.Errorf("store: update label %d: %w", l.ID, err)
	}
	return l, nil
}

// DeleteLabel removes label id, and with it from every conversation,
// recording actorID and what it was in the audit log.
func (db *DB) DeleteLabel(ctx context.Context, actorID, id int64) (chat.Label, error) {
	var l chat.Label
	err := db.inTx(ctx, func(tx *txn) error {
		if err := tx.QueryRow(ctx, "DELETE FROM labels WHERE id = $1 RETURNING id, name, color, created_at", id).
			Scan(&l.ID, &l.Name, &l.Color, &l.CreatedAt); err != nil {
			return mapErr(err)
		}
		if err := audit(ctx, tx, actorRef(actorID), "label.delete", labelSubject(id), labelAudit(l), nil); err != nil {
			return err
		}
		return notify(ctx, tx, chat.Event{Type: chat.EventLabels})
	})
	if err != nil {
		return l, fmt.Errorf("store: delete label %d: %w", id, err)
	}
	return l, nil
}

// ChatLabels returns the labels on conversation id, by name.
func (db *DB) ChatLabels(ctx context.Context, id int64) ([]chat.Label, error) {
	rows, err := db.pool.Query(ctx, `SELECT l.id, l.name, l.color, l.created_at FROM conversation_labels cl
		JOIN labels l ON l.id = cl.label_id WHERE cl.conversation_id = $1 ORDER BY lower(l.name), l.id`, id)
	if err != nil {
		return nil, fmt.Errorf("store: labels of %d: %w", id, err)
	}
	ls, err := pgx.CollectRows(rows, scanLabel)
	if err != nil {
		return nil, fmt.Errorf("store: labels of %d: %w", id, err)
	}
	return ls, nil
}

// AddLabel puts label labelID on support chat id for agentID. Putting it
// on again changes nothing (added is false); a chat carries at most
// MaxChatLabels.
func (db *DB) AddLabel(ctx context.Context, id, labelID, agentID int64) (added bool, err error) {
	err = db.inTx(ctx, func(tx *txn) error {
		// The chat's row lock orders the count and the insert.
		if err := tx.QueryRow(ctx, "SELECT id FROM conversations WHERE id = $1 AND kind = 'support' FOR UPDATE", id).Scan(&id); err != nil {
			return err
		}
		var exists bool
		var n int
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM labels WHERE id = $2),
			(SELECT count(*) FROM conversation_labels WHERE conversation_id = $1)`, id, labelID).Scan(&exists, &n); err != nil {
			return err
		}
		if !exists {
			return chat.Invalid("label", "error.label.unknown")
		}
		tag, err := tx.Exec(ctx, `INSERT INTO conversation_labels (conversation_id, label_id, added_by)
			SELECT $1, $2, $3 WHERE $4 ON CONFLICT DO NOTHING`, id, labelID, agentID, n < MaxChatLabels)
		if err != nil {
			return err
		}
		if added = tag.RowsAffected() == 1; !added {
			var on bool
			if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM conversation_labels WHERE conversation_id = $1 AND label_id = $2)",
				id, labelID).Scan(&on); err != nil {
				return err
			}
			if !on {
				return chat.Invalid("label", "error.label.chatFull", "Max", MaxChatLabels)
			}
			return nil
		}
		return notify(ctx, tx, chat.Event{Type: chat.EventLabels, ConversationID: id})
	})
	if err != nil {
		return false, fmt.Errorf("store: label chat %d with %d: %w", id, labelID, mapErr(err))
	}
	return added, nil
}

// RemoveLabel takes label labelID off support chat id. Taking it off again
// changes nothing (removed is false).
func (db *DB) RemoveLabel(ctx context.Context, id, labelID int64) (removed bool, err error) {
	err = db.inTx(ctx, func(tx *txn) error {
		if err := tx.QueryRow(ctx, "SELECT id FROM conversations WHERE id = $1 AND kind = 'support'", id).Scan(&id); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, "DELETE FROM conversation_labels WHERE conversation_id = $1 AND label_id = $2", id, labelID)
		if err != nil {
			return err
		}
		if removed = tag.RowsAffected() == 1; removed {
			return notify(ctx, tx, chat.Event{Type: chat.EventLabels, ConversationID: id})
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: unlabel chat %d of %d: %w", id, labelID, mapErr(err))
	}
	return removed, nil
}
