package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
)

// TestComposerDraftCannedNoteAndKeys follows an agent through the
// composer's round of use:
//
//  1. An admin keeps a shared canned response with placeholders; the
//     agent keeps one of their own.
//  2. The agent opens a chat (the composer has the focus) and types: the
//     draft is kept by the server, and on another device (another browser
//     context, signed in afresh) the composer holds it.
//  3. There, "/" opens the canned responses; the arrows and Enter insert
//     one, its placeholders filled in from the chat; Escape closes the list.
//     The reply is sent, and the draft with it.
//  4. The agent switches to Private note and writes one: agents see it as
//     a note; the visitor's widget never shows it, live or reopened.
//  5. "?" lists the keyboard shortcuts when no text field has the focus;
//     Escape closes the list. The box grows with its text.
func TestComposerDraftCannedNoteAndKeys(t *testing.T) {
	t.Parallel() // its own kefu and browser
	ctx, cancel := context.WithTimeout(t.Context(), 3*testTimeout)
	defer cancel()
	base, db, _ := kefuOnOwnDatabase(t, ctx, "canned")
	admin, _, err := db.MemberByEmail(ctx, agentEmail)
	if err != nil {
		t.Fatal(err)
	}
	var siteID int64
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Garden plugins</title></head>
<body style="font-family: Georgia, serif; margin: 48px">
<h1>Garden plugins</h1>
<script src="%s/widget.js" data-site="%d" async></script>
</body></html>`, base, siteID)
	}))
	t.Cleanup(host.Close)
	hostURL := strings.Replace(host.URL, "127.0.0.1", "localhost", 1) + "/"
	site, err := db.CreateSite(ctx, admin.ID, chat.Site{Name: "Garden plugins", Origins: []string{strings.TrimSuffix(hostURL, "/")}}, auth.NewToken())
	if err != nil {
		t.Fatal(err)
	}
	siteID = site.ID

	browser := startBrowser(t, ctx)
	agent := newTab(t, browser)
	signIn(t, agent, base, agentEmail, agentPassword)

	// 1. The shared response, on the admin page; the agent's own, on theirs.
	do(t, agent, "the admin adds a shared canned response",
		chromedp.Navigate(base+"/admin/canned"),
		chromedp.SendKeys(chromedp.CSS(`section.card [data-testid=canned-shortcut]`), "hi"),
		chromedp.SendKeys(chromedp.CSS(`section.card [data-testid=canned-body]`), "Hi {{visitor.name}}, this is {{agent.name}} from {{site.name}}."))
	submit(t, agent, "add the shared response", `[data-testid=create-canned]`, 200)
	do(t, agent, "the shared response is listed", hasText(`[data-testid=notice]`, "/hi is saved."))
	do(t, agent, "the agent adds a canned response of their own",
		chromedp.Navigate(base+"/console/canned"),
		chromedp.SendKeys(chromedp.CSS(`section.card [data-testid=canned-shortcut]`), "thanks"),
		chromedp.SendKeys(chromedp.CSS(`section.card [data-testid=canned-body]`), "Thanks, {{visitor.name}}!"))
	submit(t, agent, "add the agent's own response", `[data-testid=create-canned]`, 200)
	do(t, agent, "the agent's response is listed", hasText(`[data-testid=notice]`, "/thanks is saved."))

	// A visitor writes; kefu knows their name.
	visitor, widget := openWidget(t, browser, hostURL)
	write(t, widget, "Hello")
	do(t, widget, "the first message is stored", hasText(stored, "Hello"), composerHolds(""))
	var convID int64
	if err := db.Pool().QueryRow(ctx, "UPDATE users SET name = 'Mei' WHERE kind = 'visitor' RETURNING (SELECT id FROM conversations WHERE kind = 'support')").Scan(&convID); err != nil {
		t.Fatal(err)
	}
	chatURL := fmt.Sprintf("%s/console/c/%d", base, convID)

	// 2. The draft: typed here, kept by the server, restored on another device.
	do(t, agent, "the agent opens the chat, the composer focused",
		chromedp.Navigate(chatURL),
		hasText(stored, "Hello"),
		until(`document.body.dataset.liveState === "open"`),
		until(`document.activeElement === document.querySelector("textarea[data-testid=composer]")`),
		chromedp.KeyEvent("About your rain gauge order"))
	draft := func() (body string) {
		_ = db.Pool().QueryRow(ctx, "SELECT coalesce((SELECT body FROM drafts WHERE conversation_id = $1 AND user_id = $2), '')", convID, admin.ID).Scan(&body)
		return body
	}
	waitDB(t, "the draft is kept by the server", func() bool { return draft() == "About your rain gauge order" })

	device := newTab(t, browser)
	signIn(t, device, base, agentEmail, agentPassword)
	do(t, device, "the other device opens the chat with the draft in the composer",
		chromedp.Navigate(chatURL),
		until(`document.body.dataset.liveState === "open"`),
		composerHolds("About your rain gauge order"))

	// 3. "/" at the start of a line: the canned responses, filtered as typed.
	shown := `Array.from(document.querySelectorAll("#canned-list [data-canned-id]:not([hidden])"), li => li.dataset.shortcut).join(",")`
	selected := `(document.querySelector("#canned-list [aria-selected=true]") || {dataset: {}}).dataset.shortcut`
	do(t, device, "clear the box and type /",
		chromedp.Evaluate[chromedp.Void](`(b => { b.value = ""; b.dispatchEvent(new Event("input", {bubbles: true})); })(document.querySelector("textarea[data-testid=composer]"))`),
		chromedp.KeyEvent("/"),
		chromedp.WaitVisible(chromedp.CSS(`#canned-list`)),
		until(shown+` === "hi,thanks"`),
		chromedp.KeyEvent("t"),
		until(shown+` === "thanks"`),
		chromedp.KeyEvent(kb.Escape),
		chromedp.WaitNotVisible(chromedp.CSS(`#canned-list`)),
		composerHolds("/t"),
		chromedp.KeyEvent(kb.Backspace),
		until(shown+` === "hi,thanks"`),
		chromedp.KeyEvent(kb.ArrowDown),
		until(selected+` === "thanks"`),
		chromedp.KeyEvent(kb.ArrowDown),
		until(selected+` === "hi"`))
	screenshot(t, device, "console-canned.png")
	do(t, device, "Enter inserts the response, filled in",
		chromedp.KeyEvent("\r", asBrowsers),
		composerHolds("Hi Mei, this is Admin from Garden plugins."),
		chromedp.WaitNotVisible(chromedp.CSS(`#canned-list`)))
	waitDB(t, "the inserted text is the draft now", func() bool { return draft() == "Hi Mei, this is Admin from Garden plugins." })
	do(t, device, "Enter sends it",
		chromedp.KeyEvent("\r", asBrowsers),
		hasText(stored, "Hi Mei, this is Admin from Garden plugins."),
		composerHolds(""))
	do(t, widget, "the visitor reads the reply", hasText(stored, "Hi Mei, this is Admin from Garden plugins."))
	waitDB(t, "sending drops the draft", func() bool { return draft() == "" })

	// 4. A private note: agents see it, the visitor never. What the widget
	// was told of the reply's typing has lapsed first (a typing frame may
	// reach it just after the reply it went before).
	do(t, widget, "no one is typing", until(`document.getElementById("typing").textContent.trim() === ""`))
	do(t, agent, "the agent writes a private note",
		chromedp.Navigate(chatURL),
		until(`document.body.dataset.liveState === "open"`),
		composerHolds(""),
		chromedp.Click(chromedp.CSS(`[data-testid=mode-note]`)),
		until(`document.getElementById("composer").classList.contains("note-mode")`),
		chromedp.KeyEvent("Refund approved, tell her tomorrow\r", asBrowsers),
		hasText(`#messages li.msg.note[id^="msg-"] .body`, "Refund approved, tell her tomorrow"))
	do(t, device, "the other device sees the note as a note",
		hasText(`#messages li.msg.note[id^="msg-"] .body`, "Refund approved, tell her tomorrow"))
	// Writing a note is not "typing" to the visitor: the typing frame, had
	// it gone, went before the note, and would show by now.
	if typing := get(t, widget, "the widget's typing line", chromedp.Evaluate[string](`document.getElementById("typing").textContent.trim()`)); typing != "" {
		t.Fatalf("the visitor was told an agent typing a note: %q", typing)
	}
	do(t, agent, "back to Reply, and a reply",
		chromedp.Click(chromedp.CSS(`[data-testid=mode-reply]`)),
		chromedp.KeyEvent("It is on its way\r", asBrowsers),
		hasText(stored, "It is on its way"),
		composerHolds(""))
	do(t, agent, "Ctrl+Enter sends, even with the canned responses open",
		chromedp.KeyEvent("Use the code"),
		chromedp.KeyEvent("\r", asBrowsers, chromedp.KeyModifiers(chromedp.ModifierShift)),
		chromedp.KeyEvent("/garden10"),
		chromedp.WaitVisible(chromedp.CSS(`#canned-list [data-canned-none]`)),
		chromedp.KeyEvent("\r", asBrowsers, chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		hasText(stored, "Use the code\n/garden10"),
		composerHolds(""),
		chromedp.WaitNotVisible(chromedp.CSS(`#canned-list`)))
	do(t, widget, "the visitor reads the reply", hasText(stored, "It is on its way"))
	screenshot(t, agent, "console-note.png")
	note := `Array.from(document.querySelectorAll("#messages .body"), b => b.textContent).some(s => s.includes("Refund approved"))`
	if get(t, widget, "the note in the widget", chromedp.Evaluate[bool](note)) {
		t.Fatal("the visitor's widget shows the agents' private note")
	}
	widget = reopenWidget(t, visitor)
	do(t, widget, "the reopened widget shows the chat", hasText(stored, "It is on its way"))
	if get(t, widget, "the note in the reopened widget", chromedp.Evaluate[bool](note)) {
		t.Fatal("the reopened widget shows the agents' private note")
	}

	// 5. "?" lists the shortcuts, outside a text field only; Escape closes it.
	do(t, agent, "? in the composer is a question mark",
		chromedp.Focus(chromedp.CSS(composer)),
		chromedp.KeyEvent("?"),
		composerHolds("?"),
		until(`document.getElementById("shortcuts-help").hidden`),
		chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`),
		chromedp.KeyEvent("?"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=shortcuts-help]`)),
		hasText(`#shortcuts-title`, "Keyboard shortcuts"),
		hasText(`#shortcuts-help dd`, "Canned responses (in the composer)"))
	screenshot(t, agent, "console-keys.png")
	do(t, agent, "Escape closes the list",
		chromedp.KeyEvent(kb.Escape),
		chromedp.WaitNotVisible(chromedp.CSS(`[data-testid=shortcuts-help]`)))
	// The box grows with its text, up to its limit, then scrolls.
	grows := `(b => { const h = b.offsetHeight; b.value = "line\n".repeat(6); b.dispatchEvent(new Event("input", {bubbles: true}));
		const taller = b.offsetHeight > h; b.value = "line\n".repeat(80); b.dispatchEvent(new Event("input", {bubbles: true}));
		return taller && b.offsetHeight <= innerHeight * 0.4 + 1 && b.scrollHeight > b.clientHeight; })(document.querySelector("textarea[data-testid=composer]"))`
	if !get(t, agent, "the box grows", chromedp.Evaluate[bool](grows)) {
		t.Fatal("the composer does not grow with its text up to its limit")
	}
	do(t, agent, "empty the box again", chromedp.Evaluate[chromedp.Void](`(b => { b.value = ""; b.dispatchEvent(new Event("input", {bubbles: true})); })(document.querySelector("textarea[data-testid=composer]"))`))
}
