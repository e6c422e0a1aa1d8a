package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/store"
)

// TestConsoleInboxViews walks an agent's views as a day's inbox has them:
// their own chat in Mine; more than a page of waiting chats in Unassigned,
// paged with "Show more" in place; a new chat arriving, which joins the
// list and the counts live; a filter by label; All, Resolved and Snoozed.
// Each view is saved as a screenshot.
func TestConsoleInboxViews(t *testing.T) {
	t.Parallel() // its own kefu and browser
	ctx, cancel := context.WithTimeout(t.Context(), 3*testTimeout)
	defer cancel()
	base, db, _ := kefuOnOwnDatabase(t, ctx, "inbox")
	admin, _, err := db.MemberByEmail(ctx, agentEmail)
	if err != nil {
		t.Fatal(err)
	}
	browser := startBrowser(t, ctx)
	agent := newTab(t, browser)
	signIn(t, agent, base, agentEmail, agentPassword)
	// Away: what comes waits in the queue, for the agent to see in Unassigned.
	submit(t, agent, "the agent sets away", `button[data-testid=set-away]`, 200)

	chat := func(body string) int64 {
		t.Helper()
		v, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
		if err != nil {
			t.Fatal(err)
		}
		m, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: body})
		if err != nil {
			t.Fatal(err)
		}
		return m.ConversationID
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := db.Pool().Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	// The agent's own chat, one resolved, one snoozed until the visitor writes.
	mine, done, later := chat("my order is late"), chat("thanks, all good"), chat("I will check and come back")
	for _, id := range []int64{mine, done, later} {
		if err := db.Take(ctx, id, admin.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Resolve(ctx, done, admin.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	exec("UPDATE conversations SET snoozed_until = 'infinity' WHERE id = $1", later)
	// 101 waiting chats: more than a page.
	var waiting []int64
	for i := range 101 {
		waiting = append(waiting, chat(fmt.Sprintf("waiting question %d", i)))
	}
	// Two of them are VIPs, in orange.
	exec("INSERT INTO labels (name, color) VALUES ('VIP', '#f97316')")
	exec("INSERT INTO conversation_labels (conversation_id, label_id) SELECT unnest($1::bigint[]), (SELECT id FROM labels)", []int64{waiting[0], waiting[50]})

	items := `#conversation-list li[data-testid=conversation]`
	count := func(view, n string) chromedp.Action[chromedp.Void] {
		return hasText(fmt.Sprintf(`[data-testid=count-%s]`, view), n)
	}
	nItems := func(n int) chromedp.Action[chromedp.Void] {
		return until(fmt.Sprintf(`document.querySelectorAll(%q).length === %d`, items, n))
	}
	// follow goes where sel leads, as a click does: a link's address, or
	// the address a GET form's submission makes.
	follow := func(what, sel string) {
		t.Helper()
		href := get(t, agent, what, chromedp.Evaluate[string](fmt.Sprintf(`(() => {
			const el = document.querySelector(%q);
			if (el.form) return el.form.getAttribute("action") + "?" + new URLSearchParams(new FormData(el.form));
			return el.getAttribute("href");
		})()`, sel)))
		do(t, agent, what, chromedp.Navigate(base+href), until(`document.body.dataset.liveState === "open"`))
	}
	// shot saves the console with its list in sight (below the queue
	// panel), once the assignment toasts, which fade by themselves, are gone.
	shot := func(name string) {
		t.Helper()
		do(t, agent, "the list is in sight", chromedp.Evaluate[chromedp.Void](
			`document.querySelectorAll(".toast").forEach(t => t.remove()); document.querySelector("nav.views").scrollIntoView()`))
		screenshot(t, agent, "console-view-"+name+".png")
	}
	view := func(name string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		follow("the agent opens "+name, fmt.Sprintf(`a[data-testid=view-%s]`, name))
		do(t, agent, name+" shows", append([]chromedp.Action[chromedp.Void]{
			until(fmt.Sprintf(`location.search.includes("view=%s")`, name)),
			chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`a[data-testid=view-%s][aria-current=page]`, name)))}, steps...)...)
		shot(name)
	}

	do(t, agent, "Mine lists the agent's own chat, and every view is counted",
		chromedp.Navigate(base+"/console"),
		until(`document.body.dataset.liveState === "open"`),
		nItems(1), hasText(items+` [data-testid=preview]`, "my order is late"), hasText(items+` [data-testid=assignee]`, "Admin"),
		count("mine", "1"), count("unassigned", "101"), count("all", "102"), count("resolved", "1"), count("snoozed", "1"))
	shot("mine")

	// Unassigned: a page of 100, then the rest in place.
	view("unassigned", nItems(100), hasText(items+`:first-child [data-testid=preview]`, "waiting question 100"),
		hasText(items+` [data-testid=label]`, "VIP"),
		until(`getComputedStyle(document.querySelector("[data-testid=label]")).backgroundColor === "rgb(249, 115, 22)"`),
		chromedp.Evaluate[chromedp.Void](`window.e2eNoReload = true`))
	// Clicked where it is, at the end of the scrolled list (chromedp's
	// pointer would aim at where the sidebar stood before it scrolled).
	do(t, agent, "the agent asks for more",
		chromedp.Evaluate[chromedp.Void](`document.querySelector("a[data-testid=show-more]").scrollIntoView()`),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("a[data-testid=show-more]").click()`),
		nItems(101), hasText(items+`:last-child [data-testid=preview]`, "waiting question 0"),
		until(`!document.querySelector("a[data-testid=show-more]")`))

	// A new chat arrives: it joins the top of the list and the counts, live,
	// where the agent has scrolled to; the tab's title and icon count it.
	do(t, agent, "the agent scrolls down the list",
		chromedp.Evaluate[chromedp.Void](`document.querySelector(".sidebar").scrollTop = 2000`),
		until(`document.querySelector(".sidebar").scrollTop > 0`))
	scrolled := get(t, agent, "where the list is scrolled to", chromedp.Evaluate[float64](`document.querySelector(".sidebar").scrollTop`))
	chat("a brand new question")
	do(t, agent, "the new chat joins Unassigned live",
		count("unassigned", "102"), count("all", "103"), count("mine", "1"),
		nItems(102), hasText(items+`:first-child [data-testid=preview]`, "a brand new question"))
	do(t, agent, "the page was not reloaded, and stays where it was scrolled to",
		until(`window.e2eNoReload === true`),
		until(fmt.Sprintf(`Math.abs(document.querySelector(".sidebar").scrollTop - %f) < 200`, scrolled)))
	do(t, agent, "the tab's title and icon count what is unread",
		until(`document.title.startsWith("(102) ")`),
		until(`document.querySelector("link[rel=icon]").getAttribute("href") === "/favicon.svg?n=102"`))
	shot("unassigned")

	// A filter by label, with the view.
	do(t, agent, "the agent chooses the VIP label", chromedp.SetValue(chromedp.CSS(`select[data-testid=filter-label]`), "1"))
	follow("the agent filters Unassigned by the VIP label", `button[data-testid=filter]`)
	do(t, agent, "Unassigned shows the VIPs",
		until(`location.search.includes("label=1") && location.search.includes("view=unassigned")`),
		nItems(2), count("unassigned", "2"), count("mine", "0"),
		hasText(items+`:first-child [data-testid=preview]`, "waiting question 50"))
	follow("the agent clears the filter", `a[data-testid=filter-clear]`)
	do(t, agent, "the filter is cleared",
		until(`!location.search.includes("label=")`), count("unassigned", "102"))

	view("all", nItems(100), hasText(items+`:first-child [data-testid=preview]`, "a brand new question"),
		chromedp.WaitVisible(chromedp.CSS(`a[data-testid=show-more]`)))
	view("resolved", nItems(1), hasText(items+` [data-testid=item-status]`, "Resolved"))
	view("snoozed", nItems(1), hasText(items+` [data-testid=item-status]`, "Snoozed"),
		hasText(items+` [data-testid=preview]`, "I will check and come back"))
}
