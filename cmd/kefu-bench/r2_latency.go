package main

// R2: the time from a visitor's send to its arrival on the agent's console,
// at half R1's best rate, with many widget sockets connected: in the steady
// state, after warmUp at that pace, and, on a row of its own, in that first
// second of a fresh instance.

import (
	"context"
	"fmt"
	"time"
)

func (b *bench) latency(ctx context.Context) error {
	n := b.opts.latencySockets
	b.progress("R2: %d widget sockets, %.0f messages/s for %s", n, b.rate, b.opts.window)
	k, err := b.freshInstance(ctx)
	if err != nil {
		return err
	}
	defer k.stop()
	sc, err := newScenario(ctx, k, k, n)
	if err != nil {
		return err
	}
	defer sc.close()
	defer b.noteProblems("R2", sc)
	start, l, err := sc.paced(ctx, b.rate, b.opts.window)
	if err != nil {
		return err
	}
	load := loadAverage()
	p50, ok50 := l.at(0.50)
	p99, ok99 := l.at(0.99)
	spread := "-"
	if ok50 && ok99 && p50 > 0 {
		spread = fmt.Sprintf("%.1f", float64(p99)/float64(p50))
	}
	where := fmt.Sprintf("%d sockets, %.0f msg/s", n, b.rate)
	arrived := fmt.Sprintf("%d of %d arrived, after %s at that pace", len(l.arrived), l.sent, warmUp)
	startP99, okStart := start.at(0.99)
	b.rows = append(b.rows,
		row{figure: "R2 send → receive p50, " + where, kefu: quantile(p50, ok50), reference: arrived, load: load},
		row{figure: "R2 send → receive p99, " + where, kefu: quantile(p99, ok99), reference: arrived, target: "≤ 15 ms", load: load},
		row{figure: "R2 p99 ÷ p50", kefu: spread, target: "≤ 5", load: load},
		row{figure: fmt.Sprintf("R2 p99 of the first %s, on a fresh instance", warmUp), kefu: quantile(startP99, okStart),
			reference: fmt.Sprintf("%d of %d arrived", len(start.arrived), start.sent), load: load})
	return nil
}

// quantile prints a latency, or says it fell on a message that had not
// arrived drainTime after the last send.
func quantile(d time.Duration, ok bool) string {
	if !ok {
		return fmt.Sprintf("not in %s", drainTime)
	}
	return ms(d)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
