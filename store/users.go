package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
)

var userColumns = userColumnsOf("users")

// userColumnsOf is the column list scanUser reads, from the users table under alias t.
func userColumnsOf(t string) string {
	return fmt.Sprintf("%[1]s.id, %[1]s.kind, coalesce(%[1]s.email, ''), %[1]s.name, %[1]s.is_admin, %[1]s.disabled_at, "+
		"coalesce(%[1]s.site_id, 0), coalesce(%[1]s.external_id, ''), %[1]s.avatar, coalesce(%[1]s.language, '')", t)
}

// scanUser scans userColumns, then extra.
func scanUser(row pgx.Row, extra ...any) (chat.User, error) {
	var u chat.User
	err := row.Scan(append(userFields(&u), extra...)...)
	return u, err
}

func userFields(u *chat.User) []any {
	return []any{&u.ID, &u.Kind, &u.Email, &u.Name, &u.IsAdmin, &u.DisabledAt, &u.SiteID, &u.ExternalID, &u.Avatar, &u.Language}
}

// User returns the user with id.
func (db *DB) User(ctx context.Context, id int64) (chat.User, error) {
	u, err := scanUser(db.pool.QueryRow(ctx, "SELECT "+userColumns+" FROM users WHERE id = $1", id))
	if err != nil {
		return u, fmt.Errorf("store: user %d: %w", id, mapErr(err))
	}
	return u, nil
}

// MemberByEmail returns the member with email and their password hash.
func (db *DB) MemberByEmail(ctx context.Context, email string) (chat.User, string, error) {
	c, err := db.CredentialsByEmail(ctx, email)
	return c.User, c.PasswordHash, err
}

// Credentials are what signing in checks and what the session remembers.
type Credentials struct {
	User         chat.User
	PasswordHash string
	// SessionEpoch is bumped by a password reset: a session signed in under
	// an older epoch no longer counts.
	SessionEpoch int
}

// CredentialsByEmail returns the member with email, their password hash and session epoch.
func (db *DB) CredentialsByEmail(ctx context.Context, email string) (Credentials, error) {
	var c Credentials
	var err error
	c.User, err = scanUser(db.pool.QueryRow(ctx, "SELECT "+userColumns+", coalesce(password_hash, ''), session_epoch FROM users WHERE kind = 'member' AND lower(email) = lower($1)", email),
		&c.PasswordHash, &c.SessionEpoch)
	if err != nil {
		return c, fmt.Errorf("store: member by email: %w", mapErr(err))
	}
	return c, nil
}

// SessionUser returns the user with id and their session epoch, in one
// lookup: every signed-in request checks both.
func (db *DB) SessionUser(ctx context.Context, id int64) (chat.User, int, error) {
	var epoch int
	u, err := scanUser(db.pool.QueryRow(ctx, "SELECT "+userColumns+", session_epoch FROM users WHERE id = $1", id), &epoch)
	if err != nil {
		return u, 0, fmt.Errorf("store: session user %d: %w", id, mapErr(err))
	}
	return u, epoch, nil
}

