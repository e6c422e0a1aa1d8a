package store

// Reports: figures of customer service over a range of time, read from what
// the chats keep. A chat here is one round of a support conversation: each
// resolved round is a row of past_chats (kept at every resolve), and the
// round still open is the conversation itself. Every figure is about the
// rounds that started (were queued) in the range.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kefu-im/kefu/chat"
)

const (
	// MaxReportRange is the longest range a report covers.
	MaxReportRange = 366 * 24 * time.Hour
	// reportComments is how many of the newest rating comments a report lists.
	reportComments = 50
)

// ReportFilter chooses the chats a report is about: those started in
// [From, To), bucketed by day (or week) and hour in time zone Zone, and,
// when set, of one site, one agent and carrying one label.
type ReportFilter struct {
	From, To time.Time
	// Zone is an IANA time zone name ("Asia/Shanghai").
	Zone string
	// Weekly buckets the series by week (from Monday) instead of by day.
	Weekly  bool
	SiteID  int64
	AgentID int64
	LabelID int64
}

// Validate refuses a range that is reversed, empty or longer than
// MaxReportRange, and a time zone Go does not know.
func (f ReportFilter) Validate() error {
	switch {
	case f.From.IsZero() || f.To.IsZero():
		return chat.Invalid("from", "error.report.date")
	case !f.To.After(f.From):
		return chat.Invalid("to", "error.report.reversed")
	case f.To.Sub(f.From) > MaxReportRange:
		return chat.Invalid("to", "error.report.tooLong", "Days", int(MaxReportRange/(24*time.Hour)))
	case f.SiteID < 0 || f.AgentID < 0 || f.LabelID < 0:
		return chat.Invalid("filter", "error.report.unknown")
	}
	if _, err := time.LoadLocation(f.Zone); err != nil || f.Zone == "" || f.Zone == "Local" {
		return chat.Invalid("tz", "error.report.zone", "Zone", f.Zone)
	}
	return nil
}

// unit is the date_trunc field of f's series.
func (f ReportFilter) unit() string {
	if f.Weekly {
		return "week"
	}
	return "day"
}

// Spread is a duration's median and 90th percentile; Count is how many
// chats it is taken over (zero: there is none, and both are zero).
type Spread struct {
	Count       int
	Median, P90 time.Duration
}

// ReportBucket is one day or week of a report's series; Start is its first
// day, a date in the filter's time zone (midnight UTC).
type ReportBucket struct {
	Start                    time.Time
	Started, Answered, Ended int
	// FirstResponse and Resolution are medians (zero: none).
	FirstResponse, Resolution time.Duration
}

// ReportAgent is one agent's chats in a report.
type ReportAgent struct {
	ID                        int64
	Name                      string
	Chats, Resolved, Rated    int
	FirstResponse, Resolution time.Duration // medians
	// Rating is the average of the rated chats (zero: none rated).
	Rating float64
}

// ReportComment is a rating a visitor left with a comment.
type ReportComment struct {
	ConversationID int64
	Rating         int
	Comment        string
	ResolvedAt     time.Time
	Agent          string
}

// Report is what a reports page and its CSV show.
type Report struct {
	Filter ReportFilter
	// Started is how many chats started; Answered how many of them an agent
	// answered, Resolved how many were resolved.
	Started, Answered, Resolved int
	FirstResponse, Resolution   Spread
	// Rated is how many chats were rated, Rating their average (zero: none),
	// Ratings how many got each mark (Ratings[0]: 1 star).
	Rated   int
	Rating  float64
	Ratings [5]int
	Series  []ReportBucket
	Agents  []ReportAgent
	// Hours counts the chats started at each hour of the day.
	Hours    [24]int
	Comments []ReportComment
}

// ReportChoice is a site, agent or label a report can be filtered by.
type ReportChoice struct {
	ID   int64
	Name string
}

// ReportChoices are what a report's filters offer.
type ReportChoices struct {
	Sites, Agents, Labels []ReportChoice
}

