package e2e

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/store"
)

// TestReportsPage is the admin's reports page over two weeks of chats
// kept as resolves keep them: the key figures, a chart drawn on the
// server over each table, and a filter that narrows them to one agent.
func TestReportsPage(t *testing.T) {
	t.Parallel() // its own kefu and browser
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	base, db, dbURL := kefuOnOwnDatabase(t, ctx, "reports")
	for _, m := range []store.NewMember{{Email: "mei@example.com", Name: "Mei", PasswordHash: "x"}, {Email: "sam@example.com", Name: "Sam", PasswordHash: "x"}} {
		u, err := db.CreateMember(ctx, m)
		if err == nil {
			err = db.EnsureAgent(ctx, u.ID)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// 120 chats from 1 to 14 March 2026, more of them on weekdays and in
	// office hours, answered within minutes and resolved within the hour.
	for _, sql := range []string{
		`INSERT INTO sites (name, identity_secret) VALUES ('Garden shop', 'x')`,
		`INSERT INTO users (kind, visitor_token_hash) SELECT 'visitor', sha256(i::text::bytea) FROM generate_series(1, 120) i`,
		`INSERT INTO conversations (kind, visitor_id, status, site_id, queued_at, assigned_agent_id, first_response_at, resolved_at)
		SELECT 'support', v.id, 'resolved', (SELECT id FROM sites), q, a.ids[1 + v.n % 3],
			q + (20 + (v.n * 37) % 400) * interval '1 second', q + (300 + (v.n * 53) % 3000) * interval '1 second'
		FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM users WHERE kind = 'visitor') v,
			(SELECT array_agg(id ORDER BY id) AS ids FROM users WHERE kind = 'member') a,
			LATERAL (SELECT timestamptz '2026-03-01 00:00+00' + ((v.n * v.n + v.n / 3) % 14) * interval '1 day'
				+ (8 + (v.n * 7) % 11 + CASE WHEN v.n % 9 = 0 THEN 4 ELSE 0 END) * interval '1 hour' + (v.n % 60) * interval '1 minute' AS q) t`,
		`INSERT INTO past_chats (conversation_id, visitor_id, site_id, agent_id, queued_at, first_response_at, resolved_at, end_seq, rating, rating_comment)
		SELECT id, visitor_id, site_id, assigned_agent_id, queued_at, first_response_at, resolved_at, 1,
			(ARRAY[NULL, 3, 4, 5, 5, 4, 5, 2, 5, NULL, 1, 5, 4])[1 + id % 13],
			CASE id % 17 WHEN 1 THEN 'Quick and kind, thank you!' WHEN 2 THEN 'Took a while, but solved.' ELSE '' END
		FROM conversations`,
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%.50s: %v", sql, err)
		}
	}

	browser := startBrowser(t, ctx)
	admin := newTab(t, browser)
	signIn(t, admin, base, agentEmail, agentPassword)
	do(t, admin, "the admin opens the reports of the first two weeks of March",
		chromedp.Navigate(base+"/admin/reports?from=2026-03-01&to=2026-03-14&tz=UTC"),
		hasText(`[data-testid=figure-started]`, "120"),
		until(`document.querySelectorAll("svg.chart").length === 5`),
		until(`document.querySelectorAll("[data-testid=report-started] rect.bar").length === 14`),
		until(`document.querySelectorAll("[data-testid=agent-row]").length === 3`))
	screenshot(t, admin, "reports.png")
	mei := get(t, admin, "Mei's id", chromedp.Evaluate[string](
		`Array.from(document.querySelectorAll("select[data-testid=report-agent] option")).find(o => o.textContent === "Mei").value`))
	do(t, admin, "the admin chooses Mei", chromedp.SetValue(chromedp.CSS(`select[data-testid=report-agent]`), mei))
	submit(t, admin, "the admin narrows the report to Mei", `button[data-testid=report-show]`, 200)
	do(t, admin, "the report is Mei's",
		hasText(`[data-testid=figure-started]`, "40"),
		until(`document.querySelectorAll("[data-testid=agent-row]").length === 1`))
}
