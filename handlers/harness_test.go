package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kefu-im/kefu/app"
	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/queue"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

const (
	agentEmail    = "agent@example.com"
	agentPassword = "agent password"
)

// instance is one kefu (handlers, dispatcher, bus and HTTP server) on a
// database, built as cmd/kefu builds it. Push notifications and webhooks
// stay in their outboxes: the tests that send them run the workers' rounds.
type instance struct {
	t   testing.TB
	url string // the database's
	db  *store.DB
	srv *httptest.Server
	app *app.App
}

// start runs a kefu instance on the database at dbURL until t ends.
func start(t testing.TB, dbURL string) *instance { return startWith(t, dbURL, func(*app.Config) {}) }

// startWithBus is start with the bus on the NATS server at natsURL.
func startWithBus(t testing.TB, dbURL, natsURL string) *instance {
	t.Helper()
	return startWith(t, dbURL, func(c *app.Config) { c.NATSURL = natsURL })
}

// startWith is start with the instance's configuration changed by configure.
func startWith(t testing.TB, dbURL string, configure func(*app.Config)) *instance {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	srv := httptest.NewUnstartedServer(nil)
	u := &url.URL{Scheme: "http", Host: srv.Listener.Addr().String()}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := app.Config{BaseURL: u, DatabaseURL: dbURL, Routing: queue.DefaultConfig}
	configure(&cfg)
	a := app.New(db, cfg, logger)
	srv.Config = a.Server()
	// The tests share two cores with every other package's and a browser's:
	// a burst of password checks under the race detector can outlast the
	// 30 s a response has in production, which says nothing of kefu.
	srv.Config.WriteTimeout = 2 * time.Minute
	srv.Start()
	t.Cleanup(srv.Close)
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Stop)
	select {
	case <-a.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("bus did not start listening")
	}
	return &instance{t: t, url: dbURL, db: db, srv: srv, app: a}
}

// newKefu starts one instance on a fresh database with an admin agent.
func newKefu(t testing.TB) *instance {
	t.Helper()
	k := start(t, storetest.URL(t))
	k.ensureAgent()
	return k
}

