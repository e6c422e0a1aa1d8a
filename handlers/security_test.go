package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kefu-im/kefu/app"
	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/handlers"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/storetest"
)

// postAll sends every form to path at once from b and returns how many
// answers each status got.
func (b *browser) postAll(t *testing.T, path string, forms []url.Values) map[int]int {
	t.Helper()
	statuses := make(chan int, len(forms))
	errs := make(chan error, len(forms))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, form := range forms {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, b.k.srv.URL+path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", b.k.srv.URL)
			<-start
			resp, err := b.client.Do(req)
			if err != nil {
				errs <- err
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses <- resp.StatusCode
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	close(statuses)
	for err := range errs {
		t.Fatal(err)
	}
	got := map[int]int{}
	for s := range statuses {
		got[s]++
	}
	return got
}

func loginFailures(t *testing.T, k *instance) int {
	t.Helper()
	var n int
	if err := k.db.Pool().QueryRow(context.Background(), "SELECT count(*) FROM login_failures").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSignInLimitHoldsForParallelAttempts(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	b := k.browser()
	csrf := b.csrf("/login")
	var forms []url.Values
	for i := range 20 {
		forms = append(forms, url.Values{"email": {agentEmail}, "password": {fmt.Sprint("guess ", i)}, "_csrf": {csrf}})
	}
	began := time.Now()
	got := b.postAll(t, "/login", forms)
	// Five passwords are checked (and refused); the fifteen others wait.
	if got[http.StatusUnauthorized] != 5 || got[http.StatusTooManyRequests] != 15 {
		t.Fatalf("20 parallel wrong passwords for one account: %v; want 5×401 and 15×429", got)
	}
	if n := loginFailures(t, k); n != 5 {
		t.Fatalf("%d attempts recorded, want 5", n)
	}
	resp, body := b.post("/login", url.Values{"email": {agentEmail}, "password": {agentPassword}, "_csrf": {csrf}})
	// The 15 minutes count from the attempts: what is left of them is to wait.
	left := 15*time.Minute - time.Since(began)
	retry, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	wait := time.Duration(retry) * time.Second
	if resp.StatusCode != http.StatusTooManyRequests || err != nil || wait < left-time.Second || wait > 15*time.Minute ||
		!strings.Contains(body, fmt.Sprintf("Too many failed sign-ins. Wait %d minutes", handlers.WholeMinutes(wait))) {
		t.Fatalf("the right password after the limit: %s, Retry-After %q, want about %s", resp.Status, resp.Header.Get("Retry-After"), left)
	}
}

func TestSignInAddressLimitHoldsForParallelAttempts(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	if _, err := k.db.CreateMember(context.Background(), store.NewMember{Email: "sam@example.com", PasswordHash: mustHash(t, "sam password")}); err != nil {
		t.Fatal(err)
	}
	b := k.browser()
	csrf := b.csrf("/login")
	// One address tries 40 accounts at once: each account is under its own limit.
	var forms []url.Values
	for i := range 40 {
		forms = append(forms, url.Values{"email": {fmt.Sprintf("guess%d@example.com", i)}, "password": {"guess"}, "_csrf": {csrf}})
	}
	got := b.postAll(t, "/login", forms)
	if got[http.StatusUnauthorized] != 30 || got[http.StatusTooManyRequests] != 10 {
		t.Fatalf("40 parallel sign-ins from one address: %v; want 30×401 and 10×429", got)
	}
	if n := loginFailures(t, k); n != 30 {
		t.Fatalf("%d attempts recorded, want 30", n)
	}
	// The address waits, even with an account's right password.
	if resp := b.signIn("sam@example.com", "sam password"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a right password from the address over its limit: %s, want 429", resp.Status)
	}
}

// jsonRequest sends method path from b as a script does: Accept JSON, the
// CSRF header, no form.
func (b *browser) jsonRequest(t *testing.T, method, path, csrf string) (*http.Response, map[string]string) {
	t.Helper()
	req, _ := http.NewRequest(method, b.k.srv.URL+path, nil)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Origin", b.k.srv.URL)
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&got)
	return resp, got
}

func TestJSONCallersWithoutSessionGet401(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	want := func(what string, resp *http.Response, got map[string]string) {
		t.Helper()
		if resp.StatusCode != http.StatusUnauthorized || got["error"] != "unauthenticated" || got["message"] == "" ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("%s: %s %v, want 401 {\"error\":\"unauthenticated\",\"message\":…}", what, resp.Status, got)
		}
	}
	stranger := k.browser()
	resp, got := stranger.jsonRequest(t, http.MethodGet, "/console", "")
	want("GET without a session", resp, got)
	resp, got = stranger.jsonRequest(t, http.MethodGet, "/console/people?q=a", "")
	want("GET a fragment without a session", resp, got)
	resp, got = stranger.jsonRequest(t, http.MethodPost, "/console/state", "made-up")
	want("POST without a session", resp, got)

	// A session that ended: the same.
	agent := k.agent()
	csrf := agent.csrf("/console")
	if resp, _ := agent.post("/logout", url.Values{"_csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %s", resp.Status)
	}
	resp, got = agent.jsonRequest(t, http.MethodGet, "/console", "")
	want("GET after logout", resp, got)
	resp, got = agent.jsonRequest(t, http.MethodPost, "/console/state", csrf)
	want("POST after logout", resp, got)

	// Browsers are still sent to sign in.
	if resp, _ := k.browser().get("/console"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("a browser without a session: %s, want 303 to /login", resp.Status)
	}
}

func TestSocketOriginMustMatchExactly(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	token := k.visitorToken()
	cookie := sessionCookie(t, k.agent())
	u, _ := url.Parse(k.srv.URL) // http://127.0.0.1:port
	_, port, _ := strings.Cut(u.Host, ":")
	for _, origin := range []string{
		"https://" + u.Host,
		"ftp://" + u.Host,
		"ws://" + u.Host,
		"http://" + u.Hostname(),
		"http://" + u.Hostname() + ":1",
		"http://localhost:" + port,
		"http://" + u.Host + ".evil.example",
		"http://evil.example@" + u.Host,
		"http://" + u.Host + "/path",
		"null",
	} {
		for _, path := range []string{"/widget/live", "/console/live"} {
			_, resp, err := k.dial(path, &websocket.DialOptions{
				HTTPHeader:   http.Header{"Origin": {origin}, "Cookie": {cookie}},
				Subprotocols: []string{"kefu.v1", "kefu.token." + token},
			})
			if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
				status := "no answer"
				if resp != nil {
					status = resp.Status
				}
				t.Errorf("%s from Origin %q: %s (%v), want 403", path, origin, status, err)
			}
		}
	}
	// A foreign origin is refused before anything else: 403, whatever the credentials.
	for _, path := range []string{"/widget/live", "/console/live"} {
		_, resp, err := k.dial(path, &websocket.DialOptions{
			HTTPHeader:   http.Header{"Origin": {"https://evil.example"}},
			Subprotocols: []string{"kefu.v1", "kefu.token.forged"},
		})
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s from a foreign origin without credentials: %v, want 403", path, resp)
		}
	}
	// kefu's own origin, as browsers write it or not, is let in; so is the
	// origin of a page that reached kefu at another address than its base
	// URL's (here kefu.internal), with that address's scheme.
	for _, tt := range []struct{ host, origin string }{
		{"", k.srv.URL},
		{"", "HTTP://" + strings.ToUpper(u.Host)},
		{"kefu.internal:8080", "http://kefu.internal:8080"},
	} {
		for _, path := range []string{"/widget/live", "/console/live"} {
			s, _, err := k.dial(path, &websocket.DialOptions{
				Host:         tt.host,
				HTTPHeader:   http.Header{"Origin": {tt.origin}, "Cookie": {cookie}},
				Subprotocols: []string{"kefu.v1", "kefu.token." + token},
			})
			if err != nil {
				t.Fatalf("%s from Origin %q to Host %q: %v", path, tt.origin, tt.host, err)
			}
			s.ws.CloseNow()
		}
	}
	for _, origin := range []string{"https://kefu.internal:8080", "http://kefu.internal:8081", "http://kefu.internal"} {
		_, resp, err := k.dial("/widget/live", &websocket.DialOptions{
			Host:         "kefu.internal:8080",
			HTTPHeader:   http.Header{"Origin": {origin}},
			Subprotocols: []string{"kefu.v1", "kefu.token." + token},
		})
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("Origin %q to Host kefu.internal:8080: %v, want 403", origin, err)
		}
	}
}

