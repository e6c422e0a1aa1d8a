// Package reports holds the reports page's body, shared by the admins'
// page (every chat) and an agent's (their own): the filter form, and each
// figure as a chart drawn here, as SVG, with a table of its numbers under it.
package reports

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/store"
)

// Form is what the filter form holds, as it was sent (or its defaults).
type Form struct {
	// From and To are the first and the last day shown, "2006-01-02".
	From, To string
	Zone     string
	Weekly   bool
	Site     int64
	Agent    int64
	Label    int64
}

// Query is the form as a URL query, for the CSV link.
func (f Form) Query() string {
	v := url.Values{"from": {f.From}, "to": {f.To}, "tz": {f.Zone}}
	if f.Weekly {
		v.Set("by", "week")
	}
	for name, id := range map[string]int64{"site": f.Site, "agent": f.Agent, "label": f.Label} {
		if id != 0 {
			v.Set(name, strconv.FormatInt(id, 10))
		}
	}
	return v.Encode()
}

// Props is the body of a reports page.
type Props struct {
	// Action is the page's own path, CSV the path of its CSV.
	Action, CSV string
	Form        Form
	Choices     store.ReportChoices
	// ChooseAgent: the reader may pick an agent (admins); an agent's page
	// is about their own chats only.
	ChooseAgent bool
	// Refusal says why the filter was refused; Report is then nil.
	Refusal string
	Report  *store.Report
}

// Duration writes d for people: "45 s", "3 min 20 s", "2 h 5 min"; a dash
// when there is none.
func Duration(ctx context.Context, d time.Duration, none bool) string {
	if none {
		return i18n.T(ctx, "reports.none")
	}
	s := int(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return i18n.T(ctx, "reports.duration.s", "S", s)
	case s < 3600:
		return i18n.T(ctx, "reports.duration.ms", "M", s/60, "S", s%60)
	}
	return i18n.T(ctx, "reports.duration.hm", "H", s/3600, "M", s%3600/60)
}

// Average writes a rating average with one decimal; a dash when none was rated.
func Average(ctx context.Context, avg float64, rated int) string {
	if rated == 0 {
		return i18n.T(ctx, "reports.none")
	}
	return strconv.FormatFloat(avg, 'f', 2, 64)
}

// Share is n of total as a whole percentage.
func Share(n, total int) string {
	if total == 0 {
		return "0%"
	}
	return fmt.Sprintf("%.0f%%", float64(n)*100/float64(total))
}

// Day writes a bucket's first day.
func Day(t time.Time) string { return t.Format("2006-01-02") }

// The charts' drawing area, in the SVG's own units: it scales to its box.
const (
	chartW, chartH = 720.0, 220.0
	padLeft        = 44.0
	padRight       = 8.0
	padTop         = 12.0
	padBottom      = 26.0
	maxTicks       = 12 // labels under a chart at most
)

// Point is one value of a chart: its label under it and its value. A
// line has a gap where a point has None (a median of no chat).
type Point struct {
	Label string
	Value float64
	None  bool
}

// Chart is a bar or line chart's geometry, worked out here so that the
// template only places what it is given.
type Chart struct {
	ViewBox        string
	Bars           []Bar
	Lines          []string // polylines' points, between gaps; none for a bar chart
	Dots           []Bar    // the line's points
	Ticks          []Tick
	Top            string // the value at the top of the scale
	Empty          bool   // every value is zero: the chart says so, with no scale
	MidX, MidY     string // the middle of the drawing area
	BaseY, TopY    string
	AxisX0, AxisX1 string
}

// Bar is one bar (or a line's dot): where it is, and what it says.
type Bar struct {
	X, Y, W, H string
	Title      string
}

