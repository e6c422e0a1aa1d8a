package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/kefu-im/kefu/auth"
)

// TestWidgetOnAThirdPartySite (issue #5): an admin adds a site; on that
// site's page a visitor asks for help through the launcher, logs in (the
// host page vouches for them, and the chat goes on under their name), then
// uses two "contact the author" buttons aimed at two people, each of whom
// gets the right conversation, without the page reloading. A page on an
// origin the site does not list cannot show the widget.
func TestWidgetOnAThirdPartySite(t *testing.T) {
	t.Parallel() // its own kefu and browser
	ctx, cancel := context.WithTimeout(t.Context(), routingTimeout)
	defer cancel()
	dir := tempDir(t, "widget")
	data := filepath.Join(dir, "data")
	db := "DATABASE_URL=" + ownDatabase(t, ctx)
	annID := userAdd(t, ctx, data, "ann@example.com", "Ann", memberPassword, db)
	benID := userAdd(t, ctx, data, "ben@example.com", "Ben", memberPassword, db)
	stop, addr, err := startKefu(kefuBin, data, "", db)
	if err != nil {
		t.Fatalf("starting kefu: %v\nkefu's output:\n%s", err, kefuLog.String())
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stopping kefu: %v", err)
		}
	})
	base := "http://" + addr

	// The host site: its page embeds the widget, with two author buttons and
	// a log-in link that hands the widget an identity token its backend signed.
	var siteID, secret string
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := auth.SignIdentity(map[string]any{"sub": "cust-77", "name": "Lee Chen", "email": "lee@garden.example",
			"exp": time.Now().Add(time.Hour).Unix()}, secret)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Garden plugins</title></head>
