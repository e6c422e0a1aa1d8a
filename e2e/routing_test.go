package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// The routing test runs a kefu of its own, whose agents go offline
// routingGrace after their console closes and never time out unanswered.
// An open console refreshes its presence three times per grace period;
// under make test's load they once left a gap of over 2 s, which took an
// agent offline with their console open, so the grace is 5 s.
// Its dozen phases each wait stepTimeout at most for what they expect;
// routingTimeout bounds them all, with room for make test's load, under
// which the whole has taken over two minutes.
const (
	routingTimeout = 240 * time.Second
	routingGrace   = 5 * time.Second

	samEmail    = "sam@example.com"
	samPassword = "sam's long password"
)

// Selectors and texts of routing.
const (
	agentState = `[data-testid=state]`
	badge      = `[data-testid=status]`
	// systemLine matches the bodies of stored system lines, in the console and the widget.
	systemLine = `#messages li.system[id^="msg-"] .body`
	// thread matches the bodies of every stored message.
	thread   = `#messages li[data-testid=message][id^="msg-"] .body`
	noOneYet = "No one is available right now. Leave your message here and we will answer as soon as someone is back."
)

// TestRoutingQueueAndHandBack has two agents and three visitors (issue #3):
// waiting visitors see their place in line and see it count down as chats
// are routed, the agents' queue panels follow live, and closing one agent's
// console hands their unanswered chat to the other agent while the chat
// they answered stays theirs. A new chat chimes in the agent's console once
// the agent has used the page, even if one came before.
//
// Every agent has a capacity of 5, so a visitor waits in line only while the
// available agents are full: five filler chats fill the admin first.
func TestRoutingQueueAndHandBack(t *testing.T) {
	t.Parallel() // its own kefu and browser
	ctx, cancel := context.WithTimeout(t.Context(), routingTimeout)
	defer cancel()
	began := time.Now()
	consoleURL, baseURL := startRoutingKefu(t, ctx)
	t.Logf("kefu with Sam started in %v", time.Since(began).Round(time.Millisecond))
	host := hostPage(t, baseURL)
	browser := startBrowser(t, ctx)
	admin, sam := newTab(t, browser), newTab(t, browser)
	// The admin's pages note the state of their audio each time the chime
	// starts: a browser plays nothing in a context that is not running.
	if _, err := chromedp.Call(admin, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `{
			const start = AudioScheduledSourceNode.prototype.start;
			AudioScheduledSourceNode.prototype.start = function (...args) {
				(window.e2eChimes = window.e2eChimes || []).push(this.context.state);
				return start.apply(this, args);
			};
		}`}); err != nil {
		t.Fatal(err)
	}
	phase := time.Now()
	lap := func(what string) {
		t.Logf("%-55s %v", what, time.Since(phase).Round(time.Millisecond))
		phase = time.Now()
	}

	// 1. Both agents sign in. Sam sets away; the admin stays available.
	routingSignIn(t, admin, consoleURL, agentEmail, agentPassword, "Admin")
	routingSignIn(t, sam, consoleURL, samEmail, samPassword, "Sam")
	do(t, admin, "the admin starts available", hasText(agentState, "Available"))
	do(t, sam, "Sam starts available", hasText(agentState, "Available"))
	routingSubmit(t, sam, "Sam sets away", `button[data-testid=set-away]`)
	do(t, sam, "Sam is away",
		hasText(agentState, "Away"),
		chromedp.WaitVisible(chromedp.CSS(`button[data-testid=set-available]`)),
		until(`document.body.dataset.liveState === "open"`),
		chromedp.Evaluate[chromedp.Void](`window.e2eNoReload = true`))
	// The admin's console loads afresh, and the admin leaves it untouched
	// until the first chat comes: the browser plays no sound in it yet.
	do(t, admin, "the admin's console loads afresh", chromedp.Navigate(consoleURL+"/console"))
	waitEval(t, admin, "the admin's console is live", `document.body.dataset.liveState === "open"`)
	do(t, admin, "the admin's console is marked", chromedp.Evaluate[chromedp.Void](`window.e2eNoReload = true`))
	lap("1. agents signed in, Sam away")

	// 2. Five fillers fill the admin's capacity. Each is a new visitor on the
	// widget's own page: clearing its storage forgets the visitor.
	filler := newTab(t, browser)
	fillers := make([]string, 5) // their conversation ids
	for i := range fillers {
		body := fmt.Sprintf("filler %d", i+1)
		do(t, filler, body+" is sent and routed to the admin",
			chromedp.Navigate(baseURL+"/widget"),
			chromedp.WaitVisible(chromedp.CSS(composer)),
			widgetIdle(),
			chromedp.SendKeys(chromedp.CSS(composer), body),
			chromedp.Click(chromedp.CSS(sendBtn)),
			hasText(stored, body),
			hasText(systemLine, "Admin joined the chat."),
			chromedp.Evaluate[chromedp.Void](`(localStorage.clear(), true)`))
		fillers[i] = get(t, filler, "filler conversation id", chromedp.Evaluate[string](
			`document.querySelector("#messages li[data-conversation]").dataset.conversation`))
		// The assignment told the admin, live: the newest toast comes first.
		// Each is checked as it comes, since a toast fades after 12 s; the
		// first by plain script, since polling counts as touching the page.
		if i > 0 {
			do(t, admin, "the admin got a toast for "+body, newestToastIs(fillers[i]))
		}
		if i == 0 {
			// Then the admin clicks in the page: from now on, each new chat chimes.
			waitEval(t, admin, "the first chat's toast, before the admin touched the page", fmt.Sprintf(
				`document.querySelector('#toasts a[href="/console/c/%s"]') !== null && !navigator.userActivation.hasBeenActive`, fillers[0]))
			do(t, admin, "the admin clicks in the console", chromedp.Click(chromedp.CSS(`[data-testid=me]`)))
		}
	}
	do(t, admin, "each toast chimed",
		until(`(window.e2eChimes || []).length >= 8 && window.e2eChimes.every(s => s === "running")`))
	lap("2. five fillers routed to the admin")

	// 3. Three visitors write, in order, and wait in line: 1, 2, 3.
	visitors := []*routingVisitor{{first: "visitor one"}, {first: "visitor two"}, {first: "visitor three"}}
	for i, v := range visitors {
		v.tab, v.widget = openWidget(t, browser, host)
		do(t, v.widget, v.first+" writes",
			chromedp.SendKeys(chromedp.CSS(composer), v.first),
			chromedp.Click(chromedp.CSS(sendBtn)),
			hasText(stored, v.first),
			inLine(i+1))
		v.conv = get(t, v.widget, "visitor conversation id", chromedp.Evaluate[string](
			`document.querySelector("#messages li[data-conversation]").dataset.conversation`))
	}
	for i, v := range visitors {
		do(t, v.widget, v.first+" is still in line", inLine(i+1))
	}
	for _, agent := range []context.Context{admin, sam} {
		do(t, agent, "the queue panel lists the three, oldest first",
			queueIs("1 visitor one", "2 visitor two", "3 visitor three"))
		noReload(t, agent, "to show the queue")
	}
	screenshot(t, visitors[2].tab, "routing-widget.png")
	screenshot(t, admin, "routing-console.png")
	lap("3. three visitors in line")

	// With nobody available, the visitors are told so; then their places come back.
	routingSubmit(t, admin, "the admin sets away", `button[data-testid=set-away]`)
	do(t, admin, "the admin is away", hasText(agentState, "Away"))
	for _, v := range visitors {
		do(t, v.widget, v.first+" hears that nobody is available", hasText(`#queue-status`, noOneYet))
	}
	routingSubmit(t, admin, "the admin sets available", `button[data-testid=set-available]`)
	do(t, admin, "the admin is available", hasText(agentState, "Available"))
	for i, v := range visitors {
		do(t, v.widget, v.first+" is back in line", inLine(i+1))
	}
	lap("3b. away: nobody available; available: back in line")

	// 4. The admin resolves a filler, in place: that frees a place, visitor
	// one gets it, and the others move up. No toast is checked in step 5: a
	// chat routed by the agent's own form post (Set available) is assigned
	// while that post reloads their console, and its toast is lost.
	openConversation(t, admin, consoleURL, fillers[0], "With Admin")
	do(t, admin, "the admin resolves filler 1",
		chromedp.Evaluate[chromedp.Void](`window.e2eNoReload = true`),
		chromedp.Click(chromedp.CSS(`button[data-testid=resolve]`)),
		hasText(badge, "Resolved"))
	do(t, visitors[0].widget, "visitor one gets the admin",
		hasText(systemLine, "Admin joined the chat."), queueStatusEmpty())
	do(t, admin, "the admin is told, in the page they stayed on", toastFor(visitors[0].conv))
	noReload(t, admin, "to resolve")
	do(t, visitors[1].widget, "visitor two moves up to 1", inLine(1))
	do(t, visitors[2].widget, "visitor three moves up to 2", inLine(2))
	do(t, sam, "Sam's queue panel counts down", queueIs("1 visitor two", "2 visitor three"))
	noReload(t, sam, "to count down")
	lap("4. a place frees: visitor one routed, others move up")

	// 5. Sam becomes available with no open chat: Sam gets both, as the admin is full.
	routingSubmit(t, sam, "Sam sets available", `button[data-testid=set-available]`)
	do(t, sam, "Sam is available", hasText(agentState, "Available"))
	for _, v := range visitors[1:] {
		do(t, v.widget, v.first+" gets Sam", hasText(systemLine, "Sam joined the chat."), queueStatusEmpty())
	}
	do(t, sam, "Sam's queue is empty", queueIs(), hasText(`#queue li.empty`, "Nobody is waiting."))
	do(t, admin, "the admin's queue is empty", queueIs(), hasText(`#queue li.empty`, "Nobody is waiting."))
	lap("5. Sam available: visitors two and three routed to Sam")

	// 6. Sam answers visitor two, not visitor three. The admin makes room
	// for one more chat and watches visitor three's.
	two, three := visitors[1], visitors[2]
	openConversation(t, sam, consoleURL, two.conv, "With Sam")
	do(t, sam, "Sam answers visitor two",
		chromedp.SendKeys(chromedp.CSS(composer), "Hi, this is Sam\n"),
		hasText(stored, "Hi, this is Sam"))
	do(t, two.widget, "visitor two reads Sam's answer", hasText(stored, "Hi, this is Sam"))
	openConversation(t, admin, consoleURL, fillers[1], "With Admin")
	do(t, admin, "the admin resolves filler 2",
		chromedp.Click(chromedp.CSS(`button[data-testid=resolve]`)),
		hasText(badge, "Resolved"))
	openConversation(t, admin, consoleURL, three.conv, "With Sam")
	do(t, admin, "the admin watches visitor three's chat",
		hasText(systemLine, "Sam joined the chat."),
		chromedp.Evaluate[chromedp.Void](`window.e2eNoReload = true`))
	lap("6. Sam answered two; the admin has room")

	// Sam closes the console. After the grace period, visitor three's chat
	// goes back to the queue and on to the admin; visitor two's stays Sam's.
	closed := time.Now()
	if err := chromedp.Cancel(sam); err != nil {
		t.Fatalf("closing Sam's console: %v", err)
	}
	do(t, admin, "visitor three's chat goes back to the queue",
		hasText(systemLine, "Sam went offline, so the chat is back in the queue."))
	handBack := time.Since(closed)
	do(t, three.widget, "visitor three gets the admin", hasText(systemLine, "Admin joined the chat."), queueStatusEmpty())
	routed := time.Since(closed)
	t.Logf("hand-back seen %v after Sam's console closed (grace %v); the admin's join %v after", handBack.Round(time.Millisecond),
		routingGrace, routed.Round(time.Millisecond))
	if handBack < routingGrace {
		t.Errorf("the chat went back to the queue %v after Sam's console closed, within the %v grace period", handBack, routingGrace)
	}
	// The visitor is not told how the team shares chats out; the admin is.
	wantThree := []string{"visitor three", "Sam joined the chat.", "Sam went offline, so the chat is back in the queue.", "Admin joined the chat."}
	if got, want := texts(t, three.widget, thread), slices.Delete(slices.Clone(wantThree), 2, 3); !slices.Equal(got, want) {
		t.Errorf("visitor three's thread is\n%q\nwant\n%q", got, want)
	}
	do(t, admin, "the admin sees visitor three come to them, live",
		hasText(systemLine, "Admin joined the chat."),
		toastFor(three.conv))
	if got := texts(t, admin, thread); !slices.Equal(got, wantThree) {
		t.Errorf("the admin's view of visitor three's thread is\n%q\nwant\n%q", got, wantThree)
	}
	noReload(t, admin, "to show the hand-back")
	do(t, admin, "the queue ends empty", queueIs(), hasText(`#queue li.empty`, "Nobody is waiting."))
	do(t, admin, "visitor three is the admin's", chromedp.Reload(), hasText(badge, "With Admin"))
	lap("6b. Sam closed: three handed to the admin")

	// The sweep that handed back visitor three looked at every chat of Sam's,
	// so visitor two's would have gone back with it.
	wantTwo := []string{"visitor two", "Sam joined the chat.", "Hi, this is Sam"}
	if got := texts(t, two.widget, thread); !slices.Equal(got, wantTwo) {
		t.Errorf("visitor two's thread is\n%q\nwant Sam's answered chat untouched:\n%q", got, wantTwo)
	}
	openConversation(t, admin, consoleURL, two.conv, "With Sam")
	if got := texts(t, admin, thread); !slices.Equal(got, wantTwo) {
		t.Errorf("the admin's view of visitor two's thread is\n%q\nwant\n%q", got, wantTwo)
	}
	openConversation(t, admin, consoleURL, visitors[0].conv, "With Admin")
	lap("6c. visitor two still with Sam")
}

