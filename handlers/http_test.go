package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/storetest"
)

func TestHealth(t *testing.T) {
	t.Parallel()
	dbURL := storetest.URL(t)
	k := start(t, dbURL)
	resp, body := k.browser().get("/healthz")
	var got map[string]string
	if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != http.StatusOK || got["database"] != "ok" {
		t.Fatalf("healthy: %s %s", resp.Status, body)
	}
	// Take the database away: the pool's connections are cut and it cannot reconnect.
	cfg, _ := pgx.ParseConfig(dbURL)
	admin, err := pgx.Connect(context.Background(), strings.Replace(dbURL, "dbname="+cfg.Database, "dbname=postgres", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	if _, err := admin.Exec(context.Background(), "ALTER DATABASE "+pgx.Identifier{cfg.Database}.Sanitize()+" WITH ALLOW_CONNECTIONS false"); err != nil {
		t.Fatal(err)
	}
	defer admin.Exec(context.Background(), "ALTER DATABASE "+pgx.Identifier{cfg.Database}.Sanitize()+" WITH ALLOW_CONNECTIONS true")
	if _, err := admin.Exec(context.Background(), "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", cfg.Database); err != nil {
		t.Fatal(err)
	}
	resp, body = k.browser().get("/healthz")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `"database":"unreachable"`) {
		t.Fatalf("database gone: %s %s; want 503 naming the database", resp.Status, body)
	}
}

// TestFavicon: every page names kefu's icon, and /favicon.ico, which
// browsers ask for whatever a page names, answers with it.
func TestFavicon(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	b := k.browser()
	_, page := b.get("/login")
	m := regexp.MustCompile(`<link rel="icon" type="image/svg\+xml" href="(/static/favicon\.[0-9a-f]+\.svg)">`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the sign-in page names no icon:\n%s", page)
	}
	for _, path := range []string{m[1], "/favicon.ico"} {
		if resp, body := b.get(path); resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(body, "<svg") {
			t.Fatalf("GET %s: %s %q", path, resp.Status, resp.Header.Get("Content-Type"))
		}
	}
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	k := newKefu(t)

	b := k.browser()
	if resp, _ := b.get("/console"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("console without a session: %s, want 303 to /login", resp.Status)
	}
	csrf := b.csrf("/login")
	before := cookieValue(b, "kefu_session")

	// No CSRF token: refused.
	resp, body := b.post("/login", url.Values{"email": {agentEmail}, "password": {agentPassword}})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "This form has expired") {
		t.Fatalf("sign-in without CSRF token: %s", resp.Status)
	}
	// Wrong password: a plain message, no detail.
	resp, body = b.post("/login", url.Values{"email": {agentEmail}, "password": {"wrong password"}, "_csrf": {csrf}})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "do not match an active account") {
		t.Fatalf("wrong password: %s", resp.Status)
	}
	// Right password: the session token is renewed.
	resp, _ = b.post("/login", url.Values{"email": {agentEmail}, "password": {agentPassword}, "_csrf": {csrf}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %s", resp.Status)
	}
	if after := cookieValue(b, "kefu_session"); after == "" || after == before {
		t.Fatal("the session token was not renewed at sign-in")
	}
	resp, body = b.get("/console")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="me">Alex<`) {
		t.Fatalf("console after sign-in: %s", resp.Status)
	}
	for h, want := range map[string]string{
		"Content-Security-Policy": "script-src 'self'",
		"X-Frame-Options":         "DENY",
		"X-Content-Type-Options":  "nosniff",
	} {
		if !strings.Contains(resp.Header.Get(h), want) {
			t.Errorf("%s = %q, want it to contain %q", h, resp.Header.Get(h), want)
		}
	}

	// A form posted from another site is refused even with the right token.
	req, _ := http.NewRequest(http.MethodPost, k.srv.URL+"/logout", strings.NewReader(url.Values{"_csrf": {csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	cross, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	cross.Body.Close()
	if cross.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site logout: %s, want 403", cross.Status)
	}

	// Sign out ends the session.
	resp, _ = b.post("/logout", url.Values{"_csrf": {b.csrf("/console")}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %s", resp.Status)
	}
	if resp, _ := b.get("/console"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("console after logout: %s, want a redirect to sign in", resp.Status)
	}
}

func cookieValue(b *browser, name string) string {
	u, _ := url.Parse(b.k.srv.URL)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func TestSignInRateLimit(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	b := k.browser()
	csrf := b.csrf("/login")
	for i := range 5 {
		if resp, _ := b.post("/login", url.Values{"email": {agentEmail}, "password": {fmt.Sprint("guess", i)}, "_csrf": {csrf}}); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("guess %d: %s", i, resp.Status)
		}
	}
	// Now even the right password waits: the account is locked for the window.
	resp, body := b.post("/login", url.Values{"email": {agentEmail}, "password": {agentPassword}, "_csrf": {csrf}})
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many failed sign-ins") {
		t.Fatalf("sixth attempt: %s, want 429 with a plain message", resp.Status)
	}
	// Another account from another address is not affected.
	if _, err := k.db.CreateMember(context.Background(), store.NewMember{Email: "sam@example.com", PasswordHash: mustHash(t, "sam password")}); err != nil {
		t.Fatal(err)
	}
	if resp := k.browser().signIn("sam@example.com", "sam password"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("another account: %s", resp.Status)
	}
}

func TestConsolePagesAndHistory(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	agent := k.agent()
	token := k.visitorToken()
	v := k.liveWidget(token)
	for i := range 60 {
		v.send(map[string]any{"type": "send", "client_msg_id": fmt.Sprint("m", i), "body": fmt.Sprint("message number ", i)})
	}
	v.waitFor(`data-ack="m59"`)
	conv := visitorConversation(t, k.db, token)

	resp, body := agent.get(fmt.Sprintf("/console/c/%d", conv.ID))
	if resp.StatusCode != http.StatusOK || strings.Count(body, `data-testid="message"`) != 50 ||
		!strings.Contains(body, "message number 59") || strings.Contains(body, "message number 9<") {
		t.Fatalf("conversation page: %s, %d messages", resp.Status, strings.Count(body, `data-testid="message"`))
	}
	if !strings.Contains(body, fmt.Sprintf(`data-get="/console/c/%d/history?before=11"`, conv.ID)) {
		t.Fatal("no button for earlier messages")
	}
	resp, body = agent.get(fmt.Sprintf("/console/c/%d/history?before=11", conv.ID))
	if resp.StatusCode != http.StatusOK || strings.Count(body, `data-testid="message"`) != 10 || strings.Contains(body, `data-testid="older"`) ||
		!strings.Contains(body, `data-target="#older" data-swap="outerHTML"`) {
		t.Fatalf("older page: %s\n%s", resp.Status, body)
	}
	for _, bad := range []string{"/history?before=x", "/history", "/history?before=0"} {
		if resp, _ := agent.get(fmt.Sprintf("/console/c/%d%s", conv.ID, bad)); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %s, want 400", bad, resp.Status)
		}
	}
	if resp, _ := agent.get("/console/c/999999"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("missing conversation: %s, want 404", resp.Status)
	}

	// The widget's history needs the visitor's own token.
	get := func(token string) int {
		req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/widget/c/%d/history?before=11", k.srv.URL, conv.ID), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get(token); got != http.StatusOK {
		t.Errorf("visitor's own history: %d", got)
	}
	if got := get(k.visitorToken()); got != http.StatusNotFound {
		t.Errorf("another visitor's history: %d, want 404", got)
	}
	if got := get("nonsense"); got != http.StatusUnauthorized {
		t.Errorf("bad token: %d, want 401", got)
	}

	// The composer without JavaScript posts a form.
	resp, _ = agent.post(fmt.Sprintf("/console/c/%d/messages", conv.ID), url.Values{"body": {"sent without JavaScript"}, "_csrf": {agent.csrf("/console")}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("form send: %s", resp.Status)
	}
	v.waitFor("sent without JavaScript")
	resp, body = agent.post(fmt.Sprintf("/console/c/%d/messages", conv.ID), url.Values{"body": {"   "}, "_csrf": {agent.csrf("/console")}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "The message is empty.") {
		t.Fatalf("empty form send: %s", resp.Status)
	}
}

func TestWidgetPages(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	b := k.browser()
	resp, body := b.get("/widget")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-live="/widget/live"`) ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors *") || resp.Header.Get("X-Frame-Options") != "" {
		t.Fatalf("widget page: %s, CSP %q", resp.Status, resp.Header.Get("Content-Security-Policy"))
	}
	resp, body = b.get("/widget.js")
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "javascript") || !strings.Contains(body, "data-kefu-launcher") {
		t.Fatalf("widget.js: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	if resp, _ := b.get("/no/such/page"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown page: %s", resp.Status)
	}
	req, _ := http.NewRequest(http.MethodDelete, k.srv.URL+"/healthz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("wrong method: %s %s, want a 405 page", resp.Status, resp.Header.Get("Content-Type"))
	}
}
