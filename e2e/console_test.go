package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// consoleNotice is where the console says what an agent's take, resolve or
// transfer came to.
const consoleNotice = `#console-notice`

// consoleTimeout bounds the console test, which drives four tabs.
const consoleTimeout = 3 * time.Minute

// TestConsoleActsInPlace has two agents, each with room for two chats, and
// three waiting visitors. Take, transfer and resolve happen in the page the
// agent is on: it says what came of them, a refusal included, and never
// leaves for an error page. At capacity, the queue panel says so and Take is
// off. An agent taken off customer service lands on the console, told why.
// The users page shows Sam's id with a contact button to copy, and
// disabling Sam asks first.
func TestConsoleActsInPlace(t *testing.T) {
	t.Parallel() // its own kefu and browser
	ctx, cancel := context.WithTimeout(t.Context(), consoleTimeout)
	defer cancel()
	base, samID := startConsoleKefu(t, ctx)
	browser := startBrowser(t, ctx)
	admin, sam, stale, visitor := newTab(t, browser), newTab(t, browser), newTab(t, browser), newTab(t, browser)
	defer screenshot(t, admin, "console-admin.png")
	defer screenshot(t, stale, "console-stale.png")

	// Both agents are away: the visitors wait in the queue for a take by hand.
	routingSignIn(t, admin, base, agentEmail, agentPassword, "Admin")
	routingSignIn(t, sam, base, samEmail, samPassword, "Sam")
	routingSubmit(t, admin, "the admin sets away", `button[data-testid=set-away]`)
	routingSubmit(t, sam, "Sam sets away", `button[data-testid=set-away]`)
	bodies := []string{"visitor one", "visitor two", "visitor three"}
	convs, tokens := make([]string, len(bodies)), make([]string, len(bodies))
	for i, body := range bodies {
		do(t, visitor, body+" writes",
			chromedp.Navigate(base+"/widget"),
			chromedp.WaitVisible(chromedp.CSS(composer)),
			widgetIdle(),
			chromedp.SendKeys(chromedp.CSS(composer), body),
			chromedp.Click(chromedp.CSS(sendBtn)),
			hasText(stored, body))
		convs[i] = get(t, visitor, body+"'s conversation id", chromedp.Evaluate[string](
			`document.querySelector("#messages li[data-conversation]").dataset.conversation`))
		// The next visitor is another: the widget forgets this one, whom the test remembers.
		tokens[i] = get(t, visitor, body+" is forgotten", chromedp.Evaluate[string](
			`(() => { const t = localStorage.getItem("kefu.visitor"); localStorage.clear(); return t; })()`))
	}
	one, two, three := convs[0], convs[1], convs[2]
	takeBtn := func(id string) string { return fmt.Sprintf(`#queued-%s button[data-testid=take]`, id) }
	do(t, admin, "the admin's queue lists the three",
		queueIs("1 visitor one", "2 visitor two", "3 visitor three"),
		chromedp.Evaluate[chromedp.Void](`window.e2eNoReload = true`))

	// Sam's second console gets no live updates: in that tab, WebSockets
	// never connect, as behind a proxy that drops them. Its queue panel stays
	// as it was when it loaded.
	if _, err := chromedp.Call(stale, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.WebSocket = class { constructor() { this.readyState = 0; } send() {} close() {} };`}); err != nil {
		t.Fatal(err)
	}
	do(t, stale, "Sam opens a second console, which stays as it loaded",
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), samEmail),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), samPassword),
		chromedp.Click(chromedp.CSS(`button[data-testid=login]`)),
		chromedp.WaitVisible(chromedp.CSS(`ul#queue`)),
		queueIs("1 visitor one", "2 visitor two", "3 visitor three"),
		until(`document.body.dataset.liveState === "connecting"`),
		chromedp.Evaluate[chromedp.Void](`window.e2eNoReload = true`))

	// The admin takes two chats. The console stays, says each is theirs, and
	// the queue moves; then it says they are at capacity, with Take off.
	do(t, admin, "the admin takes visitor one's chat",
		clickLive(takeBtn(one)),
		hasText(consoleNotice, "The chat is yours. Open it"),
		until(fmt.Sprintf(`document.querySelector("[data-testid=open-taken]").getAttribute("href") === "/console/c/%s"`, one)),
		queueIs("1 visitor two", "2 visitor three"))
	do(t, admin, "the admin takes visitor two's chat, and is at capacity",
		clickLive(takeBtn(two)),
		queueIs("1 visitor three"),
		hasText(`[data-testid=at-capacity]`, "At capacity (2 open chats, capacity 2): resolve a chat to take another."),
		until(`document.querySelector("#queue button[data-testid=take]").disabled`))
	noReload(t, admin, "to take chats")
	do(t, sam, "Sam's live console follows", queueIs("1 visitor three"))

	// Sam's stale console still offers visitor two's chat. Take says, in the
	// page, that someone was first.
	do(t, stale, "Sam takes visitor two's chat from the stale console",
		clickLive(takeBtn(two)),
		hasText(consoleNotice+".refusal", "Another agent took this chat first."),
		until(`location.pathname === "/console"`))
	do(t, stale, "visitor three's chat is Sam's to take",
		clickLive(takeBtn(three)),
		hasText(consoleNotice, "The chat is yours. Open it"))
	noReload(t, stale, "to refuse a take")
	do(t, sam, "the queue is empty", queueIs(), hasText(`#queue li.empty`, "Nobody is waiting."))

	// The admin hands visitor one's chat to Sam, with a note, in place.
	openConversation(t, admin, base, one, "With Admin")
	do(t, admin, "the admin transfers visitor one's chat to Sam",
		chromedp.Evaluate[chromedp.Void](`window.e2eNoReload = true`),
		chromedp.SetValue(chromedp.CSS(`select[data-testid=transfer-to]`), samID),
		chromedp.SendKeys(chromedp.CSS(`form.transfer input[name=note]`), "Prefers email"),
		chromedp.Click(chromedp.CSS(`button[data-testid=transfer]`)),
		hasText(badge, "With Sam"),
		hasText(consoleNotice, "Transferred to Sam."),
		hasText(`#messages li.note .body`, "Prefers email"),
		// Sam has it now, and there is nobody else to hand it to: Transfer goes, Resolve stays.
		until(`document.querySelector("form.transfer") === null && document.querySelector("[data-testid=resolve]") !== null`))
	noReload(t, admin, "to transfer")

	// And resolves visitor two's: the badge says so, and the actions go.
	openConversation(t, admin, base, two, "With Admin")
	do(t, admin, "the admin resolves visitor two's chat",
		chromedp.Evaluate[chromedp.Void](`window.e2eNoReload = true`),
		chromedp.Click(chromedp.CSS(`button[data-testid=resolve]`)),
		hasText(badge, "Resolved"),
		hasText(consoleNotice, "The chat is resolved."),
		hasText(systemLine, "Admin marked the chat resolved."),
		until(`document.querySelector("[data-testid=resolve]") === null && document.querySelector("[data-testid=transfer-to]") === null`))
	noReload(t, admin, "to resolve")

	// Visitor two writes again. In the admin's page, the chat is back in the
	// queue, with its actions, and the notice that it is resolved goes. The
	// admin takes it there: it is theirs, without a way to open what is open.
	do(t, visitor, "visitor two writes again",
		chromedp.Navigate(base+"/widget"),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`localStorage.setItem("kefu.visitor", %q)`, tokens[1])),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(composer)),
		hasText(stored, "visitor two"),
		chromedp.SendKeys(chromedp.CSS(composer), "visitor two again"),
		chromedp.Click(chromedp.CSS(sendBtn)),
		hasText(stored, "visitor two again"))
	do(t, admin, "the chat is back in the queue, in the admin's page",
		hasText(badge, "Waiting in the queue"),
		queueIs("1 visitor two again"),
		until(`document.querySelector("#console-notice").textContent.trim() === ""`),
		until(`document.querySelector("[data-testid=resolve]") !== null && document.querySelector("[data-testid=transfer-to]") !== null`))
	do(t, admin, "the admin takes it on its page",
		clickLive(takeBtn(two)),
		hasText(consoleNotice, "The chat is yours."),
		hasText(badge, "With Admin"),
		until(`document.querySelector("[data-testid=open-taken]") === null && document.querySelector("[data-testid=resolve]") !== null`),
		queueIs())
	noReload(t, admin, "when the chat came back, and to take it")

	// Sam has visitor one's chat open when the admin takes Sam off customer
	// service. Sam's console reloads, and lands on the console, told why.
	openConversation(t, sam, base, one, "With Sam")
	do(t, admin, "the admin takes Sam off customer service",
		chromedp.Navigate(base+"/admin/settings"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[data-testid=agent-pick][value="%s"]`, samID))),
		until(fmt.Sprintf(`!document.querySelector('input[data-testid=agent-pick][value="%s"]').checked`, samID)))
	reloaded := loadsNext(t, sam)
	submit(t, admin, "the admin saves customer service", `[data-testid=save-agents]`, 200)
	reloaded("Sam's console reloads")
	do(t, sam, "Sam is back on the console, told why",
		until(`location.pathname === "/console"`),
		hasText(consoleNotice, "You are no longer customer service, so that chat is closed to you."),
		until(`document.getElementById("queue") === null`))
	screenshot(t, sam, "console-no-longer-agent.png")

	// Disabling Sam asks first. Cancelled, nothing happens; confirmed, Sam is
	// disabled, and signed out.
	samRow := fmt.Sprintf(`tr[data-user-id="%s"]`, samID)
	do(t, admin, "the admin opens the users page",
		chromedp.Navigate(base+"/admin/users"),
		hasText(samRow+` [data-testid=user-status]`, "Active"),
		chromedp.Evaluate[chromedp.Void](`window.e2eNoReload = true`))
	// Sam's id is on the page, with the contact button ready to copy.
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(admin, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: name}, Setting: cdpbrowser.PermissionSettingGranted,
			Origin: base, BrowserContextID: chromedp.FromContext(admin).BrowserContextID}); err != nil {
			t.Fatal(err)
		}
	}
	snippet := fmt.Sprintf(`<button data-kefu-to="%s">Contact Sam</button>`, samID)
	do(t, admin, "the admin copies Sam's contact button",
		hasText(samRow+` [data-testid=user-id]`, samID),
		chromedp.Click(chromedp.CSS(samRow+` details.snippet summary`)),
		hasText(samRow+` [data-testid=snippet]`, snippet),
		chromedp.Click(chromedp.CSS(samRow+` button[data-testid=copy-snippet]`)),
		hasText(samRow+` button[data-testid=copy-snippet]`, "Copied"))
	if got := get(t, admin, "the clipboard", chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise)); got != snippet {
		t.Fatalf("the clipboard holds %q, want %q", got, snippet)
	}
	screenshot(t, admin, "console-admin-users.png")

	askDisable := "Disable Sam? Sam is signed out everywhere at once and cannot sign in until enabled again."
	if asked := answerConfirm(t, admin, "the admin cancels disabling Sam", samRow+` button[data-testid=disable]`, false); asked != askDisable {
		t.Fatalf("disabling Sam asked %q, want %q", asked, askDisable)
	}
	do(t, admin, "Sam is still active", hasText(samRow+` [data-testid=user-status]`, "Active"))
	noReload(t, admin, "after a cancelled disable")
	signedOut := loadsNext(t, sam)
	if asked := answerConfirm(t, admin, "the admin disables Sam", samRow+` button[data-testid=disable]`, true); asked != askDisable {
		t.Fatalf("disabling Sam asked %q, want %q", asked, askDisable)
	}
	do(t, admin, "Sam is disabled",
		hasText(`[data-testid=notice]`, "Sam is disabled and signed out everywhere."),
		hasText(samRow+` [data-testid=user-status]`, "Disabled"))
	signedOut("Sam's console goes to the sign-in page")
	do(t, sam, "Sam is signed out", until(`location.pathname === "/login"`))
}

// loadsNext starts listening for tab's next page load; the func it returns
// waits for it, so that a check after it never runs in the page that goes.
func loadsNext(t *testing.T, tab context.Context) func(what string) {
	ctx, cancel := context.WithTimeout(tab, stepTimeout)
	loads := chromedp.Events(ctx, page.LoadEventFired)
	return func(what string) {
		t.Helper()
		defer cancel()
		for _, err := range loads {
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			return
		}
		t.Fatalf("%s: no page loaded", what)
	}
}

// answerConfirm clicks sel, whose form asks with confirm(), answers it
// (accept: OK, and then waits for the page the form leads to), and returns
// what it asked.
func answerConfirm(t *testing.T, tab context.Context, what, sel string, accept bool) string {
	t.Helper()
	dctx, cancel := context.WithTimeout(tab, stepTimeout)
	defer cancel()
	asked := make(chan string, 1)
	dialogs := chromedp.Events(dctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err == nil {
				asked <- ev.Message
				_, _ = chromedp.Call(dctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: accept})
			}
			return
		}
	}()
	if accept {
		resp, err := chromedp.RunResponse(dctx, chromedp.Click(chromedp.CSS(sel)))
		if err != nil || resp.Status != 200 {
			t.Fatalf("%s: %v %v", what, resp, err)
		}
	} else {
		do(t, tab, what, chromedp.Click(chromedp.CSS(sel)))
	}
	select {
	case m := <-asked:
		return m
	case <-dctx.Done():
		t.Fatalf("%s: nothing was asked", what)
		return ""
	}
}

// startConsoleKefu starts a kefu of the test's own, on a fresh data dir and database,
// with Sam added as an agent before its first start and room for two chats
// per agent. It returns kefu's origin and Sam's user id.
func startConsoleKefu(t *testing.T, ctx context.Context) (base, samID string) {
	dir := tempDir(t, "console")
	data := filepath.Join(dir, "data")
	settings := filepath.Join(dir, "config.json")
	if err := os.WriteFile(settings, []byte(`{"default_capacity": 2}`), 0o644); err != nil {
		t.Fatal(err)
	}
	add := exec.CommandContext(ctx, kefuBin, "user", "add", "-email", samEmail, "-name", "Sam", "-agent")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KEFU_") && !strings.HasPrefix(kv, "DATABASE_URL=") {
			add.Env = append(add.Env, kv)
		}
	}
	db := "DATABASE_URL=" + ownDatabase(t, ctx)
	add.Env = append(add.Env, "KEFU_DATA_DIR="+data, "KEFU_USER_PASSWORD="+samPassword, "KEFU_CONFIG="+settings, db)
	out, err := add.CombinedOutput()
	m := createdRe.FindSubmatch(out)
	if err != nil || m == nil || !strings.Contains(string(out), ", an agent") {
		t.Fatalf("kefu user add: %v\n%s", err, out)
	}
	stop, addr, err := startKefu(kefuBin, data, "", "KEFU_CONFIG="+settings, "KEFU_ANSWER_TIMEOUT=0", db)
	if err != nil {
		t.Fatalf("starting kefu: %v\nkefu's output:\n%s", err, kefuLog.String())
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stopping kefu: %v", err)
		}
	})
	return "http://" + addr, string(m[1])
}