// routingVisitor is a visitor on the host page, with the widget open.
type routingVisitor struct {
	first       string // their first message
	tab, widget context.Context
	conv        string // their conversation's id
}

// startRoutingKefu starts a kefu of the test's own, on a fresh data dir,
// with Sam added as an agent before its first start, behind a proxy of its
// own. It returns the console's origin and KEFU_BASE_URL.
func startRoutingKefu(t *testing.T, ctx context.Context) (consoleURL, baseURL string) {
	dir := tempDir(t, "routing")
	data := filepath.Join(dir, "data")

	// `kefu user add` starts the private PostgreSQL, adds Sam and stops it.
	add := exec.CommandContext(ctx, kefuBin, "user", "add", "-email", samEmail, "-name", "Sam", "-agent")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KEFU_") && !strings.HasPrefix(kv, "DATABASE_URL=") {
			add.Env = append(add.Env, kv)
		}
	}
	add.Env = append(add.Env, "KEFU_DATA_DIR="+data, "KEFU_USER_PASSWORD="+samPassword)
	out, err := add.CombinedOutput()
	if err != nil {
		t.Fatalf("kefu user add: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "("+samEmail+"), an agent\n") {
		t.Fatalf("kefu user add did not say it created the agent %s:\n%s", samEmail, out)
	}

	p, err := listenProxy()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	created := "[" + data + "] kefu: created the admin " + agentEmail + "\n"
	before := strings.Count(kefuLog.String(), created)
	stop, addr, err := startKefu(kefuBin, data, p.URL(),
		"KEFU_OFFLINE_GRACE="+routingGrace.String(), "KEFU_ANSWER_TIMEOUT=0")
	if err != nil {
		t.Fatalf("starting a second kefu: %v\nkefu's output:\n%s", err, kefuLog.String())
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stopping the second kefu: %v", err)
		}
	})
	p.Serve(addr)
	// Sam is no admin, so the first start still creates the admin.
	if n := strings.Count(kefuLog.String(), created); n != before+1 {
		t.Fatalf("kefu's first start after `kefu user add` printed %q %d times, want once\nkefu's output:\n%s",
			created, n-before, kefuLog.String())
	}
	return "http://" + addr, p.URL()
}

