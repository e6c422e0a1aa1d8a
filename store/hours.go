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

// AllSiteHours returns the business hours of every site whose admin set
// some, by site id.
func (db *DB) AllSiteHours(ctx context.Context) (map[int64]chat.Hours, error) {
	rows, err := db.pool.Query(ctx, "SELECT site_id, "+hoursColumns+" FROM site_hours")
	if err != nil {
		return nil, fmt.Errorf("store: hours of every site: %w", err)
	}
	out := make(map[int64]chat.Hours)
	var id int64
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		h, err := scanHours(rowAfter{r, []any{&id}})
		out[id] = h
		return struct{}{}, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: hours of every site: %w", err)
	}
	return out, nil
}

// ReportZone is the time zone a report of site siteID (0: every site) is
// read in unless it names one: that site's business hours' zone, else that
// of the first site that has hours, else "UTC".
func (db *DB) ReportZone(ctx context.Context, siteID int64) (string, error) {
	var zone string
	err := db.pool.QueryRow(ctx, "SELECT time_zone FROM site_hours ORDER BY site_id = $1 DESC, site_id LIMIT 1", siteID).Scan(&zone)
	if err == pgx.ErrNoRows {
		return "UTC", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: report zone of site %d: %w", siteID, err)
	}
	return zone, nil
}

// SetSiteHours replaces site id's business hours and auto-replies with h,
// once h is valid, and tells every instance (chat.EventHours); a site that
// does not exist is chat.ErrNotFound.
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
		if err := audit(ctx, tx, actorRef(actorID), "site.hours", siteSubject(id), old, h); err != nil {
			return err
		}
		return notify(ctx, tx, chat.Event{Type: chat.EventHours})
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
// asks whether it started outside business hours, and how long after a
// chat's wait ended it still sends the waiting reply: the round comes every
// few seconds, and a chat older than this (one from before the site had
// hours, or before its wait was turned on) is left alone.
const outsideWindow = 10 * time.Minute

// AutoReply sends, at now, the auto-replies due: to each chat waiting in
// the queue that started outside its site's business hours, and, while its
// site is open, to each that has waited longer than its site's wait with
// nobody assigned (waitingReplies). Each
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
		waits, err := waitingReplies(ctx, tx, now)
		if err != nil {
			return err
		}
		n = max(len(starts), waits)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: auto-replies: %w", err)
	}
	return n, nil
}

// waitingReplies sends, at now, the waiting auto-reply to the chats due it,
// and returns the most it took of one site. Only while a site is open: its
// chats' waits count from the later of their queue time and the site's
// opening, so that a chat from the night hears the outside-hours reply and
// then, the wait after the team is back, the waiting one. A chat whose wait
// ended more than outsideWindow ago (the round did not run, or the wait was
// just turned on) is left alone rather than told late.
func waitingReplies(ctx context.Context, tx *txn, now time.Time) (int, error) {
	rows, err := tx.Query(ctx, "SELECT site_id, "+hoursColumns+" FROM site_hours WHERE wait_minutes > 0 ORDER BY site_id")
	if err != nil {
		return 0, err
	}
	type site struct {
		id    int64
		hours chat.Hours
	}
	sites, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (site, error) {
		var s site
		var err error
		s.hours, err = scanHours(rowAfter{r, []any{&s.id}})
		return s, err
	})
	if err != nil {
		return 0, err
	}
	most := 0
	for _, s := range sites {
		opened, open := s.hours.OpenedAt(now)
		if !open {
			continue
		}
		wait := time.Duration(s.hours.WaitMinutes) * time.Minute
		rows, err := tx.Query(ctx, `UPDATE conversations c SET waiting_reply_at = $1
			FROM (SELECT c.id FROM conversations c
				WHERE c.site_id = $2 AND c.kind = 'support' AND c.status = 'queued' AND c.assigned_agent_id IS NULL
					AND c.waiting_reply_at IS NULL
					AND greatest(c.queued_at, $3) <= $1::timestamptz - $4::interval
					AND greatest(c.queued_at, $3) > $1::timestamptz - $4::interval - $5::interval
				ORDER BY c.queued_at, c.id LIMIT $6 FOR UPDATE OF c SKIP LOCKED) due
			WHERE c.id = due.id AND c.waiting_reply_at IS NULL
			RETURNING c.id`, now, s.id, opened, wait, outsideWindow, AutoReplyBatch)
		if err != nil {
			return 0, err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return 0, err
		}
		for _, id := range ids {
			if err := systemLine(ctx, tx, id, chat.LineAutoWaiting, s.hours.Waiting.Args()...); err != nil {
				return 0, err
			}
		}
		most = max(most, len(ids))
	}
	return most, nil
}

// rowAfter scans a row whose first columns go to first, and the rest as
// the caller's Scan asks.
type rowAfter struct {
	pgx.Row
	first []any
}

func (r rowAfter) Scan(dest ...any) error { return r.Row.Scan(append(r.first, dest...)...) }
