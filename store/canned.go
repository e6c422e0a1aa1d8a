package store

// Canned responses: shared ones, which admins keep (each change in the
// audit log), and each agent's own.

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kefu-im/kefu/chat"
)

const cannedColumns = "id, coalesce(owner_id, 0), shortcut, body"

func scanCanned(row pgx.Row) (chat.Canned, error) {
	var c chat.Canned
	err := row.Scan(&c.ID, &c.OwnerID, &c.Shortcut, &c.Body)
	return c, err
}

func collectCanned(rows pgx.Rows, err error) ([]chat.Canned, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (chat.Canned, error) { return scanCanned(r) })
}

func cannedSubject(id int64) string { return fmt.Sprintf("canned %d", id) }

// ownerRef is owner_id for ownerID: NULL for a shared response.
func ownerRef(ownerID int64) *int64 { return actorRef(ownerID) }

// Canned returns the canned responses of ownerID (0: the shared ones), by shortcut.
func (db *DB) Canned(ctx context.Context, ownerID int64) ([]chat.Canned, error) {
	cs, err := collectCanned(db.pool.Query(ctx, "SELECT "+cannedColumns+` FROM canned_responses
		WHERE owner_id IS NOT DISTINCT FROM $1 ORDER BY shortcut`, ownerRef(ownerID)))
	if err != nil {
		return nil, fmt.Errorf("store: canned responses of %d: %w", ownerID, err)
	}
	return cs, nil
}

// CannedFor returns the canned responses agent userID may use: their own
// and the shared ones, by shortcut, their own first where both have one.
func (db *DB) CannedFor(ctx context.Context, userID int64) ([]chat.Canned, error) {
	cs, err := collectCanned(db.pool.Query(ctx, "SELECT "+cannedColumns+` FROM canned_responses
		WHERE owner_id IS NULL OR owner_id = $1 ORDER BY shortcut, owner_id NULLS LAST`, userID))
	if err != nil {
		return nil, fmt.Errorf("store: canned responses for %d: %w", userID, err)
	}
	return cs, nil
}

// CannedOf returns canned response id if userID may use it: a shared one,
// or their own. Anyone else's is chat.ErrNotFound.
func (db *DB) CannedOf(ctx context.Context, id, userID int64) (chat.Canned, error) {
	c, err := scanCanned(db.pool.QueryRow(ctx, "SELECT "+cannedColumns+` FROM canned_responses
		WHERE id = $1 AND (owner_id IS NULL OR owner_id = $2)`, id, userID))
	if err != nil {
		return c, fmt.Errorf("store: canned response %d for %d: %w", id, userID, mapErr(err))
	}
	return c, nil
}

// SaveCanned creates c (c.ID 0) or changes it, as actorID. c.OwnerID says
// whose it is (0: shared, and the change is audited); a change finds only a
// response of that owner, so no one changes another's. c is checked here
// (chat.Canned.Validate); a shortcut its owner has already is refused.
func (db *DB) SaveCanned(ctx context.Context, actorID int64, c chat.Canned) (chat.Canned, error) {
	c, err := c.Validate()
	if err != nil {
		return c, err
	}
	err = db.inTx(ctx, func(tx *txn) error {
		var old *chat.Canned
		if c.ID == 0 {
			err = tx.QueryRow(ctx, `INSERT INTO canned_responses (owner_id, shortcut, body) VALUES ($1, $2, $3) RETURNING id`,
				ownerRef(c.OwnerID), c.Shortcut, c.Body).Scan(&c.ID)
		} else {
			before, lerr := scanCanned(tx.QueryRow(ctx, "SELECT "+cannedColumns+` FROM canned_responses
				WHERE id = $1 AND owner_id IS NOT DISTINCT FROM $2 FOR UPDATE`, c.ID, ownerRef(c.OwnerID)))
			if lerr != nil {
				return lerr
			}
			old = &before
			_, err = tx.Exec(ctx, `UPDATE canned_responses SET shortcut = $2, body = $3, updated_at = now() WHERE id = $1`,
				c.ID, c.Shortcut, c.Body)
		}
		if err != nil || c.OwnerID != 0 {
			return err
		}
		action := "canned.create"
		if old != nil {
			action = "canned.update"
		}
		return audit(ctx, tx, actorRef(actorID), action, cannedSubject(c.ID), old, c)
	})
	if err != nil {
		return c, fmt.Errorf("store: save canned response %q of %d: %w", c.Shortcut, c.OwnerID, cannedErr(err, c.Shortcut))
	}
	return c, nil
}

// cannedErr says a taken shortcut as a refusal of the shortcut.
func cannedErr(err error, shortcut string) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return chat.Invalid("shortcut", "canned.invalid.shortcutTaken", "Shortcut", "/"+shortcut)
	}
	return mapErr(err)
}

// RemoveCanned deletes canned response id of ownerID (0: a shared one,
// audited), as actorID. Another owner's is chat.ErrNotFound.
func (db *DB) RemoveCanned(ctx context.Context, actorID, id, ownerID int64) error {
	err := db.inTx(ctx, func(tx *txn) error {
		old, err := scanCanned(tx.QueryRow(ctx, `DELETE FROM canned_responses WHERE id = $1 AND owner_id IS NOT DISTINCT FROM $2
			RETURNING `+cannedColumns, id, ownerRef(ownerID)))
		if err != nil || ownerID != 0 {
			return err
		}
		return audit(ctx, tx, actorRef(actorID), "canned.delete", cannedSubject(id), old, nil)
	})
	if err != nil {
		return fmt.Errorf("store: remove canned response %d of %d: %w", id, ownerID, mapErr(err))
	}
	return nil
}

// FillValues returns what canned responses' placeholders stand for in
// conversation id, but the agent's name, which the caller knows: its
// visitor's name and email and its site's name, each "" when there is none.
func (db *DB) FillValues(ctx context.Context, id int64) (chat.FillValues, error) {
	var v chat.FillValues
	err := db.pool.QueryRow(ctx, `SELECT coalesce(u.name, ''), coalesce(u.email, ''), coalesce(s.name, '')
		FROM conversations c LEFT JOIN users u ON u.id = c.visitor_id LEFT JOIN sites s ON s.id = c.site_id
		WHERE c.id = $1`, id).Scan(&v.VisitorName, &v.VisitorEmail, &v.SiteName)
	if err != nil {
		return v, fmt.Errorf("store: placeholders of conversation %d: %w", id, mapErr(err))
	}
	return v, nil
}
