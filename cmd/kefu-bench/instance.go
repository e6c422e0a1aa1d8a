package main

// A kefu instance built as cmd/kefu builds it, serving on a loopback port,
// and the people who use it: an agent signed in through the login form, and
// visitors made in bulk.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/kefu-im/kefu/app"
	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/push"
	"github.com/kefu-im/kefu/queue"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/webhook"
)

// instance is one running kefu: handlers, dispatcher, workers and bus.
type instance struct {
	base  string // http://127.0.0.1:port
	dbURL string
	db    *store.DB
	app   *app.App
	srv   *http.Server
	// client opens the sockets to the instance; nil means http.DefaultClient.
	client *http.Client
}

// startInstance runs kefu on the database at dbURL with cmd/kefu's
// defaults, until stop: its bus is LISTEN/NOTIFY, or NATS at natsURL when
// that is set. kefu's errors go to stderr.
func startInstance(ctx context.Context, dbURL, natsURL string) (*instance, error) {
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		db.Close()
		return nil, err
	}
	u := &url.URL{Scheme: "http", Host: ln.Addr().String()}
	pushes := push.DefaultConfig
	pushes.BaseURL = u
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	a := app.New(db, app.Config{BaseURL: u, DatabaseURL: dbURL, NATSURL: natsURL, Routing: queue.DefaultConfig, Push: pushes,
		Webhook: webhook.DefaultConfig, Deliver: true}, logger)
	k := &instance{base: u.String(), dbURL: dbURL, db: db, app: a, srv: a.Server()}
	if err := a.Start(ctx); err != nil {
		ln.Close()
		k.stop()
		return nil, err
	}
	select {
	case <-a.Ready():
	case <-time.After(30 * time.Second):
		ln.Close()
		k.stop()
		return nil, errors.New("the bus did not start listening within 30s")
	}
	go k.srv.Serve(ln)
	return k, nil
}

// freshInstance runs kefu on a fresh database of the bench's PostgreSQL.
func (b *bench) freshInstance(ctx context.Context) (*instance, error) {
	dbURL, err := b.pg.database(ctx)
	if err != nil {
		return nil, err
	}
	return startInstance(ctx, dbURL, "")
}

// stop shuts the instance down as cmd/kefu does.
func (k *instance) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = k.srv.Shutdown(ctx)
	k.app.Stop()
	k.db.Close()
}

func (k *instance) wsURL(path string) string { return "ws" + strings.TrimPrefix(k.base, "http") + path }

const agentEmail, agentPassword = "agent@bench.localhost", "bench agent password"

// ensureAgent makes the database's first admin, who is customer service.
func ensureAgent(ctx context.Context, db *store.DB) (int64, error) {
	hash, err := auth.HashPassword(agentPassword)
	if err != nil {
		return 0, err
	}
	u, _, err := db.EnsureAdmin(ctx, store.NewMember{Email: agentEmail, Name: "Agent", PasswordHash: hash})
	return u.ID, err
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// signIn signs the agent in through the login form, as a browser does, and
// returns the session's Cookie header.
func (k *instance) signIn(ctx context.Context) (string, error) {
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path string, body io.Reader) (*http.Response, string, error) {
		req, err := http.NewRequestWithContext(ctx, method, k.base+path, body)
		if err != nil {
			return nil, "", err
		}
		req.Header.Set("Origin", k.base)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := client.Do(req)
		if err != nil {
			return nil, "", err
		}
		defer resp.Body.Close()
		page, err := io.ReadAll(resp.Body)
		return resp, string(page), err
	}
	_, page, err := do(http.MethodGet, "/login", nil)
	if err != nil {
		return "", err
	}
	m := csrfRe.FindStringSubmatch(page)
	if m == nil {
		return "", errors.New("no CSRF field on /login")
	}
	form := url.Values{"email": {agentEmail}, "password": {agentPassword}, "_csrf": {m[1]}}
	resp, _, err := do(http.MethodPost, "/login", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusSeeOther {
		return "", fmt.Errorf("sign-in answered %s", resp.Status)
	}
	u, _ := url.Parse(k.base)
	var cookies []string
	for _, c := range jar.Cookies(u) {
		cookies = append(cookies, c.String())
	}
	return strings.Join(cookies, "; "), nil
}

// createVisitors makes n anonymous visitors in one statement, as many
// widgets opening at once would, and returns their ids and tokens.
func createVisitors(ctx context.Context, db *store.DB, n int) ([]int64, []string, error) {
	tokens := make([]string, n)
	hashes := make([][]byte, n)
	for i := range tokens {
		tokens[i] = auth.NewToken()
		hashes[i] = auth.TokenHash(tokens[i])
	}
	rows, err := db.Pool().Query(ctx, `INSERT INTO users (kind, visitor_token_hash)
		SELECT 'visitor', h FROM unnest($1::bytea[]) AS h RETURNING id, visitor_token_hash`, hashes)
	if err != nil {
		return nil, nil, err
	}
	index := make(map[string]int, n)
	for i, h := range hashes {
		index[string(h)] = i
	}
	ids := make([]int64, n)
	made := 0
	for rows.Next() {
		var id int64
		var h []byte
		if err := rows.Scan(&id, &h); err != nil {
			return nil, nil, err
		}
		ids[index[string(h)]] = id
		made++
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if made != n {
		return nil, nil, fmt.Errorf("made %d visitors of %d", made, n)
	}
	return ids, tokens, nil
}
