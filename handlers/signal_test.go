package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/kefu-im/kefu/store/storetest"
)

// TestSignalsReachWhoeverIsConnected: a host's signal, sent through the API
// of instance A, reaches the visitor's widget on A and the agent's console
// on B, who have the chat open, as a signal for their pages' scripts; and
// nothing is stored. Bad signals are refused, naming the field at fault.
func TestSignalsReachWhoeverIsConnected(t *testing.T) {
	t.Parallel()
	dbURL := storetest.URL(t)
	a := start(t, dbURL)
	a.ensureAgent()
	b := start(t, dbURL)
	visitorOnA, agentOnB, conv := chatAcross(t, a, b)
	visitorOnA.waitFor("Alex joined the chat.")
	agentOnB.send(map[string]any{"type": "resume", "conversation_id": conv.ID, "seq": 0})
	agentOnB.waitFor(`data-target="#conversation-list" data-swap="innerHTML"`)
	key := a.apiKeyOf("Shop backend", 0, 0)
	before := rowCounts(t, a)

	path := fmt.Sprintf("/api/v1/conversations/%d/signals", conv.ID)
	status, raw := a.apiCall(key, http.MethodPost, path, `{"kind": "order.shipped", "data": {"order": 42, "note": "<b>soon</b>"}}`)
	if status != http.StatusAccepted {
		t.Fatalf("signal: %d %s", status, raw)
	}
	want := fmt.Sprintf(`<template data-signal="order.shipped" data-conversation="%d">{&#34;order&#34;:42,&#34;note&#34;:&#34;\u003cb\u003esoon\u003c/b\u003e&#34;}</template>`, conv.ID)
	for who, s := range map[string]interface{ waitFor(string) string }{"the visitor on A": visitorOnA, "the agent on B": agentOnB} {
		if got := s.waitFor(`data-signal=`); !strings.Contains(got, want) {
			t.Errorf("%s got the signal as:\n%s\nwant %s", who, got, want)
		}
	}
	if after := rowCounts(t, a); after != before {
		t.Fatalf("a signal stored something: rows %s became %s", before, after)
	}

	for _, c := range []struct{ body, field string }{
		{`{"kind": "typing", "data": {"name": "Alex"}}`, "kind"},
		{`{"kind": "Shout!"}`, "kind"},
		{`{"kind": "big", "data": "` + strings.Repeat("x", 3000) + `"}`, "data"},
	} {
		status, raw := a.apiCall(key, http.MethodPost, path, c.body)
		if status != http.StatusBadRequest || !strings.Contains(raw, `"field":"`+c.field+`"`) {
			t.Errorf("signal %.40s: %d %s, want a refusal of %s", c.body, status, raw, c.field)
		}
	}
	if status, _ := a.apiCall(key, http.MethodPost, "/api/v1/conversations/999999/signals", `{"kind": "x"}`); status != http.StatusNotFound {
		t.Errorf("a signal to no conversation: %d", status)
	}
	if after := rowCounts(t, a); after != before {
		t.Fatalf("refused signals stored something: rows %s became %s", before, after)
	}
}
