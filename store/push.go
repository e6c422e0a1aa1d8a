package store

// Web push: the row that keeps the VAPID keys, members' subscribed
// browsers, what each member wants to be told, and the outbox. A
// notification is enqueued in the transaction of the change it reports (an
// assignment, a message, a chat joining the queue), one row per subscribed
// browser and conversation; push workers on every instance lease due rows,
// decide whether they are still needed, and send them.

import (
	"context"
	"crypto/ecdh"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

// Setting keys of web push.
const (
	// SettingVAPID holds the VAPID key pair, so every instance signs alike;
	// package push makes and reads it.
	SettingVAPID = "vapid"
	// SettingPushHideText, when true, leaves message text out of notifications.
	SettingPushHideText = "push_hide_text"
	// SettingPushQuiet is how long, in milliseconds, a notification waits before it is sent.
	SettingPushQuiet = "push_quiet"
)

// DefaultPushQuiet is the quiet period until SetPushQuiet sets another.
const DefaultPushQuiet = 5 * time.Second

// Notification kinds: what a notification is about.
const (
	PushAssigned = "assigned" // a chat was given to the recipient
	PushMessage  = "message"  // someone wrote to the recipient
	PushQueued   = "queued"   // a chat joined the queue
	PushRevoked  = "revoked"  // a message the recipient was notified of was revoked
)

// vapidRow is the settings row of the VAPID keys, base64url without padding.
type vapidRow struct {
	Public  string `json:"public"`
	Private string `json:"private"`
}

// DecodeKey decodes a key of a browser's push subscription: base64url, with
// or without padding, as the Push API gives it and SavePushSubscription accepts it.
func DecodeKey(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

func loadVAPID(ctx context.Context, q querier) (vapidRow, error) {
	var v vapidRow
	err := q.QueryRow(ctx, "SELECT value FROM settings WHERE key = $1", SettingVAPID).Scan(&v)
	return v, err
}

// vapidAudit is what the audit log keeps of a key pair: never the private key.
func vapidAudit(public string) map[string]string { return map[string]string{"public": public} }

// VAPID returns the stored VAPID key pair; none is chat.ErrNotFound.
func (db *DB) VAPID(ctx context.Context) (public, private string, err error) {
	v, err := loadVAPID(ctx, db.pool)
	if err != nil {
		return "", "", fmt.Errorf("store: vapid keys: %w", mapErr(err))
	}
	return v.Public, v.Private, nil
}

// SeedVAPID stores the key pair public, private unless a pair is stored
// already, and returns the stored pair: instances starting together all get
// the pair that was stored first, and only its seeding is audited.
func (db *DB) SeedVAPID(ctx context.Context, public, private string) (string, string, error) {
	var v vapidRow
	err := db.inTx(ctx, func(tx *txn) error {
		tag, err := tx.Exec(ctx, "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
			SettingVAPID, vapidRow{public, private})
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			if err := audit(ctx, tx, nil, "setting.seed", SettingVAPID, nil, vapidAudit(public)); err != nil {
				return err
			}
		}
		v, err = loadVAPID(ctx, tx)
		return err
	})
	if err != nil {
		return "", "", fmt.Errorf("store: seed vapid keys: %w", mapErr(err))
	}
	return v.Public, v.Private, nil
}

// ReplaceVAPID stores the key pair public, private in place of the old one,
// recording actorID (0: none) in the audit log. Push services refuse a
// subscription's notifications signed with another key than the one it was
// made with, so every subscription is deleted, and every device must enable
// notifications again.
func (db *DB) ReplaceVAPID(ctx context.Context, actorID int64, public, private string) error {
	err := db.inTx(ctx, func(tx *txn) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", settingsLock); err != nil {
			return err
		}
		old, err := loadVAPID(ctx, tx)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()`, SettingVAPID, vapidRow{public, private}); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, "DELETE FROM push_subscriptions")
		if err != nil {
			return err
		}
		next := map[string]any{"public": public, "subscriptions_removed": tag.RowsAffected()}
		var was any
		if old.Public != "" {
			was = vapidAudit(old.Public)
		}
		if err := audit(ctx, tx, actorRef(actorID), "vapid.rotate", SettingVAPID, was, next); err != nil {
			return err
		}
		return notify(ctx, tx, chat.Event{Type: chat.EventSettings})
	})
	if err != nil {
		return fmt.Errorf("store: replace vapid keys: %w", mapErr(err))
	}
	return nil
}

// PushSubscription is a browser that receives a member's notifications.
type PushSubscription struct {
	ID       int64
	UserID   int64
	Endpoint string
	// Label names the device: "Chrome on Linux".
	Label      string
	CreatedAt  time.Time
	LastSentAt *time.Time
}

// maxPushLabel bounds a device's label, in characters.
const maxPushLabel = 100

// validPushSubscription checks a subscription as a browser's
// PushSubscription.toJSON() gives it.
func validPushSubscription(endpoint, p256dh, auth string) error {
	u, err := url.Parse(endpoint)
	local := err == nil && u.Scheme == "http" && (u.Hostname() == "localhost" || net.ParseIP(u.Hostname()).IsLoopback())
	if err != nil || u.Host == "" || u.User != nil || len(endpoint) > 2000 || (u.Scheme != "https" && !local) {
		return chat.Invalid("endpoint", "error.push.endpointHTTPS")
	}
	if k, err := DecodeKey(p256dh); err != nil || len(k) != 65 {
		return chat.Invalid("p256dh", "error.push.p256dhSize")
	} else if _, err := ecdh.P256().NewPublicKey(k); err != nil {
		return chat.Invalid("p256dh", "error.push.p256dhPoint")
	}
	if k, err := DecodeKey(auth); err != nil || len(k) != 16 {
		return chat.Invalid("auth", "error.push.auth")
	}
	return nil
}

// SavePushSubscription stores a browser's subscription for userID and
// returns its id. Saving an endpoint again updates its keys and label; an
// endpoint saved by another user (someone else signed in on that browser)
// moves to userID, and what was waiting for the previous user is dropped.
func (db *DB) SavePushSubscription(ctx context.Context, userID int64, endpoint, p256dh, auth, label string) (int64, error) {
	endpoint, label = strings.TrimSpace(endpoint), strings.TrimSpace(label)
	if err := validPushSubscription(endpoint, p256dh, auth); err != nil {
		return 0, err
	}
	if r := []rune(label); len(r) > maxPushLabel {
		label = string(r[:maxPushLabel])
	}
	var id int64
	err := db.inTx(ctx, func(tx *txn) error {
		var previous int64
		err := tx.QueryRow(ctx, "SELECT user_id FROM push_subscriptions WHERE endpoint = $1 FOR UPDATE", endpoint).Scan(&previous)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, label) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth,
				label = excluded.label
			RETURNING id`, userID, endpoint, strings.TrimRight(p256dh, "="), strings.TrimRight(auth, "="), label).Scan(&id); err != nil {
			return err
		}
		if previous == 0 || previous == userID {
			return nil
		}
		_, err = tx.Exec(ctx, "DELETE FROM push_outbox WHERE subscription_id = $1 AND sent_at IS NULL AND cancelled_at IS NULL", id)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: save push subscription of user %d: %w", userID, mapErr(err))
	}
	return id, nil
}