// Tick is a label under the chart.
type Tick struct {
	X, Y, Text string
}

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// Draw lays points out as bars, or as a line when line is set; say writes
// a value for a bar's tooltip.
func Draw(points []Point, line bool, say func(float64) string) Chart {
	plotW, plotH := chartW-padLeft-padRight, chartH-padTop-padBottom
	max := 0.0
	for _, p := range points {
		if p.Value > max {
			max = p.Value
		}
	}
	c := Chart{ViewBox: fmt.Sprintf("0 0 %.0f %.0f", chartW, chartH), BaseY: f1(padTop + plotH), TopY: f1(padTop),
		AxisX0: f1(padLeft), AxisX1: f1(chartW - padRight), Top: say(max), Empty: max == 0,
		MidX: f1(padLeft + plotW/2), MidY: f1(padTop + plotH/2)}
	if len(points) == 0 {
		return c
	}
	slot := plotW / float64(len(points))
	segment := "" // the line being drawn
	every := (len(points) + maxTicks - 1) / maxTicks
	for i, p := range points {
		h := 0.0
		if max > 0 {
			h = p.Value / max * plotH
		}
		x := padLeft + float64(i)*slot
		b := Bar{X: f1(x + slot*0.15), Y: f1(padTop + plotH - h), W: f1(slot * 0.7), H: f1(h), Title: p.Label + ": " + say(p.Value)}
		switch {
		case line && p.None:
			segment = ""
		case line:
			b = Bar{X: f1(x + slot/2), Y: f1(padTop + plotH - h), Title: b.Title}
			if segment == "" {
				c.Lines = append(c.Lines, "")
			} else {
				segment += " "
			}
			segment += b.X + "," + b.Y
			c.Lines[len(c.Lines)-1] = segment
			c.Dots = append(c.Dots, b)
		default:
			c.Bars = append(c.Bars, b)
		}
		if i%every == 0 {
			c.Ticks = append(c.Ticks, Tick{X: f1(x + slot/2), Y: f1(chartH - 8), Text: p.Label})
		}
	}
	return c
}

// count writes a count.
func count(v float64) string { return strconv.Itoa(int(v)) }

// seriesLabel is a bucket's label under a chart: month and day.
func seriesLabel(t time.Time) string { return t.Format("01-02") }

// startedChart is the chats started per day or week.
func startedChart(r *store.Report) Chart {
	ps := make([]Point, len(r.Series))
	for i, b := range r.Series {
		ps[i] = Point{Label: seriesLabel(b.Start), Value: float64(b.Started)}
	}
	return Draw(ps, false, count)
}

// responseChart is the median first response per day or week, in seconds.
func responseChart(ctx context.Context, r *store.Report) Chart {
	ps := make([]Point, len(r.Series))
	for i, b := range r.Series {
		ps[i] = Point{seriesLabel(b.Start), b.FirstResponse.Seconds(), b.Answered == 0}
	}
	return Draw(ps, true, func(v float64) string { return Duration(ctx, time.Duration(v)*time.Second, false) })
}

// agentsChart is the chats of each agent.
func agentsChart(r *store.Report) Chart {
	ps := make([]Point, len(r.Agents))
	for i, a := range r.Agents {
		ps[i] = Point{Label: a.Name, Value: float64(a.Chats)}
	}
	return Draw(ps, false, count)
}

// ratingsChart is how many chats got each mark.
func ratingsChart(r *store.Report) Chart {
	ps := make([]Point, 5)
	for i, n := range r.Ratings {
		ps[i] = Point{Label: strconv.Itoa(i + 1), Value: float64(n)}
	}
	return Draw(ps, false, count)
}

// hoursChart is the chats started at each hour of the day.
func hoursChart(r *store.Report) Chart {
	ps := make([]Point, 24)
	for h, n := range r.Hours {
		ps[h] = Point{Label: strconv.Itoa(h), Value: float64(n)}
	}
	return Draw(ps, false, count)
}

// Hour is an hour of the day, as a table says it: "09:00".
func Hour(h int) string { return fmt.Sprintf("%02d:00", h) }
