package handlers_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

// reportChats stores two chats resolved on 2 March 2026 (UTC): Alex's,
// answered in 1 min and rated 5 with a comment a spreadsheet would run,
// and Kim's, answered in 2 min, rated 2 and labelled "vip". It returns
// the label's id.
func reportChats(t *testing.T, k *instance, alexID, kimID int64) int64 {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, k.url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	var label int64
	for i, c := range []struct {
		agent    int64
		queued   time.Time
		answer   time.Duration
		rating   int
		comment  string
		labelled bool
	}{
		{alexID, day.Add(10 * time.Hour), time.Minute, 5, `=HYPERLINK("http://evil.example")`, false},
		{kimID, day.Add(11 * time.Hour), 2 * time.Minute, 2, "slow <b>reply</b>", true},
	} {
		var conv int64
		err := conn.QueryRow(ctx, `WITH v AS (
				INSERT INTO users (kind, visitor_token_hash) VALUES ('visitor', sha256($1::bytea)) RETURNING id)
			INSERT INTO conversations (kind, visitor_id, status, queued_at, assigned_agent_id, first_response_at, resolved_at, rating, rating_comment)
			SELECT 'support', v.id, 'resolved', $2, $3, $4, $5, $6, $7 FROM v RETURNING id`,
			[]byte(fmt.Sprint("report visitor ", i)), c.queued, c.agent, c.queued.Add(c.answer), c.queued.Add(10*time.Minute), c.rating, c.comment).Scan(&conv)
		if err == nil {
			_, err = conn.Exec(ctx, `INSERT INTO past_chats (conversation_id, visitor_id, agent_id, queued_at, first_response_at, resolved_at,
					end_seq, rating, rating_comment)
				SELECT id, visitor_id, assigned_agent_id, queued_at, first_response_at, resolved_at, 1, rating, rating_comment
				FROM conversations WHERE id = $1`, conv)
		}
		if err == nil && c.labelled {
			err = conn.QueryRow(ctx, `WITH l AS (INSERT INTO labels (name, color) VALUES ('vip', '#00aa00') RETURNING id)
				INSERT INTO conversation_labels (conversation_id, label_id) SELECT $1, id FROM l RETURNING label_id`, conv).Scan(&label)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return label
}

// figure is the report's key figure named testid, as the page shows it.
func figure(t *testing.T, page, testid string) string {
	t.Helper()
	m := regexp.MustCompile(`data-testid="figure-` + testid + `">([^<]*)<`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no figure %s on the page:\n%s", testid, page)
	}
	return m[1]
}

const reportDay = "from=2026-03-02&to=2026-03-02&tz=UTC"

func TestReportsPageForAdminsAndAgents(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	kimID := k.addAgent("kim@example.com", "Kim", "kim password")
	alexID := k.adminID()
	vip := reportChats(t, k, alexID, kimID)
	admin, kim := k.agent(), k.signInAs("kim@example.com", "kim password")

	// The admin sees every chat: two started, medians over both.
	resp, page := admin.get("/admin/reports?" + reportDay)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("admin's report: %s\n%s", resp.Status, page)
	}
	for id, want := range map[string]string{"started": "2", "answered": "2", "resolved": "2",
		"first-response-median": "1 min 30 s", "resolution-median": "10 min 0 s", "csat": "3.50 (2 rated)"} {
		if got := figure(t, page, id); got != want {
			t.Errorf("admin's %s = %q, want %q", id, got, want)
		}
	}
	for _, want := range []string{`<svg class="chart"`, `<rect class="bar"`, `<polyline class="line"`, `data-testid="agent-row" data-agent-id="` + fmt.Sprint(kimID),
		`data-agent-id="` + fmt.Sprint(alexID), "slow &lt;b&gt;reply&lt;/b&gt;", `name="agent"`, `<a href="/admin/reports" aria-current="page">`} {
		if !strings.Contains(page, want) {
			t.Errorf("the admin's page lacks %s", want)
		}
	}
	if strings.Contains(page, "style=") {
		t.Error("the report page has a style attribute, which the CSP refuses")
	}

	// Filters: one agent, one label; by week, one bucket from Monday.
	for query, want := range map[string]string{"&agent=" + fmt.Sprint(kimID): "1", "&label=" + fmt.Sprint(vip): "1", "&by=week": "2"} {
		if _, page := admin.get("/admin/reports?" + reportDay + query); figure(t, page, "started") != want {
			t.Errorf("report with %s: %s started, want %s", query, figure(t, page, "started"), want)
		}
	}

	// An agent sees their own chats only, whoever the query names.
	_, nav := kim.get("/console")
	if !strings.Contains(nav, `href="/console/reports"`) {
		t.Error("the agent's console has no link to their reports")
	}
	for _, query := range []string{reportDay, reportDay + "&agent=" + fmt.Sprint(alexID)} {
		resp, page := kim.get("/console/reports?" + query)
		if resp.StatusCode != http.StatusOK || figure(t, page, "started") != "1" || figure(t, page, "first-response-median") != "2 min 0 s" ||
			strings.Contains(page, `data-agent-id="`+fmt.Sprint(alexID)) || strings.Contains(page, `name="agent"`) {
			t.Errorf("Kim's report (%s): %s, %s started; want hers alone", query, resp.Status, figure(t, page, "started"))
		}
	}
	if resp, _ := kim.get("/admin/reports?" + reportDay); resp.StatusCode == http.StatusOK {
		t.Error("an agent reads the admins' reports")
	}
	if resp, _ := kim.get("/admin/reports.csv?" + reportDay); resp.StatusCode == http.StatusOK {
		t.Error("an agent reads the admins' CSV")
	}
	// With nothing asked, the last 30 days.
	if resp, page := admin.get("/admin/reports"); resp.StatusCode != http.StatusOK || figure(t, page, "started") != "0" {
		t.Errorf("the default report: %s", resp.Status)
	}
}

func TestReportsRefuseBadFilters(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	admin := k.agent()
	for query, want := range map[string]string{
		"from=2026-03-05&to=2026-03-01&tz=UTC":     "The last day must not come before the first.",
		"from=2024-01-01&to=2026-03-01&tz=UTC":     "A report covers at most 366 days.",
		"from=yesterday&to=2026-03-01&tz=UTC":      "Give the first and last day as dates.",
		"from=2026-03-01&to=2026-03-01&tz=Mars/Up": "“Mars/Up” is not a time zone.",
		reportDay + "&site=999999":                 "There is no such site.",
		reportDay + "&agent=999999":                "There is no such agent.",
		reportDay + "&label=abc":                   "There is no such label.",
	} {
		resp, page := admin.get("/admin/reports?" + query)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `data-testid="report-refusal">`+want) ||
			strings.Contains(page, `data-testid="report-summary"`) || !strings.Contains(page, `data-testid="report-filter"`) {
			t.Errorf("%s: %s, want 400 saying %q with the form and no figures", query, resp.Status, want)
		}
		if resp, _ := admin.get("/admin/reports.csv?" + query); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("CSV of %s: %s, want 400", query, resp.Status)
		}
	}
	resp, page := admin.send(http.MethodGet, "/admin/reports?from=2026-03-05&to=2026-03-01", nil, http.Header{"Accept-Language": {"zh-CN"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "结束日期不能早于开始日期。") {
		t.Errorf("in Chinese: %s, want the refusal in Chinese", resp.Status)
	}
}

func TestReportsCSV(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	kimID := k.addAgent("kim@example.com", "Kim", "kim password")
	reportChats(t, k, k.adminID(), kimID)
	admin, kim := k.agent(), k.signInAs("kim@example.com", "kim password")

	read := func(b *browser, path string) [][]string {
		t.Helper()
		resp, body := b.get(path)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
			resp.Header.Get("Content-Disposition") != `attachment; filename="kefu-report-2026-03-02-2026-03-02.csv"` {
			t.Fatalf("%s: %s, %v", path, resp.Status, resp.Header)
		}
		rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil || len(rows) == 0 || !slices.Equal(rows[0], []string{"section", "item", "measure", "value"}) {
			t.Fatalf("%s: %v, %v", path, rows, err)
		}
		return rows
	}
	has := func(rows [][]string, row ...string) bool {
		return slices.ContainsFunc(rows, func(r []string) bool { return slices.Equal(r, row) })
	}
	all := read(admin, "/admin/reports.csv?"+reportDay)
	for _, want := range [][]string{
		{"total", "", "started", "2"},
		{"total", "", "first_response_median_seconds", "90"},
		{"total", "", "first_response_p90_seconds", "114"},
		{"total", "", "rating_average", "3.50"},
		{"day", "2026-03-02", "started", "2"},
		{"agent", "Kim", "chats", "1"},
		{"agent", "Alex", "first_response_median_seconds", "60"},
		{"rating", "2", "chats", "1"},
		{"hour", "10:00", "started", "1"},
		{"hour", "11:00", "started", "1"},
	} {
		if !has(all, want...) {
			t.Errorf("the admin's CSV lacks %v", want)
		}
	}
	// A comment that starts as a formula is written as text.
	if !slices.ContainsFunc(all, func(r []string) bool {
		return r[0] == "comment" && r[2] == "text" && r[3] == `'=HYPERLINK("http://evil.example")`
	}) {
		t.Errorf("the formula comment is not guarded: %v", all)
	}
	mine := read(kim, "/console/reports.csv?"+reportDay+"&agent="+fmt.Sprint(k.adminID()))
	if !has(mine, "total", "", "started", "1") || !has(mine, "agent", "Kim", "chats", "1") ||
		slices.ContainsFunc(mine, func(r []string) bool { return r[1] == "Alex" }) {
		t.Errorf("Kim's CSV is not hers alone: %v", mine)
	}
}

// TestReportsZone: a report that names no time zone is read in that of the
// chosen site's business hours, else of the first site with hours, else
// UTC; tz in the query overrides it, and the page says which zone it is.
func TestReportsZone(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	admin := k.agent()
	zoneOf := func(path string) string {
		t.Helper()
		resp, page := admin.get(path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s\n%s", path, resp.Status, page)
		}
		m := regexp.MustCompile(`name="tz" value="([^"]*)"`).FindStringSubmatch(page)
		if m == nil || !strings.Contains(page, "Days and hours are in the "+m[1]+" time zone") {
			t.Fatalf("%s does not say which zone it is in:\n%s", path, page)
		}
		return m[1]
	}
	if got := zoneOf("/admin/reports"); got != "UTC" {
		t.Errorf("with no site's hours, the zone is %q, want UTC", got)
	}
	plain, _ := k.newSite("Plain", "https://plain.example.com")
	east, _ := k.newSite("East", "https://east.example.com")
	west, _ := k.newSite("West", "https://west.example.com")
	for site, zone := range map[int64]string{east.ID: "Asia/Shanghai", west.ID: "America/New_York"} {
		h := chat.Hours{Zone: zone}
		h.Days[time.Monday] = chat.DayHours{Open: 9 * 60, Close: 17 * 60}
		if err := k.db.SetSiteHours(ctx, 0, site, h); err != nil {
			t.Fatal(err)
		}
	}
	for path, want := range map[string]string{
		"/admin/reports": "Asia/Shanghai",
		fmt.Sprintf("/admin/reports?site=%d", west.ID):        "America/New_York",
		fmt.Sprintf("/admin/reports?site=%d", plain.ID):       "Asia/Shanghai",
		fmt.Sprintf("/admin/reports?site=%d&tz=UTC", west.ID): "UTC",
		"/admin/reports?tz=Europe/Paris":                      "Europe/Paris",
		"/console/reports":                                    "Asia/Shanghai",
		fmt.Sprintf("/console/reports?site=%d", west.ID):      "America/New_York",
	} {
		if got := zoneOf(path); got != want {
			t.Errorf("%s: zone %q, want %q", path, got, want)
		}
	}
	// The days shown by default are the zone's: today there, not in UTC.
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().In(ny).Format("2006-01-02")
	_, page := admin.get(fmt.Sprintf("/admin/reports?site=%d", west.ID))
	after := time.Now().In(ny).Format("2006-01-02")
	if !strings.Contains(page, `name="to" value="`+before+`"`) && !strings.Contains(page, `name="to" value="`+after+`"`) {
		t.Errorf("the report does not end today in New York (%s):\n%s", after, page)
	}
}
