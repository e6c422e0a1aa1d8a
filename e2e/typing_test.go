package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
)

// TestTypingAndSeenAcrossInstances: a visitor whose widget talks to one
// kefu and an agent whose console talks to another, on one database, see
// each other type and see what the other has read:
//
//  1. The visitor writes; the agent opens the chat, which reads it: "Seen"
//     shows under the visitor's message.
//  2. The visitor types without sending, on a site that shows agents drafts:
//     the agent sees "… is typing…" and the draft, which lapse once the
//     visitor stops.
//  3. The agent types: the visitor sees "… is typing…"; the agent's message
//     takes it away, and the open widget reads it: "Seen" shows under the
//     agent's message, and is still there when the console is loaded again.
func TestTypingAndSeenAcrossInstances(t *testing.T) {
	t.Parallel() // its own kefus and browser
	ctx, cancel := context.WithTimeout(t.Context(), 2*testTimeout)
	defer cancel()
	baseA, db, dbURL := kefuOnOwnDatabase(t, ctx, "typing-a")
	baseB := anotherKefu(t, "typing-b", dbURL)
	admin, _, err := db.MemberByEmail(ctx, agentEmail)
	if err != nil {
		t.Fatal(err)
	}

	var siteID int64
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Seed library</title></head>
<body style="font-family: Georgia, serif; margin: 48px">
<h1>Seed library</h1>
<script src="%s/widget.js" data-site="%d" async></script>
</body></html>`, baseA, siteID)
	}))
	t.Cleanup(host.Close)
	hostURL := strings.Replace(host.URL, "127.0.0.1", "localhost", 1) + "/"
	site, err := db.CreateSite(ctx, admin.ID, chat.Site{Name: "Seed library", Origins: []string{strings.TrimSuffix(hostURL, "/")},
		TypingPreview: true}, auth.NewToken())
	if err != nil {
		t.Fatal(err)
	}
	siteID = site.ID

	browser := startBrowser(t, ctx)
	agent := newTab(t, browser)
	defer screenshot(t, agent, "typing-console.png")
	signIn(t, agent, baseB, agentEmail, agentPassword)
	visitor, widget := openWidget(t, browser, hostURL)
	defer screenshot(t, visitor, "typing-widget.png")

	// 1. Seen by the agent.
	write(t, widget, "Do you have tomato seeds?")
	do(t, widget, "the message is stored", hasText(stored, "Do you have tomato seeds?"), composerHolds(""))
	var convID int64
	if err := db.Pool().QueryRow(ctx, "SELECT id FROM conversations WHERE kind = 'support'").Scan(&convID); err != nil {
		t.Fatal(err)
	}
	if n := len(texts(t, widget, seenMark)); n != 0 {
		t.Fatalf("the widget shows %d Seen marks before anyone read the message", n)
	}
	do(t, agent, "the agent opens the chat on the other instance",
		chromedp.Navigate(fmt.Sprintf("%s/console/c/%d", baseB, convID)),
		hasText(stored, "Do you have tomato seeds?"),
		until(`document.body.dataset.liveState === "open"`))
	do(t, widget, "the visitor sees that the agent has read the message", seenUnder("Do you have tomato seeds?"))

	// 2. The visitor types; the agent sees it, with the draft.
	do(t, widget, "the visitor types without sending",
		chromedp.SendKeys(chromedp.CSS(composer), "Also <b>basil</b>, please"))
	do(t, agent, "the agent sees the visitor typing, and what",
		until(`/is typing…$/.test(document.querySelector("#typing [data-testid=typing]")?.textContent.trim() ?? "")`),
		hasText(`#typing [data-testid=typing-draft]`, "Also <b>basil</b>, please"))
	do(t, agent, "it lapses once the visitor stops", until(`document.getElementById("typing").children.length === 0`))

	// 3. The agent types, then sends.
	do(t, agent, "the agent types",
		chromedp.SendKeys(chromedp.CSS(composer), "Yes, both"))
	do(t, widget, "the visitor sees the agent typing",
		until(`/^\S.* is typing…$/.test(document.querySelector("#typing [data-testid=typing]")?.textContent.trim() ?? "")`))
	if n := len(texts(t, widget, `#typing [data-testid=typing-draft]`)); n != 0 {
		t.Fatal("the visitor is shown the agent's draft")
	}
	do(t, agent, "the agent sends", chromedp.Click(chromedp.CSS(sendBtn)), composerHolds(""))
	do(t, widget, "the message takes the typing line away at once",
		until(`Array.from(document.querySelectorAll("#messages .msg .body"), p => p.textContent).includes("Yes, both") &&
			document.getElementById("typing").children.length === 0`))
	do(t, agent, "the agent sees that the open widget has read it", seenUnder("Yes, both"))
	do(t, widget, "the visitor's own last message is still seen", seenUnder("Do you have tomato seeds?"))

	do(t, agent, "the agent loads the console again", chromedp.Reload(),
		until(`document.body.dataset.liveState === "open"`), seenUnder("Yes, both"))
}

// seenMark is the "Seen" under a message.
const seenMark = `#messages .msg [data-testid=seen]`

// seenUnder waits for "Seen" under the reader's own last message, whose body is body, and nowhere else.
func seenUnder(body string) chromedp.Action[chromedp.Void] {
	return chromedp.PollFunction[chromedp.Void](`(body) => {
		const marks = document.querySelectorAll("#messages .msg [data-testid=seen]");
		return marks.length === 1 && marks[0].textContent === "Seen" &&
			marks[0].closest(".msg").classList.contains("mine") && marks[0].closest(".msg").querySelector(".body").textContent === body;
	}`, chromedp.WithPollingArgs(body), chromedp.WithPollingTimeout(stepTimeout))
}