func (k *instance) ensureAgent() {
	if _, _, err := k.db.EnsureAdmin(context.Background(), store.NewMember{Email: agentEmail, Name: "Alex", PasswordHash: mustHash(k.t, agentPassword)}); err != nil {
		k.t.Fatal(err)
	}
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// browser is an HTTP client with a cookie jar that sends the Origin a browser would.
type browser struct {
	k      *instance
	client *http.Client
}

func (k *instance) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{k: k, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) get(path string) (*http.Response, string) {
	b.k.t.Helper()
	resp, err := b.client.Get(b.k.srv.URL + path)
	if err != nil {
		b.k.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// csrf returns the CSRF token of the form on path.
func (b *browser) csrf(path string) string {
	b.k.t.Helper()
	_, body := b.get(path)
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		b.k.t.Fatalf("no CSRF field on %s", path)
	}
	return m[1]
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.k.t.Helper()
	return b.send(http.MethodPost, path, form, http.Header{"Origin": {b.k.srv.URL}})
}

// send sends form to path with b's cookies and exactly the headers given.
func (b *browser) send(method, path string, form url.Values, header http.Header) (*http.Response, string) {
	b.k.t.Helper()
	req, err := http.NewRequest(method, b.k.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.k.t.Fatal(err)
	}
	req.Header = header.Clone()
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := b.client.Do(req)
	if err != nil {
		b.k.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browser) signIn(email, password string) *http.Response {
	b.k.t.Helper()
	resp, _ := b.post("/login", url.Values{"email": {email}, "password": {password}, "_csrf": {b.csrf("/login")}})
	return resp
}

// agent signs the agent in and returns their browser.
func (k *instance) agent() *browser {
	b := k.browser()
	if resp := b.signIn(agentEmail, agentPassword); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console" {
		k.t.Fatalf("sign-in answered %s, want 303 to /console", resp.Status)
	}
	return b
}

// adminID is the id of the admin agent() signs in.
func (k *instance) adminID() int64 {
	k.t.Helper()
	m, _, err := k.db.MemberByEmail(context.Background(), agentEmail)
	if err != nil {
		k.t.Fatal(err)
	}
	return m.ID
}

// onDuty opens b's console, as an agent's is while they work, and waits until
// its presence is recorded for agent id.
func (b *browser) onDuty(id int64) *socket {
	b.k.t.Helper()
	c := b.console()
	c.send(map[string]any{"type": "resume"})
	b.k.waitOnline(id)
	return c
}

// waitOnline waits until the agents' consoles have recorded their presence:
// a socket writes it once open, and its first frame can come before. A chat
// taken by an agent who is not online goes back to the queue at the next
// sweep.
func (k *instance) waitOnline(ids ...int64) {
	k.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		loads, err := k.db.Agents(context.Background(), time.Now(), queue.DefaultConfig.Grace, ids)
		if err != nil {
			k.t.Fatal(err)
		}
		online := 0
		for _, a := range loads {
			if a.Online {
				online++
			}
		}
		if online == len(ids) {
			return
		}
		if time.Now().After(deadline) {
			k.t.Fatalf("agents %v: %d of them online after 10 s", ids, online)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// visitorToken creates a widget visitor and returns their token.
func (k *instance) visitorToken() string {
	k.t.Helper()
	resp, err := http.Post(k.srv.URL+"/widget/visitors", "", nil)
	if err != nil {
		k.t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != http.StatusCreated || v.Token == "" {
		k.t.Fatalf("POST /widget/visitors = %s, %v", resp.Status, err)
	}
	return v.Token
}

// socket is a test client's WebSocket and every frame it has read.
type socket struct {
	t      testing.TB
	ws     *websocket.Conn
	frames []string
	used   map[int]bool // frames already returned by waitFor
}

func (k *instance) wsURL(path string) string {
	return "ws" + strings.TrimPrefix(k.srv.URL, "http") + path
}

// patience is how long the harness waits for kefu before it calls a socket
// stuck: under make test the browser tests and every package run at once,
// and a handshake has taken over 5 s.
const patience = 10 * time.Second

func (k *instance) dial(path string, opts *websocket.DialOptions) (*socket, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, k.wsURL(path), opts)
	if err != nil {
		return nil, resp, err
	}
	k.t.Cleanup(func() { ws.CloseNow() })
	return &socket{t: k.t, ws: ws, used: map[int]bool{}}, resp, nil
}

// widget opens the widget socket for the visitor holding token.
func (k *instance) widget(token string) *socket {
	k.t.Helper()
	s, _, err := k.dial("/widget/live", &websocket.DialOptions{
		HTTPHeader:   http.Header{"Origin": {k.srv.URL}},
		Subprotocols: []string{"kefu.v1", "kefu.token." + token},
	})
	if err != nil {
		k.t.Fatal(err)
	}
	return s
}

// liveWidget opens the widget socket and says, as live.js does on open,
// that the browser shows nothing yet; it returns once that is handled.
func (k *instance) liveWidget(token string) *socket {
	k.t.Helper()
	s := k.widget(token)
	s.send(map[string]any{"type": "resume"})
	s.waitFor(`data-target="#queue-status"`)
	return s
}

// console opens the console socket with b's session, for the default list (Mine).
func (b *browser) console() *socket {
	b.k.t.Helper()
	return b.consoleAt("/console/live")
}

// consoleAt opens the console socket at path (with a list's view and
// filter in its query) with b's session.
func (b *browser) consoleAt(path string) *socket {
	b.k.t.Helper()
	u, _ := url.Parse(b.k.srv.URL)
	var cookies []string
	for _, c := range b.client.Jar.Cookies(u) {
		cookies = append(cookies, c.String())
	}
	s, _, err := b.k.dial(path, &websocket.DialOptions{
		HTTPHeader:   http.Header{"Origin": {b.k.srv.URL}, "Cookie": {strings.Join(cookies, "; ")}},
		Subprotocols: []string{"kefu.v1"},
	})
	if err != nil {
		b.k.t.Fatal(err)
	}
	return s
}

// openChat loads conversation id's page as a browser does: once the page's
// socket is open, it resumes there and says the conversation is read.
// openChat returns once that is stored, or at once when the page is refused.
func (b *browser) openChat(id int64) (*http.Response, string) {
	b.k.t.Helper()
	resp, page := b.get(fmt.Sprintf("/console/c/%d", id))
	if resp.StatusCode != http.StatusOK {
		return resp, page
	}
	c, err := b.k.db.Conversation(context.Background(), id)
	if err != nil {
		b.k.t.Fatal(err)
	}
	s := b.console()
	s.send(map[string]any{"type": "resume", "conversation_id": id, "seq": c.LastSeq})
	s.send(map[string]any{"type": "read", "conversation_id": id, "seq": c.LastSeq})
	s.waitFor(fmt.Sprintf(`data-target="#conv-%d"`, id)) // the list item, read
	s.ws.Close(websocket.StatusNormalClosure, "")
	return resp, page
}

func (s *socket) send(frame map[string]any) {
	s.t.Helper()
	if err := s.trySend(frame); err != nil {
		s.t.Fatal(err)
	}
}

// trySend is send for goroutines other than the test's, which must not call Fatal.
func (s *socket) trySend(frame map[string]any) error {
	b, _ := json.Marshal(frame)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.ws.Write(ctx, websocket.MessageText, b)
}

// waitFor returns the first frame, read before or now, that contains want
// and was not returned before. Frames may arrive in any order: acks and
// bubbles travel separate paths.
func (s *socket) waitFor(want string) string {
	s.t.Helper()
	f, err := s.tryWaitFor(want)
	if err != nil {
		s.t.Fatalf("waiting for %q: %v; frames so far:\n%s", want, err, strings.Join(s.frames, "\n"))
	}
	return f
}

// waitForAll is waitFor for a frame that contains each of wants.
func (s *socket) waitForAll(wants ...string) string {
	s.t.Helper()
	f, err := s.tryWaitFor(wants...)
	if err != nil {
		s.t.Fatalf("waiting for %q: %v; frames so far:\n%s", wants, err, strings.Join(s.frames, "\n"))
	}
	return f
}

// tryWaitFor is waitFor for a test that expects the socket may close.
func (s *socket) tryWaitFor(wants ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	has := func(f string) bool {
		for _, w := range wants {
			if !strings.Contains(f, w) {
				return false
			}
		}
		return true
	}
	for {
		for i, f := range s.frames {
			if !s.used[i] && has(f) {
				s.used[i] = true
				return f, nil
			}
		}
		_, b, err := s.ws.Read(ctx)
		if err != nil {
			return "", err
		}
		s.frames = append(s.frames, string(b))
	}
}

// skip passes over every frame read so far: later waits see only what comes next.
func (s *socket) skip() {
	for i := range s.frames {
		s.used[i] = true
	}
}

// all returns every frame read so far.
func (s *socket) all() string { return strings.Join(s.frames, "\n") }

var msgIDRe = regexp.MustCompile(`<li id="msg-(\d+)"`)

// bubbles lists the message ids of the bubbles in text, in order, repeats included.
func bubbles(text string) []string {
	var ids []string
	for _, m := range msgIDRe.FindAllStringSubmatch(text, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// mustHash returns an argon2id hash of password, as kefu stores it. Each
// password is hashed once per run and its hash shared by every test: a hash
// takes a tenth of a second under the race detector, and the tests would
// otherwise spend much of their time in it. A shared salt changes nothing
// that a sign-in checks.
func mustHash(t testing.TB, password string) string {
	t.Helper()
	hashes.mu.Lock()
	defer hashes.mu.Unlock()
	if h, ok := hashes.of[password]; ok {
		return h
	}
	h, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	hashes.of[password] = h
	return h
}

var hashes = struct {
	mu sync.Mutex
	of map[string]string
}{of: map[string]string{}}
