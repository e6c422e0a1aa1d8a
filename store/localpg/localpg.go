// Package localpg runs a private PostgreSQL server from the system's
// binaries. kefu uses it when DATABASE_URL is unset, and tests use it to get
// one throwaway server per test package.
//
// The server listens on a unix socket only, trusts every local connection
// and has a superuser named "kefu". kefu owns the postmaster process directly
// (no pg_ctl), so it can make sure no postgres outlives it, and restart it
// when it dies (Supervise). Other kefu commands reach a server that a serving
// kefu runs through its socket (Attach, Open).
package localpg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// port only names the socket file; the socket directory is private to
	// one data dir, so the standard port never clashes.
	port      = 5432
	superuser = "kefu"
	readyCap  = 60 * time.Second
	logName   = "postgres.log"
)

// Options configures Start.
type Options struct {
	// DataDir is the cluster directory. It is created if missing and
	// initialised with initdb on first start.
	DataDir string
	// Logger receives kefu's own messages about the server; nil discards
	// them. The server's log goes to DataDir/postgres.log.
	Logger *slog.Logger
	// Fast trades crash safety for speed (fsync, synchronous_commit and
	// full_page_writes off). Meant for tests.
	Fast bool
	// Settings are server settings for this start (name → value, as
	// postgresql.conf spells them), given on the command line after Fast's.
	Settings map[string]string
}

// Server is a private PostgreSQL server: one this process started (Start),
// or one that another kefu runs on the same data dir (Attach).
type Server struct {
	dataDir string
	sockDir string
	logger  *slog.Logger

	// What Start ran, so that a restart runs the same; unset when attached.
	bin     string
	args    []string
	cred    *syscall.Credential
	logPath string
	// attachedPID is the postmaster of the kefu this one attached to.
	attachedPID int

	mu       sync.Mutex
	proc     *proc // the current postmaster; a restart replaces it
	stopping bool  // set by Stop: from then on an exit is expected

	stopOnce sync.Once
	stopErr  error
}

// Start initialises DataDir if needed, starts postgres on it and returns once
// the server accepts connections (or ctx ends, or 60s pass).
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.DataDir == "" {
		return nil, errors.New("localpg: Options.DataDir is empty")
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("localpg: data dir: %w", err)
	}
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	if err := prepareDataDir(dataDir, cred, logger); err != nil {
		return nil, err
	}
	sockDir, err := prepareSockDir(dataDir, cred)
	if err != nil {
		return nil, err
	}
	if err := clearStaleRun(ctx, dataDir, sockDir, logger); err != nil {
		return nil, err
	}

	began := time.Now()
	_, err = os.Stat(filepath.Join(dataDir, "PG_VERSION"))
	initialise := errors.Is(err, fs.ErrNotExist)
	if initialise {
		if err := initdb(ctx, bin, dataDir, cred, opts.Fast); err != nil {
			return nil, err
		}
	}

	s := &Server{dataDir: dataDir, sockDir: sockDir, logger: logger,
		bin: bin, args: serverArgs(dataDir, sockDir, opts), cred: cred, logPath: filepath.Join(dataDir, logName)}
	p, err := s.spawn(true)
	if err != nil {
		return nil, fmt.Errorf("localpg: start postgres: %w", err)
	}
	s.proc = p
	if err := s.waitReady(ctx, p.exited); err != nil {
		_ = s.Stop()
		return nil, fmt.Errorf("localpg: postgres did not become ready: %w\n%s", err, logTail(s.logPath))
	}
	logger.Info("localpg: postgres ready", "data_dir", dataDir, "socket_dir", sockDir,
		"pid", s.PID(), "initdb", initialise, "elapsed_ms", time.Since(began).Milliseconds())
	return s, nil
}

// spawn starts the postmaster. Its output goes to the server log, which the
// first start empties and a restart appends to, so that the log of a crash
// is kept.
func (s *Server) spawn(first bool) (*proc, error) {
	flags := os.O_CREATE | os.O_WRONLY | os.O_APPEND
	if first {
		flags |= os.O_TRUNC
	}
	logFile, err := os.OpenFile(s.logPath, flags, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open server log: %w", err)
	}
	defer logFile.Close() // the child has its own copy of the descriptor
	cmd := exec.Command(filepath.Join(s.bin, "postgres"), s.args...)
	cmd.Dir, cmd.Env, cmd.SysProcAttr = s.dataDir, serverEnv(), procAttr(s.cred)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	return startLocked(cmd)
}