// PushSubscriptions returns userID's subscribed browsers, oldest first.
func (db *DB) PushSubscriptions(ctx context.Context, userID int64) ([]PushSubscription, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, user_id, endpoint, label, created_at, last_sent_at
		FROM push_subscriptions WHERE user_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: push subscriptions of user %d: %w", userID, err)
	}
	subs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PushSubscription, error) {
		var s PushSubscription
		return s, r.Scan(&s.ID, &s.UserID, &s.Endpoint, &s.Label, &s.CreatedAt, &s.LastSentAt)
	})
	if err != nil {
		return nil, fmt.Errorf("store: push subscriptions of user %d: %w", userID, err)
	}
	return subs, nil
}

// DeletePushSubscription forgets one of userID's own browsers, and what was
// waiting for it; anyone else's is chat.ErrNotFound.
func (db *DB) DeletePushSubscription(ctx context.Context, userID, id int64) error {
	tag, err := db.pool.Exec(ctx, "DELETE FROM push_subscriptions WHERE id = $1 AND user_id = $2", id, userID)
	if err == nil && tag.RowsAffected() == 0 {
		err = chat.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store: delete push subscription %d of user %d: %w", id, userID, err)
	}
	return nil
}

// ExpirePushSubscription forgets subscription id because its push service
// said it no longer exists (404 or 410): the browser unsubscribed, or was
// reset. What was waiting for it goes with it.
func (db *DB) ExpirePushSubscription(ctx context.Context, id int64) error {
	if _, err := db.pool.Exec(ctx, "DELETE FROM push_subscriptions WHERE id = $1", id); err != nil {
		return fmt.Errorf("store: expire push subscription %d: %w", id, err)
	}
	return nil
}

