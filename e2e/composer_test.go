package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/storetest"
)

// TestNothingTypedIsLost follows one visitor through what used to lose
// their words. kefu runs on a PostgreSQL of the test's own, so that the
// test can take the database away:
//
//  0. The agent leaves the console for another page and comes back: the
//     console waits in the back/forward cache with its socket closed, and
//     resumes. The agent types three messages fast while the first is being
//     stored: each is taken at once, and all are stored once, in order.
//  1. The database refuses every connection while the visitor and the agent
//     write: their messages wait as "Sending…", then "Not sent — Retry";
//     when the database is back, each is stored exactly once and shown once,
//     in order, on both sides.
//  2. The site starts requiring an email; the agent resolves the chat and
//     steps away while the widget is open: the widget asks for the offline
//     form's email at once; a message sent without it stays in the composer
//     with the reason beside it; with it, the message goes and the field
//     with it.
//  3. The chat is resolved again: the visitor, who gave their email, is not
//     asked twice.
//  4. The grade refuses a chat with an author: the widget says so before
//     anything is typed, so nothing can be lost to the refusal.
//  5. kefu forgets the visitor: the widget says the session expired, and a
//     new chat starts when asked.
func TestNothingTypedIsLost(t *testing.T) {
	t.Parallel() // its own kefu and browser
	ctx, cancel := context.WithTimeout(t.Context(), 3*testTimeout)
	defer cancel()
	base, db, dbURL := kefuOnOwnDatabase(t, ctx, "composer")
	admin, _, err := db.MemberByEmail(ctx, agentEmail)
	if err != nil {
		t.Fatal(err)
	}
	ann, err := db.CreateMember(ctx, store.NewMember{Email: "ann@example.com", Name: "Ann", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}

	// The host site, with the widget and a "contact the author" button for Ann.
	var siteID int64
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Garden plugins</title></head>
<body style="font-family: Georgia, serif; margin: 48px">
<h1>Garden plugins</h1>
<p>Rain gauge, by Ann. <button data-kefu-to="%d" id="ask-ann">Ask Ann</button></p>
<script src="%s/widget.js" data-site="%d" async></script>
</body></html>`, ann.ID, base, siteID)
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
	defer screenshot(t, agent, "composer-console.png")
	signIn(t, agent, base, agentEmail, agentPassword)
	visitor, widget := openWidget(t, browser, hostURL)
	defer screenshot(t, visitor, "composer-widget.png")

	// An agent is available: the first message asks for nothing.
	if n := len(texts(t, widget, `[data-testid=prechat-email]`)); n != 0 {
		t.Fatal("the widget asks for an email while an agent is available")
	}
	write(t, widget, "Hello")
	do(t, widget, "the first message is stored", hasText(stored, "Hello"), composerHolds(""))
	var convID int64
	if err := db.Pool().QueryRow(ctx, "SELECT id FROM conversations WHERE kind = 'support'").Scan(&convID); err != nil {
		t.Fatal(err)
	}
	do(t, agent, "the agent opens the chat",
		chromedp.Navigate(fmt.Sprintf("%s/console/c/%d", base, convID)),
		hasText(stored, "Hello"),
		until(`document.body.dataset.liveState === "open"`))

	// The agent goes to another page and comes back. Meanwhile the console
	// waits in the browser's back/forward cache: its socket closes as a
	// closed tab's does, so that routing no longer counts the agent online,
	// and it opens again, and catches up, when the agent is back.
	openSockets := func() (n int) {
		if err := db.Pool().QueryRow(ctx, "SELECT count(*) FROM agent_presence WHERE agent_id = $1 AND closed_at IS NULL", admin.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitDB(t, "the console's socket is open", func() bool { return openSockets() == 1 })
	do(t, agent, "the agent goes to another page",
		chromedp.Evaluate[chromedp.Void](`document.body.dataset.e2eKept = "yes"`),
		chromedp.Navigate(base+"/healthz"))
	waitDB(t, "the console's socket closes", func() bool { return openSockets() == 0 })
	write(t, widget, "Are you there?")
	do(t, widget, "the visitor writes meanwhile", hasText(stored, "Are you there?"))
	goBack(t, agent)
	waitEval(t, agent, "the console is back as it was, live, and caught up", `document.body.dataset.e2eKept === "yes" &&
		document.body.dataset.liveState === "open" &&
		Array.from(document.querySelectorAll("#messages .msg:not(.pending) .body"), p => p.textContent).includes("Are you there?")`)
	waitDB(t, "the console's socket is open again", func() bool { return openSockets() == 1 })
	do(t, agent, "the agent opens the chat afresh", chromedp.Navigate(fmt.Sprintf("%s/console/c/%d", base, convID)),
		until(`document.body.dataset.liveState === "open"`))

	// The agent types three messages fast while kefu is still storing the
	// first (the test holds the chat's row): Enter takes each at once, the
	// composer clears, and each waits in the thread; then all are stored,
	// each once, in the order they were written.
	hold, err := db.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = hold.Rollback(context.Background()) }) // before the pool closes, if the test stops early
	if _, err := hold.Exec(ctx, "SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE", convID); err != nil {
		t.Fatal(err)
	}
	fast := []string{"fast one", "fast two", "fast three"}
	do(t, agent, "the agent types three messages fast",
		chromedp.Focus(chromedp.CSS(composer)),
		chromedp.KeyEvent(strings.Join(fast, "\n")+"\n", asBrowsers),
		composerHolds(""),
		until(`Array.from(document.querySelectorAll("[data-testid=pending] .body"), p => p.textContent).join("|") === "fast one|fast two|fast three"`))
	if err := hold.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	do(t, agent, "all three are stored, in order",
		until(`document.querySelectorAll("[data-testid=pending]").length === 0`),
		until(`Array.from(document.querySelectorAll("#messages .msg .body"), p => p.textContent).slice(-3).join("|") === "fast one|fast two|fast three"`))
	rows, err := db.Pool().Query(ctx, "SELECT body FROM messages WHERE conversation_id = $1 AND body LIKE 'fast %' ORDER BY seq", convID)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := pgx.CollectRows(rows, pgx.RowTo[string]); err != nil || !slices.Equal(got, fast) {
		t.Fatalf("the fast messages are stored as %q (%v), want %q, each once", got, err, fast)
	}

	// 1. The database goes away while both write.
	end := storetest.Outage(t, dbURL)
	write(t, widget, "one")
	do(t, widget, "the first waits", pendingSays("one", "Sending…"), composerHolds(""))
	write(t, widget, "two")
	do(t, widget, "the second waits", pendingSays("two", "Sending…"))
	write(t, agent, "three")
	do(t, agent, "the agent's waits", pendingSays("three", "Sending…"))
	// The widget gives up after 10 s of trying; a busy machine's timers
	// may run late, so this one wait is longer than a step's.
	gctx, gcancel := context.WithTimeout(widget, 2*stepTimeout)
	defer gcancel()
	if _, err := chromedp.Run(gctx, pendingSaysWithin("one", "Not sent — Retry", 2*stepTimeout)); err != nil {
		t.Fatalf("after a while: not sent, with a way to retry: %v", err)
	}
	end()
	do(t, widget, "the visitor retries", chromedp.Click(chromedp.CSS(`[data-testid=pending] button[data-testid=resend]`)))
	do(t, widget, "every message is stored", hasText(stored, "one"), hasText(stored, "two"), hasText(stored, "three"),
		until(`document.querySelectorAll("[data-testid=pending]").length === 0`))
	do(t, agent, "and reaches the agent", hasText(stored, "one"), hasText(stored, "two"), hasText(stored, "three"),
		until(`document.querySelectorAll("[data-testid=pending]").length === 0`))
	for _, body := range []string{"one", "two", "three"} {
		var n int
		if err := db.Pool().QueryRow(ctx, "SELECT count(*) FROM messages WHERE body = $1", body).Scan(&n); err != nil || n != 1 {
			t.Fatalf("%q is stored %d times (%v), want once", body, n, err)
		}
	}
	for _, tab := range []context.Context{widget, agent} {
		got := texts(t, tab, stored)
		var each []string // the messages written, in the order they show
		for _, b := range got {
			if slices.Contains([]string{"Hello", "one", "two", "three"}, b) {
				each = append(each, b)
			}
		}
		if len(each) != 4 || each[0] != "Hello" || slices.Index(each, "one") > slices.Index(each, "two") || !slices.Contains(each, "three") {
			t.Fatalf("a thread shows %q; want Hello, then one before two, and three, each once", got)
		}
	}

	// 2. The site requires an email (with kefu's email off, the offline
	// form alone asks for it without requiring it). Resolved while the
	// widget is open, and nobody is available: the email is asked at once.
	site.PrechatEmail = chat.FieldRequired
	if _, err := db.UpdateSite(ctx, admin.ID, site); err != nil {
		t.Fatal(err)
	}
	if err := db.Resolve(ctx, convID, admin.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := db.SetAgentState(ctx, admin.ID, chat.Away); err != nil {
		t.Fatal(err)
	}
	do(t, widget, "the widget asks for an email", chromedp.WaitVisible(chromedp.CSS(`[data-testid=prechat-email]`)))
	write(t, widget, "Back again")
	do(t, widget, "without the email the message stays, with the reason beside the field",
		hasText(`[data-testid=prechat-email-error]`, "Please give your email, so that we can answer you."),
		composerHolds("Back again"),
		until(`document.querySelectorAll("[data-testid=pending]").length === 0`))
	do(t, widget, "the visitor gives their email",
		chromedp.SendKeys(chromedp.CSS(`[data-testid=prechat-email]`), "lee@garden.example"),
		chromedp.Click(chromedp.CSS(sendBtn)),
		hasText(stored, "Back again"),
		composerHolds(""),
		until(`document.querySelector("[data-testid=prechat-email]") === null`))

	// 3. The chat is resolved again. The visitor gave their email: nothing
	// is asked.
	if err := db.Resolve(ctx, convID, admin.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	do(t, widget, "the rating form shows", chromedp.WaitVisible(chromedp.CSS(`[data-testid=rating]`)))
	if n := len(texts(t, widget, `[data-testid=prechat-email]`)); n != 0 {
		t.Fatal("the widget asks again for the email it was given")
	}
	write(t, widget, "Third time")
	do(t, widget, "the visitor writes again, unasked", hasText(stored, "Third time"), composerHolds(""))

	// 4. The grade refuses a chat with Ann, who is not customer service: the
	// widget says so before anything is typed, and offers customer service.
	if err := db.SetGrade(ctx, admin.ID, chat.GradeServiceOrKin); err != nil {
		t.Fatal(err)
	}
	do(t, visitor, "the visitor asks Ann", chromedp.Click(chromedp.CSS(`#ask-ann`)))
	do(t, widget, "the chat with Ann says at once that she cannot be reached here, with nothing to type into",
		hasText(`[data-testid=widget-title]`, "Chat with Ann"),
		hasText(`[data-testid=grade-refused] p`, "Ann can't take messages here. Our customer service can help."),
		until(`document.querySelector("textarea[data-testid=composer]").offsetParent === null`))
	var n int
	if err := db.Pool().QueryRow(ctx, "SELECT count(*) FROM conversations WHERE kind = 'direct'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("the refused chat stored %d conversations (%v)", n, err)
	}

	// 5. kefu forgets the visitor (as it does those who never wrote, after a
	// week): the widget, reloaded, says so instead of reconnecting forever, and
	// starts afresh when asked.
	if _, err := db.Pool().Exec(ctx, "UPDATE users SET visitor_token_hash = $1 WHERE kind = 'visitor'", auth.TokenHash(auth.NewToken())); err != nil {
		t.Fatal(err)
	}
	do(t, visitor, "the visitor reloads the page", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`button[data-kefu-launcher]`)))
	widget = openLauncher(t, visitor)
	do(t, widget, "the widget says the session expired, and the visitor starts a new chat",
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=expired]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=start-new]`)),
		chromedp.WaitVisible(chromedp.CSS(composer)))
	write(t, widget, "Hello from a new visitor")
	do(t, widget, "a new visitor gives the email the site requires",
		hasText(`[data-testid=prechat-email-error]`, "Please give your email, so that we can answer you."),
		composerHolds("Hello from a new visitor"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=prechat-email]`), "kim@garden.example"),
		chromedp.Click(chromedp.CSS(sendBtn)),
		hasText(stored, "Hello from a new visitor"),
		composerHolds(""))
	if err := db.Pool().QueryRow(ctx, "SELECT count(DISTINCT visitor_id) FROM conversations WHERE kind = 'support'").Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d visitors have support chats (%v), want the forgotten one and the new one", n, err)
	}
}

