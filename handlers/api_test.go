package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

// apiKeyOf creates an API key and returns what a backend would hold.
func (k *instance) apiKeyOf(name string, siteID, memberID int64) string {
	k.t.Helper()
	secret := "kefu_" + auth.NewToken()
	if _, err := k.db.CreateAPIKey(context.Background(), 0, store.NewAPIKey{Name: name, Prefix: secret[:11],
		Hash: auth.TokenHash(secret), SiteID: siteID, UserID: memberID}); err != nil {
		k.t.Fatal(err)
	}
	return secret
}

// apiCall sends a host API request with key (none when empty) and returns
// the status and the JSON body, which every answer must be.
func (k *instance) apiCall(key, method, path, body string) (int, string) {
	k.t.Helper()
	req, err := http.NewRequest(method, k.srv.URL+path, strings.NewReader(body))
	if err != nil {
		k.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		k.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" || !json.Valid(raw) {
		k.t.Fatalf("%s %s answered %s with %q: %s", method, path, resp.Status, ct, raw)
	}
	return resp.StatusCode, string(raw)
}

// apiDecode decodes an API answer into a T.
func apiDecode[T any](t *testing.T, raw string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	return v
}

// apiError is an API failure's body.
type apiError struct {
	Error, Message, Field string
}

// wantAPIError checks that a call failed with status, error code and (for bad input) field.
func wantAPIError(t *testing.T, what string, status int, raw string, wantStatus int, code, field string) {
	t.Helper()
	e := apiDecode[apiError](t, raw)
	if status != wantStatus || e.Error != code || e.Field != field || e.Message == "" {
		t.Errorf("%s: %d %s, want %d %s (field %q)", what, status, raw, wantStatus, code, field)
	}
}

type apiUserReply struct {
	ID         int64  `json:"id"`
	ExternalID string `json:"external_id"`
	Name       string `json:"name"`
	Email      string `json:"email"`
	Avatar     string `json:"avatar"`
}

type apiMessageReply struct {
	ID             int64   `json:"id"`
	ConversationID int64   `json:"conversation_id"`
	Seq            int64   `json:"seq"`
	SenderID       *int64  `json:"sender_id"`
	ClientMsgID    string  `json:"client_msg_id"`
	Type           string  `json:"type"`
	Body           string  `json:"body"`
	CreatedAt      *string `json:"created_at"`
}

type apiPage struct {
	Messages     []apiMessageReply `json:"messages"`
	NextAfterSeq int64             `json:"next_after_seq"`
	HasMore      bool              `json:"has_more"`
}

type apiConversationsReply struct {
	Conversations []struct {
		ID            int64   `json:"id"`
		Kind          string  `json:"kind"`
		Status        string  `json:"status"`
		LastSeq       int64   `json:"last_seq"`
		LastMessageAt *string `json:"last_message_at"`
		Unread        int64   `json:"unread"`
	} `json:"conversations"`
}

