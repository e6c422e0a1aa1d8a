package components

import (
	"context"
	"time"

	"github.com/kefu-im/kefu/i18n"
)

// Ago describes t relative to now in the language of ctx, the way live.js
// does in the browser: "just now", "3 min ago", "2 h ago", "yesterday",
// then the date in the reader's format ("2 Jan", "1月2日"), whose Go layout
// is the catalog's time.date.
func Ago(ctx context.Context, t, now time.Time) string {
	loc := i18n.From(ctx)
	d := now.Sub(t)
	switch {
	case d < 45*time.Second:
		return loc.T("time.justNow")
	case d < time.Hour:
		return loc.N("time.minutesAgo", int(d.Round(time.Minute)/time.Minute))
	case d < 24*time.Hour:
		return loc.N("time.hoursAgo", int(d/time.Hour))
	case d < 48*time.Hour:
		return loc.T("time.yesterday")
	default:
		return t.Format(loc.T("time.date"))
	}
}

// Exact is t to the minute, in UTC, in the reader's format (the catalog's
// time.exact): what a relative time says when pointed at.
func Exact(ctx context.Context, t time.Time) string {
	return t.UTC().Format(i18n.T(ctx, "time.exact"))
}