// reportRounds selects the rounds a report is about ($1 from, $2 to, $3 site,
// $4 agent, $5 label; 0: any), with their first response and resolution in
// seconds. Each side is read by its index on the start (0027_report_indexes).
const reportRounds = `WITH rounds AS (
	SELECT p.conversation_id, p.agent_id, coalesce(p.queued_at, p.resolved_at) AS started_at,
		extract(epoch FROM p.first_response_at - p.queued_at)::float8 AS first_response,
		extract(epoch FROM p.resolved_at - p.queued_at)::float8 AS resolution,
		true AS ended, p.rating
	FROM past_chats p
	WHERE coalesce(p.queued_at, p.resolved_at) >= $1 AND coalesce(p.queued_at, p.resolved_at) < $2
		AND ($3::bigint = 0 OR p.site_id = $3) AND ($4::bigint = 0 OR p.agent_id = $4)
	UNION ALL
	SELECT c.id, c.assigned_agent_id, c.queued_at,
		extract(epoch FROM c.first_response_at - c.queued_at)::float8, NULL, false, NULL
	FROM conversations c
	WHERE c.kind = 'support' AND c.status <> 'resolved' AND c.queued_at >= $1 AND c.queued_at < $2
		AND ($3::bigint = 0 OR c.site_id = $3) AND ($4::bigint = 0 OR c.assigned_agent_id = $4)
), chosen AS (
	SELECT * FROM rounds r
	WHERE $5::bigint = 0 OR EXISTS (SELECT FROM conversation_labels l WHERE l.conversation_id = r.conversation_id AND l.label_id = $5)
)
`

// Report returns the figures of the chats filter f chooses. A filter that
// Validate refuses, or that names a site, agent or label there is not, is
// refused with a *chat.ValidationError.
func (db *DB) Report(ctx context.Context, f ReportFilter) (Report, error) {
	if err := f.Validate(); err != nil {
		return Report{}, err
	}
	rep := Report{Filter: f}
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var site, agent, label bool
		if err := tx.QueryRow(ctx, `SELECT $1::bigint = 0 OR EXISTS (SELECT FROM sites WHERE id = $1),
				$2::bigint = 0 OR EXISTS (SELECT FROM users WHERE id = $2 AND kind = 'member'),
				$3::bigint = 0 OR EXISTS (SELECT FROM labels WHERE id = $3)`,
			f.SiteID, f.AgentID, f.LabelID).Scan(&site, &agent, &label); err != nil {
			return err
		}
		switch {
		case !site:
			return chat.Invalid("site", "error.report.unknownSite")
		case !agent:
			return chat.Invalid("agent", "error.report.unknownAgent")
		case !label:
			return chat.Invalid("label", "error.report.unknownLabel")
		}
		args := []any{f.From, f.To, f.SiteID, f.AgentID, f.LabelID, f.Zone, f.unit()}
		b := &pgx.Batch{}
		b.Queue(reportRounds+`SELECT count(*), count(first_response), count(*) FILTER (WHERE ended), count(rating),
				percentile_cont(0.5) WITHIN GROUP (ORDER BY first_response), percentile_cont(0.9) WITHIN GROUP (ORDER BY first_response),
				percentile_cont(0.5) WITHIN GROUP (ORDER BY resolution), percentile_cont(0.9) WITHIN GROUP (ORDER BY resolution),
				count(resolution), coalesce(avg(rating)::float8, 0),
				count(*) FILTER (WHERE rating = 1), count(*) FILTER (WHERE rating = 2), count(*) FILTER (WHERE rating = 3),
				count(*) FILTER (WHERE rating = 4), count(*) FILTER (WHERE rating = 5)
			FROM chosen`, args[:5]...).QueryRow(func(row pgx.Row) error {
			var frMedian, frP90, resMedian, resP90 *float64
			err := row.Scan(&rep.Started, &rep.FirstResponse.Count, &rep.Resolved, &rep.Rated,
				&frMedian, &frP90, &resMedian, &resP90, &rep.Resolution.Count, &rep.Rating,
				&rep.Ratings[0], &rep.Ratings[1], &rep.Ratings[2], &rep.Ratings[3], &rep.Ratings[4])
			rep.Answered = rep.FirstResponse.Count
			rep.FirstResponse.Median, rep.FirstResponse.P90 = seconds(frMedian), seconds(frP90)
			rep.Resolution.Median, rep.Resolution.P90 = seconds(resMedian), seconds(resP90)
			return err
		})
		b.Queue(reportRounds+`, buckets AS (
				SELECT generate_series(date_trunc($7, $1 AT TIME ZONE $6),
					date_trunc($7, ($2 - interval '1 microsecond') AT TIME ZONE $6), ('1 ' || $7)::interval) AS start)
			SELECT b.start, count(c.started_at), count(c.first_response), count(*) FILTER (WHERE c.ended),
				percentile_cont(0.5) WITHIN GROUP (ORDER BY c.first_response),
				percentile_cont(0.5) WITHIN GROUP (ORDER BY c.resolution)
			FROM buckets b LEFT JOIN chosen c ON date_trunc($7, c.started_at AT TIME ZONE $6) = b.start
			GROUP BY b.start ORDER BY b.start`, args...).Query(func(rows pgx.Rows) error {
			var err error
			rep.Series, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (ReportBucket, error) {
				var bk ReportBucket
				var fr, res *float64
				err := row.Scan(&bk.Start, &bk.Started, &bk.Answered, &bk.Ended, &fr, &res)
				bk.FirstResponse, bk.Resolution = seconds(fr), seconds(res)
				return bk, err
			})
			return err
		})
		b.Queue(reportRounds+`SELECT h::int, count(c.started_at)
			FROM generate_series(0, 23) h LEFT JOIN chosen c ON extract(hour FROM c.started_at AT TIME ZONE $6) = h
			GROUP BY h ORDER BY h`, args[:6]...).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var h, n int
				if err := rows.Scan(&h, &n); err != nil {
					return err
				}
				rep.Hours[h] = n
			}
			return rows.Err()
		})
		b.Queue(reportRounds+`SELECT c.agent_id, display_name(u), count(*)::int, count(*) FILTER (WHERE c.ended)::int, count(c.rating)::int,
				percentile_cont(0.5) WITHIN GROUP (ORDER BY c.first_response),
				percentile_cont(0.5) WITHIN GROUP (ORDER BY c.resolution),
				coalesce(avg(c.rating)::float8, 0)
			FROM chosen c JOIN users u ON u.id = c.agent_id
			GROUP BY c.agent_id, u.id ORDER BY count(*) DESC, lower(display_name(u)), c.agent_id`, args[:5]...).Query(func(rows pgx.Rows) error {
			var err error
			rep.Agents, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (ReportAgent, error) {
				var a ReportAgent
				var fr, res *float64
				err := row.Scan(&a.ID, &a.Name, &a.Chats, &a.Resolved, &a.Rated, &fr, &res, &a.Rating)
				a.FirstResponse, a.Resolution = seconds(fr), seconds(res)
				return a, err
			})
			return err
		})
		b.Queue(`SELECT p.conversation_id, p.rating, p.rating_comment, p.resolved_at, CASE WHEN u.id IS NULL THEN '' ELSE display_name(u) END
			FROM past_chats p LEFT JOIN users u ON u.id = p.agent_id
			WHERE coalesce(p.queued_at, p.resolved_at) >= $1 AND coalesce(p.queued_at, p.resolved_at) < $2
				AND ($3::bigint = 0 OR p.site_id = $3) AND ($4::bigint = 0 OR p.agent_id = $4)
				AND ($5::bigint = 0 OR EXISTS (SELECT FROM conversation_labels l WHERE l.conversation_id = p.conversation_id AND l.label_id = $5))
				AND p.rating IS NOT NULL AND p.rating_comment <> ''
			ORDER BY p.resolved_at DESC, p.id DESC LIMIT $6`,
			f.From, f.To, f.SiteID, f.AgentID, f.LabelID, reportComments).Query(func(rows pgx.Rows) error {
			var err error
			rep.Comments, err = pgx.CollectRows(rows, pgx.RowToStructByPos[ReportComment])
			return err
		})
		return tx.SendBatch(ctx, b).Close()
	})
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "22023" { // a time zone PostgreSQL does not know
		return Report{}, chat.Invalid("tz", "error.report.zone", "Zone", f.Zone)
	}
	var ve *chat.ValidationError
	if errors.As(err, &ve) {
		return Report{}, err
	}
	if err != nil {
		return Report{}, fmt.Errorf("store: report: %w", err)
	}
	return rep, nil
}