// TestInvalidUTF8IsRefusedEverywhere: text that is not UTF-8 is refused
// with the form's message on every path (socket frames, the host API, the
// widget's identify), and nothing is stored.
func TestInvalidUTF8IsRefusedEverywhere(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	const want = "The message is not valid UTF-8 text."
	const bad = "caf\xe9 au lait" // é in Latin-1

	// A chat to write into.
	token := k.visitorToken()
	visitor := k.liveWidget(token)
	visitor.send(map[string]any{"type": "send", "client_msg_id": "ok1", "body": "hello"})
	visitor.waitFor(">hello<")
	conv := visitorConversation(t, k.db, token)
	// The form path refuses it already: its message is the one to match.
	agent := k.agent()
	resp, body := agent.post(fmt.Sprintf("/console/c/%d/messages", conv.ID), url.Values{"body": {bad}, "_csrf": {agent.csrf("/console")}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, want) {
		t.Fatalf("form with invalid UTF-8: %s", resp.Status)
	}

	// Socket frames, the widget's and the console's.
	rawFrame := func(s *socket, frame string) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := s.ws.Write(wctx, websocket.MessageText, []byte(frame)); err != nil {
			t.Fatal(err)
		}
	}
	rawFrame(visitor, `{"type":"send","client_msg_id":"bad1","body":"`+bad+`"}`)
	if got := visitor.waitFor(`data-ack="bad1"`); !strings.Contains(got, want) {
		t.Errorf("widget frame with invalid UTF-8 answered:\n%s", got)
	}
	console := agent.console()
	rawFrame(console, fmt.Sprintf(`{"type":"send","conversation_id":%d,"client_msg_id":"bad2","body":"%s"}`, conv.ID, bad))
	if got := console.waitFor(`data-ack="bad2"`); !strings.Contains(got, want) {
		t.Errorf("console frame with invalid UTF-8 answered:\n%s", got)
	}

	// The host API.
	key := k.apiKeyOf("shop", 0, 0)
	for _, call := range []struct{ method, path, body string }{
		{http.MethodPost, "/api/v1/users/cust-1/messages", `{"body":"` + bad + `","client_msg_id":"m1"}`},
		{http.MethodPut, "/api/v1/users/cust-1", `{"name":"` + bad + `"}`},
		{http.MethodPost, fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), `{"type":"system","body":"` + bad + `"}`},
	} {
		status, raw := k.apiCall(key, call.method, call.path, call.body)
		wantAPIError(t, call.method+" "+call.path, status, raw, http.StatusBadRequest, "invalid", "body")
		if e := apiDecode[apiError](t, raw); e.Message != want {
			t.Errorf("%s %s: message %q, want %q", call.method, call.path, e.Message, want)
		}
	}
	if status, raw := k.apiCall(key, http.MethodGet, "/api/v1/users/cust-1/conversations", ""); status != http.StatusNotFound {
		t.Errorf("the API's refused calls created user cust-1: %d %s", status, raw)
	}

	// The widget's identify: a valid identity, an anonymous token that is not UTF-8.
	site, secret := k.newSite("Shop", "https://shop.example.com")
	jwt := auth.SignIdentity(map[string]any{"sub": "cust-2", "exp": time.Now().Add(time.Hour).Unix()}, secret)
	resp, err := http.Post(k.srv.URL+"/widget/identify", "application/json",
		strings.NewReader(fmt.Sprintf(`{"site":%d,"token":%q,"visitor_token":"%s"}`, site.ID, jwt, bad)))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || got["error"] != "invalid" || got["message"] != want {
		t.Errorf("identify with invalid UTF-8: %s %v, want 400 %q", resp.Status, got, want)
	}
	var identified int
	if err := k.db.Pool().QueryRow(ctx, "SELECT count(*) FROM users WHERE external_id = 'cust-2'").Scan(&identified); err != nil || identified != 0 {
		t.Errorf("a refused identify stored %d users (%v)", identified, err)
	}

	var stored int
	if err := k.db.Pool().QueryRow(ctx, "SELECT count(*) FROM messages WHERE body LIKE 'caf%'").Scan(&stored); err != nil || stored != 0 {
		t.Errorf("%d refused messages were stored (%v)", stored, err)
	}
}

