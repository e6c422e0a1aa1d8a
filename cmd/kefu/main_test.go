package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/storetest"
)

func TestMain(m *testing.M) {
	// Re-executed by TestBadConfigExits and others as the real command, which serves.
	if os.Getenv("KEFU_TEST_RUN_MAIN") == "1" {
		os.Args = os.Args[:1]
		main()
		os.Exit(0)
	}
	storetest.Main(m)
}

func TestBadConfigExits(t *testing.T) {
	t.Parallel() // its own processes, data dir or database
	badGrade := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(badGrade, []byte(`{"conversation_grade": 50}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ env, want string }{
		{"KEFU_ADDR=nonsense", "kefu: KEFU_ADDR: \"nonsense\" is not host:port"},
		{"KEFU_CONFIG=/nonexistent/kefu.json", "kefu: KEFU_CONFIG: \"/nonexistent/kefu.json\" cannot be read: no such file or directory"},
		{"KEFU_CONFIG=" + badGrade, "kefu: KEFU_CONFIG: conversation_grade: The conversation grade is 0, 100 or 200."},
		{"KEFU_BASE_URL=ftp://x", "kefu: KEFU_BASE_URL: \"ftp://x\" is not an http or https URL"},
		{"KEFU_ADMIN_PASSWORD=long enough", "kefu: KEFU_ADMIN_PASSWORD: is set but KEFU_ADMIN_EMAIL is not"},
	}
	for _, tt := range tests {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "KEFU_TEST_RUN_MAIN=1", tt.env)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() == 0 {
			t.Fatalf("%s: exit %v, want a non-zero exit", tt.env, err)
		}
		if got := strings.TrimSpace(stderr.String()); strings.Count(got, "\n") != 0 || !strings.HasPrefix(got, tt.want) {
			t.Fatalf("%s: stderr %q, want one line starting %q", tt.env, got, tt.want)
		}
	}
}

var (
	servingRe = regexp.MustCompile(`kefu: serving on (http://\S+)`)
	metricsRe = regexp.MustCompile(`kefu: metrics on (http://\S+/metrics),`)
)

func TestRunServesAndShutsDownGracefully(t *testing.T) {
	t.Parallel() // its own processes, data dir or database
	env := map[string]string{"DATABASE_URL": storetest.URL(t), "KEFU_ADDR": "127.0.0.1:0", "KEFU_DEBUG_ADDR": "127.0.0.1:0",
		"KEFU_ADMIN_EMAIL": "ops@example.com", "KEFU_ADMIN_PASSWORD": "a long password"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	runErr := make(chan error, 1)
	go func() { runErr <- run(ctx, nil, func(k string) string { return env[k] }, pw); pw.Close() }()

	lines := bufio.NewScanner(pr)
	var base, metrics string
	for base == "" && lines.Scan() {
		if m := servingRe.FindStringSubmatch(lines.Text()); m != nil {
			base = m[1]
		}
		if m := metricsRe.FindStringSubmatch(lines.Text()); m != nil {
			metrics = m[1]
		}
	}
	if base == "" {
		t.Fatalf("run never said it was serving: %v", <-runErr)
	}
	go io.Copy(io.Discard, pr)

	resp, err := http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	if metrics == "" {
		t.Fatal("run did not say where the metrics are")
	}
	if resp, err = http.Get(metrics); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %v %v", metrics, resp, err)
	}
	resp.Body.Close()
	resp, err = http.Post(base+"/widget/visitors", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ Token string }
	json.NewDecoder(resp.Body).Decode(&v)
	resp.Body.Close()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/widget/live", &websocket.DialOptions{
		HTTPHeader: http.Header{"Origin": {base}}, Subprotocols: []string{"kefu.v1", "kefu.token." + v.Token}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	readErr := make(chan error, 1)
	go func() {
		for {
			if _, _, err := ws.Read(context.Background()); err != nil {
				readErr <- err
				return
			}
		}
	}()

	cancel() // what SIGTERM and Ctrl-C do
	select {
	case err := <-readErr:
		if websocket.CloseStatus(err) != websocket.StatusGoingAway {
			t.Fatalf("socket ended with %v, want close 1001", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the socket was not closed on shutdown")
	}
	select {
	case err := <-runErr:
		if err != nil {
			t.Fatalf("run returned %v after shutdown", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return after shutdown")
	}
	if resp, err := http.Get(metrics); err == nil {
		resp.Body.Close()
		t.Fatal("the debug address still answers after shutdown")
	}
}

func TestUserAdd(t *testing.T) {
	t.Parallel() // its own processes, data dir or database
	env := map[string]string{"DATABASE_URL": storetest.URL(t), "KEFU_USER_PASSWORD": "sam's password"}
	getenv := func(k string) string { return env[k] }
	var out bytes.Buffer
	if err := run(context.Background(), []string{"user", "add", "-email", "sam@example.com", "-name", "Sam", "-agent"}, getenv, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "(sam@example.com), an agent") || strings.Contains(out.String(), "password") {
		t.Fatalf("output %q", out.String())
	}
	db, err := store.Open(context.Background(), env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	u, hash, err := db.MemberByEmail(context.Background(), "sam@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := auth.CheckPassword(context.Background(), hash, "sam's password"); !ok || u.Name != "Sam" {
		t.Fatalf("stored user %+v does not sign in with the given password", u)
	}
	if list, err := db.AgentList(context.Background()); err != nil || !list.Has(u.ID) {
		t.Fatalf("customer_service_uids = %+v, %v; want Sam listed", list, err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"user", "disable", "-email", "sam@example.com"}, getenv, &out); err != nil || !strings.Contains(out.String(), "disabled") {
		t.Fatalf("user disable: %v, %q", err, out.String())
	}
	if u, err := db.User(context.Background(), u.ID); err != nil || !u.Disabled() {
		t.Fatalf("after user disable: %+v, %v", u, err)
	}
	for _, args := range [][]string{{"user", "add"}, {"user", "add", "-email", "nope"}, {"user", "add", "-email", "sam@example.com"},
		{"user", "disable", "-email", "nobody@example.com"}} {
		if err := run(context.Background(), args, getenv, io.Discard); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

// TestUserCommandsNeedEmail: a `kefu user` command given no -email says so,
// rather than that nobody has the email "".
func TestUserCommandsNeedEmail(t *testing.T) {
	t.Parallel() // its own processes, data dir or database
	env := map[string]string{"DATABASE_URL": storetest.URL(t)}
	getenv := func(k string) string { return env[k] }
	for _, verb := range []string{"add", "passwd", "disable", "enable"} {
		for _, args := range [][]string{{"user", verb}, {"user", verb, "-email", " "}, {"user", verb, "sam@example.com"}} {
			err := run(context.Background(), args, getenv, io.Discard)
			want := "user " + verb + ": -email is required, as in: kefu user " + verb + " -email sam@example.com"
			if err == nil || err.Error() != want {
				t.Errorf("%v: %v, want %q", args, err, want)
			}
		}
	}
}

// TestConfigSeedsFirstStartOnly: KEFU_CONFIG sets the settings on the very
// first start; after that the admin pages hold them and a changed file is
// left alone.
func TestConfigSeedsFirstStartOnly(t *testing.T) {
	t.Parallel() // its own processes, data dir or database
	dir := t.TempDir()
	first, second := filepath.Join(dir, "first.json"), filepath.Join(dir, "second.json")
	if err := os.WriteFile(first, []byte(`{"customer_service_uids": false, "conversation_grade": 100, "default_capacity": 2, "other": "ignored"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(second, []byte(`{"customer_service_uids": ["1"], "conversation_grade": 200}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DATABASE_URL": storetest.URL(t), "KEFU_USER_PASSWORD": "sam's password", "KEFU_CONFIG": first}
	getenv := func(k string) string { return env[k] }
	if err := run(context.Background(), []string{"user", "add", "-email", "sam@example.com"}, getenv, io.Discard); err != nil {
		t.Fatal(err)
	}
	env["KEFU_CONFIG"] = second
	if err := run(context.Background(), []string{"user", "add", "-email", "kim@example.com"}, getenv, io.Discard); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := db.Settings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.Grade != 100 || !s.Agents.Unrestricted || s.DefaultCapacity != 2 {
		t.Fatalf("settings after two starts = %+v; want the first file's: grade 100, customer_service_uids false, capacity 2", s)
	}
}

// TestUserAdminAndPasswd: `user add -admin` lists the admin as customer
// service unless customer_service_uids is false, `user add -agent` is refused
// then without creating anyone, and `user passwd` sets a new password, ends
// the member's sessions (their session epoch moves on) and lifts the
// account's sign-in lockout.
func TestUserAdminAndPasswd(t *testing.T) {
	t.Parallel() // its own processes, data dir or database
	ctx := context.Background()
	for _, unrestricted := range []bool{false, true} {
		dir := t.TempDir()
		settings := filepath.Join(dir, "config.json")
		if err := os.WriteFile(settings, fmt.Appendf(nil, `{"customer_service_uids": %s}`, map[bool]string{false: "[]", true: "false"}[unrestricted]), 0o644); err != nil {
			t.Fatal(err)
		}
		env := map[string]string{"DATABASE_URL": storetest.URL(t), "KEFU_CONFIG": settings}
		getenv := func(k string) string { return env[k] }
		var out bytes.Buffer
		if err := run(ctx, []string{"user", "add", "-admin", "-email", "kim@example.com"}, getenv, &out); err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`with the password (\S+) \(shown only this once\)`).FindStringSubmatch(out.String())
		if m == nil {
			t.Fatalf("user add -admin said %q", out.String())
		}
		db, err := store.Open(ctx, env["DATABASE_URL"])
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		kim, hash, err := db.MemberByEmail(ctx, "kim@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := auth.CheckPassword(context.Background(), hash, m[1]); !ok || !kim.IsAdmin {
			t.Fatalf("kim = %+v; want an admin who signs in with the printed password", kim)
		}
		list, err := db.AgentList(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if list.Unrestricted != unrestricted || list.Has(kim.ID) == unrestricted {
			t.Fatalf("customer_service_uids false %v: after user add -admin, %+v", unrestricted, list)
		}
		err = run(ctx, []string{"user", "add", "-agent", "-email", "sam@example.com"}, getenv, io.Discard)
		if _, _, found := db.MemberByEmail(ctx, "sam@example.com"); unrestricted && (err == nil || found == nil) {
			t.Fatalf("user add -agent with customer_service_uids false: %v, user lookup %v; want a refusal and no user", err, found)
		}
	}

	env := map[string]string{"DATABASE_URL": storetest.URL(t), "KEFU_USER_PASSWORD": "sam's first password"}
	getenv := func(k string) string { return env[k] }
	if err := run(ctx, []string{"user", "add", "-email", "sam@example.com"}, getenv, io.Discard); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	before, err := db.CredentialsByEmail(ctx, "sam@example.com")
	if err != nil {
		t.Fatal(err)
	}
	// Sam is locked out after too many wrong passwords, and the address
	// they came from has also tried another account.
	limits := store.LoginLimits{Window: 15 * time.Minute, PerAccount: 5, PerAddress: 8}
	for range limits.PerAccount {
		if err := db.ReserveLoginAttempt(ctx, "Sam@example.com", "198.51.100.7", limits); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		if err := db.ReserveLoginAttempt(ctx, "lee@example.com", "198.51.100.7", limits); err != nil {
			t.Fatal(err)
		}
	}
	var limited *store.LimitError
	if err := db.ReserveLoginAttempt(ctx, "sam@example.com", "203.0.113.9", limits); !errors.As(err, &limited) {
		t.Fatalf("a sixth sign-in to a locked account: %v; want a limit", err)
	}
	delete(env, "KEFU_USER_PASSWORD")
	var out bytes.Buffer
	if err := run(ctx, []string{"user", "passwd", "-email", "sam@example.com"}, getenv, &out); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`set a new password for user \d+ \(sam@example.com\): (\S+) \(shown only this once\); their sessions are signed out`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("user passwd said %q", out.String())
	}
	after, err := db.CredentialsByEmail(ctx, "sam@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := auth.CheckPassword(context.Background(), after.PasswordHash, m[1]); !ok || after.SessionEpoch == before.SessionEpoch {
		t.Fatalf("after user passwd: signs in with the printed password %v, session epoch %d (was %d)", ok, after.SessionEpoch, before.SessionEpoch)
	}
	// The reset lifts the account's lockout, but not the address's own
	// count of failures on other accounts.
	if err := db.ReserveLoginAttempt(ctx, "sam@example.com", "203.0.113.9", limits); err != nil {
		t.Fatalf("signing in after user passwd: %v; want the account's lockout lifted", err)
	}
	limits.PerAddress = 3
	if err := db.ReserveLoginAttempt(ctx, "sam@example.com", "198.51.100.7", limits); !errors.As(err, &limited) {
		t.Fatalf("an address that failed on another account, after user passwd: %v; want its failures kept", err)
	}
	for _, args := range [][]string{{"user", "passwd"}, {"user", "passwd", "-email", "nobody@example.com"}, {"user", "passwd", "-nope"}} {
		if err := run(ctx, args, getenv, io.Discard); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
