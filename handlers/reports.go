package handlers

// Reports: admins read every chat's figures on /admin/reports, an agent
// their own on /console/reports; each has the same figures as CSV. An
// agent's page is held to their own chats here, whatever the query says.

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/views/admin"
	"github.com/kefu-im/kefu/views/console"
	"github.com/kefu-im/kefu/views/reports"
)

const (
	reportsAll  = "/admin/reports"
	reportsMine = "/console/reports"
	reportDays  = 30 // a report shows the last reportDays days unless asked
	dateLayout  = "2006-01-02"
)

// reportQuery reads a report's filter from r's query: from and to, the
// first and last day (in time zone tz, else the one zone gives for the
// chosen site, 0 for none); by=week; site, agent and label ids. The form
// is given back as it was sent, to show again. An agent (mine) gets a
// report of their own chats only.
func reportQuery(r *http.Request, mine bool, now time.Time, zone func(siteID int64) (string, error)) (store.ReportFilter, reports.Form, error) {
	q := r.URL.Query()
	form := reports.Form{From: q.Get("from"), To: q.Get("to"), Zone: strings.TrimSpace(q.Get("tz")), Weekly: q.Get("by") == "week"}
	var err error
	for _, id := range []struct {
		name string
		into *int64
		say  string
	}{{"site", &form.Site, "error.report.unknownSite"}, {"agent", &form.Agent, "error.report.unknownAgent"},
		{"label", &form.Label, "error.report.unknownLabel"}} {
		if v := q.Get(id.name); v != "" && !(mine && id.name == "agent") {
			n, perr := strconv.ParseInt(v, 10, 64)
			if (perr != nil || n <= 0) && err == nil {
				err = chat.Invalid(id.name, id.say)
			}
			*id.into = n
		}
	}
	if form.Zone == "" {
		var zerr error
		if form.Zone, zerr = zone(max(form.Site, 0)); zerr != nil {
			return store.ReportFilter{}, form, zerr
		}
	}
	loc, zoneErr := time.LoadLocation(form.Zone)
	if zoneErr != nil || form.Zone == "Local" {
		loc = time.UTC
	}
	today := now.In(loc)
	if form.To == "" {
		form.To = today.Format(dateLayout)
	}
	if form.From == "" {
		form.From = today.AddDate(0, 0, 1-reportDays).Format(dateLayout)
	}
	f := store.ReportFilter{Zone: form.Zone, Weekly: form.Weekly}
	f.SiteID, f.AgentID, f.LabelID = form.Site, form.Agent, form.Label
	if mine {
		f.AgentID, form.Agent = accountFrom(r.Context()).ID, 0
	}
	from, ferr := time.ParseInLocation(dateLayout, form.From, loc)
	to, terr := time.ParseInLocation(dateLayout, form.To, loc)
	if ferr != nil || terr != nil {
		return f, form, chat.Invalid("from", "error.report.date")
	}
	f.From, f.To = from, to.AddDate(0, 0, 1) // the last day is in
	if err != nil {
		return f, form, err
	}
	return f, form, f.Validate()
}

// reportZone is the time zone of a report that does not name one: that of
// the business hours of the site it is held to (siteID, 0: none), else of
// the first site that has hours, else UTC; so that a team's days are its
// own and not UTC's.
func (h *Handler) reportZone(ctx context.Context) func(siteID int64) (string, error) {
	return func(siteID int64) (string, error) { return h.DB.ReportZone(ctx, siteID) }
}

// reportPage reads the report r asks for, and what its filters offer. A
// refused filter gives the page its reason, and no figures.
func (h *Handler) reportPage(r *http.Request, mine bool) (int, reports.Props, error) {
	ctx := r.Context()
	p := reports.Props{Action: reportsAll, CSV: reportsAll + ".csv", ChooseAgent: !mine}
	if mine {
		p.Action, p.CSV = reportsMine, reportsMine+".csv"
	}
	f, form, err := reportQuery(r, mine, h.Now(), h.reportZone(r.Context()))
	p.Form = form
	if err == nil {
		var rep store.Report
		if rep, err = h.DB.Report(ctx, f); err == nil {
			p.Report = &rep
		}
	}
	status := http.StatusOK
	var ve *chat.ValidationError
	if errors.As(err, &ve) {
		status, p.Refusal, err = http.StatusBadRequest, reason(i18n.From(ctx), err), nil
	}
	if err != nil {
		return 0, p, err
	}
	if p.Choices, err = h.DB.ReportChoices(ctx); err != nil {
		return 0, p, err
	}
	return status, p, nil
}

