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
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kefu-im/kefu/chat"
)

const (
	// MaxReportRange is the longest range a report covers.
	MaxReportRange = 366 * 24 * time.Hour
	// reportComments is how many rating comments a report lists, of the
	// chats that started last.
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
	ID                               int64
	Name                             string
	Chats, Answered, Resolved, Rated int
	FirstResponse, Resolution        time.Duration // medians
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
//
// It also finds where each day (or week, $7) of the range and each hour
// begin in time zone $6, so that a chat is placed by comparing its start
// with those instants (width_bucket), which costs a fraction of converting
// a million starts to the zone's time. days holds the first instant of
// each day, in the order of the report's series: where a midnight comes
// twice, the first. hours holds each instant at which the zone's hour of
// the day changes, and that hour. Offsets and their changes fall on
// quarter hours in every zone since 1979, so quarter hours find them all.
const reportRounds = `WITH days AS (
	SELECT array_agg(coalesce((SELECT min(c) FROM generate_series(0, 12) k,
			LATERAL (SELECT (d AT TIME ZONE $6) - k * interval '15 minutes') AS earlier (c)
			WHERE date_trunc($7, c AT TIME ZONE $6) = d), d AT TIME ZONE $6) ORDER BY d) AS starts
	FROM generate_series(date_trunc($7, $1::timestamptz AT TIME ZONE $6),
		date_trunc($7, ($2::timestamptz - interval '1 microsecond') AT TIME ZONE $6), ('1 ' || $7)::interval) d
), hours AS (
	SELECT array_agg(q ORDER BY q) AS starts, array_agg(hour ORDER BY q) AS hour
	FROM (SELECT q, date_part('hour', q AT TIME ZONE $6)::int AS hour,
			date_part('hour', (q - interval '15 minutes') AT TIME ZONE $6)::int AS before
		FROM generate_series(date_trunc('hour', $1::timestamptz) - interval '3 hours', $2::timestamptz, interval '15 minutes') q) h
	WHERE hour <> before
), rounds AS (
	SELECT p.conversation_id, p.agent_id, coalesce(p.queued_at, p.resolved_at) AS started_at,
		date_part('epoch', p.first_response_at - p.queued_at) AS first_response,
		date_part('epoch', p.resolved_at - p.queued_at) AS resolution,
		true AS ended, p.rating
	FROM past_chats p
	WHERE coalesce(p.queued_at, p.resolved_at) >= $1 AND coalesce(p.queued_at, p.resolved_at) < $2
		AND ($3::bigint = 0 OR p.site_id = $3) AND ($4::bigint = 0 OR p.agent_id = $4)
	UNION ALL
	SELECT c.id, c.assigned_agent_id, c.queued_at,
		date_part('epoch', c.first_response_at - c.queued_at), NULL, false, NULL
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
	// The percentiles sort the range's times while the sums are gathered:
	// on a second connection that sees the same snapshot, when this report
	// may take one.
	second := false
	if db.reportSlot != nil {
		select {
		case db.reportSlot <- struct{}{}:
			second = true
			defer func() { <-db.reportSlot }()
		default:
		}
	}
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var site, agent, label bool
		var snapshot string
		if err := tx.QueryRow(ctx, `SELECT $1::bigint = 0 OR EXISTS (SELECT FROM sites WHERE id = $1),
				$2::bigint = 0 OR EXISTS (SELECT FROM users WHERE id = $2 AND kind = 'member'),
				$3::bigint = 0 OR EXISTS (SELECT FROM labels WHERE id = $3),
				CASE WHEN $4 THEN pg_export_snapshot() ELSE '' END`,
			f.SiteID, f.AgentID, f.LabelID, second).Scan(&site, &agent, &label, &snapshot); err != nil {
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
		var starts []time.Time
		figures := map[[2]int64]reportFigures{} // by grouping and bucket, hour or agent
		times := map[[2]int64]reportTimes{}     // the same, for the groups that have percentiles
		// The medians and 90th percentiles: each sorts its group's times,
		// so only the groups that show them (not the hours).
		percentiles := func(b *pgx.Batch) {
			b.Queue(reportRounds+`, placed AS (
					SELECT agent_id, first_response, resolution, width_bucket(started_at, (SELECT starts FROM days)) AS bucket
					FROM chosen)
				SELECT GROUPING(bucket) << 2 | 2 | GROUPING(agent_id), coalesce(bucket, agent_id, 0),
					percentile_cont('{0.5,0.9}'::float8[]) WITHIN GROUP (ORDER BY first_response),
					percentile_cont('{0.5,0.9}'::float8[]) WITHIN GROUP (ORDER BY resolution)
				FROM placed
				GROUP BY GROUPING SETS ((), (bucket), (agent_id))`,
				f.From, f.To, f.SiteID, f.AgentID, f.LabelID, f.Zone, f.unit()).Query(func(rows pgx.Rows) error {
				for rows.Next() {
					var grouping, key int64
					var t reportTimes
					if err := rows.Scan(&grouping, &key, &t.firstResponse, &t.resolution); err != nil {
						return err
					}
					times[[2]int64{grouping, key}] = t
				}
				return rows.Err()
			})
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var sorted chan error
		if second {
			sorted = make(chan error, 1)
			go func() {
				sorted <- db.inSnapshot(ctx, snapshot, func(tx pgx.Tx) error {
					b := &pgx.Batch{}
					reportSettings(b)
					percentiles(b)
					return tx.SendBatch(ctx, b).Close()
				})
			}()
		}
		b := &pgx.Batch{}
		reportSettings(b)
		b.Queue(`SELECT generate_series(date_trunc($3, $1::timestamptz AT TIME ZONE $4),
				date_trunc($3, ($2::timestamptz - interval '1 microsecond') AT TIME ZONE $4), ('1 ' || $3)::interval)`,
			f.From, f.To, f.unit(), f.Zone).Query(func(rows pgx.Rows) error {
			var err error
			starts, err = pgx.CollectRows(rows, pgx.RowTo[time.Time])
			return err
		})
		// The counts, and the same by day (or week), by hour of the day and
		// by agent: sums, which PostgreSQL gathers in hash tables as it
		// reads the range, with no sort.
		b.Queue(reportRounds+`, placed AS (
				SELECT agent_id, ended, rating, first_response IS NOT NULL AS answered,
					width_bucket(started_at, (SELECT starts FROM days)) AS bucket,
					(SELECT hour FROM hours)[width_bucket(started_at, (SELECT starts FROM hours))] AS hour
				FROM chosen)
			SELECT GROUPING(bucket, hour, agent_id), coalesce(bucket, hour, agent_id, 0),
				CASE WHEN GROUPING(agent_id) = 0 AND agent_id IS NOT NULL THEN (SELECT display_name(u) FROM users u WHERE u.id = agent_id) ELSE '' END,
				agent_id IS NULL AND GROUPING(agent_id) = 0,
				count(*), count(*) FILTER (WHERE answered), count(*) FILTER (WHERE ended), count(rating),
				coalesce(avg(rating)::float8, 0),
				count(*) FILTER (WHERE rating = 1), count(*) FILTER (WHERE rating = 2), count(*) FILTER (WHERE rating = 3),
				count(*) FILTER (WHERE rating = 4), count(*) FILTER (WHERE rating = 5)
			FROM placed
			GROUP BY GROUPING SETS ((), (bucket), (hour), (agent_id))`,
			f.From, f.To, f.SiteID, f.AgentID, f.LabelID, f.Zone, f.unit()).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var g reportFigures
				var grouping, key int64
				var unassigned bool
				if err := rows.Scan(&grouping, &key, &g.name, &unassigned, &g.started, &g.answered, &g.ended, &g.rated,
					&g.rating, &g.ratings[0], &g.ratings[1], &g.ratings[2], &g.ratings[3], &g.ratings[4]); err != nil {
					return err
				}
				if unassigned {
					continue // chats no agent has had are in every figure but an agent's
				}
				figures[[2]int64{grouping, key}] = g
			}
			return rows.Err()
		})
		if !second {
			percentiles(b)
		}
		// The newest comments: read from the newest back until there are
		// enough, each chat's label looked up by itself (a scalar subquery,
		// which PostgreSQL does not turn into a table of all the label's
		// chats, as it would an EXISTS).
		b.Queue(`SELECT p.conversation_id, p.rating, p.rating_comment, p.resolved_at, CASE WHEN u.id IS NULL THEN '' ELSE display_name(u) END
			FROM past_chats p LEFT JOIN users u ON u.id = p.agent_id
			WHERE coalesce(p.queued_at, p.resolved_at) >= $1 AND coalesce(p.queued_at, p.resolved_at) < $2
				AND ($3::bigint = 0 OR p.site_id = $3) AND ($4::bigint = 0 OR p.agent_id = $4)
				AND ($5::bigint = 0 OR (SELECT true FROM conversation_labels l WHERE l.conversation_id = p.conversation_id AND l.label_id = $5))
				AND p.rating IS NOT NULL AND p.rating_comment <> ''
			ORDER BY coalesce(p.queued_at, p.resolved_at) DESC, p.id DESC LIMIT $6`,
			f.From, f.To, f.SiteID, f.AgentID, f.LabelID, reportComments).Query(func(rows pgx.Rows) error {
			var err error
			rep.Comments, err = pgx.CollectRows(rows, pgx.RowToStructByPos[ReportComment])
			return err
		})
		err := tx.SendBatch(ctx, b).Close()
		if second {
			if err != nil {
				cancel()
			}
			if serr := <-sorted; err == nil {
				err = serr
			}
		}
		if err != nil {
			return err
		}
		for k, g := range figures {
			t := times[k]
			g.firstResponse = spread(g.answered, t.firstResponse)
			g.resolution = spread(g.ended, t.resolution)
			figures[k] = g
		}
		rep.place(starts, figures)
		// A week that began before the range is counted from the range's
		// first day on, and says so.
		if loc, err := time.LoadLocation(f.Zone); err == nil && len(rep.Series) > 0 {
			y, m, d := f.From.In(loc).Date()
			if first := time.Date(y, m, d, 0, 0, 0, 0, time.UTC); rep.Series[0].Start.Before(first) {
				rep.Series[0].Start = first
			}
		}
		return nil
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

// reportSettings queues what a report's transaction sets first. Sorting a
// range's chats for the percentiles takes more than the default work_mem;
// in memory, it is several times faster. A year's million chats make the
// planner compile the queries (JIT), which costs more than it saves on
// reads this simple.
func reportSettings(b *pgx.Batch) {
	b.Queue("SET LOCAL work_mem = '64MB'")
	b.Queue("SET LOCAL jit = off")
}

// inSnapshot runs fn in a read-only transaction that sees the snapshot
// another, still open, exported (pg_export_snapshot).
func (db *DB) inSnapshot(ctx context.Context, snapshot string, fn func(pgx.Tx) error) error {
	// SET TRANSACTION SNAPSHOT takes no parameter; an id is hex and dashes.
	if snapshot == "" || strings.Trim(snapshot, "0123456789ABCDEF-") != "" {
		return fmt.Errorf("snapshot %q", snapshot)
	}
	return pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET TRANSACTION SNAPSHOT '"+snapshot+"'"); err != nil {
			return err
		}
		return fn(tx)
	})
}

// reportTimes are the medians and 90th percentiles, in seconds, of one
// group of a report's chats (nil: none).
type reportTimes struct {
	firstResponse, resolution []*float64
}

// reportFigures are the figures of one group of a report's chats.
type reportFigures struct {
	name                            string // the agent's, by agent
	started, answered, ended, rated int
	firstResponse, resolution       Spread
	rating                          float64
	ratings                         [5]int
}

// The groupings of the figures' queries: GROUPING(bucket, hour, agent_id)
// has a bit set for each of them a group is not by (the percentiles' query,
// which has no hours, sets the hour's bit itself).
const (
	byAll    = 0b111
	byBucket = 0b011
	byHour   = 0b101
	byAgent  = 0b110
)

// place puts figures, as the report's query grouped them, where the
// report has them: every bucket of starts, empty or not, and the agents
// by their number of chats.
func (rep *Report) place(starts []time.Time, figures map[[2]int64]reportFigures) {
	all := figures[[2]int64{byAll, 0}]
	rep.Started, rep.Answered, rep.Resolved, rep.Rated = all.started, all.answered, all.ended, all.rated
	rep.FirstResponse, rep.Resolution, rep.Rating, rep.Ratings = all.firstResponse, all.resolution, all.rating, all.ratings
	rep.Series = make([]ReportBucket, len(starts))
	for i, start := range starts {
		g := figures[[2]int64{byBucket, int64(i + 1)}] // width_bucket counts from 1
		rep.Series[i] = ReportBucket{Start: start, Started: g.started, Answered: g.answered, Ended: g.ended,
			FirstResponse: g.firstResponse.Median, Resolution: g.resolution.Median}
	}
	for h := range rep.Hours {
		rep.Hours[h] = figures[[2]int64{byHour, int64(h)}].started
	}
	rep.Agents = nil
	for k, g := range figures {
		if k[0] == byAgent {
			rep.Agents = append(rep.Agents, ReportAgent{ID: k[1], Name: g.name, Chats: g.started, Answered: g.answered,
				Resolved: g.ended, Rated: g.rated, FirstResponse: g.firstResponse.Median, Resolution: g.resolution.Median, Rating: g.rating})
		}
	}
	sort.Slice(rep.Agents, func(i, j int) bool {
		a, b := rep.Agents[i], rep.Agents[j]
		if a.Chats != b.Chats {
			return a.Chats > b.Chats
		}
		if la, lb := strings.ToLower(a.Name), strings.ToLower(b.Name); la != lb {
			return la < lb
		}
		return a.ID < b.ID
	})
}

// spread is the Spread of count chats whose median and p90 in seconds
// are ps (nil when there is none).
func spread(count int, ps []*float64) Spread {
	if len(ps) != 2 {
		return Spread{Count: count}
	}
	return Spread{Count: count, Median: seconds(ps[0]), P90: seconds(ps[1])}
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
