package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

// Routing's clock is the caller's: every time comparison uses the now it is
// given, so tests control time and instances agree on it.

// lockAgentUnderCapacity locks the agent's row and then counts their open
// chats afresh: every assignment takes this lock, so the count cannot grow
// underneath us.
func lockAgentUnderCapacity(ctx context.Context, tx *txn, agentID int64) (bool, error) {
	var capacity int
	err := tx.QueryRow(ctx, "SELECT capacity FROM agents WHERE user_id = $1 FOR UPDATE", agentID).Scan(&capacity)
	if err == pgx.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var open int
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM conversations WHERE assigned_agent_id = $1 AND status = 'assigned'",
		agentID).Scan(&open); err != nil {
		return false, err
	}
	return open < capacity, nil
}

func displayName(ctx context.Context, q querier, id int64) (string, error) {
	u, err := scanUser(q.QueryRow(ctx, "SELECT "+userColumns+" FROM users WHERE id = $1", id))
	return u.DisplayName(), err
}

// systemLine writes the system line code with args into a conversation;
// chat.SystemText gives its words when it is shown.
func systemLine(ctx context.Context, tx *txn, conversationID int64, code chat.SystemCode, args ...string) error {
	_, err := insertMessage(ctx, tx, Send{ConversationID: conversationID, Type: chat.System, Code: code, Args: args})
	return err
}

// Take gives a queued chat to agentID by hand. When someone got it first it
// returns chat.ErrAlreadyAssigned; when the agent is full, chat.ErrAtCapacity.
func (db *DB) Take(ctx context.Context, id, agentID int64, now time.Time) error {
	err := db.inTx(ctx, func(tx *txn) error {
		var status chat.Status
		// Waits for a dispatcher holding the row, then sees what it did.
		if err := tx.QueryRow(ctx, "SELECT status FROM conversations WHERE id = $1 AND kind = 'support' FOR UPDATE", id).Scan(&status); err != nil {
			return err
		}
		if status != chat.Queued {
			return chat.ErrAlreadyAssigned
		}
		free, err := lockAgentUnderCapacity(ctx, tx, agentID)
		if err != nil {
			return err
		}
		if !free {
			return chat.ErrAtCapacity
		}
		return assignAll(ctx, tx, []chat.Assignment{{ConversationID: id, AgentID: agentID}}, agentID, now)
	})
	if err != nil {
		return fmt.Errorf("store: take chat %d for agent %d: %w", id, agentID, mapErr(err))
	}
	return nil
}

