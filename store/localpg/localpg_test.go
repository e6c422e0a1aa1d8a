package localpg

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

const helperEnv = "KEFU_LOCALPG_HELPER_DATADIR"

// newDataDir returns a data dir path under a fresh 0755 directory:
// t.TempDir() is 0700, which the postgres user cannot enter when we are root.
func newDataDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "localpg-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "data")
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}

func queryOne(t *testing.T, ctx context.Context, connString string) {
	t.Helper()
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		t.Fatalf("connect %q: %v", connString, err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&n); err != nil || n != 1 {
		t.Fatalf("SELECT 1 = %d, %v", n, err)
	}
}

// childrenOf lists the processes whose parent is pid.
func childrenOf(pid int) []int {
	var kids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := procStat(n); err == nil && st.ppid == pid {
			kids = append(kids, n)
		}
	}
	return kids
}

func alive(pid int) bool {
	st, err := procStat(pid)
	return err == nil && st.state != 'Z' && st.state != 'X'
}

// waitAllGone polls until pid, the given former children and any current
// children of pid have exited.
func waitAllGone(t *testing.T, pid int, kids []int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var left []int
		for _, p := range append([]int{pid}, append(kids, childrenOf(pid)...)...) {
			if alive(p) {
				left = append(left, p)
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes still alive 30s after stop: %v", left)
		}
		<-time.After(20 * time.Millisecond)
	}
}