// consoleWith opens k's console socket with a session cookie from anywhere.
func (k *instance) consoleWith(cookie string) *socket {
	k.t.Helper()
	s, _, err := k.dial("/console/live", &websocket.DialOptions{
		HTTPHeader:   http.Header{"Origin": {k.srv.URL}, "Cookie": {cookie}},
		Subprotocols: []string{"kefu.v1"},
	})
	if err != nil {
		k.t.Fatal(err)
	}
	s.send(map[string]any{"type": "resume"})
	s.waitFor(`data-target="#conversation-list" data-swap="innerHTML"`)
	return s
}

// waitClosed reads s until the server closes it and returns the close code.
func (s *socket) waitClosed(within time.Duration) websocket.StatusCode {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for {
		_, b, err := s.ws.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				s.t.Fatalf("the socket was still open after %s", within)
			}
			return websocket.CloseStatus(err)
		}
		s.frames = append(s.frames, string(b))
	}
}

// TestLogoutClosesThatSessionsSockets: signing out closes the sockets the
// session opened, on every instance, and no other session's.
func TestLogoutClosesThatSessionsSockets(t *testing.T) {
	t.Parallel()
	dbURL := storetest.URL(t)
	a := start(t, dbURL)
	a.ensureAgent()
	b := start(t, dbURL)
	leaving, staying := a.agent(), a.agent() // one agent, two browsers
	onA := a.consoleWith(sessionCookie(t, leaving))
	onB := b.consoleWith(sessionCookie(t, leaving))
	otherOnB := b.consoleWith(sessionCookie(t, staying))

	if resp, _ := leaving.post("/logout", url.Values{"_csrf": {leaving.csrf("/console")}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %s", resp.Status)
	}
	// At once, through the bus: well before the sockets' own check of their session.
	if code := onA.waitClosed(5 * time.Second); code != 4403 {
		t.Fatalf("the signed-out session's socket on the same instance closed with %d, want 4403", code)
	}
	if code := onB.waitClosed(5 * time.Second); code != 4403 {
		t.Fatalf("the signed-out session's socket on another instance closed with %d, want 4403", code)
	}
	// The agent's other session carries on: it sends and receives.
	token := b.visitorToken()
	visitor := b.liveWidget(token)
	visitor.send(map[string]any{"type": "send", "client_msg_id": "v1", "body": "still there?"})
	otherOnB.waitFor("still there?")
	conv := visitorConversation(t, b.db, token)
	otherOnB.send(map[string]any{"type": "send", "conversation_id": conv.ID, "client_msg_id": "a1", "body": "yes, still here"})
	otherOnB.waitFor(`data-ack="a1"`)
	visitor.waitFor("yes, still here")
}

// TestExpiredSessionClosesItsSockets: a console socket does not outlive its
// session's expiry.
func TestExpiredSessionClosesItsSockets(t *testing.T) {
	t.Parallel()
	// Sockets check on their presence tick, a third of routing's grace
	// period: a short one keeps the test from waiting ten seconds.
	const grace = 3 * time.Second
	k := startWith(t, storetest.URL(t), func(c *app.Config) { c.Routing.Grace = grace })
	k.ensureAgent()
	agent := k.agent()
	s := k.consoleWith(sessionCookie(t, agent))
	if _, err := k.db.Pool().Exec(context.Background(), "UPDATE sessions SET expiry = now() - interval '1 second' WHERE token = $1",
		cookieValue(agent, "kefu_session")); err != nil {
		t.Fatal(err)
	}
	if code := s.waitClosed(grace); code != 4403 {
		t.Fatalf("the expired session's socket closed with %d, want 4403", code)
	}
}

// postJSONAll sends one POST per instance in targets, all at once, with
// body, and returns how many answers each status got, and one 429's
// Retry-After.
func postJSONAll(t *testing.T, targets []*instance, path, body string) (map[int]int, string) {
	t.Helper()
	type answer struct {
		status     int
		retryAfter string
		err        error
	}
	answers := make(chan answer, len(targets))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, k := range targets {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, k.srv.URL+path, strings.NewReader(body))
			req.Header.Set("Accept", "application/json")
			req.Header.Set("Content-Type", "application/json")
			<-start
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				answers <- answer{err: err}
				return
			}
			var got map[string]string
			json.NewDecoder(resp.Body).Decode(&got)
			resp.Body.Close()
			if resp.StatusCode == http.StatusTooManyRequests && got["error"] != "rate_limited" {
				err = fmt.Errorf("429 with %v", got)
			}
			answers <- answer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), err: err}
		})
	}
	close(start)
	wg.Wait()
	close(answers)
	got, retryAfter := map[int]int{}, ""
	for a := range answers {
		if a.err != nil {
			t.Fatal(a.err)
		}
		got[a.status]++
		if a.status == http.StatusTooManyRequests {
			retryAfter = a.retryAfter
		}
	}
	return got, retryAfter
}

