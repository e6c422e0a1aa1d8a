package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

// Setting keys, in uni-im's names where uni-im has one.
const (
	SettingAgents   = "customer_service_uids"
	SettingGrade    = "conversation_grade"
	SettingCapacity = "default_capacity"
	// SettingWordFilter is what the sensitive-word filter does: "refuse"
	// or "mask" (chat.FilterMode).
	SettingWordFilter = "word_filter"
)

// settingsLock serialises changes to settings (and the first admin's creation).
const settingsLock = migrationLock + 1

// Settings returns the admin's rules. Every instance reads them from the
// database when it needs them, so a change holds everywhere at once.
// An unset customer_service_uids means no restriction, as false does.
func (db *DB) Settings(ctx context.Context) (chat.Settings, error) {
	s, err := loadSettings(ctx, db.pool)
	if err != nil {
		return s, fmt.Errorf("store: settings: %w", err)
	}
	return s, nil
}

func loadSettings(ctx context.Context, q querier) (chat.Settings, error) {
	s, _, err := loadSettingsAt(ctx, q)
	return s, err
}

// loadSettingsAt is loadSettings, with the settings_version they were read
// at, in the same statement. The sensitive words are not read: they are
// the instance's known settings' (knownSettings.words).
func loadSettingsAt(ctx context.Context, q querier) (chat.Settings, int64, error) {
	s := chat.DefaultSettings()
	s.Agents = chat.AgentList{Unrestricted: true}
	rows, err := q.Query(ctx, `SELECT key, value FROM settings WHERE key = ANY($1)
		UNION ALL SELECT '', to_jsonb(version) FROM settings_version
		UNION ALL SELECT $2, 'true' WHERE EXISTS (SELECT 1 FROM webhooks WHERE enabled AND $2 = ANY (events))`,
		[]string{SettingAgents, SettingGrade, SettingCapacity, SettingWordFilter, SettingMailQuiet}, EventMessageCreated)
	if err != nil {
		return s, 0, err
	}
	var key string
	var raw []byte
	var version int64
	_, err = pgx.ForEachRow(rows, []any{&key, &raw}, func() error {
		switch key {
		case "":
			return json.Unmarshal(raw, &version)
		case SettingWordFilter:
			return json.Unmarshal(raw, &s.Words.Mode)
		case SettingAgents:
			return json.Unmarshal(raw, &s.Agents)
		case SettingGrade:
			return json.Unmarshal(raw, &s.Grade)
		case SettingCapacity:
			return json.Unmarshal(raw, &s.DefaultCapacity)
		case SettingMailQuiet:
			s.Email = true
		case EventMessageCreated: // not a setting's key: those have no dot
			s.MessageHooks = true
		}
		return nil
	})
	return s, version, err
}

// AgentList returns the customer_service_uids setting.
func (db *DB) AgentList(ctx context.Context) (chat.AgentList, error) {
	l, _, err := agentList(ctx, db.pool)
	if err != nil {
		return l, fmt.Errorf("store: agent list: %w", err)
	}
	return l, nil
}

// agentList returns customer_service_uids and whether it is set; unset reads as false.
func agentList(ctx context.Context, q querier) (chat.AgentList, bool, error) {
	var l chat.AgentList
	var raw []byte
	err := q.QueryRow(ctx, "SELECT value FROM settings WHERE key = $1", SettingAgents).Scan(&raw)
	if err == pgx.ErrNoRows {
		return chat.AgentList{Unrestricted: true}, false, nil
	}
	if err != nil {
		return l, false, err
	}
	return l, true, json.Unmarshal(raw, &l)
}

