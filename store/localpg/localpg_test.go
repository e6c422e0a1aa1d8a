package localpg

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
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

	began = time.Now()
	s2, err := Start(ctx, Options{DataDir: dataDir, Logger: testLogger(t), Fast: true})
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