<body style="font-family: Georgia, serif; margin: 48px">
<h1>Garden plugins</h1>
<p>Rain gauge, by Ann. <button data-kefu-to="%s" id="ask-ann">Ask Ann</button></p>
<p>Seed planner, by Ben. <button data-kefu-to="%s" id="ask-ben">Ask Ben</button></p>
<p><button id="login" onclick="kefu('identify', '%s')">Log in as Lee</button></p>
<script src="%s/widget.js" data-site="%s" data-colour="#2f7d32" async></script>
</body></html>`, annID, benID, token, base, siteID)
	}))
	t.Cleanup(host.Close)
	hostURL := strings.Replace(host.URL, "127.0.0.1", "localhost", 1) + "/"
	hostOrigin := strings.TrimSuffix(hostURL, "/")

	browser := startBrowser(t, ctx)
	admin, ann, ben := newTab(t, browser), newTab(t, browser), newTab(t, browser)
	defer screenshot(t, admin, "widget-console.png")
	signIn(t, admin, base, agentEmail, agentPassword)
	signIn(t, ann, base, "ann@example.com", memberPassword)
	signIn(t, ben, base, "ben@example.com", memberPassword)

	// The admin adds the site, allowed on the host's origin.
	do(t, admin, "the admin fills in the site",
		chromedp.Navigate(base+"/admin/sites"),
		chromedp.SendKeys(chromedp.CSS(`form[action="/admin/sites"] input[name=name]`), "Garden plugins"),
		chromedp.SendKeys(chromedp.CSS(`form[action="/admin/sites"] textarea[name=origins]`), hostOrigin))
	submit(t, admin, "the admin adds the site", `button[data-testid=create-site]`, 200)
	siteID = get(t, admin, "the site's id", chromedp.Evaluate[string](`document.querySelector("[data-testid=site]").dataset.siteId`))
	secret = get(t, admin, "the site's secret", chromedp.Evaluate[string](`document.querySelector("[data-testid=secret]").textContent.trim()`))
	if embed := texts(t, admin, `[data-testid=embed]`); len(embed) != 1 || !strings.Contains(embed[0], `data-site="`+siteID+`"`) {
		t.Fatalf("the site's embed line is %q", embed)
	}

	// A visitor asks for help through the launcher.
	visitor, widget := openWidget(t, browser, hostURL)
	defer screenshot(t, visitor, "widget-host.png")
	do(t, widget, "the visitor asks for help",
		hasText(`[data-testid=widget-title]`, "Chat with us"),
		chromedp.SendKeys(chromedp.CSS(composer), "Which plugin measures rain?"),
		chromedp.Click(chromedp.CSS(sendBtn)),
		hasText(stored, "Which plugin measures rain?"))
	do(t, admin, "the admin sees the chat",
		chromedp.Navigate(base+"/console"),
		hasText(`#conversation-list [data-testid=preview]`, "Which plugin measures rain?"))

	// The visitor logs in on the host site: the chat goes on as Lee Chen.
	do(t, visitor, "the visitor logs in", chromedp.Click(chromedp.CSS(`#login`)))
	do(t, widget, "the widget is Lee's now",
		until(`document.body.dataset.identified === "Lee Chen" && document.body.dataset.liveState === "open"`),
		hasText(stored, "Which plugin measures rain?"),
		chromedp.SendKeys(chromedp.CSS(composer), "I am logged in now."),
		chromedp.Click(chromedp.CSS(sendBtn)),
		hasText(stored, "I am logged in now."))
	do(t, admin, "the console lists the chat under Lee's name",
		chromedp.Navigate(base+"/console"),
		hasText(`#conversation-list .conv-title`, "Lee Chen"))
	submitLink(t, admin, "the admin opens the chat", `#conversation-list a`)
	do(t, admin, "the chat is the same, and verified",
		hasText(`[data-testid=visitor-email]`, "lee@garden.example"),
		hasText(thread, "Which plugin measures rain?"),
		hasText(thread, "I am logged in now."))
	if n := len(texts(t, admin, `#conversation-list .conv`)); n != 1 {
		t.Fatalf("the console lists %d conversations, want the one carried over", n)
	}

	// Two "contact the author" buttons, each its own conversation, no reload.
	do(t, visitor, "mark the host page", chromedp.Evaluate[chromedp.Void](`window.e2eNoReload = true`))
	askAuthor(t, visitor, widget, "#ask-ann", "Chat with Ann", "Ann, does the gauge work in snow?")
	do(t, ann, "Ann gets the question", hasText(`#conversation-list [data-testid=preview]`, "Ann, does the gauge work in snow?"))
	askAuthor(t, visitor, widget, "#ask-ben", "Chat with Ben", "Ben, can the planner export to CSV?")
	do(t, ben, "Ben gets the question", hasText(`#conversation-list [data-testid=preview]`, "Ben, can the planner export to CSV?"))
	if got := texts(t, widget, stored); len(got) != 1 {
		t.Fatalf("Ben's conversation shows %q; want only the question to Ben", got)
	}
	do(t, visitor, "back to Ann", chromedp.Click(chromedp.CSS(`#ask-ann`)))
	do(t, widget, "Ann's conversation is back",
		hasText(`[data-testid=widget-title]`, "Chat with Ann"),
		hasText(stored, "Ann, does the gauge work in snow?"))
	if got := texts(t, widget, stored); len(got) != 1 {
		t.Fatalf("Ann's conversation shows %q", got)
	}
	if n := len(texts(t, ann, `#conversation-list .conv`)); n != 1 {
		t.Fatalf("Ann has %d conversations, want 1", n)
	}
	noReload(t, visitor, "while the visitor switched authors")

	// The site's backend sends a signal to the open conversation through the
	// host API: the host page hears it, and nothing is shown or stored.
	do(t, admin, "the admin names an API key",
		chromedp.Navigate(base+"/admin/api"),
		chromedp.SendKeys(chromedp.CSS(`form[data-testid=api-key-form] input[name=name]`), "Garden backend"))
	submit(t, admin, "the admin creates the key", `button[data-testid=create-api-key]`, 200)
	key := get(t, admin, "the new key", chromedp.Evaluate[string](`document.querySelector("[data-testid=new-api-key]").textContent.trim()`))
	conv := get(t, widget, "Ann's conversation", chromedp.Evaluate[string](`document.querySelector("#messages li.msg").dataset.conversation`))
	do(t, visitor, "the host page listens for signals",
		chromedp.Evaluate[chromedp.Void](`window.addEventListener("kefu:signal", e => { window.e2eSignal = e.detail; })`))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/conversations/"+conv+"/signals",
		strings.NewReader(`{"kind": "order.shipped", "data": {"order": 1001}}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("the signal was answered %d, want 202", resp.StatusCode)
	}
	do(t, visitor, "the host page hears the signal",
		until(`window.e2eSignal && window.e2eSignal.kind === "order.shipped" && window.e2eSignal.data.order === 1001 && window.e2eSignal.conversation === `+conv))
	if got := texts(t, widget, stored); len(got) != 1 {
		t.Fatalf("after the signal, Ann's conversation shows %q", got)
	}

	// A page on an origin the site does not list: the widget refuses, in the frame.
	rogue := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html><html><head><title>Copycat</title></head><body><h1>Copycat</h1>
<script src="%s/widget.js" data-site="%s" async></script></body></html>`, base, siteID)
	}))
	t.Cleanup(rogue.Close)
	tab := newTab(t, browser)
	do(t, tab, "a visitor opens the copycat page",
		chromedp.Navigate(strings.Replace(rogue.URL, "127.0.0.1", "localhost", 1)+"/"),
		chromedp.WaitVisible(chromedp.CSS(`button[data-kefu-launcher]`)))
	attached := get(t, tab, "the copycat's widget", chromedp.WaitEvent(target.AttachedToTarget,
		func(ev target.EventAttachedToTarget) bool { return ev.TargetInfo.Type == "iframe" },
		chromedp.Click(chromedp.CSS(`button[data-kefu-launcher]`))))
	refused := attachFrame(t, tab, attached.TargetInfo.TargetID)
	do(t, refused, "the widget refuses", chromedp.WaitVisible(chromedp.CSS(`[data-testid=widget-refused]`)))
	if body := texts(t, refused, `[data-testid=widget-refused]`); len(body) != 1 || !strings.Contains(body[0], "is not one of the sites allowed to show it") {
		t.Fatalf("the refusal says %q", body)
	}
	if n := len(texts(t, refused, composer)); n != 0 {
		t.Fatal("the refused widget shows a composer")
	}
}

// askAuthor clicks an author's button on the host page and writes to them in the widget.
func askAuthor(t *testing.T, visitor, widget context.Context, button, title, question string) {
	t.Helper()
	do(t, visitor, "the visitor clicks "+button, chromedp.Click(chromedp.CSS(button)))
	do(t, widget, "the visitor writes: "+question,
		hasText(`[data-testid=widget-title]`, title),
		chromedp.WaitVisible(chromedp.CSS(composer)),
		chromedp.SendKeys(chromedp.CSS(composer), question),
		chromedp.Click(chromedp.CSS(sendBtn)),
		hasText(stored, question))
}

var createdRe = regexp.MustCompile(`created user (\d+) `)
