// Command kefu-bench measures kefu on this machine, each figure beside a
// reference measured in the same run on the same PostgreSQL, and prints the
// ratios (`make bench`). It starts its own durable PostgreSQL and builds
// kefu instances in this process through the app package, as cmd/kefu does,
// so what it measures is kefu's own code; the browsers are WebSocket
// clients in this process, or, where they must not weigh on what is
// measured (R1's and R2's senders and console, idle sockets, the push
// service), in a child process.
//
//	R1 messages/s from visitors' sockets to an agent's console ÷ single-row inserts of the same row, per client count
//	R2 send → receive latency, p50 and p99, at half R1's best rate with many sockets connected
//	R3 memory and goroutines per idle widget socket
//	R4 assignments/s ÷ a bare FOR UPDATE SKIP LOCKED claim loop, and no agent over capacity
//	R5 two instances (sender on one, agent on the other) ÷ one
//	R7 CPU per web push ÷ webpush-go used as-is
//	S1 the console's search on 1M messages, p50/p95/p99 per kind of query (not run by default: -figures S1)
//
// A CPU profile is written under R1's load, and pg_stat_statements counts
// the statements each message costs.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kefu-im/kefu/config"
)

func main() {
	// kefu as it ships: with its garbage collector's target.
	if p := config.GCPercent(os.Getenv); p > 0 {
		debug.SetGCPercent(p)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if len(os.Args) > 1 && isHelper(os.Args[1]) {
		err = runHelper(ctx, os.Args[1], os.Args[2:])
	} else {
		err = run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kefu-bench:", err)
		os.Exit(1)
	}
}

// options are the command line's.
type options struct {
	figures        []string
	window         time.Duration // each measurement's duration
	clients        []int         // R1's client counts
	latencySockets int           // R2's connected sockets
	idleSockets    int           // R3's
	pushes         int           // R7's
	messages       int           // S1's
	rate           float64       // R2's pace when R1 does not run
	out            string        // where the profile goes
	dataDir        string        // the PostgreSQL's parent directory
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("kefu-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	figures := fs.String("figures", "R1,R2,R3,R4,R5,R7", "the figures to measure, comma-separated (also S1)")
	clients := fs.String("clients", "1,8,32", "R1's numbers of clients")
	fs.DurationVar(&o.window, "d", 5*time.Second, "how long each measurement runs")
	fs.IntVar(&o.latencySockets, "latency-sockets", 1000, "R2: widget sockets connected while latency is measured")
	fs.IntVar(&o.idleSockets, "idle-sockets", 10000, "R3: idle widget sockets")
	fs.IntVar(&o.pushes, "pushes", 1000, "R7: web pushes sent by each side")
	fs.IntVar(&o.messages, "messages", 1000000, "S1: messages stored before searching")
	fs.Float64Var(&o.rate, "rate", 100, "R2: messages/s to measure latency at, when R1 does not run (else half R1's best)")
	fs.StringVar(&o.out, "out", "bin/bench", "directory for the CPU profile")
	fs.StringVar(&o.dataDir, "data", "", "directory for the private PostgreSQL (default: a new temporary directory)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.rate <= 0 {
		return o, fmt.Errorf("-rate: %v is not a number of messages a second", o.rate)
	}
	if o.pushes < 1 {
		return o, fmt.Errorf("-pushes: %d is not a number of pushes", o.pushes)
	}
	for _, f := range strings.Split(*figures, ",") {
		f = strings.ToUpper(strings.TrimSpace(f))
		if !slices.Contains(allFigures, f) {
			return o, fmt.Errorf("-figures: unknown figure %q (known: %s)", f, strings.Join(allFigures, ", "))
		}
		o.figures = append(o.figures, f)
	}
	for _, c := range strings.Split(*clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 {
			return o, fmt.Errorf("-clients: %q is not a number of clients", c)
		}
		o.clients = append(o.clients, n)
	}
	return o, nil
}

var allFigures = []string{"R1", "R2", "R3", "R4", "R5", "R7", "S1"}

func (o options) runs(figure string) bool { return slices.Contains(o.figures, figure) }

// run measures the figures o names and prints the report to stdout; progress goes to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	began := time.Now()
	if err := raiseFileLimit(); err != nil {
		return err
	}
	progress := func(format string, a ...any) { fmt.Fprintf(stderr, "kefu-bench: "+format+"\n", a...) }
	progress("starting a private durable PostgreSQL")
	pg, err := startPostgres(ctx, o.dataDir)
	if err != nil {
		return err
	}
	defer pg.stop()
	b := &bench{opts: o, pg: pg, progress: progress, rate: o.rate}
	if b.machine, err = describeMachine(ctx, pg); err != nil {
		return err
	}
	measures := []struct {
		figure string
		run    func(context.Context) error
	}{
		{"R1", b.throughput}, {"R2", b.latency}, {"R3", b.idleSockets},
		{"R4", b.routing}, {"R5", b.instances}, {"R7", b.pushes}, {"S1", b.search},
	}
	for _, m := range measures {
		if !o.runs(m.figure) {
			continue
		}
		// Each figure meets a server that carries only its own work.
		if err := b.clean(ctx, m.figure); err != nil {
			return err
		}
		if err := m.run(ctx); err != nil {
			return fmt.Errorf("%s: %w", m.figure, err)
		}
	}
	b.print(stdout, time.Since(began))
	return nil
}

// bench is one run: its PostgreSQL, and the figures measured so far.
type bench struct {
	opts     options
	pg       *postgres
	machine  machine
	progress func(format string, a ...any)
	rows     []row
	notes    []string
	// rate is what R2 measures latency at: half of R1's best rate.
	rate float64
	// statements and profile are what R1 found out about where the time goes.
	statements *statementReport
	profile    profileReport
}
