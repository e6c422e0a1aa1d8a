package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kefu-im/kefu/store"
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

	// The notice set on instance a shows at the top of Bob's group on instance b, live.
	resp, _ = ann.b.post(fmt.Sprintf("/console/groups/%d/notice", id), url.Values{"notice": {"Ship on Friday"},
		"_csrf": {ann.b.csrf(fmt.Sprintf("/console/c/%d", id))}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the owner sets the notice: %s", resp.Status)
	}
	if top := bobLive.waitFor(`data-testid="group-notice"`); !strings.Contains(top, "Ship on Friday") || !strings.Contains(top, "Ann updated the group notice.") {
		t.Fatalf("the notice on instance b:\n%s", top)
	}

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

// TestGroupPageByRole: the owner pins a message from the thread and sets
// the notice, both shown at the top of the group; a plain member is
// offered neither. Someone outside asks to join from the group's link,
// the owner approves, and they are in.
func TestGroupPageByRole(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	ann, bob, max := k.person("Ann"), k.person("Bob"), k.person("Max")
	id, err := k.db.CreateGroup(ctx, ann.ID, "Crew", []int64{bob.ID})
	if err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/console/c/%d", id)
	m, _, err := k.db.SendMessage(ctx, store.Send{ConversationID: id, SenderID: bob.ID, Body: "the plan is on the wiki"})
	if err != nil {
		t.Fatal(err)
	}
	if _, body := bob.b.get(page); strings.Contains(body, `data-testid="pin"`) || strings.Contains(body, `data-testid="notice-input"`) {
		t.Fatal("a plain member is offered pins or the notice")
	}
	_, body := ann.b.get(page)
	if !strings.Contains(body, `data-testid="pin"`) || !strings.Contains(body, `data-testid="notice-input"`) {
		t.Fatal("the owner is offered no pin or notice")
	}
	for _, post := range []struct {
		path string
		form url.Values
	}{
		{"pins", url.Values{"message": {fmt.Sprint(m.ID)}, "on": {"1"}}},
		{"notice", url.Values{"notice": {"Stand-up <at> 10"}}},
	} {
		post.form.Set("_csrf", ann.b.csrf(page))
		if resp, body := ann.b.post(fmt.Sprintf("/console/groups/%d/%s", id, post.path), post.form); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: %s %s", post.path, resp.Status, body)
		}
	}
	_, body = bob.b.get(page)
	if !strings.Contains(body, `data-testid="group-notice"`) || !strings.Contains(body, "Stand-up &lt;at&gt; 10") ||
		!strings.Contains(body, `<span class="pin-body">the plan is on the wiki</span>`) {
		t.Fatalf("the top of the group lacks the notice or the pin:\n%s", body)
	}

	// Max asks from the link the owner is shown; Ann lets him in.
	if resp, _ := max.b.get(fmt.Sprintf("/console/join/%d", id)); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("a link by the group's id: %s", resp.Status)
	}
	if strings.Contains(body, `data-testid="join-link"`) {
		t.Fatal("a plain member is shown the join link")
	}
	_, body = ann.b.get(page)
	link := regexp.MustCompile(`href="(/console/join/[0-9a-f-]{36})" data-testid="join-link"`).FindStringSubmatch(body)
	if link == nil {
		t.Fatalf("the owner is shown no join link:\n%s", body)
	}
	join := link[1]
	if resp, body := max.b.get(join); resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="ask-to-join"`) {
		t.Fatalf("the join page: %s", resp.Status)
	}
	if resp, _ := max.b.post(join, url.Values{"_csrf": {max.b.csrf(join)}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("asking to join: %s", resp.Status)
	}
	if _, body := max.b.get(join); !strings.Contains(body, `data-testid="join-asked"`) {
		t.Fatal("the join page does not say Max asked")
	}
	if resp, _ := max.b.get(page); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("Max sees the group before he is let in: %s", resp.Status)
	}
	if _, body := ann.b.get(page); !strings.Contains(body, `data-testid="join-request"`) {
		t.Fatal("the owner is not shown the request")
	}
	resp, _ := ann.b.post(fmt.Sprintf("/console/groups/%d/requests", id), url.Values{"user": {fmt.Sprint(max.ID)}, "approve": {"1"},
		"_csrf": {ann.b.csrf(page)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("approving: %s", resp.Status)
	}
	if resp, body := max.b.get(page); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Ann let Max in.") {
		t.Fatalf("Max after approval: %s", resp.Status)
	}
}

// TestGroupModeratorsInTheThread: a group's owner and admins are offered
// Revoke on others' messages and Pin on texts, Unpin once pinned, in the
// page and on bubbles delivered live; a plain member is offered neither.
// An admin revokes a member's message from the thread.
func TestGroupModeratorsInTheThread(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	ann, bob, cat, dan := k.person("Ann"), k.person("Bob"), k.person("Cat"), k.person("Dan")
	id, err := k.db.CreateGroup(ctx, ann.ID, "Crew", []int64{bob.ID, cat.ID, dan.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := k.db.SetAdmin(ctx, id, ann.ID, bob.ID, true); err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/console/c/%d", id)
	m, _, err := k.db.SendMessage(ctx, store.Send{ConversationID: id, SenderID: cat.ID, Body: "first thing"})
	if err != nil {
		t.Fatal(err)
	}
	revokeM := fmt.Sprintf(`data-revoke="%d"`, m.ID)
	pinButton := `value="1" class="link" data-testid="pin"`
	if _, body := bob.b.get(page); !strings.Contains(body, revokeM) || !strings.Contains(body, pinButton) {
		t.Fatal("the group's admin is offered no Revoke or Pin on a member's message")
	}
	if _, body := dan.b.get(page); strings.Contains(body, revokeM) || strings.Contains(body, pinButton) {
		t.Fatal("a plain member is offered Revoke or Pin on someone else's message")
	}
	resp, _ := ann.b.post(fmt.Sprintf("/console/groups/%d/pins", id), url.Values{"message": {fmt.Sprint(m.ID)}, "on": {"1"},
		"_csrf": {ann.b.csrf(page)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("pinning: %s", resp.Status)
	}
	if _, body := ann.b.get(page); strings.Contains(body, pinButton) || !strings.Contains(body, `data-testid="unpin-message"`) {
		t.Fatal("a pinned message still offers Pin, or no Unpin")
	}

	bobLive, danLive := bob.b.console(), dan.b.console()
	for _, s := range []*socket{bobLive, danLive} {
		s.send(map[string]any{"type": "resume", "conversation_id": id})
		s.waitFor(`data-target="#conversation-list"`)
	}
	m2, _, err := k.db.SendMessage(ctx, store.Send{ConversationID: id, SenderID: cat.ID, Body: "second thing"})
	if err != nil {
		t.Fatal(err)
	}
	revokeM2 := fmt.Sprintf(`data-revoke="%d"`, m2.ID)
	// The bubble itself: the list's preview and the pins panel quote the text too.
	bubbleM2 := fmt.Sprintf(`id="msg-%d"`, m2.ID)
	if got := bobLive.waitFor(bubbleM2); !strings.Contains(got, revokeM2) || !strings.Contains(got, pinButton) {
		t.Fatalf("the admin's live bubble lacks Revoke or Pin:\n%s", got)
	}
	if got := danLive.waitFor(bubbleM2); strings.Contains(got, revokeM2) || strings.Contains(got, pinButton) {
		t.Fatalf("a plain member's live bubble offers Revoke or Pin:\n%s", got)
	}
	bobLive.send(map[string]any{"type": "revoke", "conversation_id": id, "message_id": m2.ID})
	if got := danLive.waitFor(revokedIn(m2.ID)); !strings.Contains(got, revokedMark) {
		t.Fatalf("the admin's revoke, as a member sees it:\n%s", got)
	}
}
