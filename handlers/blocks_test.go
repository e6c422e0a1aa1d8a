package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kefu-im/kefu/store/storetest"
)

const (
	sayBlocked      = "This message holds a word that is not allowed here, and was not sent."
	sayNotDelivered = "This message was not delivered."
	sayUnavailable  = "Chat is unavailable right now. Please come back later."
)

// A word an admin lists on one instance refuses, at once, a message sent
// through the other, on the widget, the console and the host API; masked,
// it is stored with the word hidden.
func TestSensitiveWordOnOneInstanceHoldsOnTheOther(t *testing.T) {
	t.Parallel()
	dbURL := storetest.URL(t)
	a, b := start(t, dbURL), start(t, dbURL)
	a.ensureAgent()

	token := b.visitorToken()
	v := b.liveWidget(token)
	v.send(map[string]any{"type": "send", "client_msg_id": "w1", "body": "买广告吗"})
	v.waitFor(`data-ack="w1"`) // stored: instance b now knows the settings, with no word listed
	agentB := b.agent()
	conv, err := b.db.VisitorConversation(context.Background(), mustVisitor(t, b.db, token).ID)
	if err != nil {
		t.Fatal(err)
	}
	consoleB := agentB.console()

	admin := a.agent()
	resp, body := admin.post("/admin/words", url.Values{"words": {"广告\n  SPAM \n"}, "_csrf": {admin.csrf("/admin/words")}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("adding words answered %s: %s", resp.Status, body)
	}
	if _, page := admin.get("/admin/words"); !strings.Contains(page, ">广告<") || !strings.Contains(page, ">spam<") {
		t.Fatalf("the admin page does not list the words:\n%s", page)
	}

	v.send(map[string]any{"type": "send", "client_msg_id": "w2", "body": "买广告吗"})
	if got := v.waitFor(`data-ack="w2"`); !strings.Contains(got, sayBlocked) {
		t.Fatalf("the widget's message was not refused:\n%s", got)
	}
	consoleB.send(map[string]any{"type": "send", "conversation_id": conv.ID, "client_msg_id": "c1", "body": "no Spam please"})
	if got := consoleB.waitFor(`data-ack="c1"`); !strings.Contains(got, sayBlocked) {
		t.Fatalf("the console's message was not refused:\n%s", got)
	}
	key := b.apiKeyOf("host", 0, 0)
	if status, raw := b.apiCall(key, http.MethodPut, "/api/v1/users/u-1", `{"name":"Lee"}`); status != http.StatusOK {
		t.Fatalf("create user: %d %s", status, raw)
	}
	status, raw := b.apiCall(key, http.MethodPost, "/api/v1/users/u-1/messages", `{"body":"spam spam","client_msg_id":"x1"}`)
	if status != http.StatusUnprocessableEntity || !strings.Contains(raw, `"error":"message_blocked"`) {
		t.Fatalf("the host API answered %d %s", status, raw)
	}
	var stored int
	if err := b.db.Pool().QueryRow(context.Background(),
		"SELECT count(*) FROM messages WHERE body ILIKE '%spam%' OR body LIKE '%广告%'").Scan(&stored); err != nil || stored != 1 {
		t.Fatalf("%d messages hold a listed word, %v; want only the one sent before it was listed", stored, err)
	}

	resp, body = admin.post("/admin/words/mode", url.Values{"mode": {"mask"}, "_csrf": {admin.csrf("/admin/words")}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the mode answered %s: %s", resp.Status, body)
	}
	v.send(map[string]any{"type": "send", "client_msg_id": "w3", "body": "买广告吗"})
	v.waitFor(`data-ack="w3"`)
	v.waitFor("买＊＊吗")
	var n int
	if err := a.db.Pool().QueryRow(context.Background(),
		"SELECT count(*) FROM audit_log WHERE action = 'words.add' OR subject = 'word_filter'").Scan(&n); err != nil || n != 2 {
		t.Fatalf("audited %d, %v", n, err)
	}
}

// An agent blocks a visitor, and asks for their address for an hour, from
// the visitor panel: the visitor's message is refused and their widget says
// chat is unavailable; their address, a loopback one, is not blocked, and
// the agent is told why; once lifted, they write again.
func TestAgentBlocksVisitor(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	token := k.visitorToken()
	v := k.liveWidget(token)
	v.send(map[string]any{"type": "send", "client_msg_id": "v1", "body": "you are all useless"})
	v.waitFor(`data-ack="v1"`)
	visitor := mustVisitor(t, k.db, token)
	conv, err := k.db.VisitorConversation(ctx, visitor.ID)
	if err != nil {
		t.Fatal(err)
	}
	agent := k.agent()
	_, page := agent.openChat(conv.ID)
	if !strings.Contains(page, `data-testid="visitor-block-form"`) {
		t.Fatalf("the visitor panel has no block form:\n%s", page)
	}
	csrf := csrfRe.FindStringSubmatch(page)[1]
	resp, body := agent.post(fmt.Sprintf("/console/visitors/%d/block", visitor.ID), url.Values{"address": {"30d"}, "_csrf": {csrf}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a block for 30 days answered %s: %s", resp.Status, body)
	}
	resp, body = agent.post(fmt.Sprintf("/console/visitors/%d/block", visitor.ID), url.Values{"address": {"1h"}, "_csrf": {csrf}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("blocking answered %s: %s", resp.Status, body)
	}
	if _, page := agent.get(resp.Header.Get("Location")); !strings.Contains(page, "The visitor is blocked, but not their address 127.0.0.1") {
		t.Fatalf("the agent is not told why the address was not blocked:\n%s", page)
	}
	if _, page := agent.openChat(conv.ID); !strings.Contains(page, `data-testid="visitor-blocked"`) {
		t.Fatalf("the panel does not say the visitor is blocked:\n%s", page)
	}

	v.send(map[string]any{"type": "send", "client_msg_id": "v2", "body": "hello?"})
	v.waitFor(`data-ack="v2"`)
	if got := v.all(); !strings.Contains(got, `data-refused="v2"`) || !strings.Contains(got, `data-testid="unavailable">`+sayUnavailable) {
		t.Fatalf("the widget does not say chat is unavailable:\n%s", got)
	}
	// The test's visitors write from 127.0.0.1, as every visitor seems to
	// behind a proxy: that address is not blocked, and the agent is told why.
	if _, page := k.browser().get("/widget"); strings.Contains(page, `data-testid="unavailable"`) {
		t.Fatalf("a new visitor from a loopback address was blocked:\n%s", page)
	}

	_, page = agent.get("/console/blocks")
	if strings.Count(page, `data-testid="blocked-visitor"`) != 1 {
		t.Fatalf("the block list does not show the visitor alone:\n%s", page)
	}
	for _, b := range must(k.db.VisitorBlocks(ctx)) {
		resp, body := agent.post(fmt.Sprintf("/console/blocks/%d/lift", b.ID), url.Values{"_csrf": {csrfRe.FindStringSubmatch(page)[1]}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("lifting answered %s: %s", resp.Status, body)
		}
	}
	v.send(map[string]any{"type": "send", "client_msg_id": "v3", "body": "sorry"})
	if got := v.waitFor(`data-ack="v3"`); strings.Contains(got, "data-refused") {
		t.Fatalf("refused after the block was lifted:\n%s", got)
	}
}

// TestBlockReachesTheOpenWidget: an agent blocks a visitor on one
// instance, and the visitor's widget, open on the other, says at once that
// chat is unavailable, before they send anything.
func TestBlockReachesTheOpenWidget(t *testing.T) {
	t.Parallel()
	dbURL := storetest.URL(t)
	a, b := start(t, dbURL), start(t, dbURL)
	a.ensureAgent()
	token := b.visitorToken()
	v := b.liveWidget(token)
	v.send(map[string]any{"type": "send", "client_msg_id": "v1", "body": "hello"})
	v.waitFor(`data-ack="v1"`)
	visitor := mustVisitor(t, b.db, token)
	conv, err := a.db.VisitorConversation(context.Background(), visitor.ID)
	if err != nil {
		t.Fatal(err)
	}
	agent := a.agent()
	_, page := agent.openChat(conv.ID)
	resp, body := agent.post(fmt.Sprintf("/console/visitors/%d/block", visitor.ID), url.Values{"_csrf": {csrfRe.FindStringSubmatch(page)[1]}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("blocking on instance a answered %s: %s", resp.Status, body)
	}
	if got := v.waitFor(`data-testid="unavailable"`); !strings.Contains(got, sayUnavailable) {
		t.Fatalf("the widget on instance b after the block:\n%s", got)
	}
}

// A member blocks another from their direct conversation: neither's
// message is delivered, and the one blocked is told only that.
func TestMemberBlocksMember(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	ann, bob := k.person("Ann"), k.person("Bob")
	conv, err := k.db.StartDirect(ctx, ann.ID, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, page := ann.b.get(fmt.Sprintf("/console/c/%d", conv.ID))
	if !strings.Contains(page, `data-testid="block"`) {
		t.Fatalf("no block button in a direct conversation:\n%s", page)
	}
	resp, body := ann.b.post(fmt.Sprintf("/console/people/%d/block", bob.ID), url.Values{"_csrf": {csrfRe.FindStringSubmatch(page)[1]}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("blocking answered %s: %s", resp.Status, body)
	}
	for i, who := range []person{bob, ann} {
		live := who.b.console()
		id := fmt.Sprintf("m%d", i)
		live.send(map[string]any{"type": "send", "conversation_id": conv.ID, "client_msg_id": id, "body": "hello"})
		if got := live.waitFor(`data-ack="` + id + `"`); !strings.Contains(got, sayNotDelivered) {
			t.Fatalf("%s's message was not refused as not delivered:\n%s", who.Name, got)
		}
	}
	if _, page := ann.b.get("/console/blocks"); !strings.Contains(page, `data-testid="blocked-person"`) || !strings.Contains(page, "Bob") {
		t.Fatalf("Ann's block list does not show Bob:\n%s", page)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// A muted conversation's unread messages show as a dot in its member's
// list, and the page's title does not count them.
func TestMutedUnreadIsADot(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	ann, bob := k.person("Ann"), k.person("Bob")
	conv, err := k.db.StartDirect(ctx, ann.ID, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	bobLive := bob.b.console()
	bobLive.send(map[string]any{"type": "send", "conversation_id": conv.ID, "client_msg_id": "b1", "body": "psst"})
	bobLive.waitFor(`data-ack="b1"`)
	_, page := ann.b.get("/console")
	if !strings.Contains(page, `data-testid="unread"`) || !strings.Contains(page, "<title>(1)") {
		t.Fatalf("before muting, the unread message is not counted:\n%s", page)
	}
	resp, body := ann.b.post(fmt.Sprintf("/console/c/%d/mute", conv.ID), url.Values{"mute": {"1"}, "_csrf": {csrfRe.FindStringSubmatch(page)[1]}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("muting answered %s: %s", resp.Status, body)
	}
	_, page = ann.b.get("/console")
	if !strings.Contains(page, `data-testid="unread-dot"`) || strings.Contains(page, `data-testid="unread"`) || strings.Contains(page, "<title>(1)") {
		t.Fatalf("muted, the unread message is still counted:\n%s", page)
	}
}
