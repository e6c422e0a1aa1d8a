package main

// R2: the time from a visitor's send to its arrival on the agent's console,
// at half R1's best rate, with many widget sockets connected: in the steady
// state, after warmUp at that pace, and, on a row of its own, in that first
// second of a fresh instance. The widgets and the console live in a child
// process (`kefu-bench pace`), so that their reading, timing and garbage
// are not kefu's: only kefu's own work stands between a send and its
// arrival. Beside it, before and after, the reference: the row a message
// is, inserted at the same pace with a durable commit each, whose tail is
// the disk's (a flush of the WAL that stalls holds up every commit).

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"
)

func (b *bench) latency(ctx context.Context) error {
	n := b.opts.latencySockets
	b.progress("R2: %d widget sockets, %.0f messages/s for %s", n, b.rate, b.opts.window)
	// Each of the three meets a server that carries only its own work.
	before, err := b.insertLatencies(ctx, b.rate, b.opts.window)
	if err != nil {
		return err
	}
	if err := b.clean(ctx, "R2's kefu"); err != nil {
		return err
	}
	got, load, err := b.paceKefu(ctx, n)
	if err != nil {
		return err
	}
	if err := b.clean(ctx, "R2's inserts again"); err != nil {
		return err
	}
	after, err := b.insertLatencies(ctx, b.rate, b.opts.window)
	if err != nil {
		return err
	}
	if got.Retried+got.Refused > 0 {
		b.notes = append(b.notes, fmt.Sprintf("R2: kefu asked for %d sends again and refused %d", got.Retried, got.Refused))
	}
	if got.ConsoleEnded != "" {
		b.notes = append(b.notes, fmt.Sprintf("R2: the console's socket ended (%s); a browser would reconnect and resume, "+
			"the bench's console does not, and what was sent after it is missing", got.ConsoleEnded))
	}
	start, l := got.Start.latencies(), got.Steady.latencies()
	p50, ok50 := l.at(0.50)
	p99, ok99 := l.at(0.99)
	spread := "-"
	if ok50 && ok99 && p50 > 0 {
		spread = fmt.Sprintf("%.1f", float64(p99)/float64(p50))
	}
	where := fmt.Sprintf("%d sockets, %.0f msg/s", n, b.rate)
	arrived := fmt.Sprintf("%d of %d arrived, after %s at that pace", len(l.arrived), l.sent, warmUp)
	inserts := func(q float64) string {
		x, okX := before.at(q)
		y, okY := after.at(q)
		return fmt.Sprintf("insert at that pace: %s, %s (before, after)", quantile(x, okX), quantile(y, okY))
	}
	startP99, okStart := start.at(0.99)
	b.rows = append(b.rows,
		row{figure: "R2 send → receive p50, " + where, kefu: quantile(p50, ok50), reference: inserts(0.50), load: load},
		row{figure: "R2 send → receive p99, " + where, kefu: quantile(p99, ok99), reference: inserts(0.99), target: "≤ 15 ms", load: load},
		row{figure: "R2 p99 ÷ p50", kefu: spread, reference: arrived, target: "≤ 5", load: load},
		row{figure: fmt.Sprintf("R2 p99 of the first %s, on a fresh instance", warmUp), kefu: quantile(startP99, okStart),
			reference: fmt.Sprintf("%d of %d arrived", len(start.arrived), start.sent), load: load})
	return nil
}

// paceKefu has `kefu-bench pace` send to a fresh instance with n widget
// sockets open, at R2's pace, and returns what it timed, and the load.
func (b *bench) paceKefu(ctx context.Context, n int) (paceReport, string, error) {
	var got paceReport
	k, err := b.freshInstance(ctx)
	if err != nil {
		return got, "", err
	}
	defer k.stop()
	pacer, err := b.playCast(ctx, k, n, 5*time.Minute+2*b.opts.window, "pace",
		"-rate", strconv.FormatFloat(b.rate, 'f', -1, 64), "-d", b.opts.window.String())
	if err != nil {
		return got, "", err
	}
	load := loadAverage()
	if err := pacer.stop(); err != nil {
		return got, "", err
	}
	if err := json.Unmarshal([]byte(pacer.ready), &got); err != nil {
		return got, "", fmt.Errorf("the pace helper's report: %w", err)
	}
	return got, load, nil
}

// r2Writers is how many connections R2's reference inserts on, in turn:
// enough that one waiting for its commit does not hold up the next insert.
const r2Writers = 8

// insertLatencies is R2's reference: the row a message is, inserted at rate
// a second for warmUp and then for d, each with its durable commit, by
// r2Writers connections in turn (the next insert of one still busy waits
// for it), each timed from when it was due to its commit; those of the
// first second are left out, as paced leaves them.
func (b *bench) insertLatencies(ctx context.Context, rate float64, d time.Duration) (latencies, error) {
	w, err := b.openWriters(ctx, r2Writers)
	if err != nil {
		return latencies{}, err
	}
	defer w.close(ctx)
	var (
		mu    sync.Mutex
		l     latencies
		first error
		wg    sync.WaitGroup
	)
	interval := time.Duration(float64(time.Second) / rate)
	began := time.Now()
	steady := began.Add(warmUp)
	due := make([]chan time.Time, r2Writers)
	for i := range due {
		due[i] = make(chan time.Time, int(rate)+1)
		wg.Go(func() {
			failed := false
			for at := range due[i] {
				if failed {
					continue // drained
				}
				err := w.insert(ctx, i)
				took := time.Since(at)
				mu.Lock()
				switch {
				case err != nil:
					failed = true
					first = cmp.Or(first, err)
				case !at.Before(steady):
					l.arrived = append(l.arrived, took)
				}
				mu.Unlock()
			}
		})
	}
	for i := 0; time.Duration(i)*interval < warmUp+d; i++ {
		at := began.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(at))
		if !at.Before(steady) {
			l.sent++
		}
		due[i%r2Writers] <- at
	}
	for _, c := range due {
		close(c)
	}
	wg.Wait()
	slices.Sort(l.arrived)
	return l, first
}

// paceReport is what `kefu-bench pace` found, on its one line of output.
type paceReport struct {
	Start, Steady    timings
	Retried, Refused int64
	// ConsoleEnded says why the console's socket ended, if it did.
	ConsoleEnded string
}

// timings are latencies as they cross between processes.
type timings struct {
	Arrived []time.Duration
	Sent    int
}

func (t timings) latencies() latencies { return latencies{arrived: t.Arrived, sent: t.Sent} }

// paceSends is the child's side of R2: it opens the widgets and the console
// of a cast on kefu, sends at a pace as scenario.paced does, and says what
// it timed.
func paceSends(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("pace", flag.ContinueOnError)
	rate := fs.Float64("rate", 100, "messages/s")
	d := fs.Duration("d", 5*time.Second, "how long to time sends, after warming up")
	sc, err := openCast(ctx, fs, args)
	if err != nil {
		return err
	}
	defer sc.close()
	start, steady, err := sc.paced(ctx, *rate, warmUp, *d)
	if err != nil {
		return err
	}
	got := paceReport{Start: timings{start.arrived, start.sent}, Steady: timings{steady.arrived, steady.sent}}
	got.Retried, got.Refused = sc.problems()
	got.ConsoleEnded = sc.console.endedWhy()
	line, err := json.Marshal(got)
	if err != nil {
		return err
	}
	fmt.Println("ready", string(line))
	untilStdinCloses(ctx)
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
