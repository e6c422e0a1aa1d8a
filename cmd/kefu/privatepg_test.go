package main

// kefu on its private PostgreSQL, as `make run` starts it: the server dying
// under load, and the commands that reach it while kefu serves.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/localpg"
)

// privateEnv is the environment of a kefu on its own private PostgreSQL,
// in a fresh data dir under a 0755 directory (the postgres user, which runs
// the server when the tests run as root, must be able to reach it).
func privateEnv(t *testing.T) map[string]string {
	t.Helper()
	dir, err := os.MkdirTemp("", "kefu-cmd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"KEFU_DATA_DIR": filepath.Join(dir, "data"), "KEFU_ADDR": "127.0.0.1:0",
		"KEFU_ADMIN_EMAIL": "ops@example.com", "KEFU_ADMIN_PASSWORD": "a long password"}
}

// lockedBuffer collects what kefu prints, for the log of a failed test.
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

// serve runs kefu with env until the test ends or stop is called, and
// returns its base URL once it serves. stop shuts it down and returns run's
// result.
func serve(t *testing.T, env map[string]string) (base string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	out := &lockedBuffer{}
	runErr := make(chan error, 1)
	go func() {
		runErr <- run(ctx, nil, func(k string) string { return env[k] }, io.MultiWriter(pw, out))
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	for base == "" && lines.Scan() {
		if m := servingRe.FindStringSubmatch(lines.Text()); m != nil {
			base = m[1]
		}
	}
	go io.Copy(io.Discard, pr)
	var once sync.Once
	var result error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case result = <-runErr:
			case <-time.After(30 * time.Second):
				result = errors.New("run did not return within 30s of shutdown")
			}
		})
		return result
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("kefu's output:\n%s", out.String())
		}
	})
	if base == "" {
		t.Fatalf("kefu never said it was serving: %v", stop())
	}
	return base, stop
}

// openPrivate opens the store of the kefu serving on dataDir, through its socket.
func openPrivate(t *testing.T, dataDir string) *store.DB {
	t.Helper()
	pg, err := localpg.Attach(t.Context(), dataDir)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(t.Context(), pg.ConnString("kefu"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

// postmasterPID reads the pid of the private server from its postmaster.pid.
func postmasterPID(t *testing.T, dataDir string) int {
	t.Helper()
	pg, err := localpg.Attach(t.Context(), dataDir)
	if err != nil {
		t.Fatal(err)
	}
	return pg.PID()
}

// waitFor polls cond until it holds, failing t after limit.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		<-time.After(50 * time.Millisecond)
	}
}

// apiClient is a host site's backend: it sends messages as one user with
// the host API and resends each, with the same client_msg_id, until kefu
// acknowledges it.
type apiClient struct {
	base, key string
	http      *http.Client
}

func (c *apiClient) do(method, path string, body any) (int, []byte, error) {
	b, _ := json.Marshal(body)
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(b))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	return resp.StatusCode, got, err
}

type ack struct {
	clientMsgID        string
	id, conversationID int64
	sentAt             time.Time // when the acknowledged attempt was sent
}