func TestAPIRefusesMissingAndRevokedKeys(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	key := k.apiKeyOf("shop", 0, 0)
	user := `{"name":"Lee"}`

	status, raw := k.apiCall("", http.MethodPut, "/api/v1/users/u-1", user)
	wantAPIError(t, "no key", status, raw, http.StatusUnauthorized, "unauthenticated", "")
	status, raw = k.apiCall("kefu_not-a-key", http.MethodPut, "/api/v1/users/u-1", user)
	wantAPIError(t, "unknown key", status, raw, http.StatusUnauthorized, "unauthenticated", "")
	status, raw = k.apiCall("", http.MethodGet, "/api/v1/nothing-here", "")
	wantAPIError(t, "no key, no route", status, raw, http.StatusUnauthorized, "unauthenticated", "")
	status, raw = k.apiCall(key, http.MethodGet, "/api/v1/nothing-here", "")
	wantAPIError(t, "no route", status, raw, http.StatusNotFound, "not_found", "")
	status, raw = k.apiCall(key, http.MethodDelete, "/api/v1/users/u-1", "")
	wantAPIError(t, "wrong method", status, raw, http.StatusMethodNotAllowed, "method_not_allowed", "")
	if n := k.count("SELECT count(*) FROM users WHERE external_id IS NOT NULL"); n != 0 {
		t.Fatalf("refused requests created %d users", n)
	}

	if status, raw := k.apiCall(key, http.MethodPut, "/api/v1/users/u-1", user); status != http.StatusOK {
		t.Fatalf("with the key: %d %s", status, raw)
	}
	keys, err := k.db.APIKeys(context.Background())
	if err != nil || len(keys) != 1 || keys[0].LastUsedAt == nil {
		t.Fatalf("keys = %+v, %v; want the key, used", keys, err)
	}
	if err := k.db.RevokeAPIKey(context.Background(), 0, keys[0].ID); err != nil {
		t.Fatal(err)
	}
	status, raw = k.apiCall(key, http.MethodPut, "/api/v1/users/u-1", `{"name":"Changed"}`)
	wantAPIError(t, "revoked key", status, raw, http.StatusUnauthorized, "unauthenticated", "")
	if u, err := k.db.ExternalUserByID(context.Background(), 0, "u-1"); err != nil || u.Name != "Lee" {
		t.Fatalf("user after the revoked key's request: %+v, %v", u, err)
	}
}

