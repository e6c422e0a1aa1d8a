package handlers_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kefu-im/kefu/chat"
)

// TestPrechatStepGoesOnResume: once a visitor has given the pre-chat
// fields with their first message, the step is gone, and a widget loaded
// later (which asks every new visitor) is told so by the server on resume.
// A refused email is said beside its field, not under the composer.
func TestPrechatStepGoesOnResume(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	site, _ := k.newSite("Shop", "https://shop.example.com")
	site.PrechatName, site.PrechatEmail = chat.FieldRequired, chat.FieldRequired
	if _, err := k.db.UpdateSite(ctx, 0, site); err != nil {
		t.Fatal(err)
	}
	v, token := k.siteWidget(site)
	if got := v.all(); !strings.Contains(got, `data-testid="prechat-name"`) || !strings.Contains(got, `data-testid="prechat-email"`) {
		t.Fatalf("a new visitor is not asked for the fields:\n%s", got)
	}
	v.send(map[string]any{"type": "send", "client_msg_id": "p1", "body": "hello", "name": "Ada", "email": "ada@"})
	got := v.waitFor(`data-ack="p1"`)
	want := `<template data-target="#prechat-email-error" data-swap="innerHTML">That email address does not look right.</template>`
	if !strings.Contains(got, `data-refused="p1"`) || !strings.Contains(got, want) ||
		!strings.Contains(got, `<template data-target="#composer-error" data-swap="innerHTML"></template>`) {
		t.Fatalf("a bad email is not refused beside its field:\n%s", got)
	}
	v.send(map[string]any{"type": "send", "client_msg_id": "p2", "body": "hello", "name": "Ada", "email": "ada@example.com"})
	if got := v.waitFor(`data-target="#prechat"`); strings.Contains(got, "prechat-") {
		t.Fatalf("the step stays once given:\n%s", got)
	}
	v.waitFor(`data-ack="p2"`)
	for _, resume := range []map[string]any{{}, {"conversation_id": visitorConversation(t, k.db, token).ID, "seq": 1}} {
		secret, _ := k.db.SiteSecret(ctx, site.ID)
		resume["type"], resume["site"], resume["site_token"] = "resume", site.ID, widgetSiteToken(site.ID, secret)
		again := k.widget(token)
		again.send(resume)
		if got := again.waitFor(`data-target="#prechat"`); !strings.Contains(got, `<template data-target="#prechat" data-swap="innerHTML"></template>`) {
			t.Fatalf("resumed with %v, the widget still shows the step:\n%s", resume, got)
		}
	}
	// Resolved: a new chat would start, yet what the visitor gave is known.
	k.resolve(token)
	again := k.widget(token)
	secret, _ := k.db.SiteSecret(ctx, site.ID)
	again.send(map[string]any{"type": "resume", "site": site.ID, "site_token": widgetSiteToken(site.ID, secret)})
	if got := again.waitFor(`data-target="#prechat"`); strings.Contains(got, "prechat-") {
		t.Fatalf("after the chat was resolved, the widget asks again:\n%s", got)
	}
}
