package store

// API keys for host sites' backends, and what the host API reads through them.

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

// APIKey is a host API key as the admin page lists it and as a request
// carries it. The key itself is never stored.
type APIKey struct {
	ID   int64
	Name string
	// Prefix is the key's first characters: enough to tell keys apart, not to use one.
	Prefix string
	// SiteID is the site whose users the key manages (0: users of no site).
	SiteID   int64
	SiteName string
	// UserID makes it a member's key, acting only as that member (0: a host key).
	UserID     int64
	UserName   string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Revoked reports whether an admin revoked the key.
func (k APIKey) Revoked() bool { return k.RevokedAt != nil }

// NewAPIKey is what CreateAPIKey stores: the key's SHA-256, never the key.
type NewAPIKey struct {
	Name   string
	Prefix string
	Hash   []byte
	SiteID int64
	UserID int64
}

// keyUseInterval is how stale last_used_at may get: a busy key is written at
// most once per interval, not once per request.
const keyUseInterval = time.Minute

func apiKeySubject(id int64) string { return "api_key " + strconv.FormatInt(id, 10) }

const apiKeyColumns = `k.id, k.name, k.prefix, coalesce(k.site_id, 0), coalesce(s.name, ''), coalesce(k.user_id, 0),
	display_name(u), k.created_at, k.last_used_at, k.revoked_at`

const apiKeyFrom = ` FROM api_keys k LEFT JOIN sites s ON s.id = k.site_id LEFT JOIN users u ON u.id = k.user_id `

func scanAPIKey(row pgx.Row) (APIKey, error) {
	var k APIKey
	err := row.Scan(&k.ID, &k.Name, &k.Prefix, &k.SiteID, &k.SiteName, &k.UserID, &k.UserName, &k.CreatedAt, &k.LastUsedAt, &k.RevokedAt)
	return k, err
}

// CreateAPIKey stores a new key, recording actorID (0: none) in the audit
// log. A member's key must name an enabled member.
func (db *DB) CreateAPIKey(ctx context.Context, actorID int64, n NewAPIKey) (APIKey, error) {
	var k APIKey
	name, err := chat.ValidateKeyName(n.Name)
	if err != nil {
		return k, err
	}
	if len(n.Hash) == 0 || n.Prefix == "" {
		return k, fmt.Errorf("store: create api key: empty hash or prefix")
	}
	err = db.inTx(ctx, func(tx *txn) error {
		if n.SiteID != 0 {
			var found bool
			err := tx.QueryRow(ctx, "SELECT true FROM sites WHERE id = $1", n.SiteID).Scan(&found)
			if err == pgx.ErrNoRows {
				return chat.Invalid("site", "error.apiKey.site")
			}
			if err != nil {
				return err
			}
		}
		if n.UserID != 0 {
			var member bool
			err := tx.QueryRow(ctx, "SELECT kind = 'member' AND disabled_at IS NULL FROM users WHERE id = $1", n.UserID).Scan(&member)
			if err != nil && err != pgx.ErrNoRows {
				return err
			}
			if !member {
				return chat.Invalid("member", "error.apiKey.member")
			}
		}
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO api_keys (name, prefix, key_hash, site_id, user_id)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, name, n.Prefix, n.Hash, nullID(n.SiteID), nullID(n.UserID)).Scan(&id); err != nil {
			return err
		}
		var err error
		if k, err = scanAPIKey(tx.QueryRow(ctx, "SELECT "+apiKeyColumns+apiKeyFrom+"WHERE k.id = $1", id)); err != nil {
			return err
		}
		return audit(ctx, tx, actorRef(actorID), "api_key.create", apiKeySubject(id), nil, apiKeyAudit(k))
	})
	if err != nil {
		return k, fmt.Errorf("store: create api key: %w", mapErr(err))
	}
	return k, nil
}

// apiKeyAudit is what the audit log keeps of a key: never the key or its hash.
func apiKeyAudit(k APIKey) map[string]any {
	return map[string]any{"name": k.Name, "prefix": k.Prefix, "site_id": k.SiteID, "user_id": k.UserID}
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// APIKeys returns every key, revoked ones included, newest first.
func (db *DB) APIKeys(ctx context.Context) ([]APIKey, error) {
	rows, err := db.pool.Query(ctx, "SELECT "+apiKeyColumns+apiKeyFrom+"ORDER BY k.id DESC")
	if err != nil {
		return nil, fmt.Errorf("store: api keys: %w", err)
	}
	keys, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (APIKey, error) { return scanAPIKey(r) })
	if err != nil {
		return nil, fmt.Errorf("store: api keys: %w", err)
	}
	return keys, nil
}