// Sweep applies routing's timers at now, in one transaction: assigned chats
// without an agent reply after answerTimeout (0: never) or whose agent has
// been offline for grace go back to the queue at their original place
// (unless their agent set them aside: a snoozed chat waits for its time), and
// chats that waited for their target until target_until join the general
// queue. Each move is a system line in the conversation.
func (db *DB) Sweep(ctx context.Context, now time.Time, grace, answerTimeout time.Duration) ([]chat.HandBack, error) {
	var out []chat.HandBack
	err := db.inTx(ctx, func(tx *txn) error {
		rows, err := tx.Query(ctx, `SELECT c.id, c.assigned_agent_id,
			CASE WHEN NOT EXISTS (SELECT 1 FROM agent_presence p WHERE p.agent_id = c.assigned_agent_id AND p.seen_at > $1)
			     THEN 'offline' ELSE 'no_answer' END
			FROM conversations c
			WHERE c.status = 'assigned' AND c.kind = 'support' AND c.first_response_at IS NULL AND c.snoozed_until IS NULL
			  AND (($2 AND c.assigned_at <= $3)
			       OR NOT EXISTS (SELECT 1 FROM agent_presence p WHERE p.agent_id = c.assigned_agent_id AND p.seen_at > $1))
			ORDER BY c.id FOR UPDATE OF c SKIP LOCKED`, now.Add(-grace), answerTimeout > 0, now.Add(-answerTimeout))
		if err != nil {
			return err
		}
		if out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (chat.HandBack, error) {
			var h chat.HandBack
			return h, r.Scan(&h.ConversationID, &h.AgentID, &h.Reason)
		}); err != nil {
			return err
		}
		for _, h := range out {
			if _, err := tx.Exec(ctx, `UPDATE conversations SET status = 'queued', assigned_agent_id = NULL, assigned_at = NULL,
				snoozed_until = NULL WHERE id = $1`, h.ConversationID); err != nil {
				return err
			}
			name, err := displayName(ctx, tx, h.AgentID)
			if err != nil {
				return err
			}
			line := chat.LineNoAnswer
			if h.Reason == chat.WentOffline {
				line = chat.LineWentOffline
			}
			if err := systemLine(ctx, tx, h.ConversationID, line, name); err != nil {
				return err
			}
			if err := enqueueEvent(ctx, tx, EventConversationQueued, conversationChange{ConversationID: h.ConversationID, PreviousAgentID: h.AgentID, Reason: string(h.Reason)}); err != nil {
				return err
			}
			if err := notify(ctx, tx, chat.Event{Type: chat.EventQueue, ConversationID: h.ConversationID}); err != nil {
				return err
			}
		}
		released, err := tx.Query(ctx, `UPDATE conversations c SET target_released_at = $1
			WHERE c.status = 'queued' AND c.kind = 'support' AND c.target_user_id IS NOT NULL
			  AND c.target_until <= $1 AND c.target_released_at IS NULL
			RETURNING c.id, c.target_user_id`, now)
		if err != nil {
			return err
		}
		type release struct{ id, target int64 }
		rs, err := pgx.CollectRows(released, func(r pgx.CollectableRow) (release, error) {
			var x release
			return x, r.Scan(&x.id, &x.target)
		})
		if err != nil {
			return err
		}
		for _, r := range rs {
			name, err := displayName(ctx, tx, r.target)
			if err != nil {
				return err
			}
			if err := systemLine(ctx, tx, r.id, chat.LineTargetAway, name); err != nil {
				return err
			}
		}
		if len(rs) > 0 {
			return notify(ctx, tx, chat.Event{Type: chat.EventQueue})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: sweep: %w", err)
	}
	return out, nil
}

// Queue returns every queued support chat in order, with its position (1 =
// next), from one snapshot: positions are 1..N. The first previews carry
// the visitor's newest text message; the others, which no console shows,
// carry none, so that a long queue costs a lookup per chat shown only.
func (db *DB) Queue(ctx context.Context, previews int) ([]chat.QueueEntry, error) {
	rows, err := db.pool.Query(ctx, `SELECT q.id, q.visitor_id, q.position, q.queued_at,
		CASE WHEN q.position <= $1 THEN coalesce((SELECT m.body FROM messages m
			WHERE m.conversation_id = q.id AND m.type = 'text' AND m.sender_id = q.visitor_id
			ORDER BY m.seq DESC LIMIT 1), '') ELSE '' END
		FROM (SELECT c.id, c.visitor_id, c.queued_at, row_number() OVER (ORDER BY c.queued_at, c.id) AS position
			FROM conversations c WHERE c.kind = 'support' AND c.status = 'queued') q
		ORDER BY q.position`, previews)
	if err != nil {
		return nil, fmt.Errorf("store: queue: %w", err)
	}
	q, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (chat.QueueEntry, error) {
		var e chat.QueueEntry
		return e, r.Scan(&e.ConversationID, &e.VisitorID, &e.Position, &e.QueuedAt, &e.Preview)
	})
	if err != nil {
		return nil, fmt.Errorf("store: queue: %w", err)
	}
	return q, nil
}

// QueuePlace returns the queued support chat of visitorID with its
// position, without its preview; none is chat.ErrNotFound. It counts the
// chats ahead on the queue's partial index, so that a widget learns its
// place without reading the whole queue, which is what Queue does.
func (db *DB) QueuePlace(ctx context.Context, visitorID int64) (chat.QueueEntry, error) {
	var e chat.QueueEntry
	err := db.pool.QueryRow(ctx, `SELECT c.id, c.visitor_id, c.queued_at,
			(SELECT count(*) FROM conversations q WHERE q.kind = 'support' AND q.status = 'queued'
				AND (q.queued_at, q.id) <= (c.queued_at, c.id))
		FROM conversations c WHERE c.visitor_id = $1 AND c.kind = 'support' AND c.status = 'queued'`,
		visitorID).Scan(&e.ConversationID, &e.VisitorID, &e.QueuedAt, &e.Position)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, chat.ErrNotFound
	}
	if err != nil {
		return e, fmt.Errorf("store: queue place: %w", err)
	}
	return e, nil
}