// ConnString returns a keyword/value connection string for database dbname.
func (s *Server) ConnString(dbname string) string {
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable",
		s.sockDir, port, superuser, quoteDSN(dbname))
}

// EnsureDatabase creates database name unless it already exists.
func (s *Server) EnsureDatabase(ctx context.Context, name string) error {
	if name == "" {
		return errors.New("localpg: empty database name")
	}
	conn, err := pgx.Connect(ctx, s.ConnString("postgres"))
	if err != nil {
		return fmt.Errorf("localpg: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	exists := func() (bool, error) {
		var ok bool
		err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&ok)
		return ok, err
	}
	if ok, err := exists(); err != nil || ok {
		return wrapErr("look up database", err)
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	if err != nil {
		// A concurrent caller may have won the race (42P04 or 23505).
		if ok, _ := exists(); ok {
			return nil
		}
		return fmt.Errorf("localpg: create database %q: %w", name, err)
	}
	return nil
}

// PID returns the postmaster's process id.
func (s *Server) PID() int {
	if s.attachedPID != 0 {
		return s.attachedPID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc.cmd.Process.Pid
}

// Stop shuts the server down: fast shutdown first, escalating to immediate
// shutdown and then SIGKILL of the whole process group if it lingers. Calling
// Stop again returns the first call's result. A server reached with Attach is
// left running.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		s.stopping = true
		p := s.proc
		s.mu.Unlock()
		if p == nil {
			return // attached: the server is the other kefu's
		}
		s.stopErr = s.stopProc(p)
		_ = os.Remove(s.sockDir) // only succeeds if postgres cleaned up its socket
	})
	return s.stopErr
}

func (s *Server) stopProc(p *proc) error {
	pid := p.cmd.Process.Pid
	select {
	case <-p.done:
		return fmt.Errorf("localpg: postgres had already exited: %w", errOrExit(p.err))
	default:
	}
	steps := []struct {
		target int
		sig    syscall.Signal
		wait   time.Duration
	}{
		{pid, syscall.SIGINT, 30 * time.Second},  // fast shutdown
		{pid, syscall.SIGQUIT, 10 * time.Second}, // immediate shutdown
		{-pid, syscall.SIGKILL, 10 * time.Second},
	}
	for i, st := range steps {
		_ = syscall.Kill(st.target, st.sig)
		timer := time.NewTimer(st.wait)
		select {
		case <-p.done:
			timer.Stop()
			if i == 0 {
				return wrapErr("postgres exit", p.err)
			}
			return fmt.Errorf("localpg: postgres ignored %v and needed %v", steps[0].sig, st.sig)
		case <-timer.C:
			s.logger.Warn("localpg: postgres still running, escalating", "pid", pid, "signal", st.sig.String())
		}
	}
	return fmt.Errorf("localpg: postgres (pid %d) survived SIGKILL", pid)
}

func isPostgres(comm string) bool {
	return slices.Contains([]string{"postgres", "postmaster"}, strings.TrimSpace(comm))
}

// waitReady polls until a connection succeeds, or gone reports that the
// server exited; sleeping a fixed time would be both slow and flaky.
func (s *Server) waitReady(ctx context.Context, gone func() error) error {
	ctx, cancel := context.WithTimeout(ctx, readyCap)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		attempt, stop := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(attempt, s.ConnString("postgres"))
		if err == nil {
			err = conn.Ping(attempt)
			conn.Close(attempt)
		}
		stop()
		if err == nil {
			return nil
		}
		if err := gone(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last attempt: %v)", ctx.Err(), err)
		case <-tick.C:
		}
	}
}

// proc is a child process started by startLocked.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the process is reaped
	err  error         // cmd.Wait's result; read only after done is closed
}

// exited reports, without waiting, whether the process has exited.
func (p *proc) exited() error {
	select {
	case <-p.done:
		return fmt.Errorf("postgres exited: %w", errOrExit(p.err))
	default:
		return nil
	}
}

// startLocked starts cmd from a goroutine locked to its OS thread and keeps
// that goroutine blocked in Wait until the process exits. Linux delivers
// Pdeathsig when the *thread* that forked the child exits, not the process;
// the Go runtime makes no promise about how long an unlocked thread lives, so
// pinning it is what ties the child's lifetime to kefu's. The goroutine never
// unlocks: the runtime then retires the thread, by which time the child is
// already gone.
func startLocked(cmd *exec.Cmd) (*proc, error) {
	p := &proc{cmd: cmd, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.err = cmd.Wait()
		close(p.done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return p, nil
}

// procAttr puts the child in its own process group, so a terminal Ctrl-C only
// reaches kefu (which then stops postgres in order), and asks the kernel to
// SIGQUIT it if kefu dies, even by SIGKILL. SIGQUIT is postgres's immediate
// shutdown: the postmaster takes its children down and removes its lock
// files, where SIGKILL would orphan the backends.
func procAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGQUIT, Credential: cred}
}

