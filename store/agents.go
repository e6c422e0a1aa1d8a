package store

// Agents' routing profiles (state, capacity) and their presence.

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

// EnsureAgent gives userID a routing profile if they have none: available,
// with the default_capacity setting (chat.DefaultSettings' until an admin or
// KEFU_CONFIG sets it), the one place a new agent's capacity comes from.
func (db *DB) EnsureAgent(ctx context.Context, userID int64) error {
	if err := ensureAgent(ctx, db.pool, userID); err != nil {
		return fmt.Errorf("store: ensure agent %d: %w", userID, mapErr(err))
	}
	return nil
}

func ensureAgent(ctx context.Context, q querier, userID int64) error {
	_, err := q.Exec(ctx, `INSERT INTO agents (user_id, capacity)
		VALUES ($1, coalesce((SELECT (value #>> '{}')::int FROM settings WHERE key = $3), $2))
		ON CONFLICT DO NOTHING`, userID, chat.DefaultSettings().DefaultCapacity, SettingCapacity)
	return err
}

// Agents returns the routing profiles of ids, with who is online at now and their open chats.
func (db *DB) Agents(ctx context.Context, now time.Time, grace time.Duration, ids []int64) ([]chat.AgentLoad, error) {
	a, err := agentLoads(ctx, db.pool, now, grace, ids)
	if err != nil {
		return nil, fmt.Errorf("store: agents: %w", err)
	}
	return a, nil
}

// SetAgentState sets an agent's state and wakes the dispatchers.
func (db *DB) SetAgentState(ctx context.Context, userID int64, state chat.AgentState) error {
	if err := state.Validate(); err != nil {
		return err
	}
	err := db.inTx(ctx, func(tx *txn) error {
		tag, err := tx.Exec(ctx, "UPDATE agents SET state = $2 WHERE user_id = $1", userID, state)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return chat.ErrNotFound
		}
		return notify(ctx, tx, chat.Event{Type: chat.EventQueue, UserID: userID})
	})
	if err != nil {
		return fmt.Errorf("store: set agent %d state: %w", userID, mapErr(err))
	}
	return nil
}

// AgentState returns an agent's own state.
func (db *DB) AgentState(ctx context.Context, userID int64) (chat.AgentState, error) {
	var s chat.AgentState
	err := db.pool.QueryRow(ctx, "SELECT state FROM agents WHERE user_id = $1", userID).Scan(&s)
	if err != nil {
		return s, fmt.Errorf("store: agent %d state: %w", userID, mapErr(err))
	}
	return s, nil
}

// TouchPresence records that a console socket of agentID is live at now.
// The first touch of a socket wakes the dispatchers: an agent may have come online.
func (db *DB) TouchPresence(ctx context.Context, socketID string, agentID int64, now time.Time) error {
	err := db.inTx(ctx, func(tx *txn) error {
		var inserted bool
		if err := tx.QueryRow(ctx, `INSERT INTO agent_presence (socket_id, agent_id, seen_at) VALUES ($1, $2, $3)
			ON CONFLICT (socket_id) DO UPDATE SET seen_at = excluded.seen_at RETURNING xmax = 0`, socketID, agentID, now).Scan(&inserted); err != nil {
			return err
		}
		if inserted {
			return notify(ctx, tx, chat.Event{Type: chat.EventQueue, UserID: agentID})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: presence of agent %d: %w", agentID, err)
	}
	return nil
}

// ClosePresence records that console socket socketID closed at now. For
// routing it counts as seen then, so its grace period starts; for web push
// its agent is no longer looking at the console, and is notified at once.
func (db *DB) ClosePresence(ctx context.Context, socketID string, now time.Time) error {
	if _, err := db.pool.Exec(ctx, "UPDATE agent_presence SET seen_at = $2, closed_at = $2 WHERE socket_id = $1", socketID, now); err != nil {
		return fmt.Errorf("store: close presence: %w", err)
	}
	return nil
}

// PurgePresence forgets sockets not seen since before.
func (db *DB) PurgePresence(ctx context.Context, before time.Time) error {
	if _, err := db.pool.Exec(ctx, "DELETE FROM agent_presence WHERE seen_at < $1", before); err != nil {
		return fmt.Errorf("store: purge presence: %w", err)
	}
	return nil
}

// SetCapacity sets how many open chats an agent may have, with no actor
// in the audit log, and wakes the dispatchers.
func (db *DB) SetCapacity(ctx context.Context, userID int64, capacity int) error {
	return db.SetAgentCapacity(ctx, 0, userID, capacity)
}

// SetAgentCapacity sets how many open chats a member may have as an agent,
// recording actorID (0: none) and the old and new capacity in the audit
// log, and wakes the dispatchers.
func (db *DB) SetAgentCapacity(ctx context.Context, actorID, userID int64, capacity int) error {
	if err := chat.ValidateCapacity(capacity); err != nil {
		return err
	}
	err := db.inTx(ctx, func(tx *txn) error {
		// The user's row lock orders concurrent changes, so each audits the value it replaced.
		var member bool
		if err := tx.QueryRow(ctx, "SELECT kind = 'member' FROM users WHERE id = $1 FOR NO KEY UPDATE", userID).Scan(&member); err != nil {
			return err
		}
		if !member {
			return chat.Invalid("capacity", "error.agent.registered")
		}
		var old *int
		err := tx.QueryRow(ctx, "SELECT capacity FROM agents WHERE user_id = $1", userID).Scan(&old)
		if err != nil && err != pgx.ErrNoRows {
			return err
		}
		if old != nil && *old == capacity {
			return nil
		}
		if _, err := tx.Exec(ctx, `INSERT INTO agents (user_id, capacity) VALUES ($1, $2)
			ON CONFLICT (user_id) DO UPDATE SET capacity = excluded.capacity`, userID, capacity); err != nil {
			return err
		}
		var was any // none: the agent had no routing profile yet
		if old != nil {
			was = *old
		}
		if err := audit(ctx, tx, actorRef(actorID), "agent.capacity", userSubject(userID), was, capacity); err != nil {
			return err
		}
		return notify(ctx, tx, chat.Event{Type: chat.EventQueue, UserID: userID})
	})
	if err != nil {
		return fmt.Errorf("store: set agent %d capacity: %w", userID, mapErr(err))
	}
	return nil
}

func agentLoads(ctx context.Context, q querier, now time.Time, grace time.Duration, ids []int64) ([]chat.AgentLoad, error) {
	rows, err := q.Query(ctx, `SELECT a.user_id, a.state = 'available', a.capacity, coalesce(a.last_assigned_at, 'epoch'),
		EXISTS (SELECT 1 FROM agent_presence p WHERE p.agent_id = a.user_id AND p.seen_at > $2),
		(SELECT count(*) FROM conversations c WHERE c.assigned_agent_id = a.user_id AND c.status = 'assigned')
		FROM agents a JOIN users u ON u.id = a.user_id
		WHERE a.user_id = ANY($1) AND u.disabled_at IS NULL`, ids, now.Add(-grace))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (chat.AgentLoad, error) {
		var a chat.AgentLoad
		return a, r.Scan(&a.ID, &a.Available, &a.Capacity, &a.LastAssignedAt, &a.Online, &a.Open)
	})
}
