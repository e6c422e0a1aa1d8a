package handlers_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/push"
	"github.com/kefu-im/kefu/store"
)

var (
	confirmFormRe  = regexp.MustCompile(`(?s)<form method="post" action="([^"]+)"[^>]*data-testid="confirm-form">(.*?)</form>`)
	hiddenFieldRe  = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
	dataConfirmRe  = regexp.MustCompile(`<form[^>]*action="([^"]+)"[^>]*data-confirm="([^"]+)"`)
	confirmTitleRe = regexp.MustCompile(`<h1>([^<]*)</h1>`)
)

// TestAdminAsksBeforeWhatCannotBeUndone walks every admin change that cannot
// be taken back. Its form asks first (data-confirm, for admin.js); posted
// without confirm=1, as a browser without JavaScript does, it changes
// nothing and answers a page that asks, whose form makes the change and
// returns to the page it came from.
func TestAdminAsksBeforeWhatCannotBeUndone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := newKefu(t)
	samID := k.addAgent("sam@example.com", "Sam", "sam password")
	site, _ := k.newSite("Garden shop", "https://garden.example")
	if _, err := k.db.CreateAPIKey(ctx, 0, store.NewAPIKey{Name: "Shop backend", Prefix: "kefu_abcdef", Hash: auth.TokenHash("kefu_abcdef-key")}); err != nil {
		t.Fatal(err)
	}
	hook, err := k.db.CreateWebhook(ctx, 0, store.NewWebhook{URL: "https://garden.example/events", Events: []string{"message.created"}, Secret: "whsec_x"})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := k.db.APIKeys(ctx)
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys: %v %v", keys, err)
	}
	alex := k.agent()
	user := func(action string) string { return fmt.Sprintf("/admin/users/%d/%s", samID, action) }
	webhook := func(action string) string { return fmt.Sprintf("/admin/api/webhooks/%d/%s", hook.ID, action) }

	secretBefore, err := k.db.SiteSecret(ctx, site.ID)
	if err != nil {
		t.Fatal(err)
	}
	vapidBefore, err := push.EnsureKeys(ctx, k.db)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		page, path string
		form       url.Values
		question   string
		detail     string
		done       func() bool // whether the change was made
	}{
		{"/admin/users?q=sam", user("agent"), url.Values{"agent": {"0"}}, "Take Sam off customer service?",
			"Sam no longer sees the queue or support chats, and gets no more chats.",
			func() bool { l, _ := k.db.AgentList(ctx); return !l.Has(samID) }},
		{"/admin/users?q=sam", user("password"), url.Values{"password": {"sam's new password"}}, "Reset Sam's password?",
			"Sam is signed out everywhere and must sign in with the new password.",
			func() bool {
				return k.browser().signIn("sam@example.com", "sam's new password").StatusCode == http.StatusSeeOther
			}},
		{"/admin/users?q=sam", user("disable"), url.Values{}, "Disable Sam?",
			"Sam is signed out everywhere at once and cannot sign in until enabled again.",
			func() bool { u, _ := k.db.User(ctx, samID); return u.Disabled() }},
		{"/admin/settings", "/admin/settings/vapid", url.Values{}, "Rotate the push keys?",
			"Every device stops getting notifications until its owner enables them again.",
			func() bool { v, _ := push.LoadKeys(ctx, k.db); return v.Public != vapidBefore.Public }},
		{"/admin/sites", fmt.Sprintf("/admin/sites/%d/secret", site.ID), url.Values{}, "Rotate the identity secret of Garden shop?",
			"Tokens signed with the old secret are refused at once: the site's backend must switch to the new one.",
			func() bool { s, _ := k.db.SiteSecret(ctx, site.ID); return s != secretBefore }},
		{"/admin/api", fmt.Sprintf("/admin/api/keys/%d/revoke", keys[0].ID), url.Values{}, "Revoke the key Shop backend?",
			"Every call made with it is refused at once, and it cannot be used again.",
			func() bool { ks, _ := k.db.APIKeys(ctx); return ks[0].RevokedAt != nil }},
		{"/admin/api", webhook("secret"), url.Values{}, "Rotate the signing secret of https://garden.example/events?",
			"Deliveries from now on are signed with the new secret: the receiver must switch to it.",
			func() bool { hs, _ := k.db.Webhooks(ctx); return hs[0].Secret != hook.Secret }},
		{"/admin/api", webhook("delete"), url.Values{}, "Delete the webhook https://garden.example/events?",
			"It is deleted with its deliveries, and receives no more events.",
			func() bool { hs, _ := k.db.Webhooks(ctx); return len(hs) == 0 }},
	} {
		// The page's form asks first, in admin.js.
		_, page := alex.get(c.page)
		asked := false
		for _, m := range dataConfirmRe.FindAllStringSubmatch(page, -1) {
			asked = asked || (m[1] == c.path && html.UnescapeString(m[2]) == c.question+" "+c.detail)
		}
		if !asked {
			t.Errorf("%s: the form for %s does not ask %q", c.page, c.path, c.question)
		}

		// Without JavaScript the post changes nothing and asks.
		form := url.Values{"_csrf": {alex.csrf(c.page)}}
		for name, v := range c.form {
			form[name] = v
		}
		resp, body := alex.postWith(c.path, form, http.Header{"Referer": {k.srv.URL + c.page}})
		m := confirmFormRe.FindStringSubmatch(body)
		if resp.StatusCode != http.StatusOK || m == nil || m[1] != c.path {
			t.Fatalf("POST %s without confirm=1: %s, want the page that asks:\n%s", c.path, resp.Status, body)
		}
		if c.done() {
			t.Fatalf("POST %s without confirm=1 made the change", c.path)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Fatalf("the page for %s may be cached (Cache-Control %q): it may hold a password", c.path, cc)
		}
		if title := confirmTitleRe.FindStringSubmatch(body); title == nil || html.UnescapeString(title[1]) != c.question ||
			testidText(body, "confirm-detail") != c.detail {
			t.Fatalf("the page for %s asks %q, %q", c.path, title, testidText(body, "confirm-detail"))
		}
		if !strings.Contains(body, fmt.Sprintf(`href="%s" data-testid="cancel"`, html.EscapeString(c.page))) {
			t.Fatalf("the page for %s has no way back to %s", c.path, c.page)
		}

		// Its form carries what was sent, and makes the change.
		again := url.Values{}
		for _, f := range hiddenFieldRe.FindAllStringSubmatch(m[2], -1) {
			again.Add(f[1], html.UnescapeString(f[2]))
		}
		for name, v := range c.form {
			if again.Get(name) != v[0] {
				t.Fatalf("the page for %s does not carry %s=%q: %v", c.path, name, v[0], again)
			}
		}
		// Posted from the page that asked, which is no place to come back to.
		resp, _ = alex.postWith(c.path, again, http.Header{"Referer": {k.srv.URL + c.path}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != c.page {
			t.Fatalf("confirming %s: %s to %q, want 303 to %s", c.path, resp.Status, resp.Header.Get("Location"), c.page)
		}
		if !c.done() {
			t.Fatalf("confirming %s did not make the change", c.path)
		}
	}

	// JSON callers are told to confirm; a missing user is missing before anything is asked.
	leeID := k.addPlainMember("lee@example.com", "Lee", "lee password")
	resp, body := alex.postWith(fmt.Sprintf("/admin/users/%d/disable", leeID), url.Values{"_csrf": {alex.csrf("/admin/users")}},
		http.Header{"Accept": {"application/json"}})
	wantJSONError(t, "a JSON disable without confirm=1", resp, body, http.StatusBadRequest, "invalid",
		"This change cannot be taken back: send confirm=1 to make it.")
	if u, _ := k.db.User(ctx, leeID); u.Disabled() {
		t.Fatal("a JSON disable without confirm=1 disabled Lee")
	}
	if resp, _ := alex.post("/admin/users/999999/disable", url.Values{"_csrf": {alex.csrf("/admin/users")}}); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("disabling a missing user: %s, want 404", resp.Status)
	}
	// A back field that leaves the admin pages is not followed.
	resp, _ = alex.post(fmt.Sprintf("/admin/users/%d/disable", leeID), url.Values{"_csrf": {alex.csrf("/admin/users")},
		"confirm": {"1"}, "back": {"//evil.example/admin/users"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/users" {
		t.Fatalf("a disable with a foreign back: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
}
