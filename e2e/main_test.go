// Package e2e tests kefu end to end: the real binary, with its own
// PostgreSQL, driven by a real browser, as a visitor and an agent see it.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/localpg"
)

const (
	agentEmail    = "agent@example.com"
	agentPassword = "correct horse battery"
)

var (
	// kefuURL is kefu's own origin. The agent's browser uses it.
	kefuURL string
	// widgetProxy stands between the visitor's browser and kefu, so that
	// the test can drop the visitor's connections. KEFU_BASE_URL is its origin.
	widgetProxy *proxy
	// kefuLog holds what kefu printed, for failing tests.
	kefuLog lockedBuffer
	// kefuBin is the kefu binary TestMain built, for tests that start their own instance.
	kefuBin string
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

// run builds and starts kefu behind widgetProxy, runs the tests and stops kefu.
func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "kefu-e2e-")
	if err == nil {
		// The embedded PostgreSQL runs as the postgres user and must traverse dir.
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)

	bin := filepath.Join(dir, "kefu")
	kefuBin = bin
	build := exec.Command("go", "build", "-o", bin, "./cmd/kefu")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build ./cmd/kefu: %v\n%s", err, out)
		return 1
	}
	// The proxy's port goes into KEFU_BASE_URL, so it listens before kefu starts.
	if widgetProxy, err = listenProxy(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer widgetProxy.Close()
	stop, addr, err := startKefu(bin, filepath.Join(dir, "data"), widgetProxy.URL())
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\nkefu's output:\n%s", err, kefuLog.String())
		return 1
	}
	kefuURL = "http://" + addr
	widgetProxy.Serve(addr)

	code := m.Run()
	stopSharedBrowser()
	if err := stopDatabases(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: stopping the tests' PostgreSQL:", err)
		code = 1
	}
	if err := stop(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: stopping kefu:", err)
		code = 1
	}
	return code
}

// startKefu starts bin and returns the address it serves on, read from its
// output, and a func that stops it with SIGTERM. extraEnv ("KEY=value") comes
// last, so it may override the defaults.
func startKefu(bin, dataDir, baseURL string, extraEnv ...string) (stop func() error, addr string, err error) {
	cmd := exec.Command(bin)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KEFU_") && !strings.HasPrefix(kv, "DATABASE_URL=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "KEFU_ADDR=127.0.0.1:0", "KEFU_DATA_DIR="+dataDir, "KEFU_BASE_URL="+baseURL,
		"KEFU_ADMIN_EMAIL="+agentEmail, "KEFU_ADMIN_PASSWORD="+agentPassword)
	cmd.Env = append(cmd.Env, extraEnv...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	cmd.Stderr = &kefuLog
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	exited := make(chan error, 1)
	found := make(chan string, 1)
	go func() {
		// Keep reading to the end, so that kefu never blocks on a full pipe.
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			// Each kefu's lines name its data directory: tests run side by side.
			fmt.Fprintf(&kefuLog, "[%s] %s\n", dataDir, line)
			if rest, ok := strings.CutPrefix(line, "kefu: serving on http://"); ok {
				addr, _, _ := strings.Cut(rest, " ")
				select {
				case found <- addr:
				default:
				}
			}
		}
		exited <- cmd.Wait()
	}()
	stop = func() error {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			return err
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			return fmt.Errorf("kefu did not stop within 20s of SIGTERM: %v", <-exited)
		}
	}
	select {
	case addr = <-found:
		return stop, addr, nil
	case err := <-exited:
		return nil, "", fmt.Errorf("kefu exited before serving: %v", err)
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
		return nil, "", fmt.Errorf("kefu did not print its address within 60s")
	}
}

// tempDir makes a directory for one test's kefu, removed when t ends. The
// embedded PostgreSQL runs as the postgres user, which must traverse it.
func tempDir(t *testing.T, name string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "kefu-e2e-"+name+"-")
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// kefuOnOwnDatabase starts a kefu for one test on a database of the test's
// own, so that the test can reach into the database (or take it away). It
// returns kefu's origin, the database and its URL.
func kefuOnOwnDatabase(t *testing.T, ctx context.Context, name string) (base string, db *store.DB, dbURL string) {
	t.Helper()
	dir := tempDir(t, name)
	dbURL = ownDatabase(t, ctx)
	stop, addr, err := startKefu(kefuBin, filepath.Join(dir, "data"), "", "DATABASE_URL="+dbURL)
	if err != nil {
		t.Fatalf("starting kefu: %v\nkefu's output:\n%s", err, kefuLog.String())
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stopping kefu: %v", err)
		}
	})
	if db, err = store.Open(ctx, dbURL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return "http://" + addr, db, dbURL
}

