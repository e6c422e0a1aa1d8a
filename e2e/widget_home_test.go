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

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

// TestWidgetHome: a visitor who asked an author a question and then
// customer service finds both on the widget's home, kept live with their
// unread counts while they look at it; they go from the author to customer
// service and back without the widget's page reloading; and, once the grade
// shuts authors out, a "contact the author" button says so before they type
// and offers customer service instead.
func TestWidgetHome(t *testing.T) {
	t.Parallel() // its own kefu, database and browser
	ctx, cancel := context.WithTimeout(t.Context(), routingTimeout)
	defer cancel()
	base, db, _ := kefuOnOwnDatabase(t, ctx, "widget-home")
	admin, _, err := db.MemberByEmail(ctx, agentEmail)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetAgentList(ctx, 0, chat.AgentList{IDs: []int64{admin.ID}}); err != nil {
		t.Fatal(err)
	}
	ann, err := db.CreateMember(ctx, store.NewMember{Email: "ann@example.com", Name: "Ann", PasswordHash: "-"})
	if err != nil {
		t.Fatal(err)
	}
	ben, err := db.CreateMember(ctx, store.NewMember{Email: "ben@example.com", Name: "Ben", PasswordHash: "-"})
	if err != nil {
		t.Fatal(err)
	}
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Garden shop</title></head>
<body style="font-family: Georgia, serif; margin: 48px">
<h1>Garden shop</h1>
<p>Rain gauge, sold by Ann. <button data-kefu-to="%d" id="ask-ann">Ask Ann</button></p>
<p>Seed planner, sold by Ben. <button data-kefu-to="%d" id="ask-ben">Ask Ben</button></p>
<script src="%s/widget.js" async></script>
</body></html>`, ann.ID, ben.ID, base)
	}))
	t.Cleanup(host.Close)

	browser := startBrowser(t, ctx)
	visitor := newTab(t, browser)
	defer screenshot(t, visitor, "widget-home-end.png")
	do(t, visitor, "the visitor opens the shop",
		chromedp.Navigate(strings.Replace(host.URL, "127.0.0.1", "localhost", 1)+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#ask-ann`)),
		chromedp.Evaluate[chromedp.Void](`window.e2eNoReload = true`))
	attached := get(t, visitor, "the visitor asks Ann", chromedp.WaitEvent(target.AttachedToTarget,
		func(ev target.EventAttachedToTarget) bool { return ev.TargetInfo.Type == "iframe" },
		chromedp.Click(chromedp.CSS(`#ask-ann`))))
	widget := attachFrame(t, visitor, attached.TargetInfo.TargetID)
	title := `[data-testid=widget-title]`
	say := func(what, text string) {
		t.Helper()
		do(t, widget, what,
			chromedp.WaitVisible(chromedp.CSS(composer)),
			chromedp.SendKeys(chromedp.CSS(composer), text),
			chromedp.Click(chromedp.CSS(sendBtn)),
			hasText(stored, text))
	}
	// Straight to Ann's chat, no home: the button asked for her. The site's
	// greeting is customer service's, not hers; a way back is there before
	// the visitor writes (they have no session yet, so no home).
	back, greeting, home := `[data-testid=back]`, `[data-testid=greeting]`, `[data-testid=home-title]`
	draftIs := func(text string) chromedp.Action[chromedp.Void] {
		return until(fmt.Sprintf(`document.querySelector(%q).value === %q`, composer, text))
	}
	do(t, widget, "Ann's chat opens", hasText(title, "Chat with Ann"),
		chromedp.Evaluate[chromedp.Void](`window.e2eSameDocument = true`),
		chromedp.WaitVisible(chromedp.CSS(back)),
		until(`!document.querySelector("#messages [data-testid=greeting]")`))
	do(t, widget, "the visitor types to Ann, then goes back before sending: customer service, its greeting, an empty composer",
		chromedp.SendKeys(chromedp.CSS(composer), "Does the gauge work in snow?"),
		chromedp.Click(chromedp.CSS(back)),
		hasText(title, "Chat with us"),
		chromedp.WaitVisible(chromedp.CSS(greeting)),
		draftIs(""))
	do(t, visitor, "the visitor asks Ann again", chromedp.Click(chromedp.CSS(`#ask-ann`)))
	do(t, widget, "Ann's chat has what was typed to her, and no greeting",
		hasText(title, "Chat with Ann"),
		draftIs("Does the gauge work in snow?"),
		until(`!document.querySelector("#messages [data-testid=greeting]")`),
		chromedp.Click(chromedp.CSS(sendBtn)),
		hasText(stored, "Does the gauge work in snow?"))

	// Back: the home, under its own title and customer service's team (not
	// Ann's), which offers customer service; the visitor asks there too.
	// The home is drawn again whenever a conversation has news: its rows are
	// clicked in one step with finding them, never a node the home replaced.
	do(t, widget, "the visitor types more to Ann and goes back to the home",
		chromedp.SendKeys(chromedp.CSS(composer), "And in hail?"),
		chromedp.Click(chromedp.CSS(back)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=home-row-`+fmt.Sprint(ann.ID)+`]`)),
		chromedp.WaitVisible(chromedp.CSS(home)),
		hasText(home, "Your conversations"),
		chromedp.WaitNotVisible(chromedp.CSS(title)),
		hasText(`[data-testid=home-team] [data-testid=presence]`, "We're away right now"),
		chromedp.WaitNotVisible(chromedp.CSS(`[data-testid=team]`)),
		clickLive(`[data-testid=home-support]`),
		hasText(title, "Chat with us"),
		chromedp.WaitVisible(chromedp.CSS(title)),
		chromedp.WaitNotVisible(chromedp.CSS(home)),
		chromedp.WaitVisible(chromedp.CSS(greeting)),
		draftIs(""))
	say("the visitor asks customer service", "Where is my order?")
	do(t, widget, "the visitor goes back to the home again",
		chromedp.Click(chromedp.CSS(`[data-testid=back]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=home-row-0]`)))

	// While the home shows, Ann answers twice and customer service once: the rows follow.
	var direct, support int64
	if err := db.Pool().QueryRow(ctx, `SELECT (SELECT id FROM conversations WHERE kind = 'direct'),
		(SELECT id FROM conversations WHERE kind = 'support')`).Scan(&direct, &support); err != nil {
		t.Fatal(err)
	}
	for i, m := range []store.Send{{ConversationID: direct, SenderID: ann.ID, Body: "Yes, down to -20°C."},
		{ConversationID: direct, SenderID: ann.ID, Body: "Snow <b>melts</b> in it."},
		{ConversationID: support, SenderID: admin.ID, Body: "It ships tomorrow."}} {
		m.ClientMsgID = fmt.Sprint("e2e-", i)
		if _, _, err := db.SendMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	annRow, supportRow := fmt.Sprintf(`[data-testid=home-row-%d]`, ann.ID), `[data-testid=home-row-0]`
	do(t, widget, "the home shows the new messages and their counts",
		hasText(annRow+` [data-testid=home-unread]`, "2"),
		hasText(annRow+` [data-testid=home-last]`, "Snow <b>melts</b> in it."),
		hasText(annRow+` .home-name`, "Ann"),
		hasText(supportRow+` [data-testid=home-unread]`, "1"),
		hasText(supportRow+` [data-testid=home-last]`, "It ships tomorrow."),
		hasText(supportRow+` .home-name`, "Customer service"))
	screenshot(t, visitor, "widget-home.png")

	// Ann → customer service → Ann, in the same page.
	do(t, widget, "the visitor opens Ann's chat from the home, what they typed to her still there",
		clickLive(annRow),
		hasText(title, "Chat with Ann"),
		hasText(stored, "Snow <b>melts</b> in it."),
		draftIs("And in hail?"),
		hasText(`[data-testid=team] [data-testid=presence]`, "Ann is offline"))
	do(t, widget, "back, then customer service",
		chromedp.Click(chromedp.CSS(`[data-testid=back]`)),
		chromedp.WaitVisible(chromedp.CSS(supportRow)),
		clickLive(supportRow),
		hasText(title, "Chat with us"),
		hasText(stored, "It ships tomorrow."))
	do(t, widget, "back, then Ann again",
		chromedp.Click(chromedp.CSS(`[data-testid=back]`)),
		// Read now: shown, her chat counts nothing unread.
		until(fmt.Sprintf(`!document.querySelector(%q)`, annRow+` [data-testid=home-unread]`)),
		clickLive(annRow),
		hasText(title, "Chat with Ann"),
		hasText(stored, "Does the gauge work in snow?"))
	if !get(t, widget, "the widget's document", chromedp.Evaluate[bool](`window.e2eSameDocument === true`)) {
		t.Fatal("the widget's page reloaded while the visitor switched conversations")
	}
	noReload(t, visitor, "while the visitor switched conversations")

	// The grade shuts authors out: asking Ben says so before anything is typed.
	if err := db.SetGrade(ctx, 0, chat.GradeServiceOrKin); err != nil {
		t.Fatal(err)
	}
	do(t, visitor, "the visitor clicks Ask Ben", chromedp.Click(chromedp.CSS(`#ask-ben`)))
	do(t, widget, "the widget says Ben cannot take messages, composer hidden",
		hasText(title, "Chat with Ben"),
		hasText(`[data-testid=grade-refused] p`, "Ben can't take messages here. Our customer service can help."),
		chromedp.WaitNotVisible(chromedp.CSS(composer)))
	do(t, widget, "the visitor takes the offer of customer service",
		chromedp.Click(chromedp.CSS(`[data-testid=offer-support]`)),
		hasText(title, "Chat with us"),
		chromedp.WaitVisible(chromedp.CSS(composer)),
		hasText(stored, "It ships tomorrow."))
	if !get(t, widget, "the widget's document", chromedp.Evaluate[bool](`window.e2eSameDocument === true`)) {
		t.Fatal("the widget's page reloaded on the way to customer service")
	}
}
