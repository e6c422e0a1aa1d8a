package handlers_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
)

// newSite adds a site allowed on origins and returns it with its secret.
func (k *instance) newSite(name string, origins ...string) (chat.Site, string) {
	k.t.Helper()
	secret := auth.NewToken()
	s, err := k.db.CreateSite(context.Background(), 0, chat.Site{Name: name, Origins: origins}, secret)
	if err != nil {
		k.t.Fatal(err)
	}
	return s, secret
}

// framed asks for the widget page as a browser does for an iframe on a page of origin.
func (k *instance) framed(path, origin string) (*http.Response, string) {
	k.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, k.srv.URL+path, nil)
	req.Header.Set("Sec-Fetch-Dest", "iframe")
	req.Header.Set("Referer", origin+"/")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		k.t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return resp, buf.String()
}

// TestSiteFraming: a site's widget may be framed by its origins only, says
// so in the frame when it is not, and takes the site's greeting and colour.
func TestSiteFraming(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	site, _ := k.newSite("Shop", "https://shop.example.com", "https://www.shop.example.com")
	if _, err := k.db.UpdateSite(context.Background(), 0, chat.Site{ID: site.ID, Name: "Shop", Origins: site.Origins,
		Greeting: "Welcome to <Shop>!", Colour: "#AA3300"}); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/widget?site=%d", site.ID)

	resp, body := k.framed(path, "https://shop.example.com")
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != http.StatusOK || !strings.Contains(csp, "frame-ancestors https://shop.example.com https://www.shop.example.com") ||
		strings.Contains(csp, "frame-ancestors *") {
		t.Fatalf("widget on a listed origin: %s, CSP %q", resp.Status, csp)
	}
	if !strings.Contains(body, "Welcome to &lt;Shop&gt;!") || !strings.Contains(body, fmt.Sprintf("/widget/sites/%d/theme.css", site.ID)) {
		t.Fatal("the widget does not show the site's greeting (escaped) and colours")
	}
	resp, body = k.framed(path, "https://evil.example.net")
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "This chat is not available here.") ||
		!strings.Contains(body, "https://evil.example.net is not one of the sites allowed to show it") {
		t.Fatalf("widget on an unlisted origin: %s", resp.Status)
	}
	_, css := k.browser().get(fmt.Sprintf("/widget/sites/%d/theme.css", site.ID))
	if !strings.Contains(css, "--accent: #aa3300;") {
		t.Fatalf("theme = %q", css)
	}
	// No site listed yet: nobody may frame it.
	bare, _ := k.newSite("Bare")
	resp, _ = k.browser().get(fmt.Sprintf("/widget?site=%d", bare.ID))
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Fatalf("a site with no origins: CSP %q", resp.Header.Get("Content-Security-Policy"))
	}
	if resp, _ := k.browser().get("/widget?site=999999"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("an unknown site: %s", resp.Status)
	}
	for _, bad := range []string{"shop.example.com", "https://shop.example.com/path", "javascript:alert(1)", "https://*.example.com"} {
		if _, err := k.db.CreateSite(context.Background(), 0, chat.Site{Name: "Bad", Origins: []string{bad}}, "s"); err == nil {
			t.Errorf("origin %q was accepted", bad)
		}
	}
}