// TestPrivatePostgresKilled: kill -9 of the private PostgreSQL while a
// client keeps sending. kefu restarts it, /healthz is 200 again within 10s,
// sends are acknowledged again, and every acknowledged message is stored
// exactly once.
func TestPrivatePostgresKilled(t *testing.T) {
	t.Parallel() // its own processes, data dir or database
	env := privateEnv(t)
	base, stop := serve(t, env)
	db := openPrivate(t, env["KEFU_DATA_DIR"])
	key := "kefu_" + auth.NewToken()
	if _, err := db.CreateAPIKey(t.Context(), 0, store.NewAPIKey{Name: "shop backend", Prefix: key[:11], Hash: auth.TokenHash(key)}); err != nil {
		t.Fatal(err)
	}
	c := &apiClient{base: base, key: key, http: &http.Client{Timeout: 5 * time.Second}}
	status, body, err := c.do(http.MethodPut, "/api/v1/users/lee", map[string]string{"name": "Lee"})
	if err != nil || status != http.StatusOK {
		t.Fatalf("create user: %d %s %v", status, body, err)
	}
	var lee struct{ ID int64 }
	if err := json.Unmarshal(body, &lee); err != nil || lee.ID == 0 {
		t.Fatalf("create user: %s", body)
	}

	var mu sync.Mutex
	var acks []ack
	acked := func() []ack { mu.Lock(); defer mu.Unlock(); return append([]ack(nil), acks...) }
	attempted := 0
	stopSending := make(chan struct{})
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for i := 0; ; i++ {
			id := fmt.Sprintf("m-%d", i)
			for {
				select {
				case <-stopSending:
					return
				default:
				}
				attempted = i + 1
				at := time.Now()
				status, body, err := c.do(http.MethodPost, "/api/v1/users/lee/messages", map[string]string{"body": "message " + id, "client_msg_id": id})
				if err == nil && (status == http.StatusCreated || status == http.StatusOK) {
					var m struct {
						ID             int64
						ConversationID int64 `json:"conversation_id"`
					}
					if json.Unmarshal(body, &m) == nil && m.ID != 0 {
						mu.Lock()
						acks = append(acks, ack{id, m.ID, m.ConversationID, at})
						mu.Unlock()
						break
					}
				}
				<-time.After(20 * time.Millisecond) // refused during the outage: send it again
			}
		}
	}()
	waitFor(t, 20*time.Second, "ten acknowledged messages", func() bool { return len(acked()) >= 10 })

	old := postmasterPID(t, env["KEFU_DATA_DIR"])
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	// The old server's backends may answer for a moment: healthy means a
	// new postmaster, and kefu reaching it.
	waitFor(t, 10*time.Second, "a new postmaster and /healthz 200", func() bool {
		pg, err := localpg.Attach(t.Context(), env["KEFU_DATA_DIR"])
		if err != nil || pg.PID() == old {
			return false
		}
		resp, err := c.http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	t.Logf("healthy again %v after kill -9", time.Since(killed).Round(time.Millisecond))
	waitFor(t, 20*time.Second, "ten messages acknowledged after the kill", func() bool {
		n := 0
		for _, a := range acked() {
			if a.sentAt.After(killed) {
				n++
			}
		}
		return n >= 10
	})
	close(stopSending)
	<-sent

	all := acked()
	// Lee's messages, in every conversation an acknowledgement named.
	stored := map[string][]int64{}
	db = openPrivate(t, env["KEFU_DATA_DIR"])
	read := map[int64]bool{}
	for _, a := range all {
		if read[a.conversationID] {
			continue
		}
		read[a.conversationID] = true
		for after := int64(0); ; {
			page, err := db.MessagesAfter(t.Context(), a.conversationID, after, 200, chat.ReaderAgent)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, m := range page {
				if m.SenderID == lee.ID {
					stored[m.ClientMsgID] = append(stored[m.ClientMsgID], m.ID)
				}
			}
			after = page[len(page)-1].Seq
		}
	}
	for _, a := range all {
		if ids := stored[a.clientMsgID]; len(ids) != 1 || ids[0] != a.id {
			t.Errorf("acknowledged %s as message %d; stored as %v", a.clientMsgID, a.id, ids)
		}
	}
	if len(stored) > attempted {
		t.Errorf("%d messages stored, only %d sent", len(stored), attempted)
	}
	t.Logf("%d messages acknowledged, %d stored", len(all), len(stored))
	if err := stop(); err != nil {
		t.Fatalf("run after the restart and shutdown: %v", err)
	}
}

// TestPrivatePostgresCannotRestart: when the private PostgreSQL cannot be
// started again, kefu shuts down in order and exits non-zero with one line
// saying why.
func TestPrivatePostgresCannotRestart(t *testing.T) {
	t.Parallel() // its own processes, data dir or database
	env := privateEnv(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "KEFU_TEST_RUN_MAIN=1")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	out := &lockedBuffer{}
	serving := make(chan struct{})
	go func() {
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			fmt.Fprintln(out, lines.Text())
			if servingRe.MatchString(lines.Text()) {
				close(serving)
			}
		}
	}()
	select {
	case <-serving:
	case <-time.After(60 * time.Second):
		t.Fatalf("kefu did not start serving:\n%s\n%s", out, stderr.String())
	}

	// postgres refuses to start on a data dir of another version.
	if err := os.WriteFile(filepath.Join(env["KEFU_DATA_DIR"], "PG_VERSION"), []byte("1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(postmasterPID(t, env["KEFU_DATA_DIR"]), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err = <-exited:
	case <-time.After(60 * time.Second):
		t.Fatalf("kefu still running 60s after its PostgreSQL could not restart:\n%s", out)
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("exit %v, want a non-zero exit status", err)
	}
	want := "kefu: the private PostgreSQL exited and could not be restarted: "
	if got := strings.TrimSpace(stderr.String()); strings.Count(got, "\n") != 0 || !strings.HasPrefix(got, want) {
		t.Fatalf("stderr %q, want one line starting %q", got, want)
	}
	if !strings.Contains(out.String(), "msg=stopped") {
		t.Fatalf("no orderly shutdown in the output:\n%s", out)
	}
	t.Log(stderr.String())
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// signIn signs in with the login form and returns a client holding the
// session, or the status of the refusal.
func signIn(t *testing.T, base, email, password string) (*http.Client, int) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := c.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfRe.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token on the login page:\n%s", page)
	}
	resp, err = c.PostForm(base+"/login", url.Values{"email": {email}, "password": {password}, "_csrf": {string(m[1])}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/console" {
		return nil, resp.StatusCode
	}
	return c, http.StatusOK
}

// mustSignIn signs in or fails t.
func mustSignIn(t *testing.T, base, email, password string) *http.Client {
	t.Helper()
	c, status := signIn(t, base, email, password)
	if c == nil {
		t.Fatalf("sign-in as %s: status %d", email, status)
	}
	return c
}

// consoleSocket opens the console's live socket with c's session, and
// returns a channel that receives the error the socket ends with.
func consoleSocket(t *testing.T, base string, c *http.Client) <-chan error {
	t.Helper()
	ws, _, err := websocket.Dial(t.Context(), "ws"+strings.TrimPrefix(base, "http")+"/console/live", &websocket.DialOptions{
		HTTPClient: c, HTTPHeader: http.Header{"Origin": {base}}, Subprotocols: []string{"kefu.v1"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	ended := make(chan error, 1)
	go func() {
		for {
			if _, _, err := ws.Read(context.Background()); err != nil {
				ended <- err
				return
			}
		}
	}()
	return ended
}

// closedAtOnce fails t unless the socket ends within a few seconds.
func closedAtOnce(t *testing.T, ended <-chan error, after string) {
	t.Helper()
	select {
	case err := <-ended:
		if websocket.CloseStatus(err) != 4403 {
			t.Fatalf("after %s the socket ended with %v, want close 4403", after, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("the socket is still open 5s after %s", after)
	}
}

// signedIn reports whether c's session still opens the console.
func signedIn(t *testing.T, base string, c *http.Client) bool {
	t.Helper()
	resp, err := c.Get(base + "/console")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK && resp.Request.URL.Path == "/console"
}

// TestUserCommandsOnPrivatePostgres: the `kefu user` commands work on the
// private PostgreSQL while kefu serves (they reach its server through the
// socket, and what they change takes effect at once) and while it is stopped
// (they start the server for themselves and stop it again).
func TestUserCommandsOnPrivatePostgres(t *testing.T) {
	t.Parallel() // its own processes, data dir or database
	env := privateEnv(t)
	getenv := func(k string) string { return env[k] }
	kefu := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(t.Context(), args, getenv, &out); err != nil {
			t.Fatalf("kefu %s: %v", strings.Join(args, " "), err)
		}
		return out.String()
	}
	base, stop := serve(t, env)

	env["KEFU_USER_PASSWORD"] = "sam's first password"
	kefu("user", "add", "-email", "sam@example.com", "-name", "Sam")
	first := mustSignIn(t, base, "sam@example.com", "sam's first password")
	socket := consoleSocket(t, base, first)

	env["KEFU_USER_PASSWORD"] = "sam's second password"
	if out := kefu("user", "passwd", "-email", "sam@example.com"); !strings.Contains(out, "signed out") || strings.Contains(out, "second") {
		t.Fatalf("user passwd said %q", out)
	}
	closedAtOnce(t, socket, "user passwd")
	if signedIn(t, base, first) {
		t.Fatal("the session from before user passwd still opens the console")
	}
	if c, _ := signIn(t, base, "sam@example.com", "sam's first password"); c != nil {
		t.Fatal("the old password still signs in")
	}
	second := mustSignIn(t, base, "sam@example.com", "sam's second password")
	socket = consoleSocket(t, base, second)

	kefu("user", "disable", "-email", "sam@example.com")
	closedAtOnce(t, socket, "user disable")
	if signedIn(t, base, second) {
		t.Fatal("a disabled user's session still opens the console")
	}

	// An admin who lost their password: a new admin, with a generated password.
	delete(env, "KEFU_USER_PASSWORD")
	out := kefu("user", "add", "-admin", "-email", "kim@example.com", "-name", "Kim")
	m := regexp.MustCompile(`, an admin and an agent, with the password (\S+) \(shown only this once\)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("user add -admin said %q", out)
	}
	kim := mustSignIn(t, base, "kim@example.com", m[1])
	resp, err := kim.Get(base + "/admin/users")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the new admin gets %d from /admin/users", resp.StatusCode)
	}
	if err := stop(); err != nil {
		t.Fatalf("run: %v", err)
	}

	// Stopped: each command starts the private PostgreSQL and stops it again.
	env["KEFU_USER_PASSWORD"] = "sam's third password"
	kefu("user", "enable", "-email", "sam@example.com")
	kefu("user", "passwd", "-email", "sam@example.com")
	if _, err := localpg.Attach(t.Context(), env["KEFU_DATA_DIR"]); !errors.Is(err, localpg.ErrNotRunning) {
		t.Fatalf("after the commands of a stopped kefu: %v, want no server left running", err)
	}
	base, _ = serve(t, env)
	mustSignIn(t, base, "sam@example.com", "sam's third password")
}
