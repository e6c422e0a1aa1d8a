package main

// The machine the figures were measured on, and what the process costs:
// resident memory, CPU time, and the limit on open files.

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// machine is what a figure depends on besides kefu.
type machine struct {
	cpu       string
	cores     int
	memory    string
	goVersion string
	pgVersion string
	// pgSettings says how durable the commits are, as the server reports it.
	pgSettings string
}

func describeMachine(ctx context.Context, pg *postgres) (machine, error) {
	m := machine{cpu: cpuModel(), cores: runtime.NumCPU(), memory: memTotal(), goVersion: runtime.Version()}
	var err error
	if m.pgVersion, err = pg.show(ctx, "server_version"); err != nil {
		return m, err
	}
	var settings []string
	for _, name := range []string{"fsync", "synchronous_commit", "shared_buffers"} {
		v, err := pg.show(ctx, name)
		if err != nil {
			return m, err
		}
		settings = append(settings, name+"="+v)
	}
	m.pgSettings = strings.Join(settings, " ")
	return m, nil
}

func (m machine) String() string {
	return fmt.Sprintf("%s, %d cores, %s, %s, PostgreSQL %s", m.cpu, m.cores, m.memory, m.goVersion, m.pgVersion)
}

func cpuModel() string {
	if v := procField("/proc/cpuinfo", "model name"); v != "" {
		return v
	}
	return runtime.GOARCH
}

func memTotal() string {
	kb, err := strconv.ParseFloat(strings.TrimSuffix(procField("/proc/meminfo", "MemTotal"), " kB"), 64)
	if err != nil {
		return "memory unknown"
	}
	return fmt.Sprintf("%.1f GiB", kb/(1<<20))
}

// procField returns the value of the first "name: value" line of a /proc file.
func procField(path, name string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// loadAverage is the machine's 1-minute load average now.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

// footprint is what this process holds: resident memory, Go heap in use
// and goroutines, measured after a collection has returned what it can.
type footprint struct {
	rss        int64 // bytes
	heap       int64 // bytes
	goroutines int
}

func measureFootprint() footprint {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	kb, _ := strconv.ParseInt(strings.TrimSuffix(procField("/proc/self/status", "VmRSS"), " kB"), 10, 64)
	return footprint{rss: kb << 10, heap: int64(ms.HeapInuse), goroutines: runtime.NumGoroutine()}
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// raiseFileLimit lifts the soft limit on open files to the hard one: every
// socket is a file, on both ends.
func raiseFileLimit() error {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return fmt.Errorf("read the limit on open files: %w", err)
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return fmt.Errorf("raise the limit on open files: %w", err)
	}
	return nil
}

// fileLimit is the limit on open files.
func fileLimit() uint64 {
	var l syscall.Rlimit
	_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l)
	return l.Cur
}
