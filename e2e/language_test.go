package e2e

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
)

// cjk holds when the element sel shows Chinese characters.
func cjk(sel string) chromedp.Action[chromedp.Void] {
	return until(`(() => { const el = document.querySelector(` + "`" + sel + "`" + `);
		return el !== null && /[\u4e00-\u9fff]/.test(el.textContent + (el.placeholder || "")); })()`)
}

// TestChatInChinese has a visitor whose browser reads Chinese chat with an
// agent whose browser does too: each sees kefu's own words in Chinese, the
// pages say so in their lang, and what the two write in Chinese arrives as
// written. (TestVisitorAndAgentChatLive is the same chat in English.)
func TestChatInChinese(t *testing.T) {
	t.Parallel() // its own kefu and browser
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	base, _, _ := kefuOnOwnDatabase(t, ctx, "chinese")
	host := hostPage(t, base)
	browser := startBrowser(t, ctx, chromedp.Flag("accept-lang", "zh-CN,zh"), chromedp.Flag("lang", "zh-CN"))
	agent := newTab(t, browser)
	defer screenshot(t, agent, "console-zh-CN.png")

	do(t, agent, "agent signs in, in Chinese",
		chromedp.Navigate(base+"/login"),
		until(`document.documentElement.lang === "zh-CN"`),
		cjk(`button[data-testid=login]`),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), agentEmail),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), agentPassword),
		chromedp.Click(chromedp.CSS(`button[data-testid=login]`)),
		chromedp.WaitVisible(chromedp.CSS(`ul#conversation-list`)),
		until(`document.body.dataset.liveState === "open" && document.documentElement.lang === "zh-CN"`))

	visitor, widget := openWidget(t, browser, host)
	defer screenshot(t, visitor, "widget-zh-CN.png")
	const question, answer = "你好，我的订单还没有发货，能帮我查一下吗？", "您好！我马上为您查询。"
	do(t, widget, "visitor writes in Chinese",
		until(`document.documentElement.lang === "zh-CN"`),
		cjk(composer),
		chromedp.SendKeys(chromedp.CSS(composer), question),
		chromedp.Click(chromedp.CSS(sendBtn)),
		hasText(stored, question))

	do(t, agent, "the chat appears in the console",
		hasText(`#conversation-list li[data-testid=conversation] [data-testid=preview]`, question))
	href := get(t, agent, "conversation link", chromedp.Evaluate[string](
		`document.querySelector("#conversation-list li[data-testid=conversation] a").getAttribute("href")`))
	rctx, rcancel := context.WithTimeout(agent, stepTimeout)
	defer rcancel()
	if _, err := chromedp.RunResponse(rctx, chromedp.Navigate(base+href)); err != nil {
		t.Fatalf("agent opens the chat: %v", err)
	}
	do(t, agent, "agent reads, sees the system line in Chinese, and answers",
		hasText(stored, question),
		cjk(`#messages li.system .body`),
		cjk(composer),
		until(`document.body.dataset.liveState === "open"`),
		chromedp.SendKeys(chromedp.CSS(composer), answer),
		chromedp.Click(chromedp.CSS(sendBtn)),
		hasText(stored, answer))
	do(t, widget, "visitor gets the answer", hasText(stored, answer))
}