// databases is the PostgreSQL that holds the tests' own databases, started
// by the first test that asks for one; TestMain stops it. Each database is a
// copy of a template that kefu's migrations were run on once: a server and
// the migrations for every test cost more than most tests' steps.
var databases struct {
	once   sync.Once
	server *localpg.Server
	dir    string
	err    error
	mu     sync.Mutex // CREATE DATABASE … TEMPLATE refuses concurrent use of the template
	count  int
}

const databasesTemplate = "kefu_template"

// ownDatabase creates a fresh migrated database for t and returns its URL.
// The database outlives t: the server and its data go when TestMain ends.
func ownDatabase(t *testing.T, ctx context.Context) string {
	t.Helper()
	databases.once.Do(func() { databases.err = startDatabases() })
	if databases.err != nil {
		t.Fatal(databases.err)
	}
	databases.mu.Lock()
	defer databases.mu.Unlock()
	databases.count++
	name := fmt.Sprintf("kefu_%d", databases.count)
	conn, err := pgx.Connect(ctx, databases.server.ConnString("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+databasesTemplate); err != nil {
		t.Fatal(err)
	}
	return databases.server.ConnString(name)
}

// startDatabases starts the tests' PostgreSQL and migrates its template.
func startDatabases() error {
	// Not the test's context: the server outlives the test that starts it.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "kefu-e2e-pg-")
	if err == nil {
		// The server runs as the postgres user, which must traverse dir.
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		return err
	}
	databases.dir = dir
	if databases.server, err = localpg.Start(ctx, localpg.Options{DataDir: filepath.Join(dir, "pg"), Fast: true}); err != nil {
		return err
	}
	if err := databases.server.EnsureDatabase(ctx, databasesTemplate); err != nil {
		return err
	}
	db, err := store.Open(ctx, databases.server.ConnString(databasesTemplate))
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Migrate(ctx)
}

// stopDatabases stops the tests' PostgreSQL, if a test started it.
func stopDatabases() error {
	if databases.dir == "" {
		return nil
	}
	defer os.RemoveAll(databases.dir)
	if databases.server == nil {
		return nil
	}
	return databases.server.Stop()
}

// anotherKefu starts a second kefu for one test on the database at dbURL,
// as a scaled-out deployment runs one beside another, and returns its origin.
func anotherKefu(t *testing.T, name, dbURL string) string {
	t.Helper()
	stop, addr, err := startKefu(kefuBin, filepath.Join(tempDir(t, name), "data"), "", "DATABASE_URL="+dbURL)
	if err != nil {
		t.Fatalf("starting a second kefu: %v\nkefu's output:\n%s", err, kefuLog.String())
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stopping the second kefu: %v", err)
		}
	})
	return "http://" + addr
}

// proxy forwards TCP connections to kefu. Cut drops every connection and
// refuses new ones, like a network that went away, until Restore.
type proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]bool
}

func listenProxy() (*proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return &proxy{ln: ln, conns: make(map[net.Conn]bool)}, nil
}

// URL is the proxy's origin.
func (p *proxy) URL() string { return "http://" + p.ln.Addr().String() }

// Serve starts forwarding every accepted connection to target.
func (p *proxy) Serve(target string) {
	p.target = target
	go func() {
		for {
			c, err := p.ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
}

func (p *proxy) forward(down net.Conn) {
	defer p.drop(down)
	if !p.track(down) {
		return // cut: accept, then close
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer p.drop(up)
	if !p.track(up) {
		return
	}
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, down); done <- struct{}{} }()
	go func() { _, _ = io.Copy(down, up); done <- struct{}{} }()
	<-done // either side ending ends both
}

// track registers c, unless the proxy is cut.
func (p *proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.cut {
		p.conns[c] = true
	}
	return !p.cut
}

func (p *proxy) drop(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

// Cut closes every open connection and refuses new ones until Restore.
func (p *proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// Restore lets connections through again.
func (p *proxy) Restore() {
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
}

// Close stops the proxy and its connections.
func (p *proxy) Close() {
	p.ln.Close()
	p.Cut()
}

// lockedBuffer is a bytes.Buffer that several goroutines may write.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
