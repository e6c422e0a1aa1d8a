package handlers_test

import (
	"context"
	"net/http"
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

	// The launcher tells each page it loads on: the site's own are kept,
	// anything else is refused; a token that reads nothing writes nothing.
	_, statusToken := k.statusTokenOf(site, token)
	tell := func(page, token string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, k.srv.URL+"/widget/status/page?site="+site, strings.NewReader(page))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for page, want := range map[string]int{
		"https://shop.example.com/shoes":                        http.StatusNoContent,
		"https://elsewhere.example/x":                           http.StatusBadRequest,
		"javascript:alert(1)":                                   http.StatusBadRequest,
		"https://shop.example.com/" + strings.Repeat("a", 3000): http.StatusBadRequest,
	} {
		if got := tell(page, statusToken); got != want {
			t.Errorf("POST /widget/status/page %.40s: %d, want %d", page, got, want)
		}
	}
	if got := tell("https://shop.example.com/forged", statusToken+"0"); got != http.StatusUnauthorized {
		t.Errorf("a page told with a forged token: %d, want 401", got)
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
	if strings.Contains(page, "elsewhere.example") || strings.Contains(page, "javascript:") || strings.Contains(page, "forged") {
		t.Error("the visitor panel lists a page outside the site")
	}
	if t.Failed() {
		i := strings.Index(page, `data-testid="visitor-panel"`)
		t.Logf("panel: %.3000s", page[max(i, 0):])
	}
}