// routingSignIn signs an agent in and waits for the console, its socket open.
func routingSignIn(t *testing.T, tab context.Context, consoleURL, email, password, name string) {
	t.Helper()
	do(t, tab, name+" signs in",
		chromedp.Navigate(consoleURL+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), email),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
		chromedp.Click(chromedp.CSS(`button[data-testid=login]`)),
		chromedp.WaitVisible(chromedp.CSS(`ul#queue`)),
		hasText(`[data-testid=me]`, name),
		until(`document.body.dataset.liveState === "open"`))
}

// routingSubmit clicks sel, a button that posts a form, and waits for the
// page the post leads to, whose console socket it waits for too.
func routingSubmit(t *testing.T, tab context.Context, what, sel string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(tab, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(sctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if resp.Status != 200 {
		t.Fatalf("%s: the page after the post is %d %s (%s)", what, resp.Status, resp.StatusText, resp.URL)
	}
	do(t, tab, what+": the console is live", until(`document.body.dataset.liveState === "open"`))
}

// openConversation opens conversation id in the console and checks its status badge.
func openConversation(t *testing.T, tab context.Context, consoleURL, id, status string) {
	t.Helper()
	do(t, tab, "open conversation "+id,
		chromedp.Navigate(consoleURL+"/console/c/"+id),
		hasText(badge, status),
		until(`document.body.dataset.liveState === "open"`))
}

// openWidget opens the host page in a tab of its own and the widget on it,
// and returns the tab and the widget's iframe.
func openWidget(t *testing.T, browser context.Context, host string) (tab, widget context.Context) {
	t.Helper()
	tab = newTab(t, browser)
	do(t, tab, "visitor opens the host page",
		chromedp.Navigate(host),
		chromedp.WaitVisible(chromedp.CSS(`h1`)),
		chromedp.WaitVisible(chromedp.CSS(`button[data-kefu-launcher]`)))
	attached := get(t, tab, "visitor opens the widget", chromedp.WaitEvent(target.AttachedToTarget,
		func(ev target.EventAttachedToTarget) bool { return ev.TargetInfo.Type == "iframe" },
		chromedp.Click(chromedp.CSS(`button[data-kefu-launcher]`))))
	// The widget's iframe is cross-site, so Chrome runs it as a target of its own.
	widget = attachFrame(t, tab, attached.TargetInfo.TargetID)
	do(t, widget, "the widget is ready",
		chromedp.WaitVisible(chromedp.CSS(composer)),
		widgetIdle())
	return tab, widget
}

// inLine waits for the widget to show the visitor at place n, with an estimate.
func inLine(n int) chromedp.Action[chromedp.Void] {
	return chromedp.PollFunction[chromedp.Void](
		`(n) => {
			const pos = document.querySelector("#queue-status [data-testid=position]");
			const all = document.getElementById("queue-status").textContent.trim().replace(/\s+/g, " ");
			return pos !== null && pos.textContent.trim() === "You are number " + n + " in line." &&
				/^You are number \d+ in line\. Estimated wait: .+\.$/.test(all);
		}`,
		chromedp.WithPollingArgs(n), chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout))
}

// queueStatusEmpty waits for the widget's queue status to be empty: an agent has the chat.
func queueStatusEmpty() chromedp.Action[chromedp.Void] {
	return until(`document.getElementById("queue-status").textContent.trim() === ""`)
}

// queueIs waits for the console's queue panel to list exactly entries, each
// "<position> <first message>", in order.
func queueIs(entries ...string) chromedp.Action[chromedp.Void] {
	want, _ := json.Marshal(append([]string{}, entries...))
	return chromedp.PollFunction[chromedp.Void](
		`(want) => JSON.stringify(Array.from(document.querySelectorAll("#queue li[data-testid=queued]"),
			li => li.querySelector(".pos").textContent.trim() + " " + li.querySelector(".first").textContent.trim())) === want`,
		chromedp.WithPollingArgs(string(want)), chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout))
}

