package reports

import (
	"context"
	"testing"
	"time"

	"github.com/kefu-im/kefu/i18n"
)

func TestDrawLeavesGapsAndScalesToTheLargest(t *testing.T) {
	c := Draw([]Point{{Label: "a", Value: 2}, {Label: "b", None: true}, {Label: "c", Value: 4}, {Label: "d", Value: 1}}, true,
		func(v float64) string { return "n" })
	if len(c.Lines) != 2 || len(c.Dots) != 3 || len(c.Bars) != 0 {
		t.Fatalf("a line with a gap: %d lines, %d dots, %d bars; want 2, 3, 0", len(c.Lines), len(c.Dots), len(c.Bars))
	}
	if c.Dots[1].Y != c.TopY || c.Lines[0] != c.Dots[0].X+","+c.Dots[0].Y {
		t.Errorf("the largest value is not at the top, or the first line is not its one point: %+v", c)
	}
	bars := Draw([]Point{{Label: "x", Value: 0}, {Label: "y", Value: 3}}, false, func(float64) string { return "" })
	if len(bars.Bars) != 2 || bars.Bars[0].H != "0.0" || bars.Bars[1].Y != bars.TopY || len(bars.Ticks) != 2 {
		t.Errorf("bars = %+v", bars)
	}
	empty := Draw(nil, false, func(float64) string { return "0" })
	if len(empty.Bars) != 0 || empty.Top != "0" {
		t.Errorf("no points: %+v", empty)
	}
}

func TestDurationsInTheReadersWords(t *testing.T) {
	en := i18n.With(context.Background(), i18n.For("en"))
	zh := i18n.With(context.Background(), i18n.For("zh-CN"))
	for _, tc := range []struct {
		ctx  context.Context
		d    time.Duration
		want string
	}{
		{en, 45 * time.Second, "45 s"},
		{en, 200 * time.Second, "3 min 20 s"},
		{en, 2*time.Hour + 5*time.Minute + 9*time.Second, "2 h 5 min"},
		{zh, 200 * time.Second, "3 分 20 秒"},
		{zh, 2*time.Hour + 5*time.Minute, "2 小时 5 分"},
	} {
		if got := Duration(tc.ctx, tc.d, false); got != tc.want {
			t.Errorf("Duration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
	if got := Duration(en, 0, true); got != "—" {
		t.Errorf("no duration = %q, want a dash", got)
	}
}