func TestStartStop(t *testing.T) {
	ctx := t.Context()
	dataDir := newDataDir(t)

	began := time.Now()
	s, err := Start(ctx, Options{DataDir: dataDir, Logger: testLogger(t), Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	first := time.Since(began)
	t.Cleanup(func() { s.Stop() })

	queryOne(t, ctx, s.ConnString("postgres"))
	for _, name := range []string{"kefu_test", `odd "name's\ db`} {
		for range 2 {
			if err := s.EnsureDatabase(ctx, name); err != nil {
				t.Fatalf("EnsureDatabase(%q): %v", name, err)
			}
		}
		queryOne(t, ctx, s.ConnString(name))
	}

	// A second server on a data dir in use must be refused, not started.
	if _, err := Start(ctx, Options{DataDir: dataDir}); err == nil || !strings.Contains(err.Error(), "another kefu") {
		t.Fatalf("second Start on a live data dir: err = %v, want 'another kefu'", err)
	}
	// Another command reaches the running server instead, and leaves it running.
	for _, open := range []func() (*Server, error){
		func() (*Server, error) { return Attach(ctx, dataDir) },
		func() (*Server, error) { return Open(ctx, Options{DataDir: dataDir}) },
	} {
		other, err := open()
		if err != nil {
			t.Fatalf("reaching the running server: %v", err)
		}
		if other.PID() != s.PID() {
			t.Fatalf("reached postmaster %d, want the running %d", other.PID(), s.PID())
		}
		queryOne(t, ctx, other.ConnString("kefu_test"))
		if err := other.Stop(); err != nil {
			t.Fatalf("Stop of an attached server: %v", err)
		}
		if err := other.Supervise(ctx); err == nil {
			t.Fatal("Supervise of an attached server: no error")
		}
		queryOne(t, ctx, s.ConnString("kefu_test"))
	}

	pid, kids := s.PID(), childrenOf(s.PID())
	if len(kids) == 0 {
		t.Fatalf("postmaster %d has no children; is it really postgres?", pid)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	waitAllGone(t, pid, kids)
	if _, err := Attach(ctx, dataDir); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Attach with no server running: %v, want ErrNotRunning", err)
	}

	began = time.Now()
	s2, err := Open(ctx, Options{DataDir: dataDir, Logger: testLogger(t), Fast: true})
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	second := time.Since(began)
	defer s2.Stop()
	queryOne(t, ctx, s2.ConnString("kefu_test")) // same cluster, not a fresh initdb
	t.Logf("start with initdb: %v; restart: %v", first, second)
	if err := s2.Stop(); err != nil {
		t.Fatalf("Stop after restart: %v", err)
	}
}

// TestSettings checks that Options.Settings reach the server, after Fast's,
// and that a library they preload works.
func TestSettings(t *testing.T) {
	ctx := t.Context()
	s, err := Start(ctx, Options{DataDir: newDataDir(t), Logger: testLogger(t), Fast: true,
		Settings: map[string]string{"shared_preload_libraries": "pg_stat_statements", "synchronous_commit": "on"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop() })
	conn, err := pgx.Connect(ctx, s.ConnString("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for name, want := range map[string]string{"shared_preload_libraries": "pg_stat_statements", "synchronous_commit": "on", "fsync": "off"} {
		var got string
		if err := conn.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&got); err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := conn.Exec(ctx, "CREATE EXTENSION pg_stat_statements"); err != nil {
		t.Fatal(err)
	}
	var calls int64
	if err := conn.QueryRow(ctx, "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements").Scan(&calls); err != nil || calls == 0 {
		t.Fatalf("pg_stat_statements counted %d calls, %v; want some", calls, err)
	}
}

// TestHelperProcess is the child for TestKillParent: it starts a server,
// reports the postmaster pid and blocks until killed.
func TestHelperProcess(t *testing.T) {
	dataDir := os.Getenv(helperEnv)
	if dataDir == "" {
		return // not running as the helper
	}
	s, err := Start(context.Background(), Options{DataDir: dataDir, Fast: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Printf("postmaster_pid=%d\n", s.PID())
	io.Copy(io.Discard, os.Stdin) // block; the parent never closes stdin
	os.Exit(3)
}

func TestKillParent(t *testing.T) {
	ctx := t.Context()
	dataDir := newDataDir(t)

	child := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1", "-test.timeout=5m")
	child.Env = append(os.Environ(), helperEnv+"="+dataDir)
	var stderr bytes.Buffer
	child.Stderr = &stderr
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	pidc := make(chan int, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "postmaster_pid="); ok {
				n, _ := strconv.Atoi(v)
				pidc <- n
				return
			}
		}
		close(pidc)
	}()
	var pid int
	select {
	case pid = <-pidc:
	case <-time.After(60 * time.Second):
	}
	if pid <= 0 {
		child.Process.Kill()
		child.Wait()
		t.Fatalf("helper reported no postmaster pid; stderr:\n%s", stderr.String())
	}
	kids := childrenOf(pid)

	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	waitAllGone(t, pid, kids)

	// Pdeathsig SIGQUIT lets postgres remove its own lock files; plant what
	// a SIGKILLed postmaster would leave to exercise the stale-run recovery.
	pidFile := filepath.Join(dataDir, "postmaster.pid")
	if _, err := os.Stat(pidFile); err != nil {
		t.Logf("postmaster.pid removed by postgres itself; planting a stale one")
		stale := fmt.Sprintf("%d\n%s\n", pid, dataDir)
		if err := os.WriteFile(pidFile, []byte(stale), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	abs, _ := filepath.Abs(dataDir)
	sockDir := fmt.Sprintf("/tmp/kefu-pg-%x", sha256.Sum256([]byte(abs)))[:len("/tmp/kefu-pg-")+8]
	for _, f := range []string{".s.PGSQL.5432", ".s.PGSQL.5432.lock"} {
		if err := os.WriteFile(filepath.Join(sockDir, f), []byte(strconv.Itoa(pid)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	s, err := Start(ctx, Options{DataDir: dataDir, Logger: testLogger(t), Fast: true})
	if err != nil {
		t.Fatalf("Start after kill -9: %v", err)
	}
	defer s.Stop()
	queryOne(t, ctx, s.ConnString("postgres"))
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

// TestStartUnderPrivateParent: `make run` started as root in a 0700 home
// directory still works; the parent gains only the search bit for others.
func TestStartUnderPrivateParent(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Log("not root: postgres runs as this user, so there is no other user to let through")
	}
	parent, err := os.MkdirTemp("", "kefu-private-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	if err := os.Chmod(parent, 0o700); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := Start(ctx, Options{DataDir: filepath.Join(parent, "data"), Fast: true, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	queryOne(t, ctx, srv.ConnString("postgres"))
	fi, err := os.Stat(parent)
	if err != nil {
		t.Fatal(err)
	}
	want := os.FileMode(0o700)
	if os.Geteuid() == 0 {
		want = 0o701
	}
	if fi.Mode().Perm() != want {
		t.Fatalf("parent mode %v, want %v", fi.Mode().Perm(), want)
	}
}

// TestSuperviseRestarts: a SIGKILLed postmaster is noticed and started again
// on the same socket with every committed row, even while an orphaned backend
// still holds the old server's shared memory; a server that cannot start
// makes Supervise give up after maxRestarts restarts, with one line saying why.
func TestSuperviseRestarts(t *testing.T) {
	ctx := t.Context()
	dataDir := newDataDir(t)
	s, err := Start(ctx, Options{DataDir: dataDir, Logger: testLogger(t), Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	supervised := make(chan error, 1)
	go func() { supervised <- s.Supervise(ctx) }()

	conn, err := pgx.Connect(ctx, s.ConnString("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	// Fast turns synchronous_commit off; this commit must reach the WAL.
	if _, err := conn.Exec(ctx, "SET synchronous_commit = on; CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	// A backend busy in a query does not notice its postmaster's death: left
	// alone it keeps the old shared memory, and no new server could start.
	busy, err := pgx.Connect(ctx, s.ConnString("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	go busy.Exec(context.WithoutCancel(ctx), "SELECT count(*) FROM generate_series(1, 1e12)")
	waitFor(t, 10*time.Second, "the busy query to start", func() bool {
		var n int
		err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%generate_series(1, 1e12)%' AND state = 'active' AND pid <> pg_backend_pid()").Scan(&n)
		return err == nil && n == 1
	})
	conn.Close(ctx)

	old := s.PID()
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	waitFor(t, 20*time.Second, "postgres to be restarted", func() bool {
		c, err := pgx.Connect(ctx, s.ConnString("postgres"))
		if err != nil {
			return false
		}
		defer c.Close(ctx)
		var n int
		return c.QueryRow(ctx, "SELECT n FROM kept").Scan(&n) == nil && n == 42
	})
	t.Logf("serving again %v after kill -9", time.Since(killed).Round(time.Millisecond))
	if s.PID() == old {
		t.Fatalf("PID still %d after the restart", old)
	}
	if left := postgresWorkingIn(dataDir); len(left) == 0 || slices.Contains(left, old) {
		t.Fatalf("postgres processes on the data dir after the restart: %v", left)
	}
	if kids := childrenOf(s.PID()); len(kids) == 0 {
		t.Fatalf("the new postmaster %d has no children", s.PID())
	}
	// A backend of the new server may come and go between the two scans, so
	// the check is repeated until it holds; one of the killed server's stays.
	var left []int
	ok := pollUntil(5*time.Second, func() bool {
		left = slices.DeleteFunc(postgresWorkingIn(dataDir), func(pid int) bool {
			return pid == s.PID() || slices.Contains(childrenOf(s.PID()), pid)
		})
		return len(left) == 0
	})
	if !ok {
		t.Fatalf("processes of the killed server still alive: %v", left)
	}

	// Now make every restart fail: postgres refuses a data dir of another version.
	if err := os.WriteFile(filepath.Join(dataDir, "PG_VERSION"), []byte("1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(s.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-supervised:
		if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), fmt.Sprintf("gave up after %d restarts", maxRestarts)) {
			t.Fatalf("Supervise returned %q, want one line saying it gave up after %d restarts", err, maxRestarts)
		}
		t.Logf("Supervise: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("Supervise did not give up")
	}
}

// TestSuperviseStop: Stop is not a crash; Supervise returns nil and starts nothing.
func TestSuperviseStop(t *testing.T) {
	ctx := t.Context()
	s, err := Start(ctx, Options{DataDir: newDataDir(t), Logger: testLogger(t), Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	supervised := make(chan error, 1)
	go func() { supervised <- s.Supervise(ctx) }()
	pid := s.PID()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-supervised:
		if err != nil {
			t.Fatalf("Supervise after Stop: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Supervise did not return after Stop")
	}
	if s.PID() != pid || alive(pid) {
		t.Fatalf("after Stop: postmaster %d (was %d, alive %v)", s.PID(), pid, alive(pid))
	}
}

// waitFor polls cond until it holds, failing t after limit.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	if !pollUntil(limit, cond) {
		t.Fatalf("timed out after %v waiting for %s", limit, what)
	}
}

// pollUntil reports whether cond holds within limit, checking every 50 ms.
func pollUntil(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		<-time.After(50 * time.Millisecond)
	}
	return true
}
