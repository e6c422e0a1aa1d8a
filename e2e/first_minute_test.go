package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
)

// TestWidgetFirstMinute: a new visitor's widget opens on the site's
// greeting as the thread's first bubble, from the site, with the pre-chat
// step above the composer. A bad email is refused beside its field, with
// the message kept; mended, it goes with the message, and the step is gone,
// for good: after a reload too, the server says so. The greeting stays
// first throughout.
func TestWidgetFirstMinute(t *testing.T) {
	t.Parallel() // its own kefu and browser
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	base, db, _ := kefuOnOwnDatabase(t, ctx, "first-minute")
	var siteID int64
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Garden shop</title></head>
<body style="margin: 48px">
<h1>Garden shop</h1>
<script src="%s/widget.js" data-site="%d" async></script>
</body></html>`, base, siteID)
	}))
	t.Cleanup(host.Close)
	hostURL := strings.Replace(host.URL, "127.0.0.1", "localhost", 1) + "/"
	site, err := db.CreateSite(ctx, 0, chat.Site{Name: "Garden shop", Origins: []string{strings.TrimSuffix(hostURL, "/")},
		Greeting: "Welcome to the garden shop! Ask us about seeds.", PrechatName: chat.FieldRequired, PrechatEmail: chat.FieldRequired}, auth.NewToken())
	if err != nil {
		t.Fatal(err)
	}
	siteID = site.ID

	browser := startBrowser(t, ctx)
	visitor, widget := openWidget(t, browser, hostURL)
	defer screenshot(t, visitor, "widget-first-minute.png")
	greetingFirst := until(`(() => {
		const first = document.getElementById("messages").firstElementChild;
		return first !== null && first.dataset.testid === "greeting" &&
			first.querySelector(".who").textContent.trim() === "Garden shop" &&
			first.querySelector(".body").textContent.trim() === "Welcome to the garden shop! Ask us about seeds.";
	})()`)
	do(t, widget, "the greeting is the first bubble, from the site, and the step is above the composer",
		greetingFirst,
		chromedp.WaitVisible(chromedp.CSS(`#prechat [data-testid=prechat-name]`)),
		chromedp.WaitVisible(chromedp.CSS(`#prechat [data-testid=prechat-email]`)),
		hasText(`#prechat .prechat-lead`, "Before we start, tell us how to reach you. It goes with your first message."),
		until(`document.getElementById("prechat").getBoundingClientRect().bottom <= document.querySelector("textarea[data-testid=composer]").getBoundingClientRect().top`))

	const first = "Do you sell tomato seeds?"
	do(t, widget, "the visitor writes with a bad email",
		chromedp.SendKeys(chromedp.CSS(`[data-testid=prechat-name]`), "Lee"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=prechat-email]`), "lee@"),
		chromedp.SendKeys(chromedp.CSS(composer), first),
		chromedp.Click(chromedp.CSS(sendBtn)),
		hasText(`[data-testid=prechat-email-error]`, "That email address does not look right."),
		until(`document.querySelector("[data-testid=prechat-email]").getAttribute("aria-invalid") === "true"`),
		until(`document.activeElement === document.querySelector("[data-testid=prechat-email]")`),
		composerHolds(first))
	if got := texts(t, widget, `[data-testid=composer-error]`); len(got) != 1 || got[0] != "" {
		t.Errorf("the refusal is said under the composer too: %q", got)
	}

	do(t, widget, "the visitor mends the email and sends",
		chromedp.SendKeys(chromedp.CSS(`[data-testid=prechat-email]`), "garden.example"),
		until(`document.querySelector("[data-testid=prechat-email-error]").textContent === ""`),
		chromedp.Click(chromedp.CSS(sendBtn)),
		hasText(stored, first),
		until(`document.querySelectorAll("#prechat *").length === 0 && document.getElementById("prechat").offsetHeight === 0`),
		greetingFirst)
	var name, email string
	if err := db.Pool().QueryRow(ctx, "SELECT display_name(u), u.email FROM users u WHERE kind = 'visitor'").Scan(&name, &email); err != nil || name != "Lee" || email != "lee@garden.example" {
		t.Fatalf("the visitor is %q <%s> (%v), want Lee <lee@garden.example>", name, email, err)
	}

	// The page, loaded again, asks every new visitor; the server's resume
	// takes the step away, and the thread comes back after the greeting.
	widget = reopenWidget(t, visitor)
	do(t, widget, "after a reload, the thread is back and the step stays gone",
		hasText(stored, first),
		until(`document.body.dataset.liveState === "open"`),
		until(`document.querySelectorAll("#prechat input").length === 0 && document.getElementById("prechat").offsetHeight === 0`),
		greetingFirst)
	if got := texts(t, widget, `#messages li.msg .body`); len(got) < 2 || got[0] != "Welcome to the garden shop! Ask us about seeds." || got[1] != first {
		t.Errorf("the widget's thread after a reload: %q", got)
	}
}
