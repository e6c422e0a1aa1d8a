package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/storetest"
)

// BenchmarkReport reads the reports of a database of its own holding a
// million resolved chats over a year (20 agents, 5 sites, one in ten
// labelled, half rated): the last 30 days, the last 30 days of one
// label, and the whole year.
func BenchmarkReport(b *testing.B) {
	ctx := context.Background()
	db := storetest.DB(b)
	end := seedMillionChats(b, db)
	choices, err := db.ReportChoices(ctx)
	if err != nil {
		b.Fatal(err)
	}
	month := store.ReportFilter{From: end.AddDate(0, 0, -30), To: end, Zone: "Asia/Shanghai"}
	labelled := month
	labelled.LabelID = choices.Labels[0].ID
	year := store.ReportFilter{From: end.AddDate(-1, 0, 0), To: end, Zone: "Asia/Shanghai", Weekly: true}
	for _, bc := range []struct {
		name string
		f    store.ReportFilter
	}{{"30days", month}, {"30days_label", labelled}, {"year_weekly", year}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				rep, err := db.Report(ctx, bc.f)
				if err != nil || rep.Started == 0 {
					b.Fatalf("report: %d started, %v", rep.Started, err)
				}
			}
		})
	}
}

// seedMillionChats fills db with a million resolved chats, the newest
// started just before the time it returns.
func seedMillionChats(tb testing.TB, db *store.DB) time.Time {
	ctx := context.Background()
	end := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	seed := []store.SeedStatement{
		// The rows are made consistent, so their foreign keys are not
		// checked one by one: that took most of the seeding's two minutes.
		{SQL: `SET session_replication_role = replica`},
		{SQL: `INSERT INTO users (kind, email, name) SELECT 'member', 'agent' || i || '@example.com', 'Agent ' || i FROM generate_series(1, 20) i`},
		{SQL: `INSERT INTO agents (user_id) SELECT id FROM users WHERE kind = 'member'`},
		{SQL: `INSERT INTO sites (name, identity_secret) SELECT 'Site ' || i, 'x' FROM generate_series(1, 5) i`},
		{SQL: `INSERT INTO users (kind, visitor_token_hash) SELECT 'visitor', sha256(i::text::bytea) FROM generate_series(1, 10000) i`},
		{SQL: `INSERT INTO labels (name, color) VALUES ('urgent', '#ff0000')`},
		// Chat i starts i × 31.5 s before the end, is answered in up to
		// 10 minutes and resolved in up to an hour.
		{SQL: `INSERT INTO conversations (kind, visitor_id, status, site_id, queued_at, assigned_agent_id, first_response_at, resolved_at)
		SELECT 'support', v + i % 10000, 'resolved', s + i % 5, q, a + i % 20,
			q + (i % 600) * interval '1 second', q + (i % 3600 + 600) * interval '1 second'
		FROM (SELECT min(id) FROM users WHERE kind = 'visitor') vs (v),
			(SELECT min(id) FROM sites) ss (s),
			(SELECT min(id) FROM users WHERE kind = 'member') ms (a),
			generate_series(1, 1000000) i,
			LATERAL (SELECT $1::timestamptz - i * interval '31.5 seconds' AS q) t`, Args: []any{end}},
		{SQL: `INSERT INTO past_chats (conversation_id, visitor_id, site_id, agent_id, queued_at, first_response_at, resolved_at,
			end_seq, rating, rating_comment)
		SELECT id, visitor_id, site_id, assigned_agent_id, queued_at, first_response_at, resolved_at, 3,
			CASE WHEN id % 2 = 0 THEN id % 5 + 1 END, CASE WHEN id % 20 = 0 THEN 'thanks' ELSE '' END
		FROM conversations`},
		{SQL: `INSERT INTO conversation_labels (conversation_id, label_id) SELECT id, (SELECT id FROM labels) FROM conversations WHERE id % 10 = 0`},
		{SQL: `RESET session_replication_role`},
		{SQL: `VACUUM ANALYZE`},
	}
	// One connection for all, so that the SET holds for the inserts.
	if err := db.ExecOnOneConnForTest(ctx, seed); err != nil {
		tb.Fatal(err)
	}
	return end
}