// RevokeAPIKey stops key id from working, at once and for good, recording
// actorID in the audit log. Revoking a revoked key changes nothing.
func (db *DB) RevokeAPIKey(ctx context.Context, actorID, id int64) error {
	err := db.inTx(ctx, func(tx *txn) error {
		k, err := scanAPIKey(tx.QueryRow(ctx, "SELECT "+apiKeyColumns+apiKeyFrom+"WHERE k.id = $1 FOR UPDATE OF k", id))
		if err != nil || k.Revoked() {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE api_keys SET revoked_at = now() WHERE id = $1", id); err != nil {
			return err
		}
		return audit(ctx, tx, actorRef(actorID), "api_key.revoke", apiKeySubject(id), apiKeyAudit(k), nil)
	})
	if err != nil {
		return fmt.Errorf("store: revoke api key %d: %w", id, mapErr(err))
	}
	return nil
}

// AuthenticateAPIKey returns the live key whose SHA-256 is hash, and
// ErrNotFound for an unknown or revoked key, or a member's key whose member
// is disabled. It records the use at now, at most once a minute per key.
func (db *DB) AuthenticateAPIKey(ctx context.Context, hash []byte, now time.Time) (APIKey, error) {
	k, err := scanAPIKey(db.pool.QueryRow(ctx, "SELECT "+apiKeyColumns+apiKeyFrom+
		"WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND (k.user_id IS NULL OR u.disabled_at IS NULL)", hash))
	if err != nil {
		return k, fmt.Errorf("store: api key: %w", mapErr(err))
	}
	if k.LastUsedAt == nil || k.LastUsedAt.Before(now.Add(-keyUseInterval)) {
		if _, err := db.pool.Exec(ctx, `UPDATE api_keys SET last_used_at = $2
			WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)`, k.ID, now, now.Add(-keyUseInterval)); err != nil {
			return k, fmt.Errorf("store: api key %d: record use: %w", k.ID, err)
		}
		k.LastUsedAt = &now
	}
	return k, nil
}

// ConversationForKey returns conversation id if key k may reach it, and
// ErrNotFound otherwise. A member's key reaches what its member sees; a key
// bound to a site, the conversations of that site or of its users; a key
// with no site, any conversation.
func (db *DB) ConversationForKey(ctx context.Context, id int64, k APIKey) (chat.Conversation, error) {
	if k.UserID != 0 {
		return db.ConversationFor(ctx, id, chat.Viewer{UserID: k.UserID})
	}
	c, err := scanConversation(db.pool.QueryRow(ctx, "SELECT "+conversationColumns+` FROM conversations c
		WHERE c.id = $1 AND ($2 = 0 OR c.site_id = $2
			OR EXISTS (SELECT 1 FROM users u WHERE u.id = c.visitor_id AND u.site_id = $2)
			OR EXISTS (SELECT 1 FROM conversation_members m JOIN users u ON u.id = m.user_id
				WHERE m.conversation_id = c.id AND u.site_id = $2))`, id, k.SiteID))
	if err != nil {
		return c, fmt.Errorf("store: conversation %d for api key %d: %w", id, k.ID, mapErr(err))
	}
	return c, nil
}

// KeySite is a site as the API key form offers it.
type KeySite struct {
	ID   int64
	Name string
}

// KeySites returns the sites a key can be bound to, by name.
func (db *DB) KeySites(ctx context.Context) ([]KeySite, error) {
	rows, err := db.pool.Query(ctx, "SELECT id, name FROM sites ORDER BY lower(name), id")
	if err != nil {
		return nil, fmt.Errorf("store: sites for api keys: %w", err)
	}
	sites, err := pgx.CollectRows(rows, pgx.RowToStructByPos[KeySite])
	if err != nil {
		return nil, fmt.Errorf("store: sites for api keys: %w", err)
	}
	return sites, nil
}
