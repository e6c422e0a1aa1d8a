package store

// Business hours and auto-replies: when a site's team answers, and the
// replies kefu sends its visitors on the team's behalf, each exactly once
// per chat however many instances make the round (AutoReply).

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

const hoursColumns = `time_zone, schedule, array(SELECT to_char(d, 'YYYY-MM-DD') FROM unnest(holidays) d ORDER BY d),
	wait_minutes, waiting_en, waiting_zh, outside_en, outside_zh`

func scanHours(row pgx.Row) (chat.Hours, error) {
	var h chat.Hours
	err := row.Scan(&h.Zone, &h.Days, &h.Holidays, &h.WaitMinutes, &h.Waiting.EN, &h.Waiting.ZH, &h.Outside.EN, &h.Outside.ZH)
	return h, err
}

// SiteHours returns site id's business hours and auto-replies: the zero
// Hours (always open, no replies) for a site whose admin set none.
func (db *DB) SiteHours(ctx context.Context, id int64) (chat.Hours, error) {
	h, err := scanHours(db.pool.QueryRow(ctx, "SELECT "+hoursColumns+" FROM site_hours WHERE site_id = $1", id))
	if err == pgx.ErrNoRows {
		return chat.Hours{}, nil
	}
	if err != nil {
		return h, fmt.Errorf("store: hours of site %d: %w", id, err)
	}
	return h, nil
}

// SetSiteHours replaces site id's business hours and auto-replies with h,
// once h is valid; a site that does not exist is chat.ErrNotFound.
func (db *DB) SetSiteHours(ctx context.Context, actorID, id int64, h chat.Hours) error {
	if err := h.Validate(); err != nil {
		return err
	}
	if h.Zone == "" {
		h.Zone = "UTC"
	}
	if h.Holidays == nil {
		h.Holidays = []string{}
	}
	err := db.inTx(ctx, func(tx *txn) error {
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT true FROM sites WHERE id = $1 FOR UPDATE", id).Scan(&exists); err != nil {
			return err
		}
		old, err := scanHours(tx.QueryRow(ctx, "SELECT "+hoursColumns+" FROM site_hours WHERE site_id = $1", id))
		if err != nil && err != pgx.ErrNoRows {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO site_hours AS h (site_id, time_zone, schedule, holidays, wait_minutes,
				waiting_en, waiting_zh, outside_en, outside_zh)
			VALUES ($1, $2, $3, $4::date[], $5, $6, $7, $8, $9)
			ON CONFLICT (site_id) DO UPDATE SET time_zone = excluded.time_zone, schedule = excluded.schedule,
				holidays = excluded.holidays, wait_minutes = excluded.wait_minutes, waiting_en = excluded.waiting_en,
				waiting_zh = excluded.waiting_zh, outside_en = excluded.outside_en, outside_zh = excluded.outside_zh`,
			id, h.Zone, h.Days, h.Holidays, h.WaitMinutes, h.Waiting.EN, h.Waiting.ZH, h.Outside.EN, h.Outside.ZH); err != nil {
			return err
		}
		return audit(ctx, tx, actorRef(actorID), "site.hours", siteSubject(id), old, h)
	})
	if err != nil {
		return fmt.Errorf("store: set hours of site %d: %w", id, mapErr(err))
	}
	return nil
}

// AutoReplyBatch is the most chats of each kind one AutoReply takes; the
// next call takes more.
const AutoReplyBatch = 100

// outsideWindow is how long after a chat joined the queue the round still
// asks whether it started outside business hours: the round comes every few
// seconds, and a chat older than this (one from before the site had hours)
// is left alone.
const outsideWindow = 10 * time.Minute

// AutoReply sends, at now, the auto-replies due: to each chat waiting in
// the queue that started outside its site's business hours, and to each
// that has waited longer than its site's wait with nobody assigned. Each
// goes to a chat exactly once however many instances call it at the same
// time: a round takes its chats under their row locks (SKIP LOCKED), and
// marks each one it has seen, which a later round finds marked. It returns
// how many chats it took, for the caller to go on while a batch was full.
func (db *DB) AutoReply(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := db.inTx(ctx, func(tx *txn) error {
		n = 0
		type started struct {
			id      int64
			queued  time.Time
			hours   chat.Hours
			outside chat.Replies
		}
		rows, err := tx.Query(ctx, `SELECT c.id, c.queued_at, `+hoursColumns+` FROM conversations c
			JOIN site_hours h ON h.site_id = c.site_id
			WHERE c.kind = 'support' AND c.status = 'queued' AND c.hours_checked_at IS NULL
				AND c.queued_at > $1::timestamptz - $3::interval AND c.queued_at <= $1
			ORDER BY c.queued_at, c.id LIMIT $2 FOR UPDATE OF c SKIP LOCKED`, now, AutoReplyBatch, outsideWindow)
		if err != nil {
			return err
		}
		starts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (started, error) {
			var s started
			var err error
			s.hours, err = scanHours(rowAfter{r, []any{&s.id, &s.queued}})
			return s, err
		})
		if err != nil {
			return err
		}
		ids := make([]int64, 0, len(starts))
		for _, s := range starts {
			ids = append(ids, s.id)
		}
		if len(ids) > 0 {
			if _, err := tx.Exec(ctx, "UPDATE conversations SET hours_checked_at = $2 WHERE id = ANY($1)", ids, now); err != nil {
				return err
			}
		}
		for _, s := range starts {
			if !s.hours.Open(s.queued) {
				if err := systemLine(ctx, tx, s.id, chat.LineAutoOutside, s.hours.Outside.Args()...); err != nil {
					return err
				}
			}
		}
		rows, err = tx.Query(ctx, `UPDATE conversations c SET waiting_reply_at = $1
			FROM (SELECT c.id, h.waiting_en, h.waiting_zh FROM conversations c JOIN site_hours h ON h.site_id = c.site_id
				WHERE c.kind = 'support' AND c.status = 'queued' AND c.assigned_agent_id IS NULL
					AND c.waiting_reply_at IS NULL AND h.wait_minutes > 0
					AND c.queued_at <= $1::timestamptz - make_interval(mins => h.wait_minutes)
				ORDER BY c.queued_at, c.id LIMIT $2 FOR UPDATE OF c SKIP LOCKED) due
			WHERE c.id = due.id AND c.waiting_reply_at IS NULL
			RETURNING c.id, due.waiting_en, due.waiting_zh`, now, AutoReplyBatch)
		if err != nil {
			return err
		}
		type waited struct {
			id      int64
			replies chat.Replies
		}
		waits, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (waited, error) {
			var w waited
			return w, r.Scan(&w.id, &w.replies.EN, &w.replies.ZH)
		})
		if err != nil {
			return err
		}
		for _, w := range waits {
			if err := systemLine(ctx, tx, w.id, chat.LineAutoWaiting, w.replies.Args()...); err != nil {
				return err
			}
		}
		n = max(len(starts), len(waits))
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: auto-replies: %w", err)
	}
	return n, nil
}

// rowAfter scans a row whose first columns go to first, and the rest as
// the caller's Scan asks.
type rowAfter struct {
	pgx.Row
	first []any
}

func (r rowAfter) Scan(dest ...any) error { return r.Row.Scan(append(r.first, dest...)...) }
