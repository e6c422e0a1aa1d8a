package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

// TestWidgetLauncherAcrossPages: a visitor writes, closes the chat with
// Escape (focus goes back to the launcher) and moves to another page of the
// site; the agent's reply reaches that page's launcher as a badge and a
// preview without the chat being opened, and opening it clears them. Later
// kefu no longer knows the visitor's session: the widget says it expired,
// and its button starts a new chat that works. On a phone, the open chat
// covers the screen and the launcher steps aside.
func TestWidgetLauncherAcrossPages(t *testing.T) {
	t.Parallel() // its own kefu, database and browser
	ctx, cancel := context.WithTimeout(t.Context(), routingTimeout)
	defer cancel()
	base, db, _ := kefuOnOwnDatabase(t, ctx, "launcher")
	agent, _, err := db.MemberByEmail(ctx, agentEmail)
	if err != nil {
		t.Fatal(err)
	}

	// The host site has two pages; the launcher asks every second, for the test.
	var siteID int64
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Garden %[1]s</title></head>
<body style="font-family: Georgia, serif; margin: 48px"><h1>Garden %[1]s</h1><p><a id="next" href="/two">Seed planner</a></p>
%[2]s
<script src="%[3]s/widget.js" data-site="%[4]d" data-poll="1" async></script>
</body></html>`, strings.TrimPrefix(r.URL.Path, "/"), strings.Repeat("<p>Rain gauges, seed planners and more.</p>", 40), base, siteID)
	}))
	t.Cleanup(host.Close)
	hostURL := strings.Replace(host.URL, "127.0.0.1", "localhost", 1)
	site, err := db.CreateSite(ctx, 0, chat.Site{Name: "Garden", Origins: []string{hostURL}, Colour: "#2f7d32",
		PrechatEmail: chat.FieldRequired}, auth.NewToken())
	if err != nil {
		t.Fatal(err)
	}
	siteID = site.ID

	browser := startBrowser(t, ctx)
	visitor := newTab(t, browser)
	do(t, visitor, "the visitor opens the first page",
		chromedp.Navigate(hostURL+"/one"),
		chromedp.WaitVisible(chromedp.CSS(`button[data-kefu-launcher]`)))
	widget := openLauncher(t, visitor)
	do(t, widget, "the composer has the focus, and nothing says the new session expired",
		until(`document.activeElement === document.querySelector("textarea[data-testid=composer]")`),
		chromedp.WaitNotVisible(chromedp.CSS(`[data-testid=expired]`)))
	do(t, widget, "the visitor writes, and leaves the email the site requires",
		chromedp.SendKeys(chromedp.CSS(composer), "Do you ship seeds abroad?"),
		chromedp.Click(chromedp.CSS(sendBtn)),
		// Asked once the socket has said what a new chat needs: the answer replaces the fields.
		hasText(`[data-testid=prechat-email-error]`, "Please give your email, so that we can answer you."),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=prechat-email]`), "lee@garden.example"),
		chromedp.Click(chromedp.CSS(sendBtn)),
		hasText(stored, "Do you ship seeds abroad?"))
	do(t, widget, "Tab goes round the chat",
		chromedp.Focus(chromedp.CSS(sendBtn)),
		chromedp.KeyEvent(kb.Tab),
		until(`document.activeElement.matches("[data-widget-close]")`),
		chromedp.KeyEvent(kb.Escape))
	do(t, visitor, "Escape closed the chat, and the launcher has the focus",
		until(`document.querySelector("[data-kefu-frame]").style.display === "none" && document.activeElement.matches("[data-kefu-launcher]")`))

	// On the next page, the iframe is gone; the agent answers.
	// The click's navigation is waited for whole: a wait begun on the page
	// being left would be cut short by it.
	nctx, ncancel := context.WithTimeout(visitor, stepTimeout)
	defer ncancel()
	if _, err := chromedp.RunResponse(nctx, chromedp.Click(chromedp.CSS(`#next`))); err != nil {
		t.Fatalf("the visitor moves on: %v", err)
	}
	do(t, visitor, "the next page is there",
		chromedp.WaitVisible(chromedp.CSS(`button[data-kefu-launcher]`)),
		until(`document.title === "Garden two" && !document.querySelector("[data-kefu-frame]") && localStorage.getItem("kefu.status.`+fmt.Sprint(siteID)+`")`))
	var convID int64
	if err := db.Pool().QueryRow(ctx, "SELECT id FROM conversations WHERE kind = 'support'").Scan(&convID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SendMessage(ctx, store.Send{ConversationID: convID, SenderID: agent.ID, Body: "Yes, to most of Europe. <b>Which country?</b>"}); err != nil {
		t.Fatal(err)
	}
	do(t, visitor, "the launcher shows the reply, in the site's colour (which the page's tag does not say)",
		until(`getComputedStyle(document.querySelector("[data-kefu-launcher]")).backgroundColor === "rgb(47, 125, 50)"`),
		hasText(`[data-kefu-launcher] span:last-child`, "1"),
		until(`document.querySelector("[data-kefu-launcher]").getAttribute("aria-label") === "Chat, Unread messages: 1"`),
		hasText(`[data-kefu-preview] strong`, agent.DisplayName()),
		hasText(`[data-kefu-preview] span`, "Yes, to most of Europe. <b>Which country?</b>"))
	if n := get(t, visitor, "frames", chromedp.Evaluate[int](`document.querySelectorAll("iframe").length`)); n != 0 {
		t.Fatalf("the page has %d iframes before the visitor opens the chat", n)
	}
	// The launcher told kefu the page, for the agent's visitor panel.
	waitDB(t, "the second page is among the visitor's pages", func() bool {
		var n int
		return db.Pool().QueryRow(ctx, "SELECT count(*) FROM visitor_pages WHERE url = $1", hostURL+"/two").Scan(&n) == nil && n == 1
	})
	defer screenshot(t, visitor, "widget-launcher.png")
	widget = openLauncher(t, visitor)
	do(t, widget, "the reply is in the chat", hasText(stored, "Yes, to most of Europe. <b>Which country?</b>"))
	do(t, visitor, "opening cleared the badge and the preview",
		until(`getComputedStyle(document.querySelector("[data-kefu-preview]")).display === "none" &&
			getComputedStyle(document.querySelector("[data-kefu-launcher] span:last-child")).display === "none"`))

	// kefu forgets the visitor's session.
	do(t, visitor, "the visitor closes the chat", chromedp.Click(chromedp.CSS(`button[data-kefu-launcher]`)))
	// An anonymous visitor's token is their row's hash: it no longer matches anything the browser holds.
	if _, err := db.Pool().Exec(ctx, "UPDATE users SET visitor_token_hash = sha256(id::text::bytea) WHERE kind = 'visitor'"); err != nil {
		t.Fatal(err)
	}
	do(t, visitor, "the visitor comes back to the page", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`button[data-kefu-launcher]`)))
	widget = openLauncher(t, visitor)
	do(t, widget, "the widget says the session expired",
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=expired]`)),
		hasText(`[data-testid=expired] p`, "Your chat session has expired."),
		chromedp.WaitNotVisible(chromedp.CSS(composer)),
		chromedp.Click(chromedp.CSS(`[data-testid=start-new]`)),
		chromedp.WaitVisible(chromedp.CSS(composer)),
		chromedp.SendKeys(chromedp.CSS(composer), "Starting over: do you ship to Norway?"),
		chromedp.Click(chromedp.CSS(sendBtn)),
		// Asked once the socket has said what a new chat needs: the answer replaces the fields.
		hasText(`[data-testid=prechat-email-error]`, "Please give your email, so that we can answer you."),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=prechat-email]`), "lee@garden.example"),
		chromedp.Click(chromedp.CSS(sendBtn)),
		hasText(stored, "Starting over: do you ship to Norway?"))
	if got := texts(t, widget, stored); len(got) != 1 {
		t.Fatalf("the new chat shows %q", got)
	}

	// A phone.
	phone := newTab(t, browser)
	do(t, phone, "a phone opens the page",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(hostURL+"/one"),
		chromedp.WaitVisible(chromedp.CSS(`button[data-kefu-launcher]`)))
	screenshot(t, phone, "widget-phone-closed.png")
	pw := openLauncher(t, phone)
	do(t, phone, "the open chat covers the screen; the launcher and the page's scroll are gone",
		until(`(() => { const r = document.querySelector("[data-kefu-frame]").getBoundingClientRect();
			return r.left === 0 && r.top === 0 && r.width === innerWidth && Math.abs(r.height - innerHeight) < 2 &&
				getComputedStyle(document.querySelector("[data-kefu-launcher]")).display === "none" &&
				getComputedStyle(document.documentElement).overflow === "hidden"; })()`))
	// Shown is not yet working: its scripts have run once the widget says it is idle.
	do(t, pw, "its close button is there", chromedp.WaitVisible(chromedp.CSS(`[data-widget-close]`)), widgetIdle())
	screenshot(t, phone, "widget-phone-open.png")
	do(t, pw, "the visitor closes it", chromedp.Click(chromedp.CSS(`[data-widget-close]`)))
	do(t, phone, "the page is back",
		until(`getComputedStyle(document.querySelector("[data-kefu-launcher]")).display !== "none" &&
			getComputedStyle(document.documentElement).overflow !== "hidden"`))
}

// openLauncher clicks the launcher on tab and returns the chat's iframe.
func openLauncher(t *testing.T, tab context.Context) context.Context {
	t.Helper()
	attached := get(t, tab, "the visitor opens the chat", chromedp.WaitEvent(target.AttachedToTarget,
		func(ev target.EventAttachedToTarget) bool { return ev.TargetInfo.Type == "iframe" },
		chromedp.Click(chromedp.CSS(`button[data-kefu-launcher]`))))
	return attachFrame(t, tab, attached.TargetInfo.TargetID)
}
