package localpg

// Supervision: a server that dies is restarted in place.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"syscall"
	"time"
)

const (
	// Supervise gives up when the server has needed maxRestarts restarts
	// within restartWindow: it is crashing in a loop, or cannot start.
	maxRestarts   = 3
	restartWindow = time.Minute
	// restartBackoff is the pause after the first failed restart; it doubles.
	restartBackoff = 250 * time.Millisecond
	// orphanCap is how long a dead postmaster's children may take to go.
	orphanCap = 10 * time.Second
)

// Supervise watches the server that Start started and restarts it whenever
// it exits other than through Stop: it learns of the exit from the process's
// Wait, ends what is left of the old server, clears its stale lock files and
// starts postgres again, whose crash recovery brings the data back to the
// last commit. Clients reconnect to the same socket. Supervise returns nil
// when ctx ends or Stop is called, and an error, on one line, when the server
// has needed more than maxRestarts restarts within restartWindow or cannot be
// started again: the caller should then exit, and let its own supervisor act.
func (s *Server) Supervise(ctx context.Context) error {
	if s.attachedPID != 0 {
		return errors.New("localpg: Supervise needs a server that this process started")
	}
	var restarts []time.Time
	for {
		p := s.current()
		select {
		case <-ctx.Done():
			return nil
		case <-p.done:
		}
		if s.isStopping() || ctx.Err() != nil {
			return nil
		}
		cause := fmt.Errorf("postgres (pid %d) exited: %w", p.cmd.Process.Pid, errOrExit(p.err))
		s.logger.Error("localpg: postgres exited; restarting it", "pid", p.cmd.Process.Pid, "err", errOrExit(p.err))
		backoff := restartBackoff
		for {
			now := time.Now()
			restarts = slices.DeleteFunc(restarts, func(t time.Time) bool { return now.Sub(t) >= restartWindow })
			if len(restarts) >= maxRestarts {
				return fmt.Errorf("localpg: gave up after %d restarts within %v: %w (server log: %s)", len(restarts), restartWindow, cause, s.logPath)
			}
			restarts = append(restarts, now)
			began := time.Now()
			err := s.restart(ctx, s.current())
			if err == nil {
				s.logger.Info("localpg: postgres restarted", "pid", s.PID(), "elapsed_ms", time.Since(began).Milliseconds())
				break
			}
			if s.isStopping() || ctx.Err() != nil {
				return nil
			}
			cause = err
			s.logger.Warn("localpg: restarting postgres failed", "err", err, "retry_in", backoff, "log", logTail(s.logPath))
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			backoff *= 2
		}
	}
}

// restart replaces the dead postmaster old with a new one, ready for
// connections.
func (s *Server) restart(ctx context.Context, old *proc) error {
	// The old server's backends outlive their postmaster for a while, and a
	// new postmaster refuses to start while one still holds the old shared
	// memory.
	if err := endOrphans(ctx, s.dataDir, old.cmd.Process.Pid); err != nil {
		return err
	}
	if err := clearStaleRun(ctx, s.dataDir, s.sockDir, s.logger); err != nil {
		return err
	}
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		return errors.New("localpg: stopping")
	}
	p, err := s.spawn(false)
	if err == nil {
		s.proc = p // before unlocking, so that Stop stops this one
	}
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	if err := s.waitReady(ctx, p.exited); err != nil {
		_ = s.stopProc(p)
		return fmt.Errorf("postgres did not become ready: %w", err)
	}
	return nil
}

func (s *Server) current() *proc {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc
}

func (s *Server) isStopping() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopping
}

// endOrphans SIGKILLs what is left of the server whose postmaster old died:
// every postgres process still working in dataDir (postgres chdirs there, and
// its children call setsid, so neither parent nor process group finds them).
// It waits until none is left; a zombie holds nothing, so it counts as gone.
// A live postmaster other than old means another server: that is refused.
func endOrphans(ctx context.Context, dataDir string, old int) error {
	if pid, _, ok := livePostmaster(dataDir); ok && pid != old {
		return fmt.Errorf("localpg: another kefu seems to be running on data dir %s (postgres pid %d)", dataDir, pid)
	}
	ctx, cancel := context.WithTimeout(ctx, orphanCap)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		left := postgresWorkingIn(dataDir)
		if len(left) == 0 {
			return nil
		}
		for _, pid := range left {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("localpg: the old server's processes %v did not exit", left)
		case <-tick.C:
		}
	}
}

// postgresWorkingIn lists the live postgres processes working in dataDir.
func postgresWorkingIn(dataDir string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil && pid != os.Getpid() && postgresOn(pid, dataDir) {
			pids = append(pids, pid)
		}
	}
	return pids
}