// putSetting stores key's new value, records the change in the audit log
// and tells every instance.
func putSetting(ctx context.Context, tx *txn, actorID *int64, key string, old, new any) error {
	newJSON, err := json.Marshal(new)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()`, key, newJSON); err != nil {
		return err
	}
	if err := audit(ctx, tx, actorID, "setting.update", key, old, new); err != nil {
		return err
	}
	return notify(ctx, tx, chat.Event{Type: chat.EventSettings})
}

// audit records one change: who (nil: the command line or kefu itself),
// what, and the old and new values (nil: none).
func audit(ctx context.Context, q querier, actorID *int64, action, subject string, old, new any) error {
	var oldJSON, newJSON []byte
	var err error
	if old != nil {
		if oldJSON, err = json.Marshal(old); err != nil {
			return err
		}
	}
	if new != nil {
		if newJSON, err = json.Marshal(new); err != nil {
			return err
		}
	}
	_, err = q.Exec(ctx, `INSERT INTO audit_log (actor_id, action, subject, old_value, new_value)
		VALUES ($1, $2, $3, $4, $5)`, actorID, action, subject, oldJSON, newJSON)
	return err
}

func actorRef(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// changeSettings runs change on the current settings under the settings lock.
func (db *DB) changeSettings(ctx context.Context, what string, change func(tx *txn, cur chat.Settings) error) error {
	err := db.inTx(ctx, func(tx *txn) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", settingsLock); err != nil {
			return err
		}
		cur, err := loadSettings(ctx, tx)
		if err != nil {
			return err
		}
		return change(tx, cur)
	})
	db.ForgetSettings() // this instance's next read sees the change, without waiting for the bus
	if err != nil {
		return fmt.Errorf("store: set %s: %w", what, mapErr(err))
	}
	return nil
}

// SetAgentList replaces customer_service_uids, recording actorID (0: none)
// in the audit log. Every listed id must be a member.
func (db *DB) SetAgentList(ctx context.Context, actorID int64, next chat.AgentList) error {
	return db.changeSettings(ctx, SettingAgents, func(tx *txn, cur chat.Settings) error {
		if !next.Unrestricted {
			var n int
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM users WHERE kind = 'member' AND id = ANY($1)", next.IDs).Scan(&n); err != nil {
				return err
			}
			if n != len(next.IDs) {
				return chat.Invalid("customer_service_uids", "error.settings.agentsRegistered")
			}
		}
		if cur.Agents.Unrestricted == next.Unrestricted && slices.Equal(cur.Agents.IDs, next.IDs) {
			return nil
		}
		return putSetting(ctx, tx, actorRef(actorID), SettingAgents, cur.Agents, next)
	})
}

// SetGrade sets conversation_grade, recording actorID (0: none) in the audit log.
func (db *DB) SetGrade(ctx context.Context, actorID int64, grade int) error {
	if err := chat.ValidateGrade(grade); err != nil {
		return err
	}
	return db.changeSettings(ctx, SettingGrade, func(tx *txn, cur chat.Settings) error {
		if cur.Grade == grade {
			return nil
		}
		return putSetting(ctx, tx, actorRef(actorID), SettingGrade, cur.Grade, grade)
	})
}

// SetDefaultCapacity sets how many open chats a new agent takes.
func (db *DB) SetDefaultCapacity(ctx context.Context, actorID int64, capacity int) error {
	if err := chat.ValidateCapacity(capacity); err != nil {
		return err
	}
	return db.changeSettings(ctx, SettingCapacity, func(tx *txn, cur chat.Settings) error {
		if cur.DefaultCapacity == capacity {
			return nil
		}
		return putSetting(ctx, tx, actorRef(actorID), SettingCapacity, cur.DefaultCapacity, capacity)
	})
}

// SeedSettings stores s for every setting that has never been set: on the
// very first start, from KEFU_CONFIG or the defaults. After that the admin
// pages are the source of truth, and it reports the keys it left alone.
func (db *DB) SeedSettings(ctx context.Context, s chat.Settings) (kept []string, err error) {
	err = db.changeSettings(ctx, "initial settings", func(tx *txn, _ chat.Settings) error {
		for _, kv := range []struct {
			key   string
			value any
		}{{SettingAgents, s.Agents}, {SettingGrade, s.Grade}, {SettingCapacity, s.DefaultCapacity}} {
			raw, err := json.Marshal(kv.value)
			if err != nil {
				return err
			}
			tag, err := tx.Exec(ctx, "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING", kv.key, raw)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				kept = append(kept, kv.key)
				continue
			}
			if err := audit(ctx, tx, nil, "setting.seed", kv.key, nil, kv.value); err != nil {
				return err
			}
		}
		return nil
	})
	return kept, err
}

// errNoAgentList: customer_service_uids is false, so nobody can be added to it.
var errNoAgentList = chat.Invalid("customer_service_uids", "error.settings.noAgentList")

// SetAgent adds userID to customer_service_uids (or takes them off it),
// recording actorID (0: none) in the audit log.
func (db *DB) SetAgent(ctx context.Context, actorID, userID int64, agent bool) error {
	return db.changeSettings(ctx, SettingAgents, func(tx *txn, cur chat.Settings) error {
		if cur.Agents.Unrestricted {
			if !agent {
				return nil
			}
			return errNoAgentList
		}
		if cur.Agents.Has(userID) == agent {
			return nil
		}
		var member bool
		if err := tx.QueryRow(ctx, "SELECT kind = 'member' FROM users WHERE id = $1", userID).Scan(&member); err != nil {
			return err
		}
		if !member {
			return chat.Invalid("customer_service_uids", "error.settings.agentsRegistered")
		}
		next := chat.AgentList{IDs: slices.DeleteFunc(slices.Clone(cur.Agents.IDs), func(id int64) bool { return id == userID })}
		if agent {
			next.IDs = append(next.IDs, userID)
		}
		return putSetting(ctx, tx, actorRef(actorID), SettingAgents, cur.Agents, next)
	})
}
