package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kefu-im/kefu/chat"
)

// TestGroupLifecycle: a group delivers live to every member with unread
// counts per member; its owner adds and removes members, anyone renames it
// or leaves it, and a removed member loses it at once.
func TestGroupLifecycle(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	ann, bob, cat, dan := k.person("Ann"), k.person("Bob"), k.person("Cat"), k.person("Dan")

	resp, body := ann.b.post("/console/groups", url.Values{"title": {"Launch <team>"}, "member": {fmt.Sprint(bob.ID), fmt.Sprint(cat.ID)},
		"_csrf": {ann.b.csrf("/console/groups/new")}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create group answered %s: %s", resp.Status, body)
	}
	var id int64
	fmt.Sscanf(resp.Header.Get("Location"), "/console/c/%d", &id)
	_, page := ann.b.get(resp.Header.Get("Location"))
	if !strings.Contains(page, "Launch &lt;team&gt;") || !strings.Contains(page, `data-testid="group-panel"`) || strings.Contains(page, "Launch <team>") {
		t.Fatal("the group page does not show its escaped name and members")
	}

	lives := map[string]*socket{}
	for _, p := range []person{ann, bob, cat} {
		s := p.b.console()
		s.send(map[string]any{"type": "resume", "conversation_id": id}) // the group is open
		lives[p.Name] = s
	}
	lives["Ann"].send(map[string]any{"type": "send", "conversation_id": id, "client_msg_id": "g1", "body": "hello group"})
	for _, name := range []string{"Bob", "Cat"} {
		lives[name].waitFor("hello group")
	}
	lives["Bob"].send(map[string]any{"type": "send", "conversation_id": id, "client_msg_id": "g2", "body": "hi all"})
	for _, name := range []string{"Ann", "Cat"} {
		lives[name].waitFor("hi all")
	}
	unread := func(p person) int64 {
		s, err := k.db.Summary(ctx, id, chat.Viewer{UserID: p.ID})
		if err != nil {
			t.Fatal(err)
		}
		return s.Unread
	}
	// Writing reads what came before: Bob, who answered, has nothing unread.
	if a, b, c := unread(ann), unread(bob), unread(cat); a != 1 || b != 0 || c != 2 {
		t.Fatalf("unread ann=%d bob=%d cat=%d, want 1, 0, 2", a, b, c)
	}

	// Only the owner adds or removes members.
	csrf := bob.b.csrf("/console/people")
	if resp, _ := bob.b.post(fmt.Sprintf("/console/groups/%d/members", id), url.Values{"member": {fmt.Sprint(dan.ID)}, "_csrf": {csrf}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a member who is not the owner added someone: %s", resp.Status)
	}
	if resp, _ := bob.b.post(fmt.Sprintf("/console/groups/%d/remove", id), url.Values{"user": {fmt.Sprint(cat.ID)}, "_csrf": {csrf}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a member who is not the owner removed someone: %s", resp.Status)
	}
	csrf = ann.b.csrf("/console/people")
	if resp, _ := ann.b.post(fmt.Sprintf("/console/groups/%d/members", id), url.Values{"member": {fmt.Sprint(dan.ID)}, "_csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the owner could not add Dan: %s", resp.Status)
	}
	lives["Cat"].waitFor("Ann added Dan.")
	if n := unread(dan); n != 0 {
		t.Fatalf("a new member starts with %d unread, want 0", n)
	}

	// Removing Cat takes the group out of her list at once; she can no longer write.
	if resp, _ := ann.b.post(fmt.Sprintf("/console/groups/%d/remove", id), url.Values{"user": {fmt.Sprint(cat.ID)}, "_csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the owner could not remove Cat: %s", resp.Status)
	}
	lives["Cat"].waitFor(fmt.Sprintf(`data-target="#conv-%d" data-swap="remove"`, id))
	lives["Cat"].send(map[string]any{"type": "send", "conversation_id": id, "client_msg_id": "g3", "body": "still here?"})
	if got := lives["Cat"].waitFor(`data-ack="g3"`); !strings.Contains(got, "There is nothing here.") {
		t.Fatalf("a removed member could still write: %s", got)
	}
	lives["Bob"].waitFor("Ann removed Cat.")

	// Anyone renames; a bad name changes nothing.
	csrf = bob.b.csrf("/console/people")
	if resp, _ := bob.b.post(fmt.Sprintf("/console/groups/%d/rename", id), url.Values{"title": {"  "}, "_csrf": {csrf}}); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("an empty name answered %s, want 400", resp.Status)
	}
	if resp, _ := bob.b.post(fmt.Sprintf("/console/groups/%d/rename", id), url.Values{"title": {"Launch crew"}, "_csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a member could not rename the group: %s", resp.Status)
	}
	lives["Ann"].waitFor(`Bob renamed the group &#34;Launch crew&#34;.`)

	// The owner leaves: the member who joined first owns it now.
	if resp, _ := ann.b.post(fmt.Sprintf("/console/groups/%d/leave", id), url.Values{"_csrf": {ann.b.csrf("/console/people")}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the owner could not leave: %s", resp.Status)
	}
	g, err := k.db.GroupOf(ctx, id, bob.ID)
	if err != nil || g.OwnerID != bob.ID || len(g.Members) != 2 {
		t.Fatalf("after the owner left: owner %d, %d members, %v; want Bob owning a group of 2", g.OwnerID, len(g.Members), err)
	}
	if _, err := k.db.GroupOf(ctx, id, ann.ID); err == nil {
		t.Fatal("Ann still sees the group she left")
	}
}

// TestGroupPolicy: adding someone to a group is starting a conversation
// with them, so a group cannot get round the grade.
func TestGroupPolicy(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ann, bob, cat := k.person("Ann"), k.person("Bob"), k.person("Cat")
	k.setGrade(chat.GradeKinOnly)
	k.befriend(ann, bob)
	before := k.count("SELECT count(*) FROM conversations")
	resp, body := ann.b.post("/console/groups", url.Values{"title": {"Sneaky"}, "member": {fmt.Sprint(bob.ID), fmt.Sprint(cat.ID)},
		"_csrf": {ann.b.csrf("/console/groups/new")}})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "You cannot add Cat") || !strings.Contains(body, `data-testid="refusal"`) {
		t.Fatalf("a group with a stranger at grade 200 answered %s: %s", resp.Status, body)
	}
	if k.count("SELECT count(*) FROM conversations") != before {
		t.Fatal("a refused group was stored")
	}
	resp, _ = ann.b.post("/console/groups", url.Values{"title": {"Friends"}, "member": {fmt.Sprint(bob.ID)}, "_csrf": {ann.b.csrf("/console/groups/new")}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a group of friends at grade 200 answered %s", resp.Status)
	}
	var id int64
	fmt.Sscanf(resp.Header.Get("Location"), "/console/c/%d", &id)
	members := func() int { return k.count("SELECT count(*) FROM conversation_members WHERE conversation_id = $1", id) }
	resp, body = ann.b.post(fmt.Sprintf("/console/groups/%d/members", id), url.Values{"member": {fmt.Sprint(cat.ID)}, "_csrf": {ann.b.csrf("/console/people")}})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "You cannot add Cat") || members() != 2 {
		t.Fatalf("adding a stranger to a group at grade 200 answered %s with %d members", resp.Status, members())
	}
	k.setGrade(chat.GradeAnyone)
	resp, _ = ann.b.post(fmt.Sprintf("/console/groups/%d/members", id), url.Values{"member": {fmt.Sprint(cat.ID)}, "_csrf": {ann.b.csrf("/console/people")}})
	if resp.StatusCode != http.StatusSeeOther || members() != 3 {
		t.Fatalf("adding Cat at grade 0 answered %s with %d members", resp.Status, members())
	}
}

// TestFriends: invite with a message (the invitee's console counts it live),
// decline, accept, remove; and the refusals.
func TestFriends(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	ann, bob := k.person("Ann"), k.person("Bob")
	bobLive := bob.b.console()
	bobLive.send(map[string]any{"type": "resume"})

	invite := func(from, to person, message string) (*http.Response, string) {
		return from.b.post("/console/friends/invites", url.Values{"to": {fmt.Sprint(to.ID)}, "message": {message}, "_csrf": {from.b.csrf("/console/people")}})
	}
	if resp, _ := invite(ann, bob, "Hi Bob, it's <Ann>"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("invite answered %s", resp.Status)
	}
	if got := bobLive.waitFor(`id="invites-badge"`); !strings.Contains(got, ">1</span>") {
		t.Fatalf("Bob's badge did not count the invitation: %s", got)
	}
	_, page := bob.b.get("/console/friends")
	if !strings.Contains(page, "Hi Bob, it&#39;s &lt;Ann&gt;") {
		t.Fatal("the invitation's message is not shown, escaped")
	}
	received, _, err := k.db.Invites(ctx, bob.ID)
	if err != nil || len(received) != 1 {
		t.Fatalf("Bob has %d invitations, %v", len(received), err)
	}
	answer := func(p person, id int64, what string) *http.Response {
		resp, _ := p.b.post(fmt.Sprintf("/console/friends/invites/%d/%s", id, what), url.Values{"_csrf": {p.b.csrf("/console/people")}})
		return resp
	}
	if resp := answer(ann, received[0].ID, "accept"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("the inviter accepted their own invitation: %s", resp.Status)
	}
	if resp := answer(bob, received[0].ID, "decline"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("decline answered %s", resp.Status)
	}
	bobLive.waitFor(`hidden data-testid="invites-badge">0</span>`)
	if friends, _ := k.db.Friends(ctx, ann.ID); len(friends) != 0 {
		t.Fatal("a declined invitation made friends")
	}

	invite(ann, bob, "")
	received, _, _ = k.db.Invites(ctx, bob.ID)
	if resp := answer(bob, received[0].ID, "accept"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("accept answered %s", resp.Status)
	}
	for _, p := range []person{ann, bob} {
		if friends, _ := k.db.Friends(ctx, p.ID); len(friends) != 1 {
			t.Fatalf("%s has %d friends after accepting, want 1", p.Name, len(friends))
		}
	}
	if resp, body := invite(bob, ann, ""); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "You are friends already.") {
		t.Fatalf("inviting a friend answered %s", resp.Status)
	}
	if resp, body := invite(ann, ann, ""); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "yourself") {
		t.Fatalf("inviting oneself answered %s", resp.Status)
	}
	if resp, _ := invite(ann, bob, strings.Repeat("x", 501)); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a 501-character message answered %s", resp.Status)
	}

	resp, _ := bob.b.post(fmt.Sprintf("/console/friends/%d/remove", ann.ID), url.Values{"_csrf": {bob.b.csrf("/console/people")}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove answered %s", resp.Status)
	}
	for _, p := range []person{ann, bob} {
		if friends, _ := k.db.Friends(ctx, p.ID); len(friends) != 0 {
			t.Fatalf("%s still has %d friends after the removal", p.Name, len(friends))
		}
	}
	// Two invitations that cross make friends at once.
	invite(bob, ann, "")
	if resp, _ := invite(ann, bob, ""); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a crossing invitation answered %s", resp.Status)
	}
	if friends, _ := k.db.Friends(ctx, ann.ID); len(friends) != 1 {
		t.Fatal("crossing invitations did not make friends")
	}
}
