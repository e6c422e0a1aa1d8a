package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
)

// csrfExempt lists the unsafe routes that no session cookie reaches, with
// the reason. A pattern ending in * covers every route under it.
var csrfExempt = map[string]string{
	"/api/v1/*":            "the host API authenticates with an API key in the Authorization header, which no other site can make a browser send",
	"/static/*":            "the embedded assets: no request changes anything, whatever its method",
	"/widget/visitors":     "the widget's public endpoint: it makes a new anonymous visitor, rides no credentials and is limited per address",
	"/widget/identify":     "authenticated by the host site's signed identity token in the body, not by a cookie",
	"/widget/status/token": "authenticated by the visitor's token in the Authorization header, which no other site can make a browser send",
	"/widget/status/page":  "authenticated by the launcher's status token in the Authorization header, which no other site can make a browser send",
	"/widget/files":        "authenticated by the visitor's token in the Authorization header, which no other site can make a browser send",
	"/mail/*":              "authenticated by the signed link in the path, which only the visitor's email holds; mail readers post one-click unsubscribes (RFC 8058) with no page",
}

// route is one method and pattern of the router.
type route struct{ method, pattern string }

// routes walks kefu's router and returns every route it serves.
func (k *instance) routes() []route {
	k.t.Helper()
	var all []route
	err := chi.Walk(k.app.Handler().Routes().(chi.Routes), func(method, pattern string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		all = append(all, route{method, pattern})
		return nil
	})
	if err != nil || len(all) == 0 {
		k.t.Fatalf("walking the router: %d routes, %v", len(all), err)
	}
	return all
}

var paramRe = regexp.MustCompile(`\{[^}]+\}`)

// path is a concrete path the route's pattern matches.
func (rt route) path() string {
	p := paramRe.ReplaceAllStringFunc(rt.pattern, func(param string) string {
		switch param {
		case "{external_id}":
			return "u-1"
		case "{answer}":
			return "accept"
		}
		return "1"
	})
	return strings.Replace(p, "*", "x", 1)
}

// csrfExemptBy returns the entry of csrfExempt that covers pattern, or "".
func csrfExemptBy(pattern string) string {
	for p := range csrfExempt {
		if p == pattern || (strings.HasSuffix(p, "*") && strings.HasPrefix(pattern, strings.TrimSuffix(p, "*"))) {
			return p
		}
	}
	return ""
}

func TestEveryAdminRouteRefusesNonAdmins(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	k.addAgent("sam@example.com", "Sam", "sam password") // an agent, but not an admin
	sam := k.signInAs("sam@example.com", "sam password")
	sameSite := http.Header{"Origin": {k.srv.URL}}
	form := url.Values{"_csrf": {sam.csrf("/console")}, "confirm": {"1"}}
	stranger := k.browser()
	n := 0
	for _, rt := range k.routes() {
		if !strings.HasPrefix(rt.pattern, "/admin") {
			continue
		}
		n++
		resp, body := sam.send(rt.method, rt.path(), form, sameSite)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Only admins can see the admin pages.") {
			t.Errorf("%s %s as a member who is not an admin: %s", rt.method, rt.pattern, resp.Status)
		}
		// Signed out, a page asks to sign in and a form is refused before it is read.
		resp, _ = stranger.send(rt.method, rt.path(), url.Values{}, sameSite)
		if rt.method == http.MethodGet && (resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login") ||
			rt.method != http.MethodGet && resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s %s signed out: %s to %q", rt.method, rt.pattern, resp.Status, resp.Header.Get("Location"))
		}
	}
	if n < 20 {
		t.Fatalf("only %d admin routes walked", n)
	}
}

func TestEveryUnsafeRouteRefusesCrossSiteRequests(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	alex := k.agent() // an admin and an agent: a cookie that may do anything
	const refusal = "This form has expired or came from another site."
	// What another site's page makes a browser send: today's browsers say
	// where it came from; older ones may say nothing, and then only the
	// missing token tells.
	senders := map[string]http.Header{
		"from another site":      {"Origin": {"https://evil.example"}, "Sec-Fetch-Site": {"cross-site"}},
		"with no origin headers": {},
	}
	seen := map[string]bool{}
	n := 0
	for _, rt := range k.routes() {
		switch rt.method {
		case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		default:
			continue
		}
		if p := csrfExemptBy(rt.pattern); p != "" {
			seen[p] = true
			continue
		}
		n++
		for name, header := range senders {
			resp, body := alex.send(rt.method, rt.path(), url.Values{"confirm": {"1"}}, header)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, refusal) {
				t.Errorf("%s %s %s without the token: %s", rt.method, rt.pattern, name, resp.Status)
			}
		}
	}
	if n < 40 {
		t.Fatalf("only %d unsafe routes walked", n)
	}
	for p := range csrfExempt {
		if !seen[p] {
			t.Errorf("%s is listed as exempt but no unsafe route matches it", p)
		}
	}
	// Nothing was changed: the admin still signs in with the same password.
	if resp := k.browser().signIn(agentEmail, agentPassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the admin signs in after the refused requests: %s", resp.Status)
	}
}