// waitDB waits for cond, which asks the database, to hold.
func waitDB(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(stepTimeout); !cond(); <-tick.C {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, stepTimeout)
		}
	}
}

// goBack takes tab back to the page before, and fails unless the browser
// restores it from its back/forward cache, as it is, with its scripts'
// state; when it does not, the browser's reasons say why.
func goBack(t *testing.T, tab context.Context) {
	t.Helper()
	h, err := chromedp.Call(tab, page.GetNavigationHistory, cdp.Empty{})
	if err != nil || h.CurrentIndex < 1 {
		t.Fatalf("the tab's history: %v %+v", err, h)
	}
	ctx, cancel := context.WithTimeout(tab, stepTimeout)
	defer cancel()
	navigated := make(chan page.NavigationType, 1)
	reasons := make(chan string, 64)
	if err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *page.EventFrameNavigated:
			if ev.Frame.ParentID == "" {
				select {
				case navigated <- ev.Type:
				default:
				}
			}
		case *page.EventBackForwardCacheNotUsed:
			for _, r := range ev.NotRestoredExplanations {
				select {
				case reasons <- fmt.Sprintf("%s (%s)", r.Reason, r.Type):
				default:
				}
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, page.NavigateToHistoryEntry, page.NavigateToHistoryEntryParams{EntryID: h.Entries[h.CurrentIndex-1].ID}); err != nil {
		t.Fatalf("going back: %v", err)
	}
	select {
	case typ := <-navigated:
		if typ != page.NavigationTypeBackForwardCacheRestore {
			var why []string
			for len(reasons) > 0 {
				why = append(why, <-reasons)
			}
			t.Fatalf("going back loaded the page afresh (%s), not from the back/forward cache: %q", typ, why)
		}
	case <-ctx.Done():
		t.Fatal("going back: the page did not come back")
	}
}

