package store

// Sites that embed the widget, and the identity secrets they sign with.

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

const siteColumns = "id, name, origins, greeting, colour, prechat_name, prechat_email, offline_message, coalesce(language, ''), typing_preview"

func scanSite(row pgx.Row, extra ...any) (chat.Site, error) {
	var s chat.Site
	var name, email string // pre-chat rules
	err := row.Scan(append([]any{&s.ID, &s.Name, &s.Origins, &s.Greeting, &s.Colour, &name, &email, &s.OfflineMessage, &s.Language, &s.TypingPreview}, extra...)...)
	if err != nil {
		return s, err
	}
	if s.PrechatName, err = chat.ParseFieldRule(name); err != nil {
		return s, err
	}
	s.PrechatEmail, err = chat.ParseFieldRule(email)
	return s, err
}

func siteSubject(id int64) string { return fmt.Sprintf("site %d", id) }

// CreateSite adds a site whose identity secret is secret.
func (db *DB) CreateSite(ctx context.Context, actorID int64, s chat.Site, secret string) (chat.Site, error) {
	s, err := chat.ValidateSite(s)
	if err != nil {
		return s, err
	}
	err = db.inTx(ctx, func(tx *txn) error {
		var err error
		s, err = scanSite(tx.QueryRow(ctx, `INSERT INTO sites (name, origins, greeting, colour, prechat_name, prechat_email, offline_message, language, identity_secret, typing_preview)
			VALUES ($1, $2, $3, $4, $5, $6, $7, nullif($8, ''), $9, $10) RETURNING `+siteColumns,
			s.Name, s.Origins, s.Greeting, s.Colour, s.PrechatName.String(), s.PrechatEmail.String(), s.OfflineMessage, s.Language, secret, s.TypingPreview))
		if err != nil {
			return err
		}
		return audit(ctx, tx, actorRef(actorID), "site.create", siteSubject(s.ID), nil, s)
	})
	if err != nil {
		return s, fmt.Errorf("store: create site: %w", mapErr(err))
	}
	return s, nil
}

// UpdateSite replaces site s.ID's settings (not its secret).
func (db *DB) UpdateSite(ctx context.Context, actorID int64, s chat.Site) (chat.Site, error) {
	s, err := chat.ValidateSite(s)
	if err != nil {
		return s, err
	}
	err = db.inTx(ctx, func(tx *txn) error {
		old, err := scanSite(tx.QueryRow(ctx, "SELECT "+siteColumns+" FROM sites WHERE id = $1 FOR UPDATE", s.ID))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE sites SET name = $2, origins = $3, greeting = $4, colour = $5, prechat_name = $6,
			prechat_email = $7, offline_message = $8, language = nullif($9, ''), typing_preview = $10 WHERE id = $1`,
			s.ID, s.Name, s.Origins, s.Greeting, s.Colour, s.PrechatName.String(), s.PrechatEmail.String(), s.OfflineMessage, s.Language, s.TypingPreview); err != nil {
			return err
		}
		return audit(ctx, tx, actorRef(actorID), "site.update", siteSubject(s.ID), old, s)
	})
	if err != nil {
		return s, fmt.Errorf("store: update site %d: %w", s.ID, mapErr(err))
	}
	return s, nil
}

// RotateSiteSecret gives site id the new identity secret: every token
// signed with the old one is refused from now on.
func (db *DB) RotateSiteSecret(ctx context.Context, actorID, id int64, secret string) error {
	err := db.inTx(ctx, func(tx *txn) error {
		tag, err := tx.Exec(ctx, "UPDATE sites SET identity_secret = $2 WHERE id = $1", id, secret)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return chat.ErrNotFound
		}
		return audit(ctx, tx, actorRef(actorID), "site.rotate_secret", siteSubject(id), nil, nil)
	})
	if err != nil {
		return fmt.Errorf("store: rotate secret of site %d: %w", id, mapErr(err))
	}
	return nil
}

// Site returns site id.
func (db *DB) Site(ctx context.Context, id int64) (chat.Site, error) {
	s, err := scanSite(db.pool.QueryRow(ctx, "SELECT "+siteColumns+" FROM sites WHERE id = $1", id))
	if err != nil {
		return s, fmt.Errorf("store: site %d: %w", id, mapErr(err))
	}
	return s, nil
}

// SiteSecret returns site id's identity secret, for the admin page and for verifying tokens.
func (db *DB) SiteSecret(ctx context.Context, id int64) (string, error) {
	var secret string
	if err := db.pool.QueryRow(ctx, "SELECT identity_secret FROM sites WHERE id = $1", id).Scan(&secret); err != nil {
		return "", fmt.Errorf("store: secret of site %d: %w", id, mapErr(err))
	}
	return secret, nil
}

// Sites returns every site, by name.
func (db *DB) Sites(ctx context.Context) ([]chat.Site, error) {
	rows, err := db.pool.Query(ctx, "SELECT "+siteColumns+" FROM sites ORDER BY lower(name), id")
	if err != nil {
		return nil, fmt.Errorf("store: sites: %w", err)
	}
	sites, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (chat.Site, error) { return scanSite(r) })
	if err != nil {
		return nil, fmt.Errorf("store: sites: %w", err)
	}
	return sites, nil
}

// TypingPreview reports whether conversation id came from a site that shows
// agents what its visitors type before they send it; false for one from no site.
func (db *DB) TypingPreview(ctx context.Context, id int64) (bool, error) {
	var on bool
	err := db.pool.QueryRow(ctx, `SELECT coalesce(s.typing_preview, false) FROM conversations c
		LEFT JOIN sites s ON s.id = c.site_id WHERE c.id = $1`, id).Scan(&on)
	if err != nil {
		return false, fmt.Errorf("store: typing preview of conversation %d: %w", id, mapErr(err))
	}
	return on, nil
}