// alternate lists n targets, taking turns between a and b.
func alternate(a, b *instance, n int) []*instance {
	var ks []*instance
	for i := range n {
		ks = append(ks, []*instance{a, b}[i%2])
	}
	return ks
}

// TestWidgetVisitorsAreLimitedPerAddress: one address creates at most
// VisitorsPerAddress visitors in ten minutes, however many it asks for at
// once and through whichever instance; the others are refused with 429 and
// create nothing.
func TestWidgetVisitorsAreLimitedPerAddress(t *testing.T) {
	t.Parallel()
	dbURL := storetest.URL(t)
	a, b := start(t, dbURL), start(t, dbURL)
	limit, over := handlers.VisitorsPerAddress, 10
	got, retryAfter := postJSONAll(t, alternate(a, b, limit+over), "/widget/visitors", "")
	if got[http.StatusCreated] != limit || got[http.StatusTooManyRequests] != over {
		t.Fatalf("%d visitors asked for at once from one address on two instances: %v; want %d×201, %d×429", limit+over, got, limit, over)
	}
	if secs, err := strconv.Atoi(retryAfter); err != nil || secs < 1 || secs > 600 {
		t.Fatalf("Retry-After %q, want the seconds left of the ten minutes", retryAfter)
	}
	var n int
	if err := a.db.Pool().QueryRow(context.Background(), "SELECT count(*) FROM users WHERE kind = 'visitor'").Scan(&n); err != nil || n != limit {
		t.Fatalf("%d visitors were stored (%v), want %d", n, err, limit)
	}
}

// TestWidgetIdentifyIsLimitedPerAddress: one address makes at most
// IdentifiesPerAddress identify requests in ten minutes, refused ones
// included.
func TestWidgetIdentifyIsLimitedPerAddress(t *testing.T) {
	t.Parallel()
	dbURL := storetest.URL(t)
	a, b := start(t, dbURL), start(t, dbURL)
	limit, over := handlers.IdentifiesPerAddress, 10
	got, retryAfter := postJSONAll(t, alternate(a, b, limit+over), "/widget/identify", `{"site":0,"token":"not a token"}`)
	if got[http.StatusBadRequest] != limit || got[http.StatusTooManyRequests] != over || retryAfter == "" {
		t.Fatalf("%d identify requests at once from one address on two instances: %v, Retry-After %q; want %d×400, %d×429", limit+over, got, retryAfter, limit, over)
	}
}
