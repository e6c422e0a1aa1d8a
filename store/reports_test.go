package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/storetest"
)

// reportWorld is a small set of chats whose every figure is counted by hand
// below. Times are in Shanghai (UTC+8), where the report is read, so that
// the days and hours differ from UTC's.
type reportWorld struct {
	db         *store.DB
	url        string
	ann, bo    int64 // agents
	shop, blog int64 // sites
	urgent     int64 // label
	from, to   time.Time
	shanghai   *time.Location
}

func newReportWorld(t *testing.T) reportWorld {
	t.Helper()
	ctx := context.Background()
	url := storetest.URL(t)
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	w := reportWorld{db: db, url: url, shanghai: sh,
		from: time.Date(2026, 3, 2, 0, 0, 0, 0, sh), // a Monday
		to:   time.Date(2026, 3, 5, 0, 0, 0, 0, sh)}
	id := func(sql string, args ...any) int64 {
		t.Helper()
		id, err := db.QueryIDForTest(ctx, sql, args...)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return id
	}
	member := "INSERT INTO users (kind, email, name) VALUES ('member', $1, $2) RETURNING id"
	w.ann, w.bo = id(member, "ann@example.com", "Ann"), id(member, "bo@example.com", "Bo")
	for _, a := range []int64{w.ann, w.bo} {
		if err := db.EnsureAgent(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	site := "INSERT INTO sites (name, identity_secret) VALUES ($1, 'x') RETURNING id"
	w.shop, w.blog = id(site, "Shop"), id(site, "Blog")
	at := func(day, hour, minute int) time.Time { return time.Date(2026, 3, day, hour, minute, 0, 0, sh) }
	// conv stores a support conversation as it is now: open (assigned to
	// agent, or queued when agent is 0) or resolved.
	conv := func(status string, siteID, agent int64, queued time.Time, answered, resolved *time.Time) int64 {
		t.Helper()
		v := id("INSERT INTO users (kind, visitor_token_hash) VALUES ('visitor', sha256(random()::text::bytea)) RETURNING id")
		var agentID *int64
		if agent != 0 {
			agentID = &agent
		}
		return id(`INSERT INTO conversations (kind, visitor_id, status, site_id, queued_at, assigned_agent_id, first_response_at, resolved_at)
			VALUES ('support', $1, $2, $3, $4, $5, $6, $7) RETURNING id`, v, status, siteID, queued, agentID, answered, resolved)
	}
	// round keeps a resolved round of conversation c, as a resolve does.
	round := func(c, siteID, agent int64, queued, answered, resolved time.Time, endSeq, rating int, comment string) {
		t.Helper()
		id(`INSERT INTO past_chats (conversation_id, visitor_id, site_id, agent_id, queued_at, first_response_at, resolved_at,
				end_seq, rating, rating_comment)
			SELECT id, visitor_id, $2, $3, $4, $5, $6, $7, $8, $9 FROM conversations WHERE id = $1 RETURNING id`,
			c, siteID, agent, queued, answered, resolved, endSeq, rating, comment)
	}
	p := func(t time.Time) *time.Time { return &t }

	// r1 and r8: two rounds of one chat on the shop, labelled urgent.
	c1 := conv("resolved", w.shop, w.bo, at(4, 10, 0), p(at(4, 10, 10)), p(at(4, 11, 0)))
	round(c1, w.shop, w.ann, at(2, 9, 0), at(2, 9, 1), at(2, 9, 10), 3, 5, "great") // r1: 60 s, 600 s
	round(c1, w.shop, w.bo, at(4, 10, 0), at(4, 10, 10), at(4, 11, 0), 9, 4, "ok")  // r8: 600 s, 3600 s
	// r2.
	c2 := conv("resolved", w.shop, w.ann, at(2, 9, 30), p(at(2, 9, 33)), p(at(2, 10, 0)))
	round(c2, w.shop, w.ann, at(2, 9, 30), at(2, 9, 33), at(2, 10, 0), 3, 3, "") // 180 s, 1800 s
	// r3, on the blog, labelled urgent; its comment would be a formula in a spreadsheet.
	c3 := conv("resolved", w.blog, w.bo, at(3, 14, 0), p(at(3, 14, 2)), p(at(3, 14, 20)))
	round(c3, w.blog, w.bo, at(3, 14, 0), at(3, 14, 2), at(3, 14, 20), 3, 1, "=slow") // 120 s, 1200 s
	// r4: open, answered in 300 s, late on the last day (15:30 UTC).
	conv("assigned", w.blog, w.bo, at(4, 23, 30), p(at(4, 23, 35)), nil)
	// r5: open, still queued.
	conv("queued", w.shop, 0, at(3, 8, 15), nil, nil)
	// Outside the range: a round queued a minute before it, rated 2, and a
	// chat queued at its end.
	c6 := conv("resolved", w.shop, w.ann, at(1, 23, 59), p(at(2, 0, 1)), p(at(2, 0, 10)))
	round(c6, w.shop, w.ann, at(1, 23, 59), at(2, 0, 1), at(2, 0, 10), 3, 2, "before")
	conv("queued", w.shop, 0, at(5, 0, 0), nil, nil)

	w.urgent = id("INSERT INTO labels (name, color) VALUES ('urgent', '#ff0000') RETURNING id")
	if err := db.ExecForTest(ctx, "INSERT INTO conversation_labels (conversation_id, label_id) VALUES ($1, $3), ($2, $3)", c1, c3, w.urgent); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w reportWorld) filter() store.ReportFilter {
	return store.ReportFilter{From: w.from, To: w.to, Zone: "Asia/Shanghai"}
}

func secs(n int) time.Duration { return time.Duration(n) * time.Second }

func TestReportFiguresByHand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newReportWorld(t)
	rep, err := w.db.Report(ctx, w.filter())
	if err != nil {
		t.Fatal(err)
	}
	// Started r1 r2 r3 r4 r5 r8; answered all but r5 (60 120 180 300 600 s);
	// resolved r1 r2 r3 r8 (600 1200 1800 3600 s). p90 of five is between
	// the 4th and 5th: 300 + 0.6 × 300; of four, 1800 + 0.7 × 1800.
	if rep.Started != 6 || rep.Answered != 5 || rep.Resolved != 4 {
		t.Errorf("started, answered, resolved = %d, %d, %d, want 6, 5, 4", rep.Started, rep.Answered, rep.Resolved)
	}
	if want := (store.Spread{Count: 5, Median: secs(180), P90: secs(480)}); rep.FirstResponse != want {
		t.Errorf("first response = %+v, want %+v", rep.FirstResponse, want)
	}
	if want := (store.Spread{Count: 4, Median: secs(1500), P90: secs(3060)}); rep.Resolution != want {
		t.Errorf("resolution = %+v, want %+v", rep.Resolution, want)
	}
	// Ratings 5 3 1 4 (the 2 was before the range).
	if rep.Rated != 4 || rep.Rating != 3.25 || rep.Ratings != [5]int{1, 0, 1, 1, 1} {
		t.Errorf("rated %d, average %v, distribution %v; want 4, 3.25, [1 0 1 1 1]", rep.Rated, rep.Rating, rep.Ratings)
	}
	day := func(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }
	wantSeries := []store.ReportBucket{
		{Start: day(2), Started: 2, Answered: 2, Ended: 2, FirstResponse: secs(120), Resolution: secs(1200)},
		{Start: day(3), Started: 2, Answered: 1, Ended: 1, FirstResponse: secs(120), Resolution: secs(1200)},
		{Start: day(4), Started: 2, Answered: 2, Ended: 1, FirstResponse: secs(450), Resolution: secs(3600)},
	}
	if !reflect.DeepEqual(rep.Series, wantSeries) {
		t.Errorf("series = %+v\nwant %+v", rep.Series, wantSeries)
	}
	var hours [24]int
	hours[8], hours[9], hours[10], hours[14], hours[23] = 1, 2, 1, 1, 1
	if rep.Hours != hours {
		t.Errorf("hours = %v, want %v", rep.Hours, hours)
	}
	wantAgents := []store.ReportAgent{
		{ID: w.bo, Name: "Bo", Chats: 3, Answered: 3, Resolved: 2, Rated: 2, FirstResponse: secs(300), Resolution: secs(2400), Rating: 2.5},
		{ID: w.ann, Name: "Ann", Chats: 2, Answered: 2, Resolved: 2, Rated: 2, FirstResponse: secs(120), Resolution: secs(1200), Rating: 4},
	}
	if !reflect.DeepEqual(rep.Agents, wantAgents) {
		t.Errorf("agents = %+v\nwant %+v", rep.Agents, wantAgents)
	}
	var comments []string
	for _, c := range rep.Comments {
		comments = append(comments, c.Comment)
	}
	if !reflect.DeepEqual(comments, []string{"ok", "=slow", "great"}) || rep.Comments[0].Rating != 4 || rep.Comments[0].Agent != "Bo" {
		t.Errorf("comments = %+v, want ok (4, Bo), =slow, great", rep.Comments)
	}

	// By week: one week, from Monday the 2nd.
	f := w.filter()
	f.Weekly = true
	rep, err = w.db.Report(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if want := []store.ReportBucket{{Start: day(2), Started: 6, Answered: 5, Ended: 4, FirstResponse: secs(180), Resolution: secs(1500)}}; !reflect.DeepEqual(rep.Series, want) {
		t.Errorf("weekly series = %+v, want %+v", rep.Series, want)
	}
	// A week that began before the range is named by the range's first day.
	f.From = w.from.Add(48 * time.Hour)
	if rep, err = w.db.Report(ctx, f); err != nil || len(rep.Series) != 1 || !rep.Series[0].Start.Equal(day(4)) {
		t.Errorf("weekly from Wednesday the 4th: %+v, %v; want one week named the 4th", rep.Series, err)
	}

	// In UTC the same chats fall on other hours: r1 and r2 at 1 and 2.
	f = w.filter()
	f.Zone = "UTC"
	if rep, err = w.db.Report(ctx, f); err != nil || rep.Hours[1] != 2 || rep.Hours[9] != 0 {
		t.Errorf("hours in UTC = %v, %v; want 2 at 1 o'clock", rep.Hours, err)
	}
}

// TestReportOnOneConnection checks that a report read on one connection,
// as it is when its pool has no second one to give, has the same figures
// as one whose percentiles are read on a second connection.
func TestReportOnOneConnection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newReportWorld(t)
	one, err := store.OpenSized(ctx, w.url, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(one.Close)
	for _, weekly := range []bool{false, true} {
		f := w.filter()
		f.Weekly = weekly
		f.LabelID = w.urgent
		want, err := w.db.Report(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := one.Report(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("weekly %v: on one connection\n%+v\nwant\n%+v", weekly, got, want)
		}
		if want.Started != 3 || want.FirstResponse.Median != secs(120) || want.Resolution.Median != secs(1200) {
			t.Errorf("weekly %v: %d started, medians %v and %v; want 3, 2m0s, 20m0s", weekly,
				want.Started, want.FirstResponse.Median, want.Resolution.Median)
		}
	}
}

func TestReportFilters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newReportWorld(t)
	for _, tc := range []struct {
		name                string
		site, agent, label  int64
		started, answered   int
		firstResponseMedian time.Duration
	}{
		{name: "shop: r1 r2 r5 r8", site: w.shop, started: 4, answered: 3, firstResponseMedian: secs(180)},
		{name: "Ann: r1 r2", agent: w.ann, started: 2, answered: 2, firstResponseMedian: secs(120)},
		{name: "urgent: r1 r3 r8", label: w.urgent, started: 3, answered: 3, firstResponseMedian: secs(120)},
		{name: "blog and Bo: r3 r4", site: w.blog, agent: w.bo, started: 2, answered: 2, firstResponseMedian: secs(210)},
		{name: "Ann on the blog: none", site: w.blog, agent: w.ann},
	} {
		f := w.filter()
		f.SiteID, f.AgentID, f.LabelID = tc.site, tc.agent, tc.label
		rep, err := w.db.Report(ctx, f)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if rep.Started != tc.started || rep.Answered != tc.answered || rep.FirstResponse.Median != tc.firstResponseMedian {
			t.Errorf("%s: started %d, answered %d, median %v; want %d, %d, %v", tc.name,
				rep.Started, rep.Answered, rep.FirstResponse.Median, tc.started, tc.answered, tc.firstResponseMedian)
		}
		if tc.agent != 0 {
			for _, a := range rep.Agents {
				if a.ID != tc.agent {
					t.Errorf("%s: agent %d in the per-agent figures", tc.name, a.ID)
				}
			}
		}
	}
}

func TestReportRefusesBadFilters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newReportWorld(t)
	for _, tc := range []struct {
		name   string
		change func(*store.ReportFilter)
		say    string
	}{
		{"reversed", func(f *store.ReportFilter) { f.From, f.To = f.To, f.From }, "error.report.reversed"},
		{"empty", func(f *store.ReportFilter) { f.To = f.From }, "error.report.reversed"},
		{"over a year", func(f *store.ReportFilter) { f.From = f.To.AddDate(-1, 0, -2) }, "error.report.tooLong"},
		{"no time zone", func(f *store.ReportFilter) { f.Zone = "" }, "error.report.zone"},
		{"unknown time zone", func(f *store.ReportFilter) { f.Zone = "Mars/Olympus" }, "error.report.zone"},
		{"unknown site", func(f *store.ReportFilter) { f.SiteID = 999999 }, "error.report.unknownSite"},
		{"unknown agent", func(f *store.ReportFilter) { f.AgentID = 999999 }, "error.report.unknownAgent"},
		{"unknown label", func(f *store.ReportFilter) { f.LabelID = 999999 }, "error.report.unknownLabel"},
	} {
		f := w.filter()
		tc.change(&f)
		_, err := w.db.Report(ctx, f)
		says(t, tc.name, err, tc.say)
	}
	choices, err := w.db.ReportChoices(ctx)
	if err != nil || len(choices.Sites) != 2 || choices.Sites[0].Name != "Blog" || len(choices.Agents) != 2 ||
		choices.Agents[0].Name != "Ann" || len(choices.Labels) != 1 || choices.Labels[0].ID != w.urgent {
		t.Errorf("choices = %+v, %v", choices, err)
	}
}

// TestReportAcrossClockChanges places chats by the day and hour they began
// in zones whose clocks change: Havana's midnight comes twice on 1 November
// 2026 (its day begins at the first), Santiago's never comes on 6 September
// 2026 (its day begins at 01:00), and Lord Howe's clocks go from 02:00 to
// 02:30 on 4 October 2026.
func TestReportAcrossClockChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.DB(t)
	queued := func(at string) {
		t.Helper()
		when, err := time.Parse(time.RFC3339, at)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.QueryIDForTest(ctx, `WITH v AS (
				INSERT INTO users (kind, visitor_token_hash) VALUES ('visitor', sha256(random()::text::bytea)) RETURNING id)
			INSERT INTO conversations (kind, visitor_id, status, queued_at) SELECT 'support', id, 'queued', $1 FROM v RETURNING id`, when); err != nil {
			t.Fatal(err)
		}
	}
	for _, at := range []string{
		"2026-11-01T03:30:00Z", // Havana: 31 October, 23:30
		"2026-11-01T04:30:00Z", // 1 November, 00:30 the first time
		"2026-11-01T05:30:00Z", // 1 November, 00:30 the second time
		"2026-09-06T03:30:00Z", // Santiago: 5 September, 23:30
		"2026-09-06T04:30:00Z", // 6 September, 01:30
		"2026-10-03T15:20:00Z", // Lord Howe: 4 October, 01:50
		"2026-10-03T15:40:00Z", // 4 October, 02:40
	} {
		queued(at)
	}
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		zone    string
		from    time.Time // the first of the report's two days
		started []int     // by day
		hours   map[int]int
	}{
		{"America/Havana", day(10, 31), []int{1, 2}, map[int]int{23: 1, 0: 2}},
		{"America/Santiago", day(9, 5), []int{1, 1}, map[int]int{23: 1, 1: 1}},
		{"Australia/Lord_Howe", day(10, 3), []int{0, 2}, map[int]int{1: 1, 2: 1}},
	} {
		loc, err := time.LoadLocation(tc.zone)
		if err != nil {
			t.Fatal(err)
		}
		y, m, d := tc.from.Date()
		f := store.ReportFilter{From: time.Date(y, m, d, 0, 0, 0, 0, loc), To: time.Date(y, m, d+2, 0, 0, 0, 0, loc), Zone: tc.zone}
		rep, err := db.Report(ctx, f)
		if err != nil {
			t.Fatalf("%s: %v", tc.zone, err)
		}
		var started []int
		for i, b := range rep.Series {
			if !b.Start.Equal(tc.from.AddDate(0, 0, i)) {
				t.Errorf("%s: day %d starts %v", tc.zone, i, b.Start)
			}
			started = append(started, b.Started)
		}
		if !reflect.DeepEqual(started, tc.started) {
			t.Errorf("%s: started by day %v, want %v", tc.zone, started, tc.started)
		}
		var hours [24]int
		for h, n := range tc.hours {
			hours[h] = n
		}
		if rep.Hours != hours {
			t.Errorf("%s: hours %v, want %v", tc.zone, rep.Hours, hours)
		}
	}
}
