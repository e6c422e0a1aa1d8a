package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

// addAgent creates a second agent, Sam, and returns their id.
func (k *instance) addAgent(email, name, password string) int64 {
	k.t.Helper()
	ctx := context.Background()
	u, err := k.db.CreateMember(ctx, store.NewMember{Email: email, Name: name, PasswordHash: mustHash(k.t, password)})
	if err != nil {
		k.t.Fatal(err)
	}
	list, err := k.db.AgentList(ctx)
	if err != nil {
		k.t.Fatal(err)
	}
	if err := k.db.SetAgentList(ctx, 0, chat.AgentList{IDs: append(list.IDs, u.ID)}); err != nil {
		k.t.Fatal(err)
	}
	return u.ID
}

func (b *browser) setState(state string) {
	b.k.t.Helper()
	if resp, _ := b.post("/console/state", url.Values{"state": {state}, "_csrf": {b.csrf("/console")}}); resp.StatusCode != http.StatusSeeOther {
		b.k.t.Fatalf("set %s: %s", state, resp.Status)
	}
}

func TestTakeRaceOverHTTP(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	k.addAgent("sam@example.com", "Sam", "sam password")
	alex, sam := k.agent(), k.browser()
	if resp := sam.signIn("sam@example.com", "sam password"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("Sam signs in: %s", resp.Status)
	}
	// Both away: the dispatcher leaves the chat for them to take by hand.
	// Their consoles are open, as an agent's is: a chat taken by an agent
	// who is offline goes back to the queue at the next sweep.
	alex.setState("away")
	sam.setState("away")
	alex.console().send(map[string]any{"type": "resume"})
	sam.console().send(map[string]any{"type": "resume"})
	token := k.visitorToken()
	v := k.liveWidget(token)
	v.send(map[string]any{"type": "send", "client_msg_id": "q1", "body": "who will take me?"})
	v.waitFor(`data-ack="q1"`)
	conv := visitorConversation(t, k.db, token)

	_, page := alex.get("/console")
	if !strings.Contains(page, fmt.Sprintf(`action="/console/queue/%d/take"`, conv.ID)) || !strings.Contains(page, "who will take me?") {
		t.Fatal("the queue panel does not show the waiting chat")
	}
	path := fmt.Sprintf("/console/queue/%d/take", conv.ID)
	forms := []url.Values{{"_csrf": {alex.csrf("/console")}}, {"_csrf": {sam.csrf("/console")}}}
	type result struct {
		status   int
		location string
	}
	results := make([]result, 2)
	var wg sync.WaitGroup
	for i, b := range []*browser{alex, sam} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, _ := b.post(path, forms[i])
			results[i] = result{resp.StatusCode, resp.Header.Get("Location")}
		}()
	}
	wg.Wait()
	// Both go back to the console: the winner to the chat, the loser to
	// where they were (here, with no Referer, the console), told why.
	won, lost := 0, 0
	for i, r := range results {
		switch {
		case r.status == http.StatusSeeOther && r.location == fmt.Sprintf("/console/c/%d", conv.ID):
			won++
		case r.status == http.StatusSeeOther && r.location == "/console":
			if _, page := []*browser{alex, sam}[i].get("/console"); testidText(page, "console-notice") == "Another agent took this chat first." {
				lost++
			}
		}
	}
	if won != 1 || lost != 1 {
		t.Fatalf("takes answered %d to %q and %d to %q: want one winner and one told it was taken",
			results[0].status, results[0].location, results[1].status, results[1].location)
	}
	v.waitFor("joined the chat.")
	if c, _ := k.db.Conversation(context.Background(), conv.ID); c.Status != chat.Assigned || c.AssignedAgentID == 0 {
		t.Fatalf("after the takes: %+v", c)
	}
}

