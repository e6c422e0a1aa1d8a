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

// TestGroupRolesAcrossInstances: the owner mutes a member on one instance
// and the member's message, sent on the other, is refused with its reason
// and stored nowhere; the line saying so reaches the member live there. A
// member's @all is refused; a mention made on one instance marks the
// conversation "@ me" in the list of the one mentioned on the other, live,
// and shows highlighted in the thread.
func TestGroupRolesAcrossInstances(t *testing.T) {
	t.Parallel()
	dbURL := storetest.URL(t)
	a, b := start(t, dbURL), start(t, dbURL)
	a.ensureAgent()
	ctx := context.Background()
	ann, cat := a.person("Ann"), a.person("Cat")
	bob := b.person("Bob")
	id, err := a.db.CreateGroup(ctx, ann.ID, "Crew", []int64{bob.ID, cat.ID})
	if err != nil {
		t.Fatal(err)
	}
	bobLive := bob.b.console()
	bobLive.send(map[string]any{"type": "resume", "conversation_id": id})
	bobLive.waitFor(`data-target="#conversation-list"`)

	// A plain member manages nothing.
	path := fmt.Sprintf("/console/groups/%d/silence", id)
	resp, _ := bob.b.post(path, url.Values{"user": {fmt.Sprint(cat.ID)}, "on": {"1"}, "minutes": {"0"},
		"_csrf": {bob.b.csrf(fmt.Sprintf("/console/c/%d", id))}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a member mutes: %s", resp.Status)
	}
	resp, body := ann.b.post(path, url.Values{"user": {fmt.Sprint(bob.ID)}, "on": {"1"}, "minutes": {"0"},
		"_csrf": {ann.b.csrf(fmt.Sprintf("/console/c/%d", id))}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the owner mutes on instance a: %s %s", resp.Status, body)
	}
	bobLive.waitFor("Ann muted Bob.")
	before := a.count("SELECT count(*) FROM messages")
	bobLive.send(map[string]any{"type": "send", "conversation_id": id, "client_msg_id": "m1", "body": "may I?"})
	if ack := bobLive.waitFor(`data-ack="m1"`); !strings.Contains(ack, "You are muted in this group") {
		t.Fatalf("a muted member's message on instance b: %s", ack)
	}
	if after := a.count("SELECT count(*) FROM messages"); after != before {
		t.Fatalf("a refused message was stored: %d → %d", before, after)
	}
	resp, _ = ann.b.post(path, url.Values{"user": {fmt.Sprint(bob.ID)}, "on": {"0"}, "_csrf": {ann.b.csrf(fmt.Sprintf("/console/c/%d", id))}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the owner unmutes: %s", resp.Status)
	}
	bobLive.waitFor("Ann unmuted Bob.")

	// @all is for the owner and admins.
	bobLive.send(map[string]any{"type": "send", "conversation_id": id, "client_msg_id": "m2", "body": "@all hello"})
	if ack := bobLive.waitFor(`data-ack="m2"`); !strings.Contains(ack, "Only the group") {
		t.Fatalf("a member's @all: %s", ack)
	}

	// A mention on instance b marks Cat's list on instance a, live, and
	// shows highlighted in Ann's thread there.
	catLive := cat.b.console()
	catLive.send(map[string]any{"type": "resume"})
	catLive.waitFor(`data-target="#conversation-list"`)
	annLive := ann.b.console()
	annLive.send(map[string]any{"type": "resume", "conversation_id": id})
	annLive.waitFor(`data-target="#conversation-list"`)
	bobLive.send(map[string]any{"type": "send", "conversation_id": id, "client_msg_id": "m3", "body": "@Cat can you look?"})
	bobLive.waitFor(`data-ack="m3"`)
	item := catLive.waitFor(fmt.Sprintf(`id="conv-%d"`, id))
	if !strings.Contains(item, `data-testid="mention-mark"`) || !strings.Contains(item, "@ me") {
		t.Fatalf("Cat's list item after the mention:\n%s", item)
	}
	if bubble := annLive.waitFor("can you look?"); !strings.Contains(bubble, `<span class="mention" data-testid="mention">@Cat</span>`) {
		t.Fatalf("the mention in Ann's thread:\n%s", bubble)
	}
	// Another message keeps the mark until Cat reads; Ann has none.
	annLive.send(map[string]any{"type": "send", "conversation_id": id, "client_msg_id": "m4", "body": "thanks"})
	annLive.waitFor(`data-ack="m4"`)
	item = catLive.waitFor("thanks")
	if !strings.Contains(item, `data-testid="mention-mark"`) {
		t.Fatalf("the mark went before Cat read:\n%s", item)
	}
	_, page := cat.b.get("/console")
	if !strings.Contains(page, `data-testid="mention-mark"`) {
		t.Fatal("Cat's console page lacks the @ me mark")
	}
	_, page = ann.b.get("/console")
	if strings.Contains(page, `data-testid="mention-mark"`) {
		t.Fatal("Ann's console shows a mark she has no reason for")
	}
	cat.b.openChat(id)
	if _, page = cat.b.get("/console"); strings.Contains(page, `data-testid="mention-mark"`) {
		t.Fatal("the mark stays after Cat read the group")
	}
}