func TestAPIUsersConversationsAndMessages(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	alex := k.firstAdminID()
	key := k.apiKeyOf("shop", 0, 0)

	status, raw := k.apiCall(key, http.MethodPut, "/api/v1/users/u-1", `{"name":"Lee","email":"lee@example.com","avatar":"https://cdn.example.com/lee.png"}`)
	u := apiDecode[apiUserReply](t, raw)
	if status != http.StatusOK || u.ID == 0 || u.ExternalID != "u-1" || u.Name != "Lee" || u.Email != "lee@example.com" || u.Avatar != "https://cdn.example.com/lee.png" {
		t.Fatalf("create user: %d %s", status, raw)
	}
	status, raw = k.apiCall(key, http.MethodPut, "/api/v1/users/u-1", `{"name":"Lee Chen","email":"lee@example.com"}`)
	if again := apiDecode[apiUserReply](t, raw); status != http.StatusOK || again.ID != u.ID || again.Name != "Lee Chen" || again.Avatar != "" {
		t.Fatalf("update user: %d %s", status, raw)
	}
	if status, raw := k.apiCall(key, http.MethodGet, "/api/v1/users/u-1/conversations", ""); status != http.StatusOK || raw != "{\"conversations\":[]}\n" {
		t.Fatalf("conversations before any: %d %s", status, raw)
	}

	// Sending as the user: 201, then 200 with the same message for a resend.
	status, raw = k.apiCall(key, http.MethodPost, "/api/v1/users/u-1/messages", `{"body":" Where is my order? ","client_msg_id":"order-1"}`)
	first := apiDecode[apiMessageReply](t, raw)
	if status != http.StatusCreated || first.Seq != 1 || first.Body != "Where is my order?" || first.SenderID == nil || *first.SenderID != u.ID ||
		first.Type != "text" || first.ClientMsgID != "order-1" || first.CreatedAt == nil {
		t.Fatalf("send as user: %d %s", status, raw)
	}
	status, raw = k.apiCall(key, http.MethodPost, "/api/v1/users/u-1/messages", `{"body":"Where is my order?","client_msg_id":"order-1"}`)
	if resent := apiDecode[apiMessageReply](t, raw); status != http.StatusOK || resent.ID != first.ID {
		t.Fatalf("resend: %d %s, want 200 with message %d", status, raw, first.ID)
	}
	conv := first.ConversationID
	if n := k.count("SELECT count(*) FROM messages WHERE conversation_id = $1", conv); n != 1 {
		t.Fatalf("the conversation holds %d messages, want 1", n)
	}
	c, err := k.db.Conversation(ctx, conv)
	if err != nil || c.Kind != chat.Support || c.VisitorID != u.ID {
		t.Fatalf("the message went to %+v, %v; want the user's support chat", c, err)
	}

	// An agent answers, and leaves a private note on the way.
	if _, _, err := k.db.SendMessage(ctx, store.Send{ConversationID: conv, SenderID: alex, Body: "Let me check."}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := k.db.SendMessage(ctx, store.Send{ConversationID: conv, SenderID: alex, Type: chat.Note, Body: "VIP customer"}); err != nil {
		t.Fatal(err)
	}
	// The user also writes to the agent directly.
	direct, _, err := k.db.SendDirect(ctx, store.Send{SenderID: u.ID, Body: "Hi Alex"}, alex)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := k.db.SendMessage(ctx, store.Send{ConversationID: direct.ConversationID, SenderID: alex, Body: "Hi Lee"}); err != nil {
		t.Fatal(err)
	}
	status, raw = k.apiCall(key, http.MethodGet, "/api/v1/users/u-1/conversations", "")
	list := apiDecode[apiConversationsReply](t, raw).Conversations
	if status != http.StatusOK || len(list) != 2 {
		t.Fatalf("conversations: %d %s", status, raw)
	}
	got := fmt.Sprintf("%d %s %s %d %d; %d %s %s %d %d", list[0].ID, list[0].Kind, list[0].Status, list[0].LastSeq, list[0].Unread,
		list[1].ID, list[1].Kind, list[1].Status, list[1].LastSeq, list[1].Unread)
	want := fmt.Sprintf("%d direct  2 1; %d support queued 3 1", direct.ConversationID, conv)
	if got != want || list[0].LastMessageAt == nil {
		t.Fatalf("conversations = %s, want %s", got, want)
	}

	// A system line from the host site.
	status, raw = k.apiCall(key, http.MethodPost, fmt.Sprintf("/api/v1/conversations/%d/messages", conv), `{"body":"Order #1001 shipped.","type":"system"}`)
	sys := apiDecode[apiMessageReply](t, raw)
	if status != http.StatusCreated || sys.Type != "system" || sys.SenderID != nil || sys.Seq != 4 || sys.Body != "Order #1001 shipped." {
		t.Fatalf("system message: %d %s", status, raw)
	}
	for i := range 4 {
		if _, _, err := k.db.SendMessage(ctx, store.Send{ConversationID: conv, SenderID: alex, Body: fmt.Sprint("update ", i)}); err != nil {
			t.Fatal(err)
		}
	}

	// Read it all back by seq, three at a time: no note, nothing twice, in order.
	var seqs []string
	after := int64(0)
	for pages := 0; ; pages++ {
		status, raw := k.apiCall(key, http.MethodGet, fmt.Sprintf("/api/v1/conversations/%d/messages?after_seq=%d&limit=3", conv, after), "")
		page := apiDecode[apiPage](t, raw)
		if status != http.StatusOK || len(page.Messages) > 3 || pages > 5 {
			t.Fatalf("page after %d: %d %s", after, status, raw)
		}
		for _, m := range page.Messages {
			if m.Type == "note" || m.ConversationID != conv {
				t.Fatalf("page after %d holds %+v", after, m)
			}
			seqs = append(seqs, fmt.Sprint(m.Seq))
		}
		if len(page.Messages) > 0 && page.NextAfterSeq != page.Messages[len(page.Messages)-1].Seq {
			t.Fatalf("next_after_seq %d is not the page's last seq: %s", page.NextAfterSeq, raw)
		}
		after = page.NextAfterSeq
		if !page.HasMore {
			break
		}
	}
	if got := strings.Join(seqs, " "); got != "1 2 4 5 6 7 8" {
		t.Fatalf("read seqs %s, want 1 2 4 5 6 7 8 (3 is the private note)", got)
	}
	status, raw = k.apiCall(key, http.MethodGet, fmt.Sprintf("/api/v1/conversations/%d/messages?after_seq=8", conv), "")
	if page := apiDecode[apiPage](t, raw); status != http.StatusOK || len(page.Messages) != 0 || page.NextAfterSeq != 8 || page.HasMore {
		t.Fatalf("nothing new: %d %s", status, raw)
	}
	if status, raw := k.apiCall(key, http.MethodGet, "/api/v1/conversations/999999/messages", ""); status != http.StatusNotFound {
		t.Fatalf("missing conversation: %d %s", status, raw)
	}
}

func TestAPIBadInputStoresNothing(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	key := k.apiKeyOf("shop", 0, 0)
	if status, raw := k.apiCall(key, http.MethodPost, "/api/v1/users/u-1/messages", `{"body":"hi"}`); status != http.StatusNotFound {
		t.Fatalf("send as an unknown user: %d %s", status, raw)
	}
	if status, raw := k.apiCall(key, http.MethodPut, "/api/v1/users/u-1", `{"name":"Lee"}`); status != http.StatusOK {
		t.Fatalf("create user: %d %s", status, raw)
	}
	status, raw := k.apiCall(key, http.MethodPost, "/api/v1/users/u-1/messages", `{"body":"first"}`)
	if status != http.StatusCreated {
		t.Fatalf("first message: %d %s", status, raw)
	}
	conv := apiDecode[apiMessageReply](t, raw).ConversationID
	messages := fmt.Sprintf("/api/v1/conversations/%d/messages", conv)
	huge := `{"name":"` + strings.Repeat("x", 70<<10) + `"}`
	for _, c := range []struct {
		what, method, path, body string
		field                    string
	}{
		{"not JSON", http.MethodPut, "/api/v1/users/u-2", `{"name":`, "request"},
		{"no body", http.MethodPut, "/api/v1/users/u-2", ``, "request"},
		{"two objects", http.MethodPut, "/api/v1/users/u-2", `{"name":"a"} {"name":"b"}`, "request"},
		{"an unknown field", http.MethodPut, "/api/v1/users/u-2", `{"nickname":"Lee"}`, "nickname"},
		{"a number for a name", http.MethodPut, "/api/v1/users/u-2", `{"name":5}`, "name"},
		{"a body over 64 KiB", http.MethodPut, "/api/v1/users/u-2", huge, "request"},
		{"a bad email", http.MethodPut, "/api/v1/users/u-2", `{"email":"lee at example"}`, "email"},
		{"a bad avatar", http.MethodPut, "/api/v1/users/u-2", `{"avatar":"javascript:alert(1)"}`, "avatar"},
		{"a long external id", http.MethodPut, "/api/v1/users/" + strings.Repeat("9", 201), `{}`, "external_id"},
		{"an empty message", http.MethodPost, "/api/v1/users/u-1/messages", `{"body":"   "}`, "body"},
		{"an over-long message", http.MethodPost, "/api/v1/users/u-1/messages", `{"body":"` + strings.Repeat("a", chat.MaxBodyChars+1) + `"}`, "body"},
		{"a bad client_msg_id", http.MethodPost, "/api/v1/users/u-1/messages", `{"body":"hi","client_msg_id":"no spaces"}`, "client_msg_id"},
		{"bad JSON message", http.MethodPost, "/api/v1/users/u-1/messages", `["hi"]`, "request"},
		{"a host key's text message", http.MethodPost, messages, `{"body":"hi"}`, "type"},
		{"a system message with an id", http.MethodPost, messages, `{"body":"hi","type":"system","client_msg_id":"x1"}`, "client_msg_id"},
		{"an empty system message", http.MethodPost, messages, `{"body":"","type":"system"}`, "body"},
		{"a negative seq", http.MethodGet, messages + "?after_seq=-1", ``, "after_seq"},
		{"a seq that is not a number", http.MethodGet, messages + "?after_seq=ten", ``, "after_seq"},
		{"a zero limit", http.MethodGet, messages + "?limit=0", ``, "limit"},
		{"a limit over 200", http.MethodGet, messages + "?limit=201", ``, "limit"},
	} {
		status, raw := k.apiCall(key, c.method, c.path, c.body)
		wantAPIError(t, c.what, status, raw, http.StatusBadRequest, "invalid", c.field)
	}
	if n := k.count("SELECT count(*) FROM users WHERE external_id IS NOT NULL"); n != 1 {
		t.Errorf("bad input created users: %d in all, want 1", n)
	}
	if u, err := k.db.ExternalUserByID(context.Background(), 0, "u-1"); err != nil || u.Name != "Lee" || u.Email != "" {
		t.Errorf("bad input changed the user: %+v, %v", u, err)
	}
	if n := k.count("SELECT count(*) FROM messages"); n != 1 {
		t.Errorf("bad input stored messages: %d in all, want 1", n)
	}
}

func TestAPIMembersKeyActsOnlyAsItsMember(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	alex := k.firstAdminID()
	sam := k.addPlainMember("sam@example.com", "Sam", personPassword)
	hostKey := k.apiKeyOf("shop", 0, 0)
	samKey := k.apiKeyOf("Sam's scripts", 0, sam)

	if status, raw := k.apiCall(hostKey, http.MethodPut, "/api/v1/users/u-1", `{"name":"Lee"}`); status != http.StatusOK {
		t.Fatalf("create user: %d %s", status, raw)
	}
	status, raw := k.apiCall(hostKey, http.MethodPost, "/api/v1/users/u-1/messages", `{"body":"help"}`)
	support := apiDecode[apiMessageReply](t, raw).ConversationID
	if status != http.StatusCreated {
		t.Fatalf("user's message: %d %s", status, raw)
	}

	// Another user's data: refused whoever it is, existing or not.
	for _, c := range []struct{ method, path, body string }{
		{http.MethodPut, "/api/v1/users/u-1", `{"name":"Mallory"}`},
		{http.MethodPut, "/api/v1/users/someone-new", `{"name":"Mallory"}`},
		{http.MethodGet, "/api/v1/users/u-1/conversations", ``},
		{http.MethodGet, "/api/v1/users/nobody/conversations", ``},
		{http.MethodPost, "/api/v1/users/u-1/messages", `{"body":"as Lee"}`},
	} {
		status, raw := k.apiCall(samKey, c.method, c.path, c.body)
		wantAPIError(t, "member's key: "+c.method+" "+c.path, status, raw, http.StatusForbidden, "not_allowed", "")
	}
	// A conversation Sam is not in does not exist for Sam's key.
	supportMessages := fmt.Sprintf("/api/v1/conversations/%d/messages", support)
	status, raw = k.apiCall(samKey, http.MethodGet, supportMessages, "")
	wantAPIError(t, "member's key reads another's conversation", status, raw, http.StatusNotFound, "not_found", "")
	status, raw = k.apiCall(samKey, http.MethodPost, supportMessages, `{"body":"hi"}`)
	wantAPIError(t, "member's key writes in another's conversation", status, raw, http.StatusNotFound, "not_found", "")
	status, raw = k.apiCall(samKey, http.MethodPost, supportMessages, `{"body":"hi","type":"system"}`)
	wantAPIError(t, "member's key sends a system line", status, raw, http.StatusForbidden, "not_allowed", "")
	if n := k.count("SELECT count(*) FROM messages WHERE conversation_id = $1", support); n != 1 {
		t.Fatalf("refused requests stored messages: %d", n)
	}
	if u, _ := k.db.ExternalUserByID(ctx, 0, "u-1"); u.Name != "Lee" {
		t.Fatalf("a member's key renamed the user to %q", u.Name)
	}

	// In Sam's own conversation, the key writes as Sam.
	d, err := k.db.StartDirect(ctx, sam, alex)
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/api/v1/conversations/%d/messages", d.ID)
	status, raw = k.apiCall(samKey, http.MethodPost, path, `{"body":"Deploy done.","client_msg_id":"deploy-7"}`)
	m := apiDecode[apiMessageReply](t, raw)
	if status != http.StatusCreated || m.SenderID == nil || *m.SenderID != sam || m.Type != "text" {
		t.Fatalf("member's key sends: %d %s", status, raw)
	}
	if status, raw := k.apiCall(samKey, http.MethodPost, path, `{"body":"Deploy done.","client_msg_id":"deploy-7"}`); status != http.StatusOK ||
		apiDecode[apiMessageReply](t, raw).ID != m.ID {
		t.Fatalf("member's key resends: %d %s", status, raw)
	}
	status, raw = k.apiCall(samKey, http.MethodGet, path, "")
	if page := apiDecode[apiPage](t, raw); status != http.StatusOK || len(page.Messages) != 1 || page.Messages[0].ID != m.ID {
		t.Fatalf("member's key reads: %d %s", status, raw)
	}

	// Sam is disabled: the key stops working at once.
	if err := k.db.SetDisabled(ctx, alex, sam, true); err != nil {
		t.Fatal(err)
	}
	status, raw = k.apiCall(samKey, http.MethodGet, path, "")
	wantAPIError(t, "disabled member's key", status, raw, http.StatusUnauthorized, "unauthenticated", "")
}

func TestAPISiteKeysKeepToTheirSite(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	var shop, blog int64
	for name, id := range map[string]*int64{"Shop": &shop, "Blog": &blog} {
		if err := k.db.Pool().QueryRow(context.Background(), "INSERT INTO sites (name, identity_secret) VALUES ($1, 'x') RETURNING id",
			name).Scan(id); err != nil {
			t.Fatal(err)
		}
	}
	shopKey, blogKey := k.apiKeyOf("shop", shop, 0), k.apiKeyOf("blog", blog, 0)

	status, raw := k.apiCall(shopKey, http.MethodPut, "/api/v1/users/42", `{"name":"Lee"}`)
	shopUser := apiDecode[apiUserReply](t, raw)
	if status != http.StatusOK {
		t.Fatalf("shop user: %d %s", status, raw)
	}
	// The same external id on another site is another person.
	status, raw = k.apiCall(blogKey, http.MethodPut, "/api/v1/users/42", `{"name":"Kim"}`)
	if blogUser := apiDecode[apiUserReply](t, raw); status != http.StatusOK || blogUser.ID == shopUser.ID {
		t.Fatalf("blog user: %d %s, want a user other than %d", status, raw, shopUser.ID)
	}
	status, raw = k.apiCall(shopKey, http.MethodPost, "/api/v1/users/42/messages", `{"body":"hi from the shop"}`)
	m := apiDecode[apiMessageReply](t, raw)
	if status != http.StatusCreated || *m.SenderID != shopUser.ID {
		t.Fatalf("shop user's message: %d %s", status, raw)
	}
	var site int64
	if err := k.db.Pool().QueryRow(context.Background(), "SELECT site_id FROM conversations WHERE id = $1", m.ConversationID).Scan(&site); err != nil || site != shop {
		t.Fatalf("the chat's site is %d, %v; want the shop", site, err)
	}
	path := fmt.Sprintf("/api/v1/conversations/%d/messages", m.ConversationID)
	status, raw = k.apiCall(blogKey, http.MethodGet, path, "")
	wantAPIError(t, "another site's key reads", status, raw, http.StatusNotFound, "not_found", "")
	status, raw = k.apiCall(blogKey, http.MethodPost, path, `{"body":"not yours","type":"system"}`)
	wantAPIError(t, "another site's key writes", status, raw, http.StatusNotFound, "not_found", "")
	if status, raw := k.apiCall(shopKey, http.MethodGet, path, ""); status != http.StatusOK || len(apiDecode[apiPage](t, raw).Messages) != 1 {
		t.Fatalf("the shop's key reads: %d %s", status, raw)
	}
}

func TestAPIMessageReachesTheConsoleLive(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	key := k.apiKeyOf("shop", 0, 0)
	console := k.agent().console()
	console.send(map[string]any{"type": "resume"})
	console.waitFor(`data-target="#conversation-list" data-swap="innerHTML"`)
	if status, raw := k.apiCall(key, http.MethodPut, "/api/v1/users/u-1", `{"name":"Lee"}`); status != http.StatusOK {
		t.Fatalf("create user: %d %s", status, raw)
	}
	if status, raw := k.apiCall(key, http.MethodPost, "/api/v1/users/u-1/messages", `{"body":"Sent from the shop's backend"}`); status != http.StatusCreated {
		t.Fatalf("send: %d %s", status, raw)
	}
	console.waitFor("Sent from the shop")
}