// asBrowsers types a key as browsers do: a raw key down, then the key's
// character, which a page that cancels the key down (Enter in a composer)
// never receives. chromedp's own key down carries the character with it.
func asBrowsers(k *input.DispatchKeyEventParams) {
	if k.Type == input.DispatchKeyEventTypeKeyDown {
		k.Type = input.DispatchKeyEventTypeRawKeyDown
	}
}

// waitEval waits for expr to be true in tab, evaluating it afresh every
// 50 ms. Unlike chromedp's polls, it keeps track of a page restored from the
// back/forward cache, and it does not count as the person using the page.
func waitEval(t *testing.T, tab context.Context, what, expr string) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(stepTimeout); !get(t, tab, what, chromedp.Evaluate[bool](expr)); <-tick.C {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, stepTimeout)
		}
	}
}

// reopenWidget reloads the host page in tab and opens its widget again.
func reopenWidget(t *testing.T, tab context.Context) context.Context {
	t.Helper()
	do(t, tab, "the visitor reloads the page",
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`button[data-kefu-launcher]`)))
	attached := get(t, tab, "the visitor opens the widget again", chromedp.WaitEvent(target.AttachedToTarget,
		func(ev target.EventAttachedToTarget) bool { return ev.TargetInfo.Type == "iframe" },
		chromedp.Click(chromedp.CSS(`button[data-kefu-launcher]`))))
	widget := attachFrame(t, tab, attached.TargetInfo.TargetID)
	do(t, widget, "the widget is ready", chromedp.WaitVisible(chromedp.CSS(composer)))
	return widget
}