func TestWaitingVisitorSeesTheQueueMove(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	alex, _, err := k.db.MemberByEmail(context.Background(), agentEmail)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.db.SetCapacity(context.Background(), alex.ID, 1); err != nil {
		t.Fatal(err)
	}
	// Nobody is online: the visitor is told so plainly and may still write.
	firstToken := k.visitorToken()
	first := k.liveWidget(firstToken)
	first.send(map[string]any{"type": "send", "client_msg_id": "a", "body": "first in line"})
	first.waitFor("No one is available right now.")
	second := k.liveWidget(k.visitorToken())
	second.send(map[string]any{"type": "send", "client_msg_id": "b", "body": "second in line"})
	second.waitFor("No one is available right now.")

	// The agent opens the console: online and available, they get the oldest chat.
	agent := k.agent()
	console := agent.console()
	console.send(map[string]any{"type": "resume"})
	console.waitFor(`data-cue="assigned"`)
	first.waitFor("Alex joined the chat.")
	second.waitFor("You are number 1 in line.")

	thirdToken := k.visitorToken()
	third := k.liveWidget(thirdToken)
	third.send(map[string]any{"type": "send", "client_msg_id": "c", "body": "third"})
	third.waitFor("You are number 2 in line.")
	// A widget opened again (another tab) reads its own place, not the whole queue.
	again := k.widget(thirdToken)
	again.send(map[string]any{"type": "resume"})
	again.waitFor("You are number 2 in line.")

	// Resolving frees a place: the queue moves up by one.
	conv := visitorConversation(t, k.db, firstToken)
	if resp, _ := agent.post(fmt.Sprintf("/console/c/%d/resolve", conv.ID), url.Values{"_csrf": {agent.csrf("/console")}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("resolve: %s", resp.Status)
	}
	second.waitFor("Alex joined the chat.")
	third.waitFor("You are number 1 in line.")
}

func TestTransferNoteStaysWithAgents(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	samID := k.addAgent("sam@example.com", "Sam", "sam password")
	alex := k.agent()
	alex.setState("away")
	// Sam's console is open: a chat handed to an agent who is offline goes
	// back to the queue at the next sweep.
	sam := k.browser()
	if resp := sam.signIn("sam@example.com", "sam password"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("Sam signs in: %s", resp.Status)
	}
	sam.setState("away")
	sam.console().send(map[string]any{"type": "resume"})
	token := k.visitorToken()
	v := k.liveWidget(token)
	v.send(map[string]any{"type": "send", "client_msg_id": "n1", "body": "I need the billing team"})
	v.waitFor(`data-ack="n1"`)
	conv := visitorConversation(t, k.db, token)
	if resp, body := alex.post(fmt.Sprintf("/console/queue/%d/take", conv.ID), url.Values{"_csrf": {alex.csrf("/console")}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("take: %s %s", resp.Status, body)
	}
	// Alex's console shows the chat; its badge follows the transfer live.
	open := alex.console()
	open.send(map[string]any{"type": "resume", "conversation_id": conv.ID, "seq": 0})
	open.waitFor(`data-target="#conversation-list" data-swap="innerHTML"`)
	resp, _ := alex.post(fmt.Sprintf("/console/c/%d/transfer", conv.ID), url.Values{
		"to": {fmt.Sprint(samID)}, "note": {"VIP customer, be kind"}, "_csrf": {alex.csrf("/console")}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("transfer: %s", resp.Status)
	}
	v.waitFor("Sam joined the chat.")
	if badge := open.waitFor("With Sam"); !strings.Contains(badge, chatStateSwap(conv.ID)) {
		t.Fatalf("the open chat's badge after the transfer:\n%s", badge)
	}
	if strings.Contains(v.all(), "VIP customer") {
		t.Fatal("the visitor received the agents' private note")
	}
	// History for the visitor leaves the note and the transfer out; the console shows them.
	reload := k.widget(token)
	reload.send(map[string]any{"type": "resume"})
	page := reload.waitFor(`data-target="#messages" data-swap="innerHTML"`)
	if strings.Contains(page, "VIP customer") || strings.Contains(page, "transferred") || !strings.Contains(page, "Sam joined the chat.") {
		t.Fatalf("visitor's thread after reload:\n%s", page)
	}
	if _, body := alex.get(fmt.Sprintf("/console/c/%d", conv.ID)); !strings.Contains(body, "VIP customer, be kind") || !strings.Contains(body, "With Sam") {
		t.Fatal("the console does not show the note or the new assignee")
	}
	if c, _ := k.db.Conversation(context.Background(), conv.ID); c.AssignedAgentID != samID {
		t.Fatalf("assigned to %d, want Sam (%d)", c.AssignedAgentID, samID)
	}
	// Refusals are plain, and said in the console: an unknown agent, a resolved chat.
	chatPage := fmt.Sprintf("/console/c/%d", conv.ID)
	alex.refusedBack(chatPage+"/transfer", chatPage, chatPage, url.Values{"to": {"999999"}},
		"The chat can only be transferred to an active agent.")
	if resp, _ := alex.post(fmt.Sprintf("/console/c/%d/resolve", conv.ID), url.Values{"_csrf": {alex.csrf("/console")}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("resolve: %s", resp.Status)
	}
	v.waitFor("Alex marked the chat resolved.")
	alex.refusedBack(chatPage+"/resolve", chatPage, chatPage, url.Values{}, "This chat is already resolved.")
	// A chat that does not exist has no page to go back to.
	alex.refusedBack("/console/c/999999/resolve", "/console/c/999999", "/console", url.Values{}, "There is nothing here.")
	// Transfer to a disabled agent is refused plainly.
	if err := k.db.SetDisabled(context.Background(), 0, samID, true); err != nil {
		t.Fatal(err)
	}
	alex.refusedBack(chatPage+"/transfer", chatPage, chatPage, url.Values{"to": {fmt.Sprint(samID)}},
		"The chat can only be transferred to an active agent.")
}

// refusedBack posts form to path from the console page from, as a browser
// without JavaScript does, and wants to be sent to the console page back,
// which says reason once.
func (b *browser) refusedBack(path, from, back string, form url.Values, reason string) {
	b.k.t.Helper()
	form.Set("_csrf", b.csrf("/console"))
	resp, _ := b.postWith(path, form, http.Header{"Referer": {b.k.srv.URL + from}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != back {
		b.k.t.Fatalf("POST %s: %s to %q, want 303 to %s", path, resp.Status, resp.Header.Get("Location"), back)
	}
	_, page := b.get("/console")
	if got := testidText(page, "console-notice"); got != reason {
		b.k.t.Fatalf("after POST %s the console says %q, want %q", path, got, reason)
	}
	if _, page := b.get("/console"); testidText(page, "console-notice") != "" {
		b.k.t.Fatalf("the console says the refusal of POST %s twice", path)
	}
}

// postWith posts form to path with extra headers, as live_console.js or an API-style caller does.
func (b *browser) postWith(path string, form url.Values, header http.Header) (*http.Response, string) {
	b.k.t.Helper()
	all := http.Header{"Origin": {b.k.srv.URL}}
	for k, vs := range header {
		all[k] = vs
	}
	return b.send(http.MethodPost, path, form, all)
}

func TestDisablingAUserCutsTheirSocketAndSession(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	samID := k.addAgent("sam@example.com", "Sam", "sam password")
	sam := k.browser()
	if resp := sam.signIn("sam@example.com", "sam password"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("Sam signs in: %s", resp.Status)
	}
	live := sam.console()
	live.send(map[string]any{"type": "resume"})
	live.waitFor(`data-target="#conversation-list" data-swap="innerHTML"`)
	cookie := sessionCookie(t, sam)

	if err := k.db.SetDisabled(context.Background(), 0, samID, true); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		if _, _, err := live.ws.Read(ctx); err != nil {
			if websocket.CloseStatus(err) != 4403 {
				t.Fatalf("Sam's socket ended with %v, want close 4403", err)
			}
			break
		}
	}
	if _, _, err := k.dial("/console/live", &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {k.srv.URL}, "Cookie": {cookie}}}); err == nil {
		t.Fatal("a disabled user's old cookie opened a socket")
	}
	if resp, _ := sam.get("/console"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("Sam's session after disabling: %s, want a redirect to sign in", resp.Status)
	}
	if resp := k.browser().signIn("sam@example.com", "sam password"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a disabled user signs in: %s", resp.Status)
	}
	// Enabled again, they can sign in.
	if err := k.db.SetDisabled(context.Background(), 0, samID, false); err != nil {
		t.Fatal(err)
	}
	if resp := k.browser().signIn("sam@example.com", "sam password"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("re-enabled user signs in: %s", resp.Status)
	}
}

// TestResyncShowsTheQueue: after the bus may have missed events, a console
// gets the queue panel as it is now, with a chat queued meanwhile.
func TestResyncShowsTheQueue(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	alex := k.agent()
	alex.setState("away") // the chat stays in the queue
	console := alex.console()
	console.send(map[string]any{"type": "resume"})
	console.waitFor(`data-target="#conversation-list"`)
	// A chat queued while the bus was down: stored, and announced to no one.
	v := mustVisitor(t, k.db, k.visitorToken())
	if _, err := k.db.Pool().Exec(context.Background(), `WITH c AS (
		INSERT INTO conversations (kind, visitor_id, status, queued_at) VALUES ('support', $1, 'queued', now()) RETURNING id)
		INSERT INTO messages (conversation_id, seq, sender_id, type, body) SELECT id, 1, $1, 'text', 'queued while the bus was down' FROM c`, v.ID); err != nil {
		t.Fatal(err)
	}
	k.app.Handler().Resync(context.Background())
	frame := console.waitFor("queued while the bus was down")
	if !strings.Contains(frame, `data-target="#queue" data-swap="innerHTML"`) {
		t.Fatalf("the waiting chat reached the resynced console outside its queue panel:\n%s", frame)
	}
}