// newestToastIs waits until the first toast tells the agent conversation
// id is theirs.
func newestToastIs(id string) chromedp.Action[chromedp.Void] {
	return chromedp.PollFunction[chromedp.Void](
		`(href) => {
			const a = document.querySelector("#toasts a[data-testid=toast]");
			return a !== null && a.getAttribute("href") === href && /^New chat for you: Visitor #\d+$/.test(a.textContent.trim());
		}`,
		chromedp.WithPollingArgs("/console/c/"+id), chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout))
}

// toastFor waits for a toast telling the agent conversation id is theirs.
func toastFor(id string) chromedp.Action[chromedp.Void] {
	return chromedp.PollFunction[chromedp.Void](
		`(href) => Array.from(document.querySelectorAll("#toasts a[data-testid=toast]")).some(a =>
			a.getAttribute("href") === href && /^New chat for you: Visitor #\d+$/.test(a.textContent.trim()))`,
		chromedp.WithPollingArgs("/console/c/"+id), chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout))
}

// noReload fails the test if the console reloaded since it was marked.
func noReload(t *testing.T, tab context.Context, what string) {
	t.Helper()
	if !get(t, tab, "no reload", chromedp.Evaluate[bool](`window.e2eNoReload === true`)) {
		t.Fatalf("the console reloaded %s", what)
	}
}