// QueueLength counts the queued support chats, from the queue's own
// partial index.
func (db *DB) QueueLength(ctx context.Context) (int, error) {
	var n int
	if err := db.pool.QueryRow(ctx, "SELECT count(*) FROM conversations WHERE kind = 'support' AND status = 'queued'").Scan(&n); err != nil {
		return 0, fmt.Errorf("store: queue length: %w", err)
	}
	return n, nil
}

// RecentAssignments returns the times of the last n assignments.
func (db *DB) RecentAssignments(ctx context.Context, n int) ([]time.Time, error) {
	rows, err := db.pool.Query(ctx, `SELECT assigned_at FROM conversations WHERE assigned_at IS NOT NULL
		ORDER BY assigned_at DESC LIMIT $1`, n)
	if err != nil {
		return nil, fmt.Errorf("store: recent assignments: %w", err)
	}
	ts, err := pgx.CollectRows(rows, pgx.RowTo[time.Time])
	if err != nil {
		return nil, fmt.Errorf("store: recent assignments: %w", err)
	}
	return ts, nil
}

// Resolve marks a support chat resolved by agentID; chat.ErrResolved when it already is.
func (db *DB) Resolve(ctx context.Context, id, agentID int64, now time.Time) error {
	err := db.inTx(ctx, func(tx *txn) error {
		var status chat.Status
		if err := tx.QueryRow(ctx, "SELECT status FROM conversations WHERE id = $1 AND kind = 'support' FOR UPDATE", id).Scan(&status); err != nil {
			return err
		}
		if status == chat.Resolved {
			return chat.ErrResolved
		}
		if _, err := tx.Exec(ctx, `UPDATE conversations SET status = 'resolved', resolved_at = $2, snoozed_until = NULL,
			assigned_agent_id = coalesce(assigned_agent_id, $3) WHERE id = $1`, id, now, agentID); err != nil {
			return err
		}
		name, err := displayName(ctx, tx, agentID)
		if err != nil {
			return err
		}
		if err := systemLine(ctx, tx, id, chat.LineResolved, name); err != nil {
			return err
		}
		if err := keepRound(ctx, tx, id); err != nil {
			return err
		}
		if err := enqueueEvent(ctx, tx, EventConversationResolved, conversationChange{ConversationID: id, AgentID: agentID}); err != nil {
			return err
		}
		return notify(ctx, tx, chat.Event{Type: chat.EventQueue, ConversationID: id})
	})
	if err != nil {
		return fmt.Errorf("store: resolve chat %d: %w", id, mapErr(err))
	}
	return nil
}

// Transfer hands an assigned chat from whoever has it to agent to, with an
// optional private note for agents; chat.ErrAlreadyTheirs when to has it
// already, which changes nothing.
func (db *DB) Transfer(ctx context.Context, id, byID, to int64, note string, now time.Time) error {
	return db.transfer(ctx, id, byID, to, note, now, 0)
}

// TransferOnline is Transfer to an agent who is online at now: one whose
// console was live within grace, as routing counts it; chat.ErrOffline
// otherwise.
func (db *DB) TransferOnline(ctx context.Context, id, byID, to int64, note string, now time.Time, grace time.Duration) error {
	return db.transfer(ctx, id, byID, to, note, now, grace)
}

func (db *DB) transfer(ctx context.Context, id, byID, to int64, note string, now time.Time, grace time.Duration) error {
	err := db.inTx(ctx, func(tx *txn) error {
		// The agent is checked in the transaction that hands the chat over, so
		// that one disabled or taken off the list a moment ago never gets it.
		agents, _, err := agentList(ctx, tx)
		if err != nil {
			return err
		}
		var disabled bool
		if err := tx.QueryRow(ctx, "SELECT disabled_at IS NOT NULL FROM users WHERE id = $1", to).Scan(&disabled); err != nil && err != pgx.ErrNoRows {
			return err
		}
		if !agents.Has(to) || disabled {
			return chat.Invalid("to", "error.transfer.inactive")
		}
		var status chat.Status
		var assignee int64
		if err := tx.QueryRow(ctx, `SELECT status, coalesce(assigned_agent_id, 0) FROM conversations
			WHERE id = $1 AND kind = 'support' FOR UPDATE`, id).Scan(&status, &assignee); err != nil {
			return err
		}
		switch {
		case status == chat.Resolved:
			return chat.ErrResolved
		case status == chat.Assigned && assignee == to:
			return chat.ErrAlreadyTheirs
		}
		if err := ensureAgent(ctx, tx, to); err != nil {
			return err
		}
		if grace > 0 {
			var online bool
			if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM agent_presence WHERE agent_id = $1 AND seen_at > $2)",
				to, now.Add(-grace)).Scan(&online); err != nil {
				return err
			}
			if !online {
				return chat.ErrOffline
			}
		}
		free, err := lockAgentUnderCapacity(ctx, tx, to)
		if err != nil {
			return err
		}
		if !free {
			return chat.ErrAtCapacity
		}
		by, err := displayName(ctx, tx, byID)
		if err != nil {
			return err
		}
		toName, err := displayName(ctx, tx, to)
		if err != nil {
			return err
		}
		if note != "" {
			if _, err := insertMessage(ctx, tx, Send{ConversationID: id, SenderID: byID, Type: chat.Note, Body: note}); err != nil {
				return err
			}
		}
		if err := systemLine(ctx, tx, id, chat.LineTransferred, by, toName); err != nil {
			return err
		}
		return assignAll(ctx, tx, []chat.Assignment{{ConversationID: id, AgentID: to}}, byID, now)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		err = chat.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store: transfer chat %d to %d: %w", id, to, mapErr(err))
	}
	return nil
}