// seconds is a duration of s seconds, rounded to the second (nil: zero).
func seconds(s *float64) time.Duration {
	if s == nil {
		return 0
	}
	return (time.Duration(*s * float64(time.Second))).Round(time.Second)
}

// ReportChoices returns the sites, agents and labels a report can be
// filtered by, each by name.
func (db *DB) ReportChoices(ctx context.Context) (ReportChoices, error) {
	var c ReportChoices
	b := &pgx.Batch{}
	collect := func(into *[]ReportChoice) func(pgx.Rows) error {
		return func(rows pgx.Rows) error {
			var err error
			*into, err = pgx.CollectRows(rows, pgx.RowToStructByPos[ReportChoice])
			return err
		}
	}
	b.Queue("SELECT id, name FROM sites ORDER BY lower(name), id").Query(collect(&c.Sites))
	b.Queue(`SELECT u.id, display_name(u) FROM users u JOIN agents a ON a.user_id = u.id
		WHERE u.kind = 'member' ORDER BY lower(display_name(u)), u.id`).Query(collect(&c.Agents))
	b.Queue("SELECT id, name FROM labels ORDER BY lower(name), id").Query(collect(&c.Labels))
	if err := db.pool.SendBatch(ctx, b).Close(); err != nil {
		return ReportChoices{}, fmt.Errorf("store: report choices: %w", err)
	}
	return c, nil
}
