package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

// Setting keys, in uni-im's names.
const (
	SettingAgents = "customer_service_uids"
	SettingGrade  = "conversation_grade"
)

// AgentList returns the customer_service_uids setting (an empty list when unset).
func (db *DB) AgentList(ctx context.Context) (chat.AgentList, error) {
	l, err := agentList(ctx, db.pool)
	if err != nil {
		return l, fmt.Errorf("store: agent list: %w", err)
	}
	return l, nil
}

func agentList(ctx context.Context, q querier) (chat.AgentList, error) {
	var l chat.AgentList
	var raw []byte
	err := q.QueryRow(ctx, "SELECT value FROM settings WHERE key = $1", SettingAgents).Scan(&raw)
	if err == pgx.ErrNoRows {
		return l, nil
	}
	if err != nil {
		return l, err
	}
	return l, json.Unmarshal(raw, &l)
}

// putSetting stores key's new value and records the change in the audit log.
func putSetting(ctx context.Context, q querier, actorID *int64, key string, old, new any) error {
	oldJSON, err := json.Marshal(old)
	if err != nil {
		return err
	}
	newJSON, err := json.Marshal(new)
	if err != nil {
		return err
	}
	if _, err := q.Exec(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()`, key, newJSON); err != nil {
		return err
	}
	_, err = q.Exec(ctx, `INSERT INTO audit_log (actor_id, action, subject, old_value, new_value)
		VALUES ($1, 'setting.update', $2, $3, $4)`, actorID, key, oldJSON, newJSON)
	return err
}

// SetAgentList replaces customer_service_uids, recording actorID (0: none) in the audit log.
func (db *DB) SetAgentList(ctx context.Context, actorID int64, next chat.AgentList) error {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock+1); err != nil {
			return err
		}
		old, err := agentList(ctx, tx)
		if err != nil {
			return err
		}
		var actor *int64 // nil: the command line, not a person in kefu
		if actorID != 0 {
			actor = &actorID
		}
		return putSetting(ctx, tx, actor, SettingAgents, old, next)
	})
	if err != nil {
		return fmt.Errorf("store: set customer_service_uids: %w", mapErr(err))
	}
	return nil
}