// identify posts an identity token as the widget does.
func (k *instance) identify(site int64, token, visitorToken string) (int, map[string]any) {
	k.t.Helper()
	body, _ := json.Marshal(map[string]any{"site": site, "token": token, "visitor_token": visitorToken})
	resp, err := http.Post(k.srv.URL+"/widget/identify", "application/json", bytes.NewReader(body))
	if err != nil {
		k.t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	json.NewDecoder(resp.Body).Decode(&v)
	return resp.StatusCode, v
}

// TestIdentifyCarriesTheConversationOver: an anonymous visitor writes, the
// host site vouches for them, and the chat goes on under their verified
// name, with the same conversation; the anonymous token stops working.
// Every bad token is refused with a reason and changes nothing.
func TestIdentifyCarriesTheConversationOver(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	site, secret := k.newSite("Shop", "https://shop.example.com")
	other, otherSecret := k.newSite("Other", "https://other.example.com")

	anon := k.visitorToken()
	v := k.liveWidget(anon)
	v.send(map[string]any{"type": "send", "client_msg_id": "a1", "body": "Where is my order?", "site": site.ID})
	v.waitFor("Where is my order?")
	anonUser := mustVisitor(t, k.db, anon)
	conv, err := k.db.VisitorConversation(ctx, anonUser.ID)
	if err != nil {
		t.Fatal(err)
	}

	claims := map[string]any{"sub": "cust-77", "name": "Lee Chen", "email": "lee@shop.example.com", "exp": time.Now().Add(time.Hour).Unix()}
	refusals := []struct {
		name, token string
		site        int64
		want        string
	}{
		{"forged", auth.SignIdentity(claims, "not the secret"), site.ID, "signature"},
		{"another site's secret", auth.SignIdentity(claims, otherSecret), site.ID, "signature"},
		{"expired", auth.SignIdentity(map[string]any{"sub": "cust-77", "exp": time.Now().Add(-time.Minute).Unix()}, secret), site.ID, "expired"},
		{"no exp", auth.SignIdentity(map[string]any{"sub": "cust-77"}, secret), site.ID, "no exp"},
		{"alg none", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJjdXN0LTc3IiwiZXhwIjo5OTk5OTk5OTk5fQ.", site.ID, "HS256"},
		{"a site's token for another site", auth.SignIdentity(claims, secret), other.ID, "signature"},
	}
	for _, r := range refusals {
		status, body := k.identify(r.site, r.token, anon)
		if status != http.StatusUnauthorized || body["error"] != "identity_refused" || !strings.Contains(fmt.Sprint(body["message"]), r.want) {
			t.Fatalf("%s: %d %v, want 401 identity_refused mentioning %q", r.name, status, body, r.want)
		}
	}
	if n := k.count("SELECT count(*) FROM users WHERE external_id IS NOT NULL"); n != 0 {
		t.Fatalf("refused tokens created %d users", n)
	}

	status, body := k.identify(site.ID, auth.SignIdentity(claims, secret), anon)
	if status != http.StatusCreated || body["name"] != "Lee Chen" {
		t.Fatalf("identify = %d %v", status, body)
	}
	verified := fmt.Sprint(body["token"])
	lee, err := k.db.ExternalUserByID(ctx, site.ID, "cust-77")
	if err != nil || lee.Name != "Lee Chen" || lee.Email != "lee@shop.example.com" {
		t.Fatalf("the verified visitor is %+v, %v", lee, err)
	}
	moved, err := k.db.VisitorConversation(ctx, lee.ID)
	if err != nil || moved.ID != conv.ID {
		t.Fatalf("the verified visitor's conversation is %d (%v), want the anonymous one, %d", moved.ID, err, conv.ID)
	}
	// The widget reconnects as Lee and finds the conversation, her message under her name.
	w := k.liveWidget(verified)
	w.send(map[string]any{"type": "send", "client_msg_id": "l1", "body": "It is order 1234.", "site": site.ID})
	w.waitFor("It is order 1234.")
	if c, _ := k.db.VisitorConversation(ctx, lee.ID); c.ID != conv.ID {
		t.Fatal("the verified visitor's next message started another conversation")
	}
	agent := k.agent()
	_, page := agent.get(fmt.Sprintf("/console/c/%d", conv.ID))
	if !strings.Contains(page, "Lee Chen") || !strings.Contains(page, "verified") || !strings.Contains(page, "lee@shop.example.com") {
		t.Fatal("the console does not show the verified visitor")
	}
	if _, _, err := k.dial("/widget/live", widgetDial(k, anon)); err == nil {
		t.Fatal("the anonymous token still opens a socket after identification")
	}

	// A rotated secret refuses tokens signed with the old one.
	if err := k.db.RotateSiteSecret(ctx, 0, site.ID, auth.NewToken()); err != nil {
		t.Fatal(err)
	}
	if status, body := k.identify(site.ID, auth.SignIdentity(claims, secret), ""); status != http.StatusUnauthorized {
		t.Fatalf("a token signed with the rotated-out secret: %d %v", status, body)
	}
}

// TestPrechatContextAndRating: a site that asks for a name and email gets
// them before the chat starts; the visitor's page and browser reach the
// console; once resolved, the visitor rates the chat.
func TestPrechatContextAndRating(t *testing.T) {
	t.Parallel()
	k, _ := newMailKefu(t) // kefu sends email: nobody available, the email is required
	ctx := context.Background()
	site, _ := k.newSite("Shop", "https://shop.example.com")
	if _, err := k.db.UpdateSite(ctx, 0, chat.Site{ID: site.ID, Name: "Shop", Origins: site.Origins,
		PrechatName: chat.FieldRequired, PrechatEmail: chat.FieldOptional, OfflineMessage: "We are out planting. Leave your email."}); err != nil {
		t.Fatal(err)
	}
	secret, err := k.db.SiteSecret(ctx, site.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The page proves which site it was served for; a site id without that
	// proof is ignored, so no visitor files a chat under a site they choose.
	_, page := k.framed(fmt.Sprintf("/widget?site=%d", site.ID), "https://shop.example.com")
	if !strings.Contains(page, `data-site-token="`+widgetSiteToken(site.ID, secret)+`"`) {
		t.Fatal("the widget page does not carry its site token")
	}
	forger := k.widget(k.visitorToken())
	forger.send(map[string]any{"type": "resume", "site": site.ID, "site_token": "forged"})
	forger.waitFor(`data-target="#prechat" data-swap="innerHTML"></template>`) // no site: no pre-chat fields
	forger.send(map[string]any{"type": "send", "client_msg_id": "f1", "body": "Filed under your site?"})
	forger.waitFor(`data-ack="f1"`)
	if n := k.count("SELECT count(*) FROM conversations WHERE site_id IS NOT NULL"); n != 0 {
		t.Fatal("a chat was filed under a site without the page's proof")
	}

	token := k.visitorToken()
	v := k.widget(token)
	v.send(map[string]any{"type": "resume", "site": site.ID, "site_token": widgetSiteToken(site.ID, secret)})
	if got := v.waitFor(`data-testid="prechat-name"`); !strings.Contains(got, `placeholder="Your email" aria-label="Your email" required`) {
		t.Fatalf("with nobody available the email is not required: %s", got)
	}

	visitorContext := map[string]any{"page": "https://shop.example.com/cart", "referrer": "https://search.example.org/?q=spades",
		"language": "de-DE", "timezone": "Europe/Berlin", "secret": "not kept"}
	v.send(map[string]any{"type": "send", "client_msg_id": "p1", "body": "Hello", "context": visitorContext})
	if got := v.waitFor(`data-ack="p1"`); !strings.Contains(got, "Please tell us your name.") {
		t.Fatalf("a chat without the required name was not refused: %s", got)
	}
	// Nobody is available (no agent has a console open): the offline form asks for an email too.
	v.send(map[string]any{"type": "send", "client_msg_id": "p1b", "body": "Hello", "context": visitorContext, "name": "Ada"})
	if got := v.waitFor(`data-ack="p1b"`); !strings.Contains(got, "Please give your email, so that we can answer you.") {
		t.Fatalf("a chat while nobody is available was started without an email: %s", got)
	}
	v.send(map[string]any{"type": "send", "client_msg_id": "p2", "body": "Hello", "context": visitorContext,
		"name": "Ada", "email": "not an email"})
	if got := v.waitFor(`data-ack="p2"`); !strings.Contains(got, "That email address does not look right.") {
		t.Fatalf("a bad email was not refused: %s", got)
	}
	if n := k.count("SELECT count(*) FROM conversations WHERE site_id IS NOT NULL"); n != 0 {
		t.Fatalf("refused pre-chat sends stored %d conversations", n)
	}
	v.send(map[string]any{"type": "send", "client_msg_id": "p3", "body": "Hello", "context": visitorContext,
		"name": "Ada", "email": "ada@example.com"})
	v.waitFor(`id="msg-`)
	v.waitFor("We are out planting. Leave your email.")
	conv, err := k.db.VisitorConversation(ctx, mustVisitor(t, k.db, token).ID)
	if err != nil {
		t.Fatal(err)
	}
	agent := k.agent()
	_, page = agent.get(fmt.Sprintf("/console/c/%d", conv.ID))
	for _, want := range []string{"Ada", "ada@example.com", "https://shop.example.com/cart", "https://search.example.org/?q=spades",
		"de-DE", "Europe/Berlin", "Go-http-client", `data-testid="visitor-site">Shop<`} {
		if !strings.Contains(page, want) {
			t.Fatalf("the console's visitor panel lacks %q", want)
		}
	}
	if strings.Contains(page, "not kept") {
		t.Fatal("an unknown context key reached the console")
	}

	// Rating: not before the chat is resolved, once after it.
	v.send(map[string]any{"type": "rate", "conversation_id": conv.ID, "rating": 5})
	v.waitFor("You can rate the chat once it is resolved.")
	admin, _, err := k.db.MemberByEmail(ctx, agentEmail)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.db.Resolve(ctx, conv.ID, admin.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	v.waitFor(`data-testid="rating"`)
	v.send(map[string]any{"type": "rate", "conversation_id": conv.ID, "rating": 9})
	v.waitFor("Choose a rating from 1 to 5.")
	v.send(map[string]any{"type": "rate", "conversation_id": conv.ID, "rating": 4, "comment": "Quick <and> kind"})
	v.waitFor(`data-testid="rated"`)
	v.send(map[string]any{"type": "rate", "conversation_id": conv.ID, "rating": 1})
	v.waitFor("You have rated this chat already.")
	_, page = agent.get(fmt.Sprintf("/console/c/%d", conv.ID))
	if !strings.Contains(page, "4 out of 5") || !strings.Contains(page, "Quick &lt;and&gt; kind") {
		t.Fatal("the console does not show the rating")
	}
	if !strings.Contains(page, "The visitor rated this chat 4 out of 5: Quick &lt;and&gt; kind") {
		t.Fatal("the thread does not show the rating's note")
	}
	// Another visitor cannot rate someone else's chat.
	other := k.liveWidget(k.visitorToken())
	other.send(map[string]any{"type": "rate", "conversation_id": conv.ID, "rating": 1})
	other.waitFor("There is nothing here.")
}

// widgetDial is how the widget dials its socket with token.
func widgetDial(k *instance, token string) *websocket.DialOptions {
	return &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {k.srv.URL}}, Subprotocols: []string{"kefu.v1", "kefu.token." + token}}
}

// TestWidgetWeight keeps the embed light: widget.js under 4 KB gzipped and
// without cookies, and reports what a visitor downloads before and after
// opening the widget (run with -v to see the figures).
func TestWidgetWeight(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	site, _ := k.newSite("Shop", "https://shop.example.com")
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	fetch := func(path string) (wire, raw int) {
		req, _ := http.NewRequest(http.MethodGet, k.srv.URL+path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK || len(resp.Cookies()) != 0 {
			t.Fatalf("GET %s: %s, %d cookies", path, resp.Status, len(resp.Cookies()))
		}
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		wire = buf.Len()
		if resp.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(&buf)
			if err != nil {
				t.Fatal(err)
			}
			var plain bytes.Buffer
			plain.ReadFrom(zr)
			return wire, plain.Len()
		}
		return wire, wire
	}
	jsWire, jsRaw := fetch("/widget.js")
	if jsWire >= 4096 || jsWire == jsRaw {
		t.Fatalf("widget.js is %d bytes on the wire (%d raw); want it gzipped, under 4096", jsWire, jsRaw)
	}
	_, page := fetch(fmt.Sprintf("/widget?site=%d", site.ID))
	after := 0
	_, body := k.browser().get(fmt.Sprintf("/widget?site=%d", site.ID))
	pageWire, _ := fetch(fmt.Sprintf("/widget?site=%d", site.ID))
	after += pageWire
	for _, m := range regexp.MustCompile(`(?:href|src)="(/(?:static|widget/sites)/[^"]+)"`).FindAllStringSubmatch(body, -1) {
		w, _ := fetch(strings.ReplaceAll(m[1], "&amp;", "&"))
		after += w
	}
	t.Logf("widget.js: %d bytes raw, %d gzipped; before opening, a visitor downloads %d bytes; opening the widget adds %d bytes (page %d raw)",
		jsRaw, jsWire, jsWire, after, page)
	// README says opening adds about 22 KB.
	if after > 22*1024 {
		t.Errorf("opening the widget adds %d bytes, more than the 22 KB or so the README promises", after)
	}
}

// widgetSiteToken is the proof a site's widget page carries: an HMAC-SHA256
// of "kefu widget site <id>" under the site's identity secret.
func widgetSiteToken(siteID int64, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "kefu widget site %d", siteID)
	return hex.EncodeToString(mac.Sum(nil))
}

// TestIdentifyLeavesNoChatBehind: a visitor with an open chat signs in to an
// account that has an open chat already; theirs is resolved, saying where the
// chat goes on, and both belong to the verified visitor, with every message,
// even one whose client id the account had used already.
func TestIdentifyLeavesNoChatBehind(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	site, secret := k.newSite("Shop", "https://shop.example.com")
	claims := map[string]any{"sub": "cust-9", "name": "Kim", "exp": time.Now().Add(time.Hour).Unix()}
	write := func(token, id, body string) {
		w := k.liveWidget(token)
		w.send(map[string]any{"type": "send", "client_msg_id": id, "body": body})
		w.waitFor(body)
	}
	first := k.visitorToken()
	write(first, "k1", "From my laptop")
	if status, _ := k.identify(site.ID, auth.SignIdentity(claims, secret), first); status != http.StatusCreated {
		t.Fatalf("first identify: %d", status)
	}
	// The phone numbers its messages as the laptop did: the ids meet once
	// both are Kim's.
	second := k.visitorToken()
	write(second, "k1", "From my phone")
	status, body := k.identify(site.ID, auth.SignIdentity(claims, secret), second)
	if status != http.StatusCreated {
		t.Fatalf("second identify: %d %v", status, body)
	}
	kim, err := k.db.ExternalUserByID(ctx, site.ID, "cust-9")
	if err != nil {
		t.Fatal(err)
	}
	if n := k.count("SELECT count(*) FROM conversations WHERE visitor_id = $1", kim.ID); n != 2 {
		t.Fatalf("Kim has %d conversations, want both", n)
	}
	// The message moved first kept its id; the phone's, moved onto it, lost its own.
	if n := k.count(`SELECT count(*) FROM messages WHERE sender_id = $1
		AND ((body = 'From my laptop' AND client_msg_id = 'k1') OR (body = 'From my phone' AND client_msg_id IS NULL))`, kim.ID); n != 2 {
		t.Fatalf("Kim has %d of her two messages with the ids they should have", n)
	}
	if n := k.count("SELECT count(*) FROM conversations WHERE visitor_id = $1 AND status <> 'resolved'", kim.ID); n != 1 {
		t.Fatalf("Kim has %d open conversations, want 1", n)
	}
	if n := k.count(`SELECT count(*) FROM messages WHERE code = 'visitor_signed_in'
		AND args = ARRAY[(SELECT id::text FROM conversations WHERE visitor_id = $1 AND status <> 'resolved')]`, kim.ID); n != 1 {
		t.Fatal("the chat left behind does not say where the chat goes on")
	}
}