func initdb(ctx context.Context, bin, dataDir string, cred *syscall.Credential, fast bool) error {
	args := []string{"-D", dataDir, "--username=" + superuser, "--auth=trust", "--encoding=UTF8", "--locale=C"}
	if fast {
		args = append(args, "--no-sync")
	}
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), args...)
	// "/" rather than kefu's working directory, which the server user may
	// not be allowed to enter.
	cmd.Dir, cmd.Env, cmd.SysProcAttr = "/", serverEnv(), procAttr(cred)
	cmd.Stdout, cmd.Stderr = &out, &out
	// On cancellation SIGINT lets initdb remove its half-built cluster, which
	// would otherwise carry a PG_VERSION and be mistaken for a finished one.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	p, err := startLocked(cmd)
	if err != nil {
		return fmt.Errorf("localpg: initdb: %w", err)
	}
	<-p.done
	if p.err != nil {
		return fmt.Errorf("localpg: initdb: %w\n%s", p.err, lastLines(out.String(), 20))
	}
	return nil
}

// clearStaleRun removes what a killed run left behind, and refuses to touch a
// data dir that a live postmaster is still using.
func clearStaleRun(ctx context.Context, dataDir, sockDir string, logger *slog.Logger) error {
	pidFile := filepath.Join(dataDir, "postmaster.pid")
	if b, err := os.ReadFile(pidFile); err == nil {
		first, _, _ := strings.Cut(string(b), "\n")
		pid, _ := strconv.Atoi(strings.TrimSpace(first))
		pid = max(pid, -pid) // single-user mode writes a negative pid
		if pid > 0 && postgresOn(pid, dataDir) {
			// A postmaster whose kefu was just killed is in its immediate
			// shutdown (Pdeathsig); give it a moment unless it is our own.
			stat, _ := procStat(pid)
			if stat.ppid == os.Getpid() || !waitExit(ctx, pid, 10*time.Second) {
				return fmt.Errorf("localpg: another kefu seems to be running on data dir %s (postgres pid %d)", dataDir, pid)
			}
		}
		logger.Info("localpg: removing stale postmaster.pid", "data_dir", dataDir, "pid", pid)
		if err := os.Remove(pidFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("localpg: remove stale postmaster.pid: %w", err)
		}
	}
	stale, _ := filepath.Glob(filepath.Join(sockDir, ".s.PGSQL.*"))
	for _, f := range stale {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("localpg: remove stale socket file: %w", err)
		}
	}
	return nil
}

// postgresOn reports whether pid is a live postgres process working in
// dataDir (postgres chdirs into its data dir). When the working directory
// cannot be read it errs towards "yes".
func postgresOn(pid int, dataDir string) bool {
	if st, err := procStat(pid); err != nil || st.state == 'Z' || st.state == 'X' {
		return false
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil || !isPostgres(string(comm)) {
		return false
	}
	cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
	if err != nil {
		return true
	}
	resolved, _ := filepath.EvalSymlinks(dataDir)
	return cwd == dataDir || cwd == resolved
}

// waitExit polls until pid is gone (or a zombie), up to limit.
func waitExit(ctx context.Context, pid int, limit time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if st, err := procStat(pid); err != nil || st.state == 'Z' {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}

type stat struct {
	state byte
	ppid  int
}

// procStat reads the state and parent of pid from /proc/<pid>/stat.
func procStat(pid int) (stat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return stat{}, err
	}
	// The command name may contain spaces and parentheses; skip past the last ')'.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 2 {
		return stat{}, fmt.Errorf("localpg: malformed /proc/%d/stat", pid)
	}
	ppid, err := strconv.Atoi(f[1])
	return stat{state: f[0][0], ppid: ppid}, err
}

// quoteDSN quotes a keyword/value connection string value when needed.
func quoteDSN(v string) string {
	if v != "" && !strings.ContainsAny(v, " '\\\t\n\r\v\f") {
		return v
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no server log: %v)", err)
	}
	return "last lines of " + path + ":\n" + lastLines(string(b), 20)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func errOrExit(err error) error {
	if err == nil {
		return errors.New("exit status 0")
	}
	return err
}

func wrapErr(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("localpg: %s: %w", what, err)
}