// NewlyAssigned returns the chats assigned to agentID since since that they
// have not answered yet, newest first: the notices a console that just
// (re)connected may have missed.
func (db *DB) NewlyAssigned(ctx context.Context, agentID int64, since time.Time) ([]int64, error) {
	rows, err := db.pool.Query(ctx, `SELECT id FROM conversations WHERE assigned_agent_id = $1 AND status = 'assigned'
		AND first_response_at IS NULL AND assigned_at > $2 ORDER BY assigned_at DESC`, agentID, since)
	if err != nil {
		return nil, fmt.Errorf("store: newly assigned to %d: %w", agentID, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("store: newly assigned to %d: %w", agentID, err)
	}
	return ids, nil
}

// WorkedOn reports whether userID worked on support chat id as an agent: it
// was assigned to them, or they opened it. Someone taken off
// customer_service_uids keeps these traces, and no access.
func (db *DB) WorkedOn(ctx context.Context, id, userID int64) (bool, error) {
	var worked bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM conversations c WHERE c.id = $1 AND c.kind = 'support'
		AND (c.assigned_agent_id = $2
			OR EXISTS (SELECT 1 FROM conversation_members m WHERE m.conversation_id = c.id AND m.user_id = $2)))`,
		id, userID).Scan(&worked)
	if err != nil {
		return false, fmt.Errorf("store: did user %d work on chat %d: %w", userID, id, err)
	}
	return worked, nil
}

// Reopen opens resolved support chat id again and gives it to agentID, who
// reopens it, if they have room (chat.ErrAtCapacity otherwise). A chat that
// is open is chat.ErrOpen; a visitor who has another chat open now (they
// wrote again after it was resolved, from where a new one began) keeps that
// one, and the reopening is a chat.ErrConflict.
func (db *DB) Reopen(ctx context.Context, id, agentID int64, now time.Time) error {
	err := db.inTx(ctx, func(tx *txn) error {
		var status chat.Status
		if err := tx.QueryRow(ctx, "SELECT status FROM conversations WHERE id = $1 AND kind = 'support' FOR UPDATE", id).Scan(&status); err != nil {
			return err
		}
		if status != chat.Resolved {
			return chat.ErrOpen
		}
		free, err := lockAgentUnderCapacity(ctx, tx, agentID)
		if err != nil {
			return err
		}
		if !free {
			return chat.ErrAtCapacity
		}
		// Out of resolved first: the one open chat per visitor is the
		// unique index's to keep.
		if _, err := tx.Exec(ctx, `UPDATE conversations SET status = 'queued', queued_at = $2, resolved_at = NULL,
			rating = NULL, rating_comment = '', rated_at = NULL, snoozed_until = NULL,
			target_user_id = NULL, target_until = NULL, target_released_at = $2 WHERE id = $1`, id, now); err != nil {
			return err
		}
		name, err := displayName(ctx, tx, agentID)
		if err != nil {
			return err
		}
		if err := systemLine(ctx, tx, id, chat.LineReopened, name); err != nil {
			return err
		}
		return assignAll(ctx, tx, []chat.Assignment{{ConversationID: id, AgentID: agentID}}, agentID, now)
	})
	if err != nil {
		return fmt.Errorf("store: reopen chat %d for agent %d: %w", id, agentID, mapErr(err))
	}
	return nil
}
