package e2e

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestAgentBlocksVisitor: a visitor writes abuse; the agent blocks them,
// and asks for their address for an hour, from the console's visitor
// panel. The visitor's open widget says at once that chat is unavailable,
// without a reload or another message; reloaded, it says so before they
// write. Their address, a loopback one here as every visitor's is behind
// a proxy, is not blocked, and the agent is told why.
func TestAgentBlocksVisitor(t *testing.T) {
	t.Parallel() // its own kefu and browser
	ctx, cancel := context.WithTimeout(t.Context(), consoleTimeout)
	defer cancel()
	base, _ := startConsoleKefu(t, ctx)
	browser := startBrowser(t, ctx)
	admin, visitor := newTab(t, browser), newTab(t, browser)
	defer screenshot(t, admin, "block-console.png")
	defer screenshot(t, visitor, "block-widget.png")

	routingSignIn(t, admin, base, agentEmail, agentPassword, "Admin")
	do(t, visitor, "a visitor writes abuse",
		chromedp.Navigate(base+"/widget"),
		chromedp.WaitVisible(chromedp.CSS(composer)),
		widgetIdle(),
		chromedp.SendKeys(chromedp.CSS(composer), "you are all useless"),
		chromedp.Click(chromedp.CSS(sendBtn)),
		hasText(stored, "you are all useless"))
	id := get(t, visitor, "the visitor's conversation id", chromedp.Evaluate[string](
		`document.querySelector("#messages li[data-conversation]").dataset.conversation`))

	do(t, admin, "the agent opens the chat and picks an hour for the address",
		chromedp.Navigate(base+"/console/c/"+id),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=visitor-block-form]`)),
		chromedp.SetValue(chromedp.CSS(`select[data-testid=visitor-block-address]`), "1h"))
	do(t, visitor, "before the block, the widget says the team is online and offers Revoke",
		until(shownAll(`#team [data-testid=presence]`)+` && `+shownAll(`#messages [data-revoke]`)))
	submit(t, admin, "the agent blocks the visitor", `button[data-testid=visitor-block]`, 200)
	do(t, admin, "the panel says the visitor is blocked, but not their loopback address",
		until(`document.querySelector("[data-testid=console-notice]")?.textContent.includes("The visitor is blocked, but not their address")`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=visitor-blocked]`)))

	do(t, visitor, "the open widget says at once that chat is unavailable, and offers no composer, no presence and no Revoke",
		hasText(`[data-testid=unavailable]`, "Chat is unavailable right now. Please come back later."),
		chromedp.WaitNotVisible(chromedp.CSS(composer)),
		until(hiddenAll(`#team [data-testid=presence]`)+` && `+hiddenAll(`#messages [data-revoke]`)))
	screenshot(t, visitor, "block-widget-refused.png")
	do(t, visitor, "reloaded, the widget says so before the visitor writes",
		chromedp.Navigate(base+"/widget"),
		hasText(`[data-testid=unavailable]`, "Chat is unavailable right now. Please come back later."),
		until(hiddenAll(`#team [data-testid=presence]`)))

	do(t, admin, "the block list shows the visitor alone",
		chromedp.Navigate(base+"/console/blocks"),
		until(`document.querySelectorAll("[data-testid=blocked-visitor]").length === 1`))
}

// shownAll is a script that says whether elements match sel and every one
// of them can be seen; hiddenAll, whether elements match sel and none can.
func shownAll(sel string) string {
	return "(es => es.length > 0 && es.every(e => e.getClientRects().length > 0))(Array.from(document.querySelectorAll(`" + sel + "`)))"
}

func hiddenAll(sel string) string {
	return "(es => es.length > 0 && es.every(e => e.getClientRects().length === 0))(Array.from(document.querySelectorAll(`" + sel + "`)))"
}
