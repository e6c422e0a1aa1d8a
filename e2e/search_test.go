package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

// TestConsoleSearch: an agent searches from the box in the console's top
// bar: for a visitor's name, which finds their chat; then for two Chinese
// characters of the visitor's first message, which is among the results
// with them marked. The agent follows it: the conversation opens
// with that message loaded (it is older than the first page), marked and
// in view.
func TestConsoleSearch(t *testing.T) {
	t.Parallel() // its own kefu and browser
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	base, db, _ := kefuOnOwnDatabase(t, ctx, "search")
	v, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	first, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: "我的发票抬头写错了, the invoice title is wrong",
		VisitorName: "林黛玉", VisitorEmail: "daiyu@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range chat.PageSize + 20 {
		if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: fmt.Sprintf("later line %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	tab := newTab(t, startBrowser(t, ctx))
	defer screenshot(t, tab, "console-search.png")
	signIn(t, tab, base, agentEmail, agentPassword)

	hit := fmt.Sprintf(`[data-testid=search-message] a[href="/console/c/%d?m=%d#msg-%d"]`, first.ConversationID, first.Seq, first.ID)
	navigates(t, tab, "a search by the visitor's name", chromedp.SendKeys(chromedp.CSS(`input[data-testid=search-q]`), "黛玉\r"))
	do(t, tab, "the search lists the visitor's chat",
		until(fmt.Sprintf(`document.querySelector('[data-testid=search-conversation] a[href="/console/c/%d"] mark')?.textContent === "黛玉"`, first.ConversationID)))
	navigates(t, tab, "a search for 抬头", chromedp.SendKeys(chromedp.CSS(`input[data-testid=search-q]`), "抬头\r"))
	do(t, tab, "the search finds the first message, the words marked",
		chromedp.WaitVisible(chromedp.CSS(hit)),
		hasText(hit+" mark", "抬头"),
		until(`location.pathname === "/console/search" && document.querySelectorAll("[data-testid=search-message]").length === 1 &&
			document.querySelectorAll("[data-testid=search-conversation]").length === 0`))
	msg := fmt.Sprintf("#msg-%d", first.ID)
	navigates(t, tab, "following the result", chromedp.Click(chromedp.CSS(hit)))
	do(t, tab, "the result opens the message in its conversation, marked and in view",
		chromedp.WaitVisible(chromedp.CSS(msg+".found")),
		until(fmt.Sprintf(`(() => {
			const m = document.querySelector(%q).getBoundingClientRect(), list = document.getElementById("messages").getBoundingClientRect();
			return m.top >= list.top && m.bottom <= list.bottom;
		})()`, msg)),
		until(`document.querySelectorAll("#messages .msg").length > `+fmt.Sprint(chat.PageSize)),
		until(`document.body.dataset.liveState === "open"`))
}

// navigates runs a, which leads to another page, and waits for that page's answer, a 200.
func navigates(t *testing.T, tab context.Context, what string, a chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(tab, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(sctx, a)
	if err != nil || resp.Status != 200 {
		t.Fatalf("%s: %v %v", what, resp, err)
	}
}