// SetLanguage records userID's choice of language, one of i18n.Languages;
// "" follows their browser again.
func (db *DB) SetLanguage(ctx context.Context, userID int64, lang string) error {
	var l *string
	if lang != "" {
		if !i18n.Supported(lang) {
			return fmt.Errorf("store: language of user %d: %w", userID, chat.Invalid("language", "error.language"))
		}
		l = &lang
	}
	tag, err := db.pool.Exec(ctx, "UPDATE users SET language = $2 WHERE id = $1", userID, l)
	if err != nil {
		return fmt.Errorf("store: language of user %d: %w", userID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store: language of user %d: %w", userID, chat.ErrNotFound)
	}
	return nil
}

// NewMember is what CreateMember needs.
type NewMember struct {
	Email, Name, PasswordHash string
	IsAdmin                   bool
	// ActorID is the admin who adds the member, for the audit log (0: the
	// command line or kefu itself).
	ActorID int64
}

// CreateMember adds a member who signs in with a password, and records it in the audit log.
func (db *DB) CreateMember(ctx context.Context, m NewMember) (chat.User, error) {
	var u chat.User
	err := db.inTx(ctx, func(tx *txn) error {
		var err error
		u, err = createMember(ctx, tx, m)
		return err
	})
	if err != nil {
		return u, fmt.Errorf("store: create member: %w", mapErr(err))
	}
	return u, nil
}

func createMember(ctx context.Context, q querier, m NewMember) (chat.User, error) {
	u, err := scanUser(q.QueryRow(ctx, `INSERT INTO users (kind, email, name, password_hash, is_admin)
		VALUES ('member', $1, $2, $3, $4) RETURNING `+userColumns, strings.TrimSpace(m.Email), m.Name, m.PasswordHash, m.IsAdmin))
	if err != nil {
		return u, err
	}
	created := map[string]any{"email": u.Email, "name": u.Name, "admin": u.IsAdmin}
	return u, audit(ctx, q, actorRef(m.ActorID), "user.create", userSubject(u.ID), nil, created)
}

// CreateVisitor adds a widget visitor identified by the hash of their token.
func (db *DB) CreateVisitor(ctx context.Context, tokenHash []byte) (chat.User, error) {
	u, err := scanUser(db.pool.QueryRow(ctx, `INSERT INTO users (kind, visitor_token_hash)
		VALUES ('visitor', $1) RETURNING `+userColumns, tokenHash))
	if err != nil {
		return u, fmt.Errorf("store: create visitor: %w", mapErr(err))
	}
	return u, nil
}

// VisitorByToken returns the visitor whose token hashes to tokenHash.
func (db *DB) VisitorByToken(ctx context.Context, tokenHash []byte) (chat.User, error) {
	// An anonymous visitor's own token, or a verified visitor's widget session.
	u, err := scanUser(db.pool.QueryRow(ctx, "SELECT "+userColumns+` FROM users WHERE kind = 'visitor' AND (visitor_token_hash = $1
		OR id = (SELECT user_id FROM visitor_tokens WHERE token_hash = $1 AND expires_at > now()))`, tokenHash))
	if err != nil {
		return u, fmt.Errorf("store: visitor by token: %w", mapErr(err))
	}
	return u, nil
}

// EnsureAdmin creates the first admin, and lists them as customer service,
// unless an admin exists already. It reports whether it created one.
// Replicas starting together are serialised by a transaction-scoped lock.
func (db *DB) EnsureAdmin(ctx context.Context, m NewMember) (chat.User, bool, error) {
	var u chat.User
	var created bool
	err := db.inTx(ctx, func(tx *txn) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", settingsLock); err != nil {
			return err
		}
		var err error
		u, err = scanUser(tx.QueryRow(ctx, "SELECT "+userColumns+" FROM users WHERE is_admin ORDER BY id LIMIT 1"))
		if err == nil {
			return nil
		}
		if err != pgx.ErrNoRows {
			return err
		}
		m.IsAdmin = true
		if u, err = createMember(ctx, tx, m); err != nil {
			return err
		}
		agents, set, err := agentList(ctx, tx)
		if err != nil {
			return err
		}
		if !set || !agents.Unrestricted {
			next := chat.AgentList{IDs: append(slices.Clip(agents.IDs), u.ID)}
			if err := putSetting(ctx, tx, &u.ID, SettingAgents, agents, next); err != nil {
				return err
			}
		}
		created = true
		return nil
	})
	if err != nil {
		return u, false, fmt.Errorf("store: ensure admin: %w", mapErr(err))
	}
	return u, created, nil
}

// Users returns the users with ids, in id order.
func (db *DB) Users(ctx context.Context, ids []int64) ([]chat.User, error) {
	rows, err := db.pool.Query(ctx, "SELECT "+userColumns+" FROM users WHERE id = ANY($1) ORDER BY id", ids)
	if err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	users, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (chat.User, error) { return scanUser(r) })
	if err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	return users, nil
}

// SetDisabled disables (or enables) a user, recording actorID (0: none) in the
// audit log. Disabling is announced on the bus so that every instance closes
// the user's sockets at once; their session cookies stop working at their next
// request, because every request loads the user.
func (db *DB) SetDisabled(ctx context.Context, actorID, userID int64, disabled bool) error {
	var actor *int64
	if actorID != 0 {
		actor = &actorID
	}
	err := db.inTx(ctx, func(tx *txn) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, now()) END
			WHERE id = $1`, userID, disabled)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return chat.ErrNotFound
		}
		action := "user.enable"
		if disabled {
			action = "user.disable"
		}
		if _, err := tx.Exec(ctx, `INSERT INTO audit_log (actor_id, action, subject) VALUES ($1, $2, $3)`,
			actor, action, fmt.Sprintf("user %d", userID)); err != nil {
			return err
		}
		if disabled {
			return notify(ctx, tx, chat.Event{Type: chat.EventUserDisabled, UserID: userID})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: set user %d disabled %v: %w", userID, disabled, mapErr(err))
	}
	return nil
}
