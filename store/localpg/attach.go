package localpg

// Attaching to the server that a serving kefu runs, for the other kefu
// commands.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrNotRunning is Attach's answer when no server runs on the data dir.
var ErrNotRunning = errors.New("localpg: no server is running on the data dir")

// Attach reaches the server that another process, a serving kefu, runs on
// dataDir, through its unix socket, once it accepts connections. It returns
// ErrNotRunning when no postmaster is alive there. Stop leaves the server
// running, and Supervise does not apply.
func Attach(ctx context.Context, dataDir string) (*Server, error) {
	dataDir, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("localpg: data dir: %w", err)
	}
	pid, sockDir, ok := livePostmaster(dataDir)
	if !ok {
		return nil, ErrNotRunning
	}
	s := &Server{dataDir: dataDir, sockDir: sockDir, logger: slog.New(slog.DiscardHandler), attachedPID: pid}
	gone := func() error {
		if !postgresOn(pid, dataDir) {
			return ErrNotRunning
		}
		return nil
	}
	if err := s.waitReady(ctx, gone); err != nil {
		if errors.Is(err, ErrNotRunning) {
			return nil, err
		}
		return nil, fmt.Errorf("localpg: the server running on %s (pid %d) does not accept connections: %w", dataDir, pid, err)
	}
	return s, nil
}

// Open reaches the server on opts.DataDir: the one a serving kefu runs
// there (see Attach), or else one it starts (see Start). Stop stops the
// server only if Open started it.
func Open(ctx context.Context, opts Options) (*Server, error) {
	if opts.DataDir == "" {
		return nil, errors.New("localpg: Options.DataDir is empty")
	}
	s, err := Attach(ctx, opts.DataDir)
	if !errors.Is(err, ErrNotRunning) {
		return s, err
	}
	return Start(ctx, opts)
}

// livePostmaster reads postmaster.pid and reports the postmaster's pid and
// socket directory if that postmaster is alive and working on dataDir.
func livePostmaster(dataDir string) (pid int, sockDir string, ok bool) {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return 0, "", false
	}
	// Line 1 is the pid, line 5 the first socket directory.
	lines := strings.Split(string(b), "\n")
	pid, _ = strconv.Atoi(strings.TrimSpace(lines[0]))
	if pid <= 0 || !postgresOn(pid, dataDir) {
		return 0, "", false
	}
	if len(lines) > 4 && strings.TrimSpace(lines[4]) != "" {
		return pid, strings.TrimSpace(lines[4]), true
	}
	return pid, sockDirFor(dataDir), true
}
