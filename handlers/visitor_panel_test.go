package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// chromeOnWindows is a browser's User-Agent header.
const chromeOnWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// TestVisitorPanelKnowsTheVisitor: an agent's visitor panel names the
// visitor's browser, system and language in words, lists the site's pages
// the launcher loaded on (never another site's) and the visitor's earlier,
// resolved chat with its agent and rating.
func TestVisitorPanelKnowsTheVisitor(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	shop, secret := k.newSite("Shop", "https://shop.example.com")
	site := strconv.FormatInt(shop.ID, 10)
	token := k.visitorToken()
	v, _, err := k.dial("/widget/live", &websocket.DialOptions{
		HTTPHeader:   http.Header{"Origin": {k.srv.URL}, "User-Agent": {chromeOnWindows}},
		Subprotocols: []string{"kefu.v1", "kefu.token." + token},
	})
	if err != nil {
		t.Fatal(err)
	}
	v.send(map[string]any{"type": "resume", "site": shop.ID, "site_token": widgetSiteToken(shop.ID, secret)})
	v.waitFor(`data-target="#queue-status"`)
	v.send(map[string]any{"type": "send", "client_msg_id": "m1", "body": "Where is my parcel?", "email": "lee@example.com",
		"context": map[string]string{"language": "zh-CN", "page": "https://shop.example.com/cart"}})
	v.waitFor(">Where is my parcel?<")

	_, statusToken := k.statusTokenOf(site, token)
	for _, page := range []string{"https://shop.example.com/shoes", "https://elsewhere.example/x", "javascript:alert(1)"} {
		if status, got, _ := k.status(site+"&page="+url.QueryEscape(page), statusToken, ""); status != http.StatusOK || got.Error != "" {
			t.Fatalf("the launcher's status on %s: %d %+v; want it answered whatever the page", page, status, got)
		}
	}

	// The agent's first round with the visitor ends rated; the visitor writes again.
	conv := visitorConversation(t, k.db, token)
	agent, _, err := k.db.MemberByEmail(ctx, agentEmail)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.db.EnsureAgent(ctx, agent.ID); err != nil {
		t.Fatal(err)
	}
	if err := k.db.Take(ctx, conv.ID, agent.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	k.resolve(token)
	if err := k.db.RateConversation(ctx, mustVisitor(t, k.db, token).ID, conv.ID, 5, ""); err != nil {
		t.Fatal(err)
	}
	v.send(map[string]any{"type": "send", "client_msg_id": "m2", "body": "Me again"})
	v.waitFor(">Me again<")

	_, page := k.agent().get("/console/c/" + strconv.FormatInt(conv.ID, 10))
	for _, want := range []string{
		`data-testid="visitor-browser" title="` + chromeOnWindows + `">Chrome 131 · Windows · computer<`,
		`data-testid="visitor-language">Chinese (China) (zh-CN)<`,
		`href="https://shop.example.com/shoes"`,
		`with Alex`, `5 out of 5`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the visitor panel lacks %s", want)
		}
	}
	if strings.Contains(page, "elsewhere.example") || strings.Contains(page, "javascript:") {
		t.Error("the visitor panel lists a page outside the site")
	}
	if t.Failed() {
		i := strings.Index(page, `data-testid="visitor-panel"`)
		t.Logf("panel: %.3000s", page[max(i, 0):])
	}
}
