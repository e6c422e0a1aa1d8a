package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// stepTimeout bounds every wait of the test; testTimeout bounds it all.
const (
	stepTimeout = 15 * time.Second
	testTimeout = 90 * time.Second
)

// Selectors shared by the console and the widget.
const (
	composer = `textarea[data-testid=composer]`
	sendBtn  = `button[data-testid=send]`
	// stored matches the bodies of messages the server has stored, not pending ones.
	stored = `#messages li[data-testid=message][id^="msg-"] .body`
)

// TestVisitorAndAgentChatLive has a visitor on a third-party site chat with an
// agent in the console, both live, and checks that the messages the visitor
// missed while offline arrive once each, in order, after the reconnect.
func TestVisitorAndAgentChatLive(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	host := hostPage(t, widgetProxy.URL())
	browser := startBrowser(t, ctx)
	agent := newTab(t, browser)
	// Screenshots are saved whether the test passes or fails, while the browser still runs.
	defer screenshot(t, agent, "console.png")

	// The agent signs in and waits on the console, its socket open.
	do(t, agent, "agent signs in",
		chromedp.Navigate(kefuURL+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), agentEmail),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), agentPassword),
		chromedp.Click(chromedp.CSS(`button[data-testid=login]`)),
		chromedp.WaitVisible(chromedp.CSS(`ul#conversation-list`)),
		until(`document.body.dataset.liveState === "open"`),
		// A reload would lose this mark: the list must change without one.
		chromedp.Evaluate[chromedp.Void](`window.e2eNoReload = true`))
	if loc := get(t, agent, "console URL", chromedp.Location()); loc != kefuURL+"/console" {
		t.Fatalf("after signing in the agent is at %s, want %s/console", loc, kefuURL)
	}

	// The visitor opens the host page and the widget, and writes.
	visitor, widget := openWidget(t, browser, host)
	defer screenshot(t, visitor, "widget.png")
	var frames lockedBuffer // what the widget's socket carried, for a failing test
	if err := chromedp.Listen(widget, func(ev any) {
		switch ev := ev.(type) {
		case *network.EventWebSocketFrameSent:
			fmt.Fprintf(&frames, "sent %s\n", ev.Response.PayloadData)
		case *network.EventWebSocketFrameReceived:
			fmt.Fprintf(&frames, "received %s\n", ev.Response.PayloadData)
		case *network.EventWebSocketClosed:
			fmt.Fprintln(&frames, "closed")
		}
	}); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if t.Failed() {
			t.Logf("the widget's socket frames:\n%s", frames.String())
		}
	}()
	if loc := get(t, widget, "widget URL", chromedp.Location()); loc != widgetProxy.URL()+"/widget" {
		t.Fatalf("the widget's iframe is at %s, want %s/widget", loc, widgetProxy.URL())
	}
	do(t, widget, "visitor writes",
		chromedp.WaitVisible(chromedp.CSS(composer)),
		widgetIdle(),
		chromedp.SendKeys(chromedp.CSS(composer), "Hello from the visitor"),
		chromedp.Click(chromedp.CSS(sendBtn)),
		hasText(stored, "Hello from the visitor"))

	// The conversation appears in the console without a reload; the agent opens it.
	do(t, agent, "conversation appears live",
		hasText(`#conversation-list li[data-testid=conversation] [data-testid=preview]`, "Hello from the visitor"))
	if !get(t, agent, "no reload", chromedp.Evaluate[bool](`window.e2eNoReload === true`)) {
		t.Fatal("the console reloaded to show the new conversation")
	}
	convID := get(t, agent, "conversation id", chromedp.Evaluate[string](
		`document.querySelector("#conversation-list li[data-testid=conversation]").id`))
	// The list item may be re-rendered by a live update at any moment, so
	// the agent follows its link rather than clicking a node that may go.
	href := get(t, agent, "conversation link", chromedp.Evaluate[string](`document.querySelector("#`+convID+` a").getAttribute("href")`))
	rctx, rcancel := context.WithTimeout(agent, stepTimeout)
	defer rcancel()
	if _, err := chromedp.RunResponse(rctx, chromedp.Navigate(kefuURL+href)); err != nil {
		t.Fatalf("agent opens %s: %v", convID, err)
	}
	do(t, agent, "agent reads and replies",
		hasText(stored, "Hello from the visitor"),
		until(`document.body.dataset.liveState === "open"`),
		chromedp.SendKeys(chromedp.CSS(composer), "Hi, this is the agent"),
		chromedp.Click(chromedp.CSS(sendBtn)),
		hasText(stored, "Hi, this is the agent"))
	do(t, widget, "visitor sees the reply live",
		hasText(stored, "Hi, this is the agent"),
		until(`document.body.dataset.liveState === "open" && document.getElementById("status").textContent === ""`))

	// The visitor's network drops while the agent writes three messages.
	widgetProxy.Cut()
	do(t, widget, "widget notices the drop",
		until(`document.body.dataset.liveState === "closed" && document.getElementById("status").textContent === "Connection lost. Reconnecting…"`))
	missed := []string{"missed 1", "missed 2", "missed 3"}
	for _, m := range missed {
		// Enter sends, as the composer's placeholder says.
		do(t, agent, "agent sends "+m, chromedp.SendKeys(chromedp.CSS(composer), m+"\n"), hasText(stored, m))
	}
	if got := texts(t, widget, stored); slices.Contains(got, "missed 1") {
		t.Fatalf("the widget got a message through a cut network: %q", got)
	}
	widgetProxy.Restore()
	do(t, widget, "widget catches up",
		hasText(stored, "missed 3"),
		until(`document.body.dataset.liveState === "open"`))
	// Frames arrive in order on one socket, so once this one is shown any
	// duplicate from the replay would be shown too.
	do(t, agent, "agent sends after the reconnect", chromedp.SendKeys(chromedp.CSS(composer), "welcome back\n"), hasText(stored, "welcome back"))
	do(t, widget, "widget gets the live message", hasText(stored, "welcome back"))

	// The admin is the only agent online, so routing gives them the chat at once, and says so.
	want := append(append([]string{"Hello from the visitor", "Admin joined the chat.", "Hi, this is the agent"}, missed...), "welcome back")
	if got := texts(t, widget, `#messages li[data-testid=message] .body`); !slices.Equal(got, want) {
		t.Errorf("the widget's thread is\n%q\nwant each message once, in order:\n%q", got, want)
	}
	if got := texts(t, agent, `#messages li[data-testid=message] .body`); !slices.Equal(got, want) {
		t.Errorf("the console's thread is\n%q\nwant\n%q", got, want)
	}
}

