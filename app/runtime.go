package app

import (
	"os"
	"runtime/debug"
)

// GCPercent is the garbage collector's target kefu runs with unless the
// GOGC environment variable sets one: the heap may grow to five times what
// is live before a collection, instead of twice. Each collection takes
// a share of the CPU for tens of milliseconds, and the messages that
// arrive meanwhile wait; at Go's default, under load, that is every half
// second, and it made most of the slowest 1 % of deliveries.
const GCPercent = 400

// SetGCPercent gives the garbage collector kefu's target, GCPercent,
// unless GOGC gives one.
func SetGCPercent() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
}
