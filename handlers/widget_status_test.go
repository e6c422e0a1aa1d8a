package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kefu-im/kefu/handlers"
	"github.com/kefu-im/kefu/store"
)

// statusReply is GET /widget/status's answer.
type statusReply struct {
	Unread  int64
	Preview *struct {
		From, Text string
		At         time.Time
	}
	Colour  string
	Error   string
	Message string
}

// status asks GET /widget/status?site= with the status token, as the launcher does.
func (k *instance) status(site, token, etag string) (int, statusReply, http.Header) {
	k.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, k.srv.URL+"/widget/status?site="+site, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		k.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out statusReply
	if resp.StatusCode != http.StatusNotModified {
		if err := json.Unmarshal(raw, &out); err != nil {
			k.t.Fatalf("GET /widget/status: %s %q", resp.Status, raw)
		}
	}
	return resp.StatusCode, out, resp.Header
}

// statusTokenOf asks, as the widget's iframe does, for its visitor's status token.
func (k *instance) statusTokenOf(site, visitorToken string) (int, string) {
	k.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, k.srv.URL+"/widget/status/token?site="+site, nil)
	req.Header.Set("Authorization", "Bearer "+visitorToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		k.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		StatusToken string `json:"status_token"`
	}
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out.StatusToken
}

// TestWidgetStatus: the launcher reads, with the status token its iframe
// handed it, how many replies wait for its visitor and the newest; a token
// that is forged, for another site or another visitor, or expired reads
// nothing, and no token reads another visitor's chat.
func TestWidgetStatus(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	agent, _, err := k.db.MemberByEmail(ctx, agentEmail)
	if err != nil {
		t.Fatal(err)
	}
	shop, shopSecret := k.newSite("Shop", "https://shop.example.com")
	other, _ := k.newSite("Other", "https://other.example.com")
	site := strconv.FormatInt(shop.ID, 10)

	// Two visitors write; the agent answers the first one twice, the second once.
	lee, kim := k.visitorToken(), k.visitorToken()
	for _, token := range []string{lee, kim} {
		w := k.liveWidget(token)
		w.send(map[string]any{"type": "send", "client_msg_id": "hello", "body": "Hello"})
		w.waitFor(">Hello<")
	}
	reply := func(token, body string) {
		t.Helper()
		conv := visitorConversation(t, k.db, token)
		if _, _, err := k.db.SendMessage(ctx, store.Send{ConversationID: conv.ID, SenderID: agent.ID, Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	long := "Your order left the warehouse this morning and should reach you by Thursday; the tracking number follows."
	reply(lee, "Let me check.")
	reply(lee, long)
	reply(kim, "Kim's answer")

	status, leeToken := k.statusTokenOf(site, lee)
	if status != http.StatusCreated || leeToken == "" {
		t.Fatalf("POST /widget/status/token: %d %q", status, leeToken)
	}
	_, kimToken := k.statusTokenOf(site, kim)
	if status, _ := k.statusTokenOf(site, "forgotten"); status != http.StatusUnauthorized {
		t.Fatalf("a status token for an unknown visitor token: %d, want 401", status)
	}

	status, got, header := k.status(site, leeToken, "")
	if status != http.StatusOK || got.Unread != 2 || got.Preview == nil || got.Preview.From != "Alex" || got.Colour != "#2563eb" {
		t.Fatalf("Lee's status: %d %+v", status, got)
	}
	if n := len([]rune(got.Preview.Text)); n != handlers.PreviewRunes+1 || !strings.HasPrefix(long, strings.TrimSuffix(got.Preview.Text, "…")) {
		t.Fatalf("the preview is %q (%d characters), want the reply's first %d and an ellipsis", got.Preview.Text, n, handlers.PreviewRunes)
	}
	if header.Get("Access-Control-Allow-Origin") != "*" || header.Get("ETag") == "" {
		t.Fatalf("status headers: %v", header)
	}
	if status, _, _ := k.status(site, leeToken, header.Get("ETag")); status != http.StatusNotModified {
		t.Fatalf("an unchanged status asked again with its ETag: %d, want 304", status)
	}
	if _, got, _ := k.status(site, kimToken, ""); got.Unread != 1 || got.Preview.Text != "Kim's answer" {
		t.Fatalf("Kim's status: %+v", got)
	}

	// Reading the chat clears it.
	w := k.liveWidget(lee)
	conv := visitorConversation(t, k.db, lee)
	w.send(map[string]any{"type": "read", "conversation_id": conv.ID, "seq": conv.LastSeq + 10})
	// Frames are handled in order: once the resume after it is answered, the read is recorded.
	w.send(map[string]any{"type": "resume"})
	w.waitFor(`data-target="#queue-status"`)
	if _, got, _ := k.status(site, leeToken, ""); got.Unread != 0 || got.Preview != nil {
		t.Fatalf("after the visitor read the chat, the status is %+v", got)
	}

	// Refusals: each a 401 with a typed, clear error, and no count.
	parts := strings.Split(leeToken, ".")
	kimID := strings.Split(kimToken, ".")[0]
	refused := map[string][2]string{
		"no token":              {site, ""},
		"a forged MAC":          {site, parts[0] + "." + parts[1] + "." + strings.Repeat("0", 64)},
		"another visitor's id":  {site, kimID + "." + parts[1] + "." + parts[2]},
		"a later expiry":        {site, parts[0] + "." + strconv.FormatInt(time.Now().Add(400*24*time.Hour).Unix(), 10) + "." + parts[2]},
		"another site":          {strconv.FormatInt(other.ID, 10), leeToken},
		"no such site":          {"999999", leeToken},
		"an expired token":      {site, handlers.StatusToken(shop.ID, mustVisitor(t, k.db, lee).ID, time.Now().Add(-time.Minute), shopSecret)},
		"the visitor's own one": {site, lee},
		"a token far too long":  {site, strings.Repeat("1", 300)},
	}
	for what, c := range refused {
		status, got, _ := k.status(c[0], c[1], "")
		if status != http.StatusUnauthorized || got.Error != "unauthenticated" || !strings.Contains(got.Message, "status token") || got.Unread != 0 || got.Preview != nil {
			t.Errorf("%s: %d %+v, want 401 unauthenticated saying the status token is not valid", what, status, got)
		}
	}

	// A visitor disabled, or rotated out with the site's secret, reads nothing.
	if err := k.db.SetDisabled(ctx, 0, mustVisitor(t, k.db, kim).ID, true); err != nil {
		t.Fatal(err)
	}
	if status, _, _ := k.status(site, kimToken, ""); status != http.StatusUnauthorized {
		t.Fatalf("a disabled visitor's status: %d, want 401", status)
	}
	if err := k.db.RotateSiteSecret(ctx, 0, shop.ID, "a new secret"); err != nil {
		t.Fatal(err)
	}
	if status, _, _ := k.status(site, leeToken, ""); status != http.StatusUnauthorized {
		t.Fatalf("after the site's secret was rotated: %d, want 401", status)
	}
}
