package store

// Snoozing: an agent sets an assigned support chat aside until a time, or
// until the visitor writes; it wakes, with a line for the agents and a
// notice for its agent, when that time comes (WakeDue) or when the visitor
// writes (insertion.then, in the message's own transaction). The visitor
// sees none of it.

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

// SnoozeLayout is how a snoozed line stores its time (UTC).
const SnoozeLayout = "2006-01-02 15:04 UTC"

// Snooze sets support chat id aside as s says, for agentID, who must have
// it unless admin. A queued chat is chat.ErrNotAssigned, a resolved one
// chat.ErrResolved, someone else's chat.ErrNotAllowed.
func (db *DB) Snooze(ctx context.Context, id, agentID int64, admin bool, s chat.Snooze, now time.Time) error {
	if err := s.Validate(now); err != nil {
		return err
	}
	err := db.inTx(ctx, func(tx *txn) error {
		var status chat.Status
		var assignee int64
		if err := tx.QueryRow(ctx, `SELECT status, coalesce(assigned_agent_id, 0) FROM conversations
			WHERE id = $1 AND kind = 'support' FOR UPDATE`, id).Scan(&status, &assignee); err != nil {
			return err
		}
		switch {
		case status == chat.Resolved:
			return chat.ErrResolved
		case status == chat.Queued:
			return chat.ErrNotAssigned
		case assignee != agentID && !admin:
			return chat.ErrNotAllowed
		}
		until := pgtypeUntil(s)
		if _, err := tx.Exec(ctx, "UPDATE conversations SET snoozed_until = $2 WHERE id = $1", id, until); err != nil {
			return err
		}
		name, err := displayName(ctx, tx, agentID)
		if err != nil {
			return err
		}
		if s.UntilReply {
			err = systemLine(ctx, tx, id, chat.LineSnoozedReply, name)
		} else {
			err = systemLine(ctx, tx, id, chat.LineSnoozed, name, s.Until.UTC().Format(SnoozeLayout))
		}
		if err != nil {
			return err
		}
		return notify(ctx, tx, chat.Event{Type: chat.EventQueue, ConversationID: id})
	})
	if err != nil {
		return fmt.Errorf("store: snooze chat %d: %w", id, mapErr(err))
	}
	return nil
}

// pgtypeUntil is s as snoozed_until holds it: a time, or infinity.
func pgtypeUntil(s chat.Snooze) any {
	if s.UntilReply {
		return "infinity"
	}
	return s.Until
}

// Woke is a snoozed chat that woke, and the agent who has it.
type Woke struct {
	ConversationID, AgentID int64
}

// WakeBatch is the most chats one WakeDue wakes; the next call wakes more.
const WakeBatch = 100

// WakeDue wakes the snoozed chats whose time has come at now, each exactly
// once however many instances call it at the same time: the chats are
// taken with a conditional update under their row locks, which a second
// waker waits for and then finds no longer due. Each gets a line for the
// agents, and its agent a notice.
func (db *DB) WakeDue(ctx context.Context, now time.Time) ([]Woke, error) {
	var out []Woke
	err := db.inTx(ctx, func(tx *txn) error {
		rows, err := tx.Query(ctx, `WITH c AS (
				UPDATE conversations c SET snoozed_until = NULL, last_seq = c.last_seq + 1, last_message_at = now()
				FROM (SELECT id FROM conversations WHERE snoozed_until <= $1 ORDER BY snoozed_until, id LIMIT $2 FOR UPDATE SKIP LOCKED) due
				WHERE c.id = due.id AND c.snoozed_until <= $1
				RETURNING c.id, c.kind, c.status, c.assigned_agent_id, c.last_seq, c.last_message_at),
			activity AS (`+movesActivity("c")+`)
			SELECT id, coalesce(assigned_agent_id, 0), last_seq FROM c`, now, WakeBatch)
		if err != nil {
			return err
		}
		type woke struct {
			Woke
			seq int64
		}
		ws, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (woke, error) {
			var w woke
			return w, r.Scan(&w.ConversationID, &w.AgentID, &w.seq)
		})
		if err != nil {
			return err
		}
		var statements []statement
		for _, w := range ws {
			out = append(out, w.Woke)
			statements = append(statements, wakeStatements(tx, w.ConversationID, w.AgentID, w.seq, chat.LineWoke)...)
		}
		return execAll(ctx, tx, statements...)
	})
	if err != nil {
		return nil, fmt.Errorf("store: wake snoozed chats: %w", err)
	}
	return out, nil
}

// wakeStatements write the wake line code at seq of conversation id, which
// has just been taken out of its snooze and given seq under its row lock,
// and announce it: the thread catches up to seq, and agentID is told.
func wakeStatements(tx *txn, id, agentID, seq int64, code chat.SystemCode) []statement {
	return []statement{
		{sql: `INSERT INTO messages (conversation_id, seq, type, body, code, args) VALUES ($1, $2, 'system', '', $3, '{}')`,
			args: []any{id, seq, code}},
		announceAll(tx, []chat.Event{
			{Type: chat.EventWoke, ConversationID: id, UserID: agentID, Seq: seq},
			{Type: chat.EventQueue, ConversationID: id},
		}),
	}
}

// wakeOnReply is what a visitor's message m does to its snoozed chat conv,
// in the message's transaction, which holds the chat's row lock: the
// snooze ends, with its line after the message. Nothing, and no cost, for
// a chat that is not snoozed.
func (in *insertion) wakeOnReply(tx *txn) []statement {
	c := &in.conv
	if !c.Snoozed() || c.Kind != chat.Support || in.msg.SenderID == 0 || in.msg.SenderID != c.VisitorID {
		return nil
	}
	// Its event carries the chat as the message leaves it: awake.
	c.SnoozedUntil, c.SnoozedUntilReply = nil, false
	seq := c.LastSeq + 1
	return append([]statement{{sql: "UPDATE conversations SET snoozed_until = NULL, last_seq = $2 WHERE id = $1",
		args: []any{c.ID, seq}}}, wakeStatements(tx, c.ID, c.AssignedAgentID, seq, chat.LineWokeReply)...)
}
