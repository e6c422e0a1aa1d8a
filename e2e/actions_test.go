package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// TestConsoleLabelsSnoozeAndTransfer is one round of an agent's work on a
// chat, all in the page: the admin keeps a label, takes a chat in place
// (Sam, whose console missed the news, is refused the take, and dismisses
// the refusal), puts the label on it (Sam's console, on the same chat, shows
// it live), snoozes it until the visitor writes, sees it wake with a notice
// when the visitor does (the visitor is never told), and transfers it to
// Sam with the picker, which shows each agent's presence and load.
func TestConsoleLabelsSnoozeAndTransfer(t *testing.T) {
	t.Parallel() // its own kefu and browser
	ctx, cancel := context.WithTimeout(t.Context(), consoleTimeout)
	defer cancel()
	base, samID := startConsoleKefu(t, ctx)
	browser := startBrowser(t, ctx)
	admin, sam, stale, visitor := newTab(t, browser), newTab(t, browser), newTab(t, browser), newTab(t, browser)
	defer screenshot(t, admin, "console-actions-admin.png")

	routingSignIn(t, admin, base, agentEmail, agentPassword, "Admin")
	routingSignIn(t, sam, base, samEmail, samPassword, "Sam")
	routingSubmit(t, admin, "the admin sets away", `button[data-testid=set-away]`)
	routingSubmit(t, sam, "Sam sets away", `button[data-testid=set-away]`)

	// The admin keeps a label, with its colour.
	do(t, admin, "the admin fills in the label VIP",
		chromedp.Navigate(base+"/admin/labels"),
		chromedp.SendKeys(chromedp.CSS(`input[data-testid=new-label-name]`), "VIP"),
		chromedp.SetValue(chromedp.CSS(`input[data-testid=new-label-color]`), "#aa00aa"))
	submit(t, admin, "the admin adds the label VIP", `button[data-testid=create-label]`, 200)
	do(t, admin, "the label is kept", hasText(`[data-testid=notice]`, "Label VIP added."))

	// Sam's second console gets no live updates (its WebSockets never connect).
	if _, err := chromedp.Call(stale, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.WebSocket = class { constructor() { this.readyState = 0; } send() {} close() {} };`}); err != nil {
		t.Fatal(err)
	}
	do(t, visitor, "a visitor writes",
		chromedp.Navigate(base+"/widget"),
		chromedp.WaitVisible(chromedp.CSS(composer)),
		widgetIdle(),
		chromedp.SendKeys(chromedp.CSS(composer), "my order is late"),
		chromedp.Click(chromedp.CSS(sendBtn)),
		hasText(stored, "my order is late"))
	id := get(t, visitor, "the visitor's conversation id", chromedp.Evaluate[string](
		`document.querySelector("#messages li[data-conversation]").dataset.conversation`))
	take := fmt.Sprintf(`#queued-%s button[data-testid=take]`, id)
	do(t, stale, "Sam opens a console that stays as it loaded",
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), samEmail),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), samPassword),
		chromedp.Click(chromedp.CSS(`button[data-testid=login]`)),
		chromedp.WaitVisible(chromedp.CSS(`ul#queue`)),
		queueIs("1 my order is late"))

	// Taken in place; Sam's stale console is refused, in the page, and Sam dismisses it.
	do(t, admin, "the admin takes the chat in place",
		chromedp.Navigate(base+"/console"),
		until(`document.body.dataset.liveState === "open"`),
		chromedp.Evaluate[chromedp.Void](`window.e2eNoReload = true`),
		queueIs("1 my order is late"),
		clickLive(take),
		hasText(consoleNotice, "The chat is yours. Open it"),
		queueIs())
	noReload(t, admin, "to take the chat")
	do(t, stale, "Sam's take is refused in the console",
		chromedp.Evaluate[chromedp.Void](`window.e2eNoReload = true`),
		chromedp.Click(chromedp.CSS(take)),
		hasText(consoleNotice+".refusal", "Another agent took this chat first."),
		chromedp.Click(chromedp.CSS(consoleNotice)),
		until(`document.querySelector("#console-notice").textContent.trim() === ""`))
	noReload(t, stale, "to refuse the take")

	// The label goes on in place, in its colour; Sam, on the same chat, sees it live.
	openConversation(t, sam, base, id, "With Admin")
	openConversation(t, admin, base, id, "With Admin")
	chip := `#chat-labels [data-testid=label-chip]`
	do(t, admin, "the admin puts VIP on the chat",
		chromedp.Evaluate[chromedp.Void](`window.e2eNoReload = true`),
		chromedp.SetValue(chromedp.CSS(`select[data-testid=label-choose]`), get(t, admin, "VIP's id", chromedp.Evaluate[string](
			`Array.from(document.querySelectorAll("select[data-testid=label-choose] option")).find(o => o.textContent === "VIP").value`))),
		chromedp.Click(chromedp.CSS(`button[data-testid=label-add]`)),
		hasText(chip, "VIP ×"),
		until(`getComputedStyle(document.querySelector("#chat-labels .swatch")).backgroundColor === "rgb(170, 0, 170)"`),
		until(`document.querySelector("select[data-testid=label-choose]") === null`))
	do(t, sam, "Sam's console shows the label live", hasText(chip, "VIP ×"))
	screenshot(t, admin, "console-labels.png")

	// Snoozed until the visitor writes; the visitor writes, and the chat wakes with a notice.
	do(t, admin, "the admin snoozes the chat until the visitor writes",
		chromedp.SetValue(chromedp.CSS(`select[data-testid=snooze-preset]`), "reply"),
		chromedp.Click(chromedp.CSS(`button[data-testid=snooze]`)),
		hasText(`[data-testid=snoozed]`, "Snoozed until the visitor writes"),
		hasText(consoleNotice, "Snoozed until the visitor writes."),
		hasText(systemLine, "Admin snoozed the chat until the visitor writes."))
	do(t, visitor, "the visitor writes again",
		chromedp.SendKeys(chromedp.CSS(composer), "any news?"),
		chromedp.Click(chromedp.CSS(sendBtn)),
		hasText(stored, "any news?"))
	do(t, admin, "the chat wakes, with a notice",
		until(`Array.from(document.querySelectorAll("#toasts [data-testid=toast-woke]")).some(a => /^Visitor #\d+ is back from snooze\.$/.test(a.textContent.trim()))`),
		hasText(systemLine, "The visitor wrote: the snooze ended."),
		until(`document.querySelector("[data-testid=snoozed]") === null`),
		hasText(stored, "any news?"))
	if got := get(t, visitor, "what the visitor sees", chromedp.Evaluate[bool](
		`/snooze/i.test(document.getElementById("messages").textContent)`)); got {
		t.Fatal("the visitor is told of the snooze")
	}

	// Transferred with the picker, which shows each agent's presence and load.
	do(t, admin, "the admin transfers the chat to Sam",
		hasText(`select[data-testid=transfer-to] option[value="`+samID+`"]`, "Sam — away, 0/2 chats"),
		chromedp.SetValue(chromedp.CSS(`select[data-testid=transfer-to]`), samID),
		chromedp.Click(chromedp.CSS(`button[data-testid=transfer]`)),
		hasText(badge, "With Sam"),
		hasText(consoleNotice, "Transferred to Sam."),
		hasText(chip, "VIP ×"))
	noReload(t, admin, "to label, snooze and transfer")
	do(t, sam, "Sam's console shows the chat is Sam's", hasText(badge, "With Sam"))
	screenshot(t, admin, "console-transfer.png")
}
