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

// TestRevokeSeenLive: a visitor revokes a message they regret from the
// widget; the agent, whose console shows the chat, sees "Message revoked"
// in its place at once, and the text is nowhere on either page.
func TestRevokeSeenLive(t *testing.T) {
	t.Parallel() // its own kefu and browser
	ctx, cancel := context.WithTimeout(t.Context(), 2*testTimeout)
	defer cancel()
	base, db, _ := kefuOnOwnDatabase(t, ctx, "revoke")
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
</body></html>`, base, siteID)
	}))
	t.Cleanup(host.Close)
	hostURL := strings.Replace(host.URL, "127.0.0.1", "localhost", 1) + "/"
	site, err := db.CreateSite(ctx, admin.ID, chat.Site{Name: "Seed library", Origins: []string{strings.TrimSuffix(hostURL, "/")}}, auth.NewToken())
	if err != nil {
		t.Fatal(err)
	}
	siteID = site.ID

	browser := startBrowser(t, ctx)
	agent := newTab(t, browser)
	defer screenshot(t, agent, "revoke-console.png")
	signIn(t, agent, base, agentEmail, agentPassword)
	visitor, widget := openWidget(t, browser, hostURL)
	defer screenshot(t, visitor, "revoke-widget.png")

	write(t, widget, "Do you ship to Mars?")
	do(t, widget, "the first message is stored", hasText(stored, "Do you ship to Mars?"), composerHolds(""))
	write(t, widget, "my card is 4111 1111 1111 1111")
	do(t, widget, "the regretted message is stored", hasText(stored, "my card is 4111 1111 1111 1111"), composerHolds(""))
	var convID int64
	if err := db.Pool().QueryRow(ctx, "SELECT id FROM conversations WHERE kind = 'support'").Scan(&convID); err != nil {
		t.Fatal(err)
	}
	do(t, agent, "the agent opens the chat",
		chromedp.Navigate(fmt.Sprintf("%s/console/c/%d", base, convID)),
		hasText(stored, "my card is 4111 1111 1111 1111"),
		until(`document.body.dataset.liveState === "open"`))
	if n := len(texts(t, agent, `#messages [data-testid=revoke]`)); n != 0 {
		t.Fatalf("the agent is offered %d revoke buttons on the visitor's messages", n)
	}

	do(t, widget, "the visitor revokes the message",
		chromedp.Click(chromedp.CSS(`#messages li.msg.mine:last-child button[data-testid=revoke]`)))
	const revokedShown = `document.querySelectorAll("#messages [data-testid=revoked]").length === 1 &&
		document.querySelector("#messages [data-testid=revoked]").textContent === "Message revoked" &&
		!document.getElementById("messages").textContent.includes("4111")`
	do(t, widget, "the widget shows it revoked", until(revokedShown))
	do(t, agent, "the agent sees it revoked, live", until(revokedShown),
		hasText(stored, "Do you ship to Mars?"))
	var body string
	if err := db.Pool().QueryRow(ctx, "SELECT body FROM messages WHERE conversation_id = $1 AND revoked_at IS NOT NULL", convID).Scan(&body); err != nil || body != "" {
		t.Fatalf("the revoked message's row: %q, %v", body, err)
	}
}