func (h *Handler) adminReportsShow(w http.ResponseWriter, r *http.Request) {
	status, p, err := h.reportPage(r, false)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, status, admin.ReportsPage(admin.ReportsProps{Frame: h.adminFrame(r), Body: p}))
}

func (h *Handler) reportsShow(w http.ResponseWriter, r *http.Request) {
	nav, err := h.nav(r, "reports")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	status, p, err := h.reportPage(r, true)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, status, console.ReportsPage(console.ReportsProps{Nav: nav, Body: p}))
}

func (h *Handler) adminReportsCSV(w http.ResponseWriter, r *http.Request) { h.reportCSV(w, r, false) }
func (h *Handler) reportsCSV(w http.ResponseWriter, r *http.Request)      { h.reportCSV(w, r, true) }

// reportCSV answers with the report's figures as CSV, one figure a line:
// section, item, measure, value. A refused filter is a 400, as a page.
func (h *Handler) reportCSV(w http.ResponseWriter, r *http.Request, mine bool) {
	f, _, err := reportQuery(r, mine, h.Now(), h.reportZone(r.Context()))
	var rep store.Report
	if err == nil {
		rep, err = h.DB.Report(r.Context(), f)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var buf strings.Builder
	cw := csv.NewWriter(&buf)
	_ = cw.WriteAll(reportRecords(rep))
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="kefu-report-%s-%s.csv"`,
		f.From.Format(dateLayout), f.To.AddDate(0, 0, -1).Format(dateLayout)))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(buf.String()))
}

// reportRecords are rep's figures as CSV lines, under a header. Durations
// are in whole seconds, empty where there is none; text that people wrote
// (names, comments) is kept from being read as a formula.
func reportRecords(rep store.Report) [][]string {
	n := strconv.Itoa
	secs := func(d time.Duration, none bool) string {
		if none {
			return ""
		}
		return strconv.FormatInt(int64(d/time.Second), 10)
	}
	avg := func(v float64, rated int) string {
		if rated == 0 {
			return ""
		}
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	out := [][]string{{"section", "item", "measure", "value"}}
	add := func(section, item, measure, value string) {
		out = append(out, []string{section, cell(item), measure, cell(value)})
	}
	add("total", "", "started", n(rep.Started))
	add("total", "", "answered", n(rep.Answered))
	add("total", "", "resolved", n(rep.Resolved))
	add("total", "", "first_response_median_seconds", secs(rep.FirstResponse.Median, rep.FirstResponse.Count == 0))
	add("total", "", "first_response_p90_seconds", secs(rep.FirstResponse.P90, rep.FirstResponse.Count == 0))
	add("total", "", "resolution_median_seconds", secs(rep.Resolution.Median, rep.Resolution.Count == 0))
	add("total", "", "resolution_p90_seconds", secs(rep.Resolution.P90, rep.Resolution.Count == 0))
	add("total", "", "rated", n(rep.Rated))
	add("total", "", "rating_average", avg(rep.Rating, rep.Rated))
	section := "day"
	if rep.Filter.Weekly {
		section = "week"
	}
	for _, b := range rep.Series {
		day := reports.Day(b.Start)
		add(section, day, "started", n(b.Started))
		add(section, day, "answered", n(b.Answered))
		add(section, day, "resolved", n(b.Ended))
		add(section, day, "first_response_median_seconds", secs(b.FirstResponse, b.Answered == 0))
		add(section, day, "resolution_median_seconds", secs(b.Resolution, b.Ended == 0))
	}
	for _, a := range rep.Agents {
		add("agent", a.Name, "chats", n(a.Chats))
		add("agent", a.Name, "resolved", n(a.Resolved))
		add("agent", a.Name, "first_response_median_seconds", secs(a.FirstResponse, a.Answered == 0))
		add("agent", a.Name, "resolution_median_seconds", secs(a.Resolution, a.Resolved == 0))
		add("agent", a.Name, "rated", n(a.Rated))
		add("agent", a.Name, "rating_average", avg(a.Rating, a.Rated))
	}
	for i, c := range rep.Ratings {
		add("rating", n(i+1), "chats", n(c))
	}
	for h, c := range rep.Hours {
		add("hour", reports.Hour(h), "started", n(c))
	}
	for _, c := range rep.Comments {
		item := strconv.FormatInt(c.ConversationID, 10)
		add("comment", item, "rating", n(c.Rating))
		add("comment", item, "agent", c.Agent)
		add("comment", item, "resolved_at", c.ResolvedAt.UTC().Format(time.RFC3339))
		add("comment", item, "text", c.Comment)
	}
	return out
}

// cell keeps a spreadsheet from reading s as a formula: one that starts
// with = + - @ (or a tab or return) gets a quote before it.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