// SetPushQueue sets whether agent userID is also told when a chat joins
// the queue. An agent without a routing profile gets one.
func (db *DB) SetPushQueue(ctx context.Context, userID int64, on bool) error {
	tag, err := db.pool.Exec(ctx, `INSERT INTO agents (user_id, capacity, push_queue)
		SELECT id, coalesce((SELECT (value #>> '{}')::int FROM settings WHERE key = $3), 5), $2 FROM users
		WHERE id = $1 AND kind = 'member'
		ON CONFLICT (user_id) DO UPDATE SET push_queue = excluded.push_queue`, userID, on, SettingCapacity)
	if err == nil && tag.RowsAffected() == 0 {
		err = chat.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store: set queue notifications of user %d: %w", userID, err)
	}
	return nil
}

// PushQueue reports whether agent userID is told when a chat joins the queue.
func (db *DB) PushQueue(ctx context.Context, userID int64) (bool, error) {
	var on bool
	err := db.pool.QueryRow(ctx, "SELECT push_queue FROM agents WHERE user_id = $1", userID).Scan(&on)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("store: queue notifications of user %d: %w", userID, err)
	}
	return on, nil
}

// SetMuted mutes or unmutes conversation conversationID for userID: a
// muted conversation sends them no notifications. Only a conversation the
// user may see can be muted; any other is chat.ErrNotFound.
func (db *DB) SetMuted(ctx context.Context, userID, conversationID int64, muted bool) error {
	err := db.inTx(ctx, func(tx *txn) error {
		agents, _, err := agentList(ctx, tx)
		if err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRow(ctx, "SELECT c.id FROM conversations c WHERE "+visibleTo+" AND c.id = $3",
			userID, agents.Has(userID), conversationID).Scan(&id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO conversation_members (conversation_id, user_id, muted) VALUES ($1, $2, $3)
			ON CONFLICT (conversation_id, user_id) DO UPDATE SET muted = excluded.muted`, conversationID, userID, muted)
		if err != nil {
			return err
		}
		return notify(ctx, tx, chat.Event{Type: chat.EventMarked, UserID: userID, ConversationID: conversationID})
	})
	if err != nil {
		return fmt.Errorf("store: mute conversation %d for user %d: %w", conversationID, userID, mapErr(err))
	}
	return nil
}

// Muted reports whether userID muted conversation conversationID.
func (db *DB) Muted(ctx context.Context, userID, conversationID int64) (bool, error) {
	var muted bool
	err := db.pool.QueryRow(ctx, "SELECT muted FROM conversation_members WHERE conversation_id = $1 AND user_id = $2",
		conversationID, userID).Scan(&muted)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("store: muted conversation %d of user %d: %w", conversationID, userID, err)
	}
	return muted, nil
}

// boolSetting reads a JSON boolean setting; unset is false.
func boolSetting(ctx context.Context, q querier, key string) (bool, error) {
	var on bool
	err := q.QueryRow(ctx, "SELECT value FROM settings WHERE key = $1", key).Scan(&on)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return on, err
}

// SetPushHideText sets whether notifications leave message text out
// ("New message" instead of a preview), recording actorID (0: none) in the
// audit log. It holds for every notification sent from then on.
func (db *DB) SetPushHideText(ctx context.Context, actorID int64, hide bool) error {
	return db.changeSettings(ctx, SettingPushHideText, func(tx *txn, _ chat.Settings) error {
		cur, err := boolSetting(ctx, tx, SettingPushHideText)
		if err != nil || cur == hide {
			return err
		}
		return putSetting(ctx, tx, actorRef(actorID), SettingPushHideText, cur, hide)
	})
}

// PushHideText reports whether notifications leave message text out.
func (db *DB) PushHideText(ctx context.Context) (bool, error) {
	hide, err := boolSetting(ctx, db.pool, SettingPushHideText)
	if err != nil {
		return false, fmt.Errorf("store: %s: %w", SettingPushHideText, err)
	}
	return hide, nil
}

// SetPushQuiet sets the quiet period: how long an enqueued notification
// waits before it is sent, so that a message read meanwhile sends none. It
// is kept in the database, so that every instance enqueues alike.
func (db *DB) SetPushQuiet(ctx context.Context, quiet time.Duration) error {
	return db.setQuiet(ctx, SettingPushQuiet, quiet)
}

// setQuiet keeps the quiet period under key, in milliseconds.
func (db *DB) setQuiet(ctx context.Context, key string, quiet time.Duration) error {
	if quiet < 0 {
		return fmt.Errorf("store: set %s: negative %s", key, quiet)
	}
	if _, err := db.pool.Exec(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now() WHERE settings.value <> excluded.value`,
		key, quiet.Milliseconds()); err != nil {
		return fmt.Errorf("store: set %s: %w", key, err)
	}
	return nil
}
