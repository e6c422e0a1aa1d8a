package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/storetest"
)

const revokedMark = `data-testid="revoked"`

// revokedIn is the fragment that shows message id revoked in place.
func revokedIn(id int64) string {
	return fmt.Sprintf(`data-target="#msg-%d" data-swap="outerHTML"`, id)
}

// newest is conversation id's newest message.
func newest(t *testing.T, k *instance, id int64) chat.Message {
	t.Helper()
	msgs, _, err := k.db.History(context.Background(), id, 0, 1, chat.ReaderAgent)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("newest message of %d: %v, %v", id, msgs, err)
	}
	return msgs[0]
}

// TestRevokeAcrossInstances: a visitor on instance A revokes their message;
// the agent's console on instance B shows it revoked at once, and its text
// is gone from the database. The agent may not revoke the visitor's
// message, and is told why.
func TestRevokeAcrossInstances(t *testing.T) {
	t.Parallel()
	dbURL := storetest.URL(t)
	a := start(t, dbURL)
	a.ensureAgent()
	b := start(t, dbURL)
	visitorOnA, agentOnB, conv := chatAcross(t, a, b)
	agentOnB.send(map[string]any{"type": "resume", "conversation_id": conv.ID, "seq": 0})
	agentOnB.waitFor(`data-target="#conversation-list" data-swap="innerHTML"`)
	visitorOnA.send(map[string]any{"type": "send", "client_msg_id": "oops", "body": "my password is hunter2"})
	agentOnB.waitFor("hunter2")
	msg := newest(t, a, conv.ID)

	agentOnB.send(map[string]any{"type": "revoke", "conversation_id": conv.ID, "message_id": msg.ID})
	if got := agentOnB.waitFor("composer-error"); !strings.Contains(got, "You can revoke only your own messages.") {
		t.Fatalf("the agent revoking the visitor's message was told:\n%s", got)
	}

	visitorOnA.send(map[string]any{"type": "revoke", "conversation_id": conv.ID, "message_id": msg.ID})
	got := agentOnB.waitFor(revokedIn(msg.ID))
	if !strings.Contains(got, revokedMark) || strings.Contains(got, "hunter2") {
		t.Fatalf("the agent on B sees the revoked message as:\n%s", got)
	}
	if got := visitorOnA.waitFor(revokedIn(msg.ID)); !strings.Contains(got, "Message revoked") {
		t.Fatalf("the visitor sees their revoked message as:\n%s", got)
	}
	if m := newest(t, b, conv.ID); m.Body != "" || m.RevokedAt == nil {
		t.Fatalf("stored after the revoke: %+v", m)
	}
	visitorOnA.send(map[string]any{"type": "revoke", "conversation_id": conv.ID, "message_id": msg.ID})
	if got := visitorOnA.waitFor("composer-error"); !strings.Contains(got, "already been revoked") {
		t.Fatalf("revoking twice was answered:\n%s", got)
	}
	// Shown again, the thread says it was revoked and holds no trace of it.
	_, page := b.agent().openChat(conv.ID)
	if strings.Contains(page, "hunter2") || !strings.Contains(page, revokedMark) {
		t.Fatal("the chat's page, after the revoke, does not show the message revoked")
	}
}

// TestRevokeForm: without JavaScript, the console's revoke button posts the
// page's revoke form; the visitor's widget sees the agent's reply revoked.
func TestRevokeForm(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	agent := k.agent()
	token := k.visitorToken()
	visitor := k.liveWidget(token)
	visitor.send(map[string]any{"type": "send", "client_msg_id": "v1", "body": "hello?"})
	visitor.waitFor(`data-ack="v1"`)
	conv := visitorConversation(t, k.db, token)
	resp, _ := agent.post(fmt.Sprintf("/console/c/%d/messages", conv.ID), url.Values{
		"_csrf": {agent.csrf(fmt.Sprintf("/console/c/%d", conv.ID))}, "body": {"wrong answer"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reply: %d", resp.StatusCode)
	}
	visitor.waitFor("wrong answer")
	msg := newest(t, k, conv.ID)
	_, page := agent.openChat(conv.ID)
	action := fmt.Sprintf(`formaction="/console/c/%d/messages/%d/revoke"`, conv.ID, msg.ID)
	if !strings.Contains(page, action) || !strings.Contains(page, `<form id="revoke-form" method="post" hidden>`) {
		t.Fatal("the agent's own message offers no revoke button of the page's form")
	}
	path := fmt.Sprintf("/console/c/%d/messages/%d/revoke", conv.ID, msg.ID)
	if resp, _ := agent.post(path, url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a revoke without the form's token: %d", resp.StatusCode)
	}
	resp, _ = agent.post(path, url.Values{"_csrf": {agent.csrf(fmt.Sprintf("/console/c/%d", conv.ID))}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != fmt.Sprintf("/console/c/%d", conv.ID) {
		t.Fatalf("the revoke form answered %d, to %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got := visitor.waitFor(revokedIn(msg.ID)); strings.Contains(got, "wrong answer") {
		t.Fatalf("the widget still shows the text:\n%s", got)
	}
}

// TestRevokeThroughTheAPI: a member's key revokes its member's message and
// the messages endpoint shows it revoked, with no body; a host key speaks
// for nobody, and a second revoke is refused with its code.
func TestRevokeThroughTheAPI(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	alex, _, err := k.db.MemberByEmail(ctx, agentEmail)
	if err != nil {
		t.Fatal(err)
	}
	sam, err := k.db.CreateMember(ctx, store.NewMember{Email: "sam@example.com", Name: "Sam", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	direct, err := k.db.StartDirect(ctx, alex.ID, sam.ID)
	if err != nil {
		t.Fatal(err)
	}
	alexKey, hostKey := k.apiKeyOf("Alex's", 0, alex.ID), k.apiKeyOf("shop", 0, 0)
	status, raw := k.apiCall(alexKey, http.MethodPost, fmt.Sprintf("/api/v1/conversations/%d/messages", direct.ID),
		`{"body": "the door code is 4242", "client_msg_id": "code"}`)
	if status != http.StatusCreated {
		t.Fatalf("send: %d %s", status, raw)
	}
	msg := newest(t, k, direct.ID)
	path := fmt.Sprintf("/api/v1/conversations/%d/messages/%d/revoke", direct.ID, msg.ID)
	if status, raw := k.apiCall(hostKey, http.MethodPost, path, ""); status != http.StatusForbidden {
		t.Errorf("a host key's revoke: %d %s", status, raw)
	}
	status, raw = k.apiCall(alexKey, http.MethodPost, path, "")
	if status != http.StatusOK || !strings.Contains(raw, `"revoked_at":"`) || !strings.Contains(raw, `"body":""`) {
		t.Fatalf("revoke: %d %s", status, raw)
	}
	if status, raw := k.apiCall(alexKey, http.MethodPost, path, ""); status != http.StatusConflict || !strings.Contains(raw, `"already_revoked"`) {
		t.Errorf("a second revoke: %d %s", status, raw)
	}
	_, raw = k.apiCall(alexKey, http.MethodGet, fmt.Sprintf("/api/v1/conversations/%d/messages", direct.ID), "")
	if strings.Contains(raw, "4242") || !strings.Contains(raw, `"revoked_at":"`) {
		t.Errorf("the messages endpoint after the revoke: %s", raw)
	}
}
