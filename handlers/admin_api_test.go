package handlers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kefu-im/kefu/outbox"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/webhook"
)

var (
	apiKeyIDRe    = regexp.MustCompile(`data-testid="api-key-row" data-key-id="(\d+)"`)
	webhookIDRe   = regexp.MustCompile(`data-testid="webhook" data-webhook-id="(\d+)"`)
	deliveryRowRe = regexp.MustCompile(`(?s)<tr data-testid="delivery-row".*?</tr>`)
)

// webhookCard returns the API page's card for webhook id.
func webhookCard(t *testing.T, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<section[^>]*data-webhook-id="` + id + `".*?</section>`).FindString(body)
	if m == "" {
		t.Fatalf("no card for webhook %s", id)
	}
	return m
}

func TestAdminAPIPageIsForAdminsOnly(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	k.addPlainMember("sam@example.com", "Sam", personPassword)
	sam := k.signInAs("sam@example.com", personPassword)
	if resp, _ := sam.get("/admin/api"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a member opens /admin/api: %s", resp.Status)
	}
	resp, _ := sam.post("/admin/api/keys", url.Values{"name": {"mine"}, "_csrf": {sam.csrf("/console")}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a member creates a key: %s", resp.Status)
	}
	if keys, _ := k.db.APIKeys(context.Background()); len(keys) != 0 {
		t.Fatalf("a member created keys: %+v", keys)
	}
}

func TestAdminCreatesAndRevokesAPIKeys(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	alex := k.agent()
	sam := k.addPlainMember("sam@example.com", "Sam", personPassword)
	_, page := alex.get("/admin/api")
	if !strings.Contains(page, `data-testid="no-api-keys"`) || !strings.Contains(page, `aria-current="page">API`) {
		t.Fatal("the API page does not show its empty state under its nav entry")
	}

	// A refused key shows the form again, with what was typed, and stores nothing.
	resp, page := alex.post("/admin/api/keys", url.Values{"name": {"  "}, "member": {fmt.Sprint(sam)}, "_csrf": {alex.csrf("/admin/api")}})
	if resp.StatusCode != http.StatusBadRequest || testidText(page, "api-key-error") == "" ||
		!strings.Contains(page, fmt.Sprintf(`<option value="%d" selected>`, sam)) {
		t.Fatalf("a key without a name: %s", resp.Status)
	}
	if keys, _ := k.db.APIKeys(context.Background()); len(keys) != 0 {
		t.Fatalf("a refused key was stored: %+v", keys)
	}

	alex.adminPost("/admin/api/keys", url.Values{"name": {"Shop backend"}}, "/admin/api")
	_, page = alex.get("/admin/api")
	key := testidText(page, "new-api-key")
	if !strings.HasPrefix(key, "kefu_") || len(key) < 40 {
		t.Fatalf("the new key shown is %q", key)
	}
	if testidText(page, "api-key-prefix") != key[:11]+"…" || testidText(page, "api-key-name") != "Shop backend" {
		t.Fatalf("the key's row shows %q, %q", testidText(page, "api-key-name"), testidText(page, "api-key-prefix"))
	}
	if _, again := alex.get("/admin/api"); strings.Contains(again, key) {
		t.Fatal("the key is shown a second time")
	}
	if n := k.count("SELECT count(*) FROM api_keys WHERE prefix = $1 AND key_hash = sha256(convert_to($2, 'UTF8'))", key[:11], key); n != 1 {
		t.Fatalf("the key is not stored as its SHA-256 (%d rows)", n)
	}

	// The key works, and its use shows.
	if status, raw := k.apiCall(key, http.MethodPut, "/api/v1/users/u-1", `{"name":"Lee"}`); status != http.StatusOK {
		t.Fatalf("the new key: %d %s", status, raw)
	}
	_, page = alex.get("/admin/api")
	if strings.Contains(page, ">never<") || testidText(page, "api-key-status") != "Active" {
		t.Fatal("the key's use or status is not shown")
	}
	id := apiKeyIDRe.FindStringSubmatch(page)[1]
	alex.adminPost("/admin/api/keys/"+id+"/revoke", confirmed(nil), "/admin/api")
	if status, _ := k.apiCall(key, http.MethodPut, "/api/v1/users/u-1", `{"name":"Lee"}`); status != http.StatusUnauthorized {
		t.Fatalf("the revoked key answered %d", status)
	}
	_, page = alex.get("/admin/api")
	if testidText(page, "api-key-status") != "Revoked" || strings.Contains(page, `data-testid="revoke-api-key"`) {
		t.Fatal("the revoked key is not shown as revoked")
	}

	// A member's key.
	alex.adminPost("/admin/api/keys", url.Values{"name": {"Sam's scripts"}, "member": {fmt.Sprint(sam)}}, "/admin/api")
	_, page = alex.get("/admin/api")
	if testidText(page, "api-key-member") != "Sam" {
		t.Fatalf("the member's key acts as %q", testidText(page, "api-key-member"))
	}

	_, audit := alex.get("/admin/audit")
	if strings.Contains(audit, key) || strings.Contains(audit, key[11:]) {
		t.Fatal("the audit log shows the key")
	}
	var actions []string
	for _, row := range adminAuditRows(audit) {
		if strings.Contains(row, "api_key.") {
			actions = append(actions, strings.Split(row, " | ")[1])
		}
	}
	if got := strings.Join(actions, " "); got != "api_key.create api_key.revoke api_key.create" {
		t.Fatalf("audited %q", got)
	}
}

func TestAdminManagesWebhooksAndSeesDeliveries(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	alex := k.agent()
	var refuse atomic.Bool
	var calls atomic.Int32
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		calls.Add(1)
		if refuse.Load() {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(endpoint.Close)

	resp, page := alex.post("/admin/api/webhooks", url.Values{"url": {"ftp://example.com/"}, "event": {store.EventMessageCreated},
		"_csrf": {alex.csrf("/admin/api")}})
	if resp.StatusCode != http.StatusBadRequest || testidText(page, "webhook-error") == "" || !strings.Contains(page, `value="ftp://example.com/"`) {
		t.Fatalf("a bad URL: %s", resp.Status)
	}
	alex.adminPost("/admin/api/webhooks", url.Values{"url": {endpoint.URL + "/events"},
		"event": {store.EventMessageCreated, store.EventConversationQueued}}, "/admin/api")
	_, page = alex.get("/admin/api")
	id := webhookIDRe.FindStringSubmatch(page)[1]
	card := webhookCard(t, page, id)
	secret := testidText(card, "webhook-secret")
	if !strings.HasPrefix(secret, "whsec_") || testidText(card, "webhook-events") != "message.created, conversation.queued" ||
		testidText(card, "webhook-state") != "Enabled" {
		t.Fatalf("the new webhook's card:\n%s", card)
	}

	// A user writes; one delivery goes through, the next is refused for good.
	// The receiver listens on 127.0.0.1.
	worker := webhook.NewWorker(k.db, webhook.Config{Config: outbox.Config{MaxAttempts: 1}, AllowPrivate: true}, slog.New(slog.DiscardHandler))
	key := k.apiKeyOf("shop", 0, 0)
	k.apiCall(key, http.MethodPut, "/api/v1/users/u-1", `{"name":"Lee"}`)
	k.apiCall(key, http.MethodPost, "/api/v1/users/u-1/messages", `{"body":"hello"}`)
	if n, err := worker.Round(context.Background()); err != nil || n != 2 {
		t.Fatalf("round = %d, %v; want queued and message", n, err)
	}
	refuse.Store(true)
	k.apiCall(key, http.MethodPost, "/api/v1/users/u-1/messages", `{"body":"again"}`)
	if n, err := worker.Round(context.Background()); err != nil || n != 1 {
		t.Fatalf("round = %d, %v", n, err)
	}
	_, page = alex.get("/admin/api")
	var rows []string
	for _, row := range deliveryRowRe.FindAllString(webhookCard(t, page, id), -1) {
		status := regexp.MustCompile(`class="badge delivery-(\w+)"`).FindStringSubmatch(row)[1]
		rows = append(rows, status+"|"+testidText(row, "delivery-attempts")+"|"+testidText(row, "delivery-error"))
	}
	want := "failed|1|HTTP 500 Internal Server Error; delivered|1|; delivered|1|"
	if strings.Join(rows, "; ") != want {
		t.Fatalf("deliveries shown: %q, want %q", strings.Join(rows, "; "), want)
	}

	// Rotate, disable, enable, delete.
	alex.adminPost("/admin/api/webhooks/"+id+"/secret", confirmed(nil), "/admin/api")
	_, page = alex.get("/admin/api")
	if rotated := testidText(webhookCard(t, page, id), "webhook-secret"); rotated == secret || !strings.HasPrefix(rotated, "whsec_") {
		t.Fatalf("the rotated secret is %q", rotated)
	}
	alex.adminPost("/admin/api/webhooks/"+id+"/disable", url.Values{}, "/admin/api")
	_, page = alex.get("/admin/api")
	if testidText(webhookCard(t, page, id), "webhook-state") != "Disabled" {
		t.Fatal("the webhook is not shown disabled")
	}
	k.apiCall(key, http.MethodPost, "/api/v1/users/u-1/messages", `{"body":"while disabled"}`)
	alex.adminPost("/admin/api/webhooks/"+id+"/enable", url.Values{}, "/admin/api")
	before := calls.Load()
	if n, err := worker.Round(context.Background()); err != nil || n != 0 || calls.Load() != before {
		t.Fatalf("a disabled webhook's events were sent: round %d, %v", n, err)
	}
	alex.adminPost("/admin/api/webhooks/"+id+"/delete", confirmed(nil), "/admin/api")
	_, page = alex.get("/admin/api")
	if webhookIDRe.MatchString(page) || !strings.Contains(page, `data-testid="no-webhooks"`) {
		t.Fatal("the deleted webhook is still listed")
	}
	resp, _ = alex.post("/admin/api/webhooks/"+id+"/enable", url.Values{"_csrf": {alex.csrf("/admin/api")}})
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("enabling a deleted webhook: %s", resp.Status)
	}

	_, audit := alex.get("/admin/audit")
	if strings.Contains(audit, "whsec_") {
		t.Fatal("the audit log shows a webhook secret")
	}
	var actions []string
	for _, row := range adminAuditRows(audit) {
		if strings.Contains(row, "webhook.") {
			actions = append(actions, strings.Split(row, " | ")[1])
		}
	}
	if got, want := strings.Join(actions, " "), "webhook.delete webhook.enable webhook.disable webhook.rotate_secret webhook.create"; got != want {
		t.Fatalf("audited %q, want %q", got, want)
	}
}