// hostPage serves a third-party site that embeds the widget from kefuOrigin,
// and returns its URL on localhost, a different origin from 127.0.0.1.
func hostPage(t *testing.T, kefuOrigin string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Acme Garden Tools</title></head>
<body style="font-family: Georgia, serif; margin: 48px; background: #f6f3ea">
<h1>Acme Garden Tools</h1>
<p>Spades, rakes and watering cans since 1962. Questions? Chat with us.</p>
<script src="%s/widget.js" async></script>
</body></html>`, kefuOrigin)
	}))
	t.Cleanup(srv.Close)
	return strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/"
}

// startBrowser returns a browser for one test, which ends with ctx: the
// package's shared Chromium, or, when the test gives opts (a language, say),
// a Chromium of its own with opts after kefu's defaults. Starting Chromium
// costs more than most steps of a test, and every tab the tests open has a
// browser context of its own (newTab), so sharing one keeps tests apart.
func startBrowser(t *testing.T, ctx context.Context, opts ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	if len(opts) > 0 {
		return launchBrowser(t, ctx, opts...)
	}
	shared.once.Do(func() {
		// The shared browser outlives every test; TestMain stops it.
		shared.ctx, shared.err = launch(context.Background(), &shared.stop)
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	// Tabs opened in browser close when the test's ctx ends, as they did
	// when each test had its own browser.
	browser, cancel := context.WithCancel(shared.ctx)
	stop := context.AfterFunc(ctx, cancel)
	t.Cleanup(func() { stop(); cancel() })
	return browser
}

// shared is the package's Chromium, started by the first test that asks.
var shared struct {
	once sync.Once
	ctx  context.Context
	err  error
	stop []context.CancelFunc // in the order to call them
}

// stopSharedBrowser stops the shared Chromium, if a test started it.
func stopSharedBrowser() {
	for _, stop := range shared.stop {
		stop()
	}
}

// launchBrowser starts a Chromium of the test's own, which ends with ctx.
func launchBrowser(t *testing.T, ctx context.Context, opts ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	var stops []context.CancelFunc
	t.Cleanup(func() {
		for _, stop := range stops {
			stop()
		}
	})
	browser, err := launch(ctx, &stops, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return browser
}

// launch starts a headless Chromium whose life ends with ctx, and appends to
// stops what stops it. opts come after kefu's defaults.
func launch(ctx context.Context, stops *[]context.CancelFunc, opts ...chromedp.ExecAllocatorOption) (context.Context, error) {
	path, err := exec.LookPath("chromium")
	if err != nil {
		return nil, fmt.Errorf("no chromium on PATH (%v): `make test` installs it", err)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, append([]chromedp.ExecAllocatorOption{chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
		// Sound only after the person has used the page, as desktop browsers do.
		chromedp.Flag("autoplay-policy", "document-user-activation-required"),
		chromedp.WindowSize(1280, 800)}, opts...)...) // and a fresh user data dir that chromedp removes
	browser, cancelBrowser := chromedp.NewContext(alloc)
	*stops = append(*stops, cancelBrowser, cancelAlloc)
	// The first run starts the browser; it lives as long as ctx.
	if err := chromedp.Do(browser); err != nil {
		return nil, fmt.Errorf("starting %s: %v", path, err)
	}
	return browser, nil
}

// newTab opens a tab in a browser context of its own: no shared cookies or storage.
func newTab(t *testing.T, browser context.Context) context.Context {
	tab, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(tab); err != nil { // no timeout: the tab lives as long as this run's context
		t.Fatalf("opening a tab: %v", err)
	}
	return tab
}

// attachFrame returns a context whose actions run inside the cross-site iframe id.
func attachFrame(t *testing.T, tab context.Context, id target.ID) context.Context {
	frame, cancel := chromedp.NewContext(tab, chromedp.WithTargetID(id), chromedp.WithDetachOnCancel())
	t.Cleanup(cancel)
	if err := chromedp.Do(frame); err != nil {
		t.Fatalf("attaching to the widget's iframe: %v", err)
	}
	return frame
}

// do runs steps in ctx within stepTimeout, and fails the test with the page if one fails.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	get(t, ctx, what, chromedp.Steps(steps...))
}

// get runs a in ctx within stepTimeout and returns its value; if a fails, it
// fails the test with the page's HTML and kefu's output.
func get[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		page, _ := chromedp.Run(dctx, chromedp.Evaluate[string](`document.body ? document.body.outerHTML : ""`))
		t.Fatalf("%s: %v\nthe page is:\n%s\nkefu's output:\n%s", what, err, page, kefuLog.String())
	}
	return v
}

// until waits for the JavaScript expression to be true.
func until(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout))
}

// clickLive clicks sel in one step with finding it. Lists that the server
// draws again (the queue, the inbox, the widget's home) may replace a node
// between its finding and a mouse click on it, and the click then waits for
// a node that is gone.
func clickLive(sel string) chromedp.Action[chromedp.Void] {
	return until(fmt.Sprintf(`(b => !!b && (b.click(), true))(document.querySelector(%q))`, sel))
}

// widgetIdle waits for a new visitor's widget to be ready: it opens no
// socket until they write, and says nothing about it.
func widgetIdle() chromedp.Action[chromedp.Void] {
	return until(`document.body.dataset.liveState === "idle" && document.getElementById("status").textContent === ""`)
}

// hasText waits for an element matching sel whose trimmed text is text.
func hasText(sel, text string) chromedp.Action[chromedp.Void] {
	return chromedp.PollFunction[chromedp.Void](
		`(sel, text) => Array.from(document.querySelectorAll(sel)).some(e => e.textContent.trim() === text)`,
		chromedp.WithPollingArgs(sel, text), chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout))
}

// texts returns the trimmed texts of the elements matching sel, in document order.
func texts(t *testing.T, ctx context.Context, sel string) []string {
	t.Helper()
	return get(t, ctx, "texts of "+sel, chromedp.Evaluate[[]string](
		fmt.Sprintf(`Array.from(document.querySelectorAll(%q), e => e.textContent.trim())`, sel)))
}

// screenshot saves a full-page PNG of the tab to artifacts/name. It only
// reports errors, since it also runs after a failure.
func screenshot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err == nil {
		err = os.MkdirAll("artifacts", 0o755)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join("artifacts", name), png, 0o644)
	}
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
	}
}
