package main

// The report: the machine, PostgreSQL's settings, one row per figure with
// its reference, ratio, target and the load average when it was measured;
// then where R1's time went.

import (
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// row is one figure beside its reference.
type row struct {
	figure    string
	kefu      string
	reference string
	ratio     string
	target    string
	load      string // the 1-minute load average when it was measured
}

// ratio is kefu ÷ reference, as the table prints it.
func ratio(kefu, reference float64) string {
	if reference == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", kefu/reference)
}

func (b *bench) print(w io.Writer, took time.Duration) {
	fmt.Fprintf(w, "\nkefu bench, %s, took %s\n", time.Now().Format("2006-01-02 15:04"), took.Round(time.Second))
	fmt.Fprintf(w, "machine:    %s\n", b.machine)
	fmt.Fprintf(w, "PostgreSQL: %s (private server, durable commits, pg_stat_statements)\n", b.machine.pgSettings)
	fmt.Fprintf(w, "each measurement runs %s; load is the 1-minute load average when it ended\n", b.opts.window)
	fmt.Fprint(w, "before each figure, and each of R1's and R2's runs, the databases of those before are dropped and a checkpoint taken\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tkefu\treference or detail\tratio\ttarget\tload")
	for _, r := range b.rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.figure, r.kefu, r.reference, orDash(r.ratio), orDash(r.target), r.load)
	}
	tw.Flush()
	for _, n := range b.notes {
		fmt.Fprintln(w, "note:", n)
	}
	if s := b.statements; s != nil {
		b.printStatements(w, s)
	}
	if p := b.profile; p.path != "" {
		fmt.Fprintf(w, "\nCPU profile under R1 load (%d clients): %s\n", p.clients, p.path)
		fmt.Fprintln(w, indent(p.top))
	}
}

// noteProblems keeps, for the report, the sends of sc that kefu did not
// store at the first attempt.
func (b *bench) noteProblems(figure string, sc *scenario) {
	if retried, refused := sc.problems(); retried+refused > 0 {
		b.notes = append(b.notes, fmt.Sprintf("%s: kefu asked for %d sends again and refused %d", figure, retried, refused))
	}
}

// statementsShown is how many statements the report lists; the file lists all.
const statementsShown = 12

func (b *bench) printStatements(w io.Writer, s *statementReport) {
	fmt.Fprintf(w, "\nStatements per message under R1 load (%d clients, pg_stat_statements): %.1f, of which %.1f BEGIN/COMMIT/ROLLBACK\n",
		b.profile.clients, s.perMessage(s.calls), s.perMessage(s.txControl))
	fmt.Fprintln(w, "(pg_stat_statements does not see a BEGIN or COMMIT sent in one batch with other statements, as the hot path sends them)")
	fmt.Fprintf(w, "(%d messages stored; %d deliveries had reached the console when the statements were read; all statements: %s)\n",
		s.messages, s.delivered, s.path)
	s.table(w, statementsShown, 110)
}

func (s *statementReport) perMessage(calls int64) float64 {
	return float64(calls) / float64(max(s.messages, 1))
}

// table lists up to limit statements, most time first, each cut to width characters.
func (s *statementReport) table(w io.Writer, limit, width int) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "per message\ttime %\tµs each\tof it planning\t statement")
	for _, st := range s.statements[:min(len(s.statements), limit)] {
		q := st.query
		if width < math.MaxInt {
			q = shorten(elideColumns(q), width)
		}
		calls := float64(max(st.calls, 1))
		fmt.Fprintf(tw, "%.2f\t%.1f\t%.0f\t%.0f\t %s\n", s.perMessage(st.calls), 100*st.ms/max(s.totalMS, 1e-9), 1000*st.ms/calls, 1000*st.plan/calls, q)
	}
	tw.Flush()
}

// write writes every statement, whole, to a file beside the profile.
func (s *statementReport) write(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	s.path = path
	s.table(f, len(s.statements), math.MaxInt)
	return f.Close()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// elideColumns shortens a SELECT's column list, where statements look
// alike, so that a short line shows what tells them apart: FROM and WHERE.
func elideColumns(q string) string {
	rest, ok := strings.CutPrefix(q, "SELECT ")
	if !ok {
		return q
	}
	depth := 0
	for i := range len(rest) {
		switch rest[i] {
		case '(':
			depth++
		case ')':
			depth--
		}
		if depth == 0 && strings.HasPrefix(rest[i:], " FROM ") {
			if i < 30 {
				return q
			}
			return "SELECT …" + rest[i:]
		}
	}
	return q
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}

// pprofTop is `go tool pprof -top` with args, without its lines that
// say what the report says already (the file, the filters) or again.
func pprofTop(args []string, drop ...string) string {
	out, err := exec.Command("go", append([]string{"tool", "pprof"}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("(go tool pprof %s: %v)", strings.Join(args, " "), err)
	}
	drop = append(drop, "File", "Build ID", "Type", "Time", "Active filters", "show=")
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if k, _, _ := strings.Cut(strings.TrimSpace(l), ":"); !slices.ContainsFunc(drop, func(d string) bool { return strings.HasPrefix(k, d) }) {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// topOfProfile lists the profile's ten heaviest functions by their own
// time, then kefu's own ten by the time spent in them and what they call.
func topOfProfile(path string) string {
	return pprofTop([]string{"-top", "-nodecount=10", path}) + "\nkefu's own functions, by the time spent in them and what they call:\n" +
		pprofTop([]string{"-top", "-cum", "-nodecount=10", "-show=kefu-im/kefu/", path}, "Duration")
}
