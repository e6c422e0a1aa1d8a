package handlers_test

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kefu-im/kefu/push"
)

// TestNotificationSettings: a device subscribes from the console (as
// live_console.js posts PushSubscription.toJSON()), is listed and can be removed;
// an agent chooses queue notifications; anyone mutes a conversation of theirs.
func TestNotificationSettings(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	agent := k.agent()
	_, page := agent.get("/console/notifications")
	if !strings.Contains(page, `data-push-enable="`) || !strings.Contains(page, "No device gets notifications yet.") {
		t.Fatal("the notifications page lacks the enable button or the empty list")
	}
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key := priv.PublicKey().Bytes()
	sub := map[string]any{"endpoint": "https://push.example.com/send/abc",
		"keys": map[string]string{"p256dh": base64.RawURLEncoding.EncodeToString(key), "auth": base64.RawURLEncoding.EncodeToString(make([]byte, 16))}}
	post := func(v any) int {
		body, _ := json.Marshal(v)
		req, _ := http.NewRequest(http.MethodPost, k.srv.URL+"/console/push/subscriptions", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Origin", k.srv.URL)
		req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/150.0 Safari/537.36")
		req.Header.Set("X-CSRF-Token", agent.csrf("/console/notifications"))
		resp, err := agent.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if status := post(map[string]any{"endpoint": "ftp://nope", "keys": map[string]string{}}); status != http.StatusBadRequest {
		t.Fatalf("a bad subscription answered %d", status)
	}
	if status := post(sub); status != http.StatusCreated {
		t.Fatalf("subscribing answered %d", status)
	}
	_, page = agent.get("/console/notifications")
	if !strings.Contains(page, "Chrome on Linux") {
		t.Fatal("the device is not listed by name")
	}
	admin, _, _ := k.db.MemberByEmail(ctx, agentEmail)
	subs, err := k.db.PushSubscriptions(ctx, admin.ID)
	if err != nil || len(subs) != 1 {
		t.Fatalf("%d subscriptions, %v", len(subs), err)
	}
	// Someone else cannot remove it; its owner can.
	other := k.person("Ann")
	if resp, _ := other.b.post(fmt.Sprintf("/console/push/subscriptions/%d/revoke", subs[0].ID), url.Values{"_csrf": {other.b.csrf("/console/notifications")}}); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("another member removed the device: %s", resp.Status)
	}
	if resp, _ := agent.post(fmt.Sprintf("/console/push/subscriptions/%d/revoke", subs[0].ID), url.Values{"_csrf": {agent.csrf("/console/notifications")}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("removing the device: %s", resp.Status)
	}
	if subs, _ := k.db.PushSubscriptions(ctx, admin.ID); len(subs) != 0 {
		t.Fatal("the device is still subscribed")
	}

	// Queue notifications are for agents.
	if resp, _ := agent.post("/console/push/queue", url.Values{"queue": {"1"}, "_csrf": {agent.csrf("/console/notifications")}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("queue notifications on: %s", resp.Status)
	}
	if on, _ := k.db.PushQueue(ctx, admin.ID); !on {
		t.Fatal("queue notifications are not on")
	}
	if resp, _ := other.b.post("/console/push/queue", url.Values{"queue": {"1"}, "_csrf": {other.b.csrf("/console/notifications")}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a member turned queue notifications on: %s", resp.Status)
	}

	// Muting: one's own conversations only.
	bob := k.person("Bob")
	conv, err := k.db.StartDirect(ctx, other.ID, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/console/c/%d", conv.ID)
	if resp, _ := other.b.post(path+"/mute", url.Values{"mute": {"1"}, "_csrf": {other.b.csrf(path)}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("muting: %s", resp.Status)
	}
	if muted, _ := k.db.Muted(ctx, other.ID, conv.ID); !muted {
		t.Fatal("the conversation is not muted")
	}
	if _, page := other.b.get(path); !strings.Contains(page, `data-testid="unmute"`) {
		t.Fatal("the conversation does not offer to unmute")
	}
	cat := k.person("Cat")
	if resp, _ := cat.b.post(path+"/mute", url.Values{"mute": {"1"}, "_csrf": {cat.b.csrf("/console")}}); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("a stranger muted someone else's conversation: %s", resp.Status)
	}
}

// TestPushSubscriptionRefusesPrivateEndpoints: push services are public,
// and the push worker connects to nothing else, so an endpoint on a
// loopback, private or link-local address is refused when the browser
// subscribes, even from a kefu served on loopback, and nothing is stored.
func TestPushSubscriptionRefusesPrivateEndpoints(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	agent := k.agent()
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{"p256dh": base64.RawURLEncoding.EncodeToString(priv.PublicKey().Bytes()),
		"auth": base64.RawURLEncoding.EncodeToString(make([]byte, 16))}
	for _, endpoint := range []string{
		"http://127.0.0.1:8443/push/1",
		"http://localhost/push/2",
		"https://LOCALHOST./push/3",
		"https://push.localhost/push/4",
		"https://[::1]/push/5",
		"https://10.0.0.7/push/6",
		"https://192.168.1.20/push/7",
		"https://169.254.169.254/push/8",
		"https://[fe80::1%25eth0]/push/9",
		"https://100.64.0.1/push/10",
	} {
		body, _ := json.Marshal(map[string]any{"endpoint": endpoint, "keys": keys})
		req, _ := http.NewRequest(http.MethodPost, k.srv.URL+"/console/push/subscriptions", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Origin", k.srv.URL)
		req.Header.Set("X-CSRF-Token", agent.csrf("/console/notifications"))
		resp, err := agent.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		wantJSONError(t, "subscribing "+endpoint, resp, string(got), http.StatusBadRequest, "invalid",
			"The push endpoint must be a public push service.")
	}
	admin, _, _ := k.db.MemberByEmail(ctx, agentEmail)
	if subs, err := k.db.PushSubscriptions(ctx, admin.ID); err != nil || len(subs) != 0 {
		t.Fatalf("%d subscriptions stored (%v), want none", len(subs), err)
	}
}

// TestAdminPushSettings: hiding message text and rotating the push keys,
// which forgets every device.
func TestAdminPushSettings(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	admin := k.agent()
	before, err := push.EnsureKeys(ctx, k.db)
	if err != nil {
		t.Fatal(err)
	}
	admin.adminPost("/admin/settings/push", url.Values{"hide": {"1"}}, "/admin/settings")
	if hide, _ := k.db.PushHideText(ctx); !hide {
		t.Fatal("message text is not hidden")
	}
	admin.adminPost("/admin/settings/vapid", confirmed(nil), "/admin/settings")
	after, err := push.LoadKeys(ctx, k.db)
	if err != nil || after.Public == before.Public {
		t.Fatalf("the push keys were not rotated: %v", err)
	}
	_, page := admin.get("/console/notifications")
	if !strings.Contains(page, `data-push-enable="`+after.Public+`"`) {
		t.Fatal("the console does not offer the new public key")
	}
}
