package store

// Verified visitors: users a host site vouches for, by its id for them.

import (
	"context"
	"fmt"
	"strings"

	"github.com/kefu-im/kefu/chat"
)

// ExternalUser is what a host site says of one of its users.
type ExternalUser struct {
	SiteID     int64 // 0: no site (a host API key that names none)
	ExternalID string
	Name       string
	Email      string
	Avatar     string
}

// maxExternalID is the longest id a host site may give its users.
const maxExternalID = 200

// ValidateExternalUser checks what a host site sent before it is stored.
func ValidateExternalUser(e ExternalUser) error {
	switch {
	case strings.TrimSpace(e.ExternalID) == "" || len(e.ExternalID) > maxExternalID || strings.ContainsRune(e.ExternalID, 0):
		return chat.Invalid("sub", fmt.Sprintf("The user's id is 1 to %d characters.", maxExternalID))
	case len([]rune(e.Name)) > 100 || len(e.Email) > 254 || len(e.Avatar) > 2000:
		return chat.Invalid("name", "The user's name, email or avatar is too long.")
	case e.Avatar != "" && !strings.HasPrefix(e.Avatar, "https://") && !strings.HasPrefix(e.Avatar, "http://"):
		return chat.Invalid("avatar", "The avatar must be an http or https URL.")
	}
	return nil
}

// upsertExternalUser returns the verified visitor (site, external id),
// creating them on first sight and taking the newest name, email and avatar.
func upsertExternalUser(ctx context.Context, q querier, e ExternalUser) (chat.User, error) {
	if err := ValidateExternalUser(e); err != nil {
		return chat.User{}, err
	}
	var site *int64
	if e.SiteID != 0 {
		site = &e.SiteID
	}
	var email *string
	if e.Email != "" {
		email = &e.Email
	}
	return scanUser(q.QueryRow(ctx, `INSERT INTO users (kind, site_id, external_id, name, email, avatar)
		VALUES ('visitor', $1, $2, $3, $4, $5)
		ON CONFLICT (coalesce(site_id, 0), external_id) WHERE external_id IS NOT NULL
		DO UPDATE SET name = excluded.name, email = excluded.email, avatar = excluded.avatar
		RETURNING `+userColumns, site, e.ExternalID, e.Name, email, e.Avatar))
}

// UpsertExternalUser creates or updates the verified visitor e.
func (db *DB) UpsertExternalUser(ctx context.Context, e ExternalUser) (chat.User, error) {
	u, err := upsertExternalUser(ctx, db.pool, e)
	if err != nil {
		return u, fmt.Errorf("store: upsert external user: %w", mapErr(err))
	}
	return u, nil
}

// ExternalUserByID returns the verified visitor (siteID, externalID).
func (db *DB) ExternalUserByID(ctx context.Context, siteID int64, externalID string) (chat.User, error) {
	u, err := scanUser(db.pool.QueryRow(ctx, "SELECT "+userColumns+
		" FROM users WHERE coalesce(site_id, 0) = $1 AND external_id = $2", siteID, externalID))
	if err != nil {
		return u, fmt.Errorf("store: external user: %w", mapErr(err))
	}
	return u, nil
}