// write types text into the composer of tab and sends it.
func write(t *testing.T, tab context.Context, text string) {
	t.Helper()
	do(t, tab, "write "+text,
		chromedp.WaitVisible(chromedp.CSS(composer)),
		until(`!document.querySelector("form[data-live-send]").dataset.sending`),
		chromedp.SendKeys(chromedp.CSS(composer), text),
		chromedp.Click(chromedp.CSS(sendBtn)))
}

// composerHolds waits for the composer to hold text.
func composerHolds(text string) chromedp.Action[chromedp.Void] {
	return until(fmt.Sprintf(`document.querySelector("textarea[data-testid=composer]").value === %q`, text))
}

// pendingSays waits for the unsent message body to say state.
func pendingSays(body, state string) chromedp.Action[chromedp.Void] {
	return pendingSaysWithin(body, state, stepTimeout)
}

// pendingSaysWithin is pendingSays, waiting up to within.
func pendingSaysWithin(body, state string, within time.Duration) chromedp.Action[chromedp.Void] {
	return chromedp.PollFunction[chromedp.Void](
		`(body, state) => Array.from(document.querySelectorAll("[data-testid=pending]")).some(li =>
			li.querySelector(".body").textContent === body && li.querySelector(".delivery").textContent.trim() === state)`,
		chromedp.WithPollingArgs(body, state), chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(within))
}
