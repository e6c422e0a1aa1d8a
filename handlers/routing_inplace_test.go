package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kefu-im/kefu/chat"
)

// queuedChat has a new visitor write body and returns their chat's id.
func queuedChat(t *testing.T, k *instance, body string) int64 {
	t.Helper()
	token := k.visitorToken()
	v := k.liveWidget(token)
	v.send(map[string]any{"type": "send", "client_msg_id": "m1", "body": body})
	v.waitFor(`data-ack="m1"`)
	return visitorConversation(t, k.db, token).ID
}

// inPlace are the headers live_console.js sends with a form it posts from page.
func (k *instance) inPlace(page string) http.Header {
	return http.Header{"X-Kefu-Fragment": {"1"}, "Accept": {"text/html"}, "Referer": {k.srv.URL + page}}
}

var asJSON = http.Header{"Accept": {"application/json"}}

// chatStateSwap is the fragment that shows where support chat id stands
// now, with what the agent can do with it, when the chat is open.
func chatStateSwap(id int64) string {
	return fmt.Sprintf(`<template data-target="#chat-state[data-conversation=&#34;%d&#34;]" data-swap="outerHTML">`, id)
}

// wantFragment fails unless body is fragments for live.js that hold every one of want.
func wantFragment(t *testing.T, what string, resp *http.Response, body string, status int, want ...string) {
	t.Helper()
	if resp.StatusCode != status || !strings.HasPrefix(strings.TrimSpace(body), "<template data-target=") {
		t.Fatalf("%s: %s, want %d with fragments:\n%s", what, resp.Status, status, body)
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Fatalf("%s: the fragments lack %q:\n%s", what, w, body)
		}
	}
}

// wantJSONError fails unless body is the JSON error code with message, at status.
func wantJSONError(t *testing.T, what string, resp *http.Response, body string, status int, code, message string) {
	t.Helper()
	var e struct{ Error, Message string }
	if err := json.Unmarshal([]byte(body), &e); err != nil || resp.StatusCode != status || e.Error != code || e.Message != message {
		t.Fatalf("%s: %s %s, want %d {%q, %q}", what, resp.Status, body, status, code, message)
	}
}

func TestTakeInPlaceAndAtCapacity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := newKefu(t)
	samID := k.addAgent("sam@example.com", "Sam", "sam password")
	if err := k.db.SetCapacity(ctx, k.firstAdminID(), 1); err != nil {
		t.Fatal(err)
	}
	alex, sam := k.agent(), k.signInAs("sam@example.com", "sam password")
	// Both away, consoles open: the chats wait for a take by hand.
	alex.setState("away")
	sam.setState("away")
	alexLive, samLive := alex.console(), sam.console()
	alexLive.send(map[string]any{"type": "resume"})
	samLive.send(map[string]any{"type": "resume"})
	// Both resumed before any chat comes: what follows reaches them live.
	alexLive.waitFor(`data-target="#conversation-list"`)
	samLive.waitFor(`data-target="#conversation-list"`)
	first, second := queuedChat(t, k, "first in line"), queuedChat(t, k, "second in line")
	take := func(id int64) string { return fmt.Sprintf("/console/queue/%d/take", id) }
	csrf := url.Values{"_csrf": {alex.csrf("/console")}}

	// Taken in place: the chat leaves the queue panel, and the console says it is Alex's.
	resp, body := alex.postWith(take(first), csrf, k.inPlace("/console"))
	wantFragment(t, "a take in place", resp, body, http.StatusOK,
		fmt.Sprintf(`<template data-target="#queued-%d" data-swap="remove">`, first),
		`<template data-target="#console-notice" data-swap="outerHTML">`, "The chat is yours.",
		fmt.Sprintf(`href="/console/c/%d"`, first))

	// Alex is at capacity now: the queue panel says so, live and on the page,
	// with Take off. Alex, who took the chat, is not told it is new.
	atCapacity := "At capacity (1 open chat, capacity 1): resolve a chat to take another."
	if frame := alexLive.waitFor(atCapacity); !strings.Contains(frame, `disabled data-testid="take"`) || strings.Contains(frame, `data-cue=`) {
		t.Fatalf("the live queue panel at capacity leaves Take on, or tells Alex of the chat Alex took:\n%s", frame)
	}
	_, page := alex.get("/console")
	if testidText(page, "at-capacity") != atCapacity || !strings.Contains(page, `disabled data-testid="take"`) {
		t.Fatal("the console of an agent at capacity does not say so, or leaves Take on")
	}
	if _, page := sam.get("/console"); strings.Contains(page, "At capacity") || strings.Contains(page, `disabled data-testid="take"`) {
		t.Fatal("Sam, who has room, is shown at capacity")
	}

	// A take at capacity is refused in place, with the reason, and changes nothing.
	resp, body = alex.postWith(take(second), csrf, k.inPlace("/console"))
	wantFragment(t, "a take at capacity", resp, body, http.StatusConflict,
		`<p id="console-notice" class="refusal" role="alert"`, sayAtCapacity)
	// Without JavaScript, the console says it on the page the take came from.
	alex.refusedBack(take(second), "/console", "/console", url.Values{}, sayAtCapacity)
	// JSON callers get JSON.
	resp, body = alex.postWith(take(second), csrf, asJSON)
	wantJSONError(t, "a JSON take at capacity", resp, body, http.StatusConflict, "at_capacity", sayAtCapacity)
	if c, _ := k.db.Conversation(ctx, second); c.Status != chat.Queued {
		t.Fatalf("a refused take changed the chat: %+v", c)
	}

	// Someone else was first: Sam is told so in place, and without JavaScript.
	samCSRF := url.Values{"_csrf": {sam.csrf("/console")}}
	resp, body = sam.postWith(take(first), samCSRF, k.inPlace("/console"))
	wantFragment(t, "a take of a taken chat", resp, body, http.StatusConflict, "Another agent took this chat first.")
	sam.refusedBack(take(first), "/console", "/console", url.Values{}, "Another agent took this chat first.")

	// A take over JSON answers JSON.
	resp, body = sam.postWith(take(second), samCSRF, asJSON)
	var got struct {
		ConversationID int64       `json:"conversation_id"`
		Status         chat.Status `json:"status"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != http.StatusOK || got.ConversationID != second || got.Status != chat.Assigned {
		t.Fatalf("a JSON take: %s %s", resp.Status, body)
	}

	// Sam takes a third chat in place, on its own page, while Alex watches
	// it too: the notice says it is Sam's without offering to open it, and
	// both consoles show it with Sam, each with its agent's Transfer and
	// Resolve. Sam, who took it, is not told it is new.
	third := queuedChat(t, k, "third in line")
	thirdPage := fmt.Sprintf("/console/c/%d", third)
	samOpen, alexOpen := sam.console(), alex.console()
	for _, c := range []*socket{samOpen, alexOpen} {
		c.send(map[string]any{"type": "resume", "conversation_id": third})
		c.waitFor(`data-target="#conversation-list" data-swap="innerHTML"`)
	}
	resp, body = sam.postWith(take(third), samCSRF, k.inPlace(thirdPage))
	wantFragment(t, "a take in place on the chat's page", resp, body, http.StatusOK,
		chatStateSwap(third), "With Sam", `data-testid="resolve"`, "The chat is yours.")
	if strings.Contains(body, "Open it") {
		t.Fatalf("a take on the chat's page offers to open it:\n%s", body)
	}
	for name, c := range map[string]*socket{"Sam": samOpen, "Alex": alexOpen} {
		if frame := c.waitFor(`data-testid="status">With Sam<`); !strings.Contains(frame, chatStateSwap(third)) || !strings.Contains(frame, `data-testid="resolve"`) {
			t.Fatalf("%s's console, showing the chat Sam took, does not show it with Sam and its actions:\n%s", name, frame)
		}
	}
	if strings.Contains(samOpen.all(), fmt.Sprintf(`id="toast-%d"`, third)) {
		t.Fatalf("Sam is told of the chat Sam took:\n%s", samOpen.all())
	}

	// An admin lowers Sam's capacity below Sam's open chats: the console
	// says how many to resolve.
	if err := k.db.SetCapacity(ctx, samID, 1); err != nil {
		t.Fatal(err)
	}
	queuedChat(t, k, "fourth in line")
	if _, page := sam.get("/console"); testidText(page, "at-capacity") != "Over capacity (2 open chats, capacity 1): resolve 2 of them to take another." {
		t.Fatalf("an agent over a lowered capacity is told %q", testidText(page, "at-capacity"))
	}

	// An agent whose capacity is 0 is told so, rather than "0 of 0".
	if err := k.db.SetCapacity(ctx, samID, 0); err != nil {
		t.Fatal(err)
	}
	if _, page := sam.get("/console"); testidText(page, "at-capacity") != "Your capacity is 0, so you take no chats. An admin can change it." {
		t.Fatalf("an agent with capacity 0 is told %q", testidText(page, "at-capacity"))
	}
}

// sayAtCapacity is what an agent at capacity who clicks Take is told, and
// sayTransferAtCapacity what an agent transferring a chat to a full one is.
const (
	sayAtCapacity         = "You are at capacity: resolve one of your chats before you take another."
	sayTransferAtCapacity = "That agent already has as many open chats as their capacity allows: choose another agent."
)

func TestResolveAndTransferInPlace(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	samID := k.addAgent("sam@example.com", "Sam", "sam password")
	kimID := k.addAgent("kim@example.com", "Kim", "kim password")
	alex, sam := k.agent(), k.signInAs("sam@example.com", "sam password")
	alex.setState("away")
	sam.setState("away")
	alex.console().send(map[string]any{"type": "resume"})
	token := k.visitorToken()
	visitor := k.liveWidget(token)
	visitor.send(map[string]any{"type": "send", "client_msg_id": "m1", "body": "please help"})
	visitor.waitFor(`data-ack="m1"`)
	id := visitorConversation(t, k.db, token).ID
	chatPage := fmt.Sprintf("/console/c/%d", id)
	samOpen := sam.console() // Sam watches the chat
	samOpen.send(map[string]any{"type": "resume", "conversation_id": id})
	samOpen.waitFor(`data-target="#conversation-list" data-swap="innerHTML"`)
	if resp, _ := alex.post(fmt.Sprintf("/console/queue/%d/take", id), url.Values{"_csrf": {alex.csrf("/console")}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("take: %s", resp.Status)
	}

	// Without JavaScript, a transfer goes back to the chat, which says it was done.
	resp, _ := alex.post(chatPage+"/transfer", url.Values{"to": {fmt.Sprint(samID)}, "_csrf": {alex.csrf("/console")}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != chatPage {
		t.Fatalf("transfer: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
	if _, page := alex.get(chatPage); testidText(page, "console-notice") != "Transferred to Sam." || testidText(page, "status") != "With Sam" {
		t.Fatal("the chat does not say it went to Sam")
	}

	// In place, a transfer answers the chat's new badge and a notice.
	csrf := url.Values{"_csrf": {sam.csrf("/console")}}
	form := url.Values{"to": {fmt.Sprint(k.firstAdminID())}, "_csrf": csrf["_csrf"]}
	resp, body := sam.postWith(chatPage+"/transfer", form, k.inPlace(chatPage))
	wantFragment(t, "a transfer in place", resp, body, http.StatusOK,
		chatStateSwap(id), "With Alex", `data-testid="resolve"`, "Transferred to Alex.")
	// The chat is Alex's now: Sam is offered Kim, not Alex, and a transfer
	// to Alex is refused and writes nothing into the chat.
	// Each is offered with their presence and load: Kim has no console open.
	offered := func(id int64, name string) string {
		return fmt.Sprintf(`<option value="%d" disabled data-presence="offline" data-testid="transfer-option">%s — offline</option>`, id, name)
	}
	if !strings.Contains(body, offered(kimID, "Kim")) || strings.Contains(body, offered(k.firstAdminID(), "Alex")) {
		t.Fatalf("in place, Sam is not offered Kim, or is offered Alex, who has the chat:\n%s", body)
	}
	if _, page := sam.get(chatPage); !strings.Contains(page, offered(kimID, "Kim")) || strings.Contains(page, offered(k.firstAdminID(), "Alex")) {
		t.Fatal("Sam is not offered Kim, or is offered Alex, who has the chat")
	}
	written := k.count("SELECT count(*) FROM messages WHERE conversation_id = $1", id)
	resp, body = sam.postWith(chatPage+"/transfer", form, k.inPlace(chatPage))
	wantFragment(t, "a transfer to the agent who has the chat", resp, body, http.StatusConflict,
		`class="refusal"`, "The chat is already with that agent.")
	resp, body = sam.postWith(chatPage+"/transfer", form, asJSON)
	wantJSONError(t, "a JSON transfer to the agent who has the chat", resp, body, http.StatusConflict,
		"already_theirs", "The chat is already with that agent.")
	if n := k.count("SELECT count(*) FROM messages WHERE conversation_id = $1", id); n != written {
		t.Fatalf("a refused transfer wrote %d lines into the chat", n-written)
	}
	// Its refusals too, with their status.
	resp, body = sam.postWith(chatPage+"/transfer", url.Values{"to": {"999999"}, "_csrf": csrf["_csrf"]}, k.inPlace(chatPage))
	wantFragment(t, "a transfer to a non-agent", resp, body, http.StatusBadRequest,
		`class="refusal"`, "The chat can only be transferred to an active agent.")
	resp, body = sam.postWith(chatPage+"/transfer", url.Values{"_csrf": csrf["_csrf"]}, k.inPlace(chatPage))
	wantFragment(t, "a transfer to nobody", resp, body, http.StatusBadRequest, "Choose the agent to transfer the chat to.")
	// An agent who is full cannot be given the chat: the one transferring is
	// told to choose someone else, in place, without JavaScript and in JSON.
	if err := k.db.SetCapacity(context.Background(), samID, 0); err != nil {
		t.Fatal(err)
	}
	toSam := url.Values{"to": {fmt.Sprint(samID)}, "_csrf": {alex.csrf("/console")}}
	resp, body = alex.postWith(chatPage+"/transfer", toSam, k.inPlace(chatPage))
	wantFragment(t, "a transfer to a full agent", resp, body, http.StatusConflict, `class="refusal"`, sayTransferAtCapacity)
	alex.refusedBack(chatPage+"/transfer", chatPage, chatPage, url.Values{"to": {fmt.Sprint(samID)}}, sayTransferAtCapacity)
	resp, body = alex.postWith(chatPage+"/transfer", toSam, asJSON)
	wantJSONError(t, "a JSON transfer to a full agent", resp, body, http.StatusConflict, "at_capacity", sayTransferAtCapacity)
	if c, _ := k.db.Conversation(context.Background(), id); c.AssignedAgentID != k.firstAdminID() {
		t.Fatalf("a refused transfer changed the chat: %+v", c)
	}

	// Resolved in place: the badge says so, and Transfer and Resolve go away.
	resp, body = sam.postWith(chatPage+"/resolve", csrf, k.inPlace(chatPage))
	wantFragment(t, "a resolve in place", resp, body, http.StatusOK,
		chatStateSwap(id), "Resolved", `data-state="resolved">The chat is resolved.`)
	if strings.Contains(body, `data-testid="resolve"`) || strings.Contains(body, `data-testid="transfer"`) {
		t.Fatalf("the resolved chat still offers Transfer or Resolve:\n%s", body)
	}
	resp, body = sam.postWith(chatPage+"/resolve", csrf, k.inPlace(chatPage))
	wantFragment(t, "a second resolve", resp, body, http.StatusConflict, `class="refusal"`, "This chat is already resolved.")
	resp, body = sam.postWith(chatPage+"/resolve", csrf, asJSON)
	wantJSONError(t, "a second resolve over JSON", resp, body, http.StatusConflict, "resolved", "This chat is already resolved.")
	if _, page := sam.get(chatPage); strings.Contains(page, `id="chat-actions"`) || testidText(page, "status") != "Resolved" {
		t.Fatal("the resolved chat still offers Transfer and Resolve")
	}

	// The visitor writes again: the chat is back in the queue, and Sam's
	// console, which shows it, offers Transfer and Resolve again and drops a
	// notice that speaks of the chat as resolved.
	samOpen.waitFor(chatStateSwap(id) + `<div id="chat-state" class="chat-state" data-conversation="` + fmt.Sprint(id) + `" data-state="resolved"><span id="conv-status" class="badge resolved"`)
	samOpen.skip()
	visitor.send(map[string]any{"type": "send", "client_msg_id": "m2", "body": "one more thing"})
	visitor.waitFor(`data-ack="m2"`)
	frame := samOpen.waitFor("Waiting in the queue")
	for _, want := range []string{chatStateSwap(id), `data-testid="resolve"`, `data-testid="transfer"`,
		fmt.Sprintf(`<template data-target="#console-notice[data-chat=&#34;%d&#34;]:not([data-state=&#34;queued-0&#34;])" data-swap="outerHTML">`, id)} {
		if !strings.Contains(frame, want) {
			t.Fatalf("Sam's console, showing the chat that came back, lacks %q:\n%s", want, frame)
		}
	}
}

func TestAgentTakenOffTheListGoesBackToTheConsole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := newKefu(t)
	k.addAgent("sam@example.com", "Sam", "sam password")
	k.addPlainMember("mia@example.com", "Mia", "mia password")
	sam, mia := k.signInAs("sam@example.com", "sam password"), k.signInAs("mia@example.com", "mia password")
	id := queuedChat(t, k, "is anyone there?")
	chatPage := fmt.Sprintf("/console/c/%d", id)
	// Sam is away, so that the chat stays queued while Sam's console is open.
	if resp, _ := sam.post("/console/state", url.Values{"state": {"away"}, "_csrf": {sam.csrf("/console")}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("Sam sets away: %s", resp.Status)
	}
	if resp, _ := sam.openChat(id); resp.StatusCode != http.StatusOK {
		t.Fatalf("Sam opens the chat: %s", resp.Status)
	}
	csrf := url.Values{"_csrf": {sam.csrf(chatPage)}}

	// The admin takes Sam off customer service while the chat is open.
	if err := k.db.SetAgentList(ctx, 0, chat.AgentList{IDs: []int64{k.firstAdminID()}}); err != nil {
		t.Fatal(err)
	}
	// Sam's console reloads the chat: Sam goes to the console, told why.
	resp, _ := sam.get(chatPage)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console" {
		t.Fatalf("Sam reloads the chat: %s to %q, want 303 to /console", resp.Status, resp.Header.Get("Location"))
	}
	_, page := sam.get("/console")
	if got := testidText(page, "console-notice"); got != "You are no longer customer service, so that chat is closed to you." {
		t.Fatalf("the console tells Sam %q", got)
	}
	if strings.Contains(page, `id="queue"`) {
		t.Fatal("Sam still sees the queue")
	}
	// What only agents may do sends Sam back to the console too, told why;
	// live_console.js gets the reason in place, JSON callers a 403.
	sam.refusedBack(chatPage+"/resolve", chatPage, "/console", url.Values{}, "Only customer service can do that, and you are not on the customer service list now.")
	resp, body := sam.postWith(chatPage+"/resolve", csrf, k.inPlace(chatPage))
	wantFragment(t, "a resolve in place by a former agent", resp, body, http.StatusForbidden,
		"Only customer service can do that, and you are not on the customer service list now.")
	resp, body = sam.postWith(chatPage+"/resolve", csrf, asJSON)
	wantJSONError(t, "a JSON resolve by a former agent", resp, body, http.StatusForbidden, "not_allowed",
		"Only customer service can do that, and you are not on the customer service list now.")
	if c, _ := k.db.Conversation(ctx, id); c.Status != chat.Queued {
		t.Fatalf("a former agent changed the chat: %+v", c)
	}

	// Someone who never worked on the chat finds nothing there, as before.
	if resp, body := mia.get(chatPage); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "There is nothing here.") {
		t.Fatalf("Mia opens a support chat: %s", resp.Status)
	}
}

// TestResumeShowsWhereTheOpenChatStandsNow: a chat taken between an
// agent's page load and its socket's resume is shown as it stands now, with
// the actions that fit, not as the page had it.
func TestResumeShowsWhereTheOpenChatStandsNow(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	samID := k.addAgent("sam@example.com", "Sam", "sam password")
	alex, sam := k.agent(), k.signInAs("sam@example.com", "sam password")
	alex.setState("away")
	sam.setState("away")
	id := queuedChat(t, k, "anyone there?")
	if _, page := alex.get(fmt.Sprintf("/console/c/%d", id)); !strings.Contains(page, "Waiting in the queue") {
		t.Fatal("the page does not show the chat waiting")
	}
	// Sam takes it before Alex's socket opens; once Sam's own console has
	// heard of it, the live news of the take is past.
	samLive := sam.console()
	samLive.send(map[string]any{"type": "resume"})
	samLive.waitFor("anyone there?")
	resp, _ := sam.postWith(fmt.Sprintf("/console/queue/%d/take", id), url.Values{"_csrf": {sam.csrf("/console")}}, asJSON)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("Sam's take: %s", resp.Status)
	}
	samLive.waitFor("Nobody is waiting.")
	c, err := k.db.Conversation(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	live := alex.console()
	live.send(map[string]any{"type": "resume", "conversation_id": id, "seq": c.LastSeq})
	frame := live.waitFor(chatStateSwap(id))
	if !strings.Contains(frame, "With Sam") || !strings.Contains(frame, `data-testid="resolve"`) {
		t.Fatalf("the resume does not show the chat with Sam, with its actions:\n%s", frame)
	}
	// A page that shows it as it stands keeps what it shows: a transfer
	// note being typed stays.
	again := alex.console()
	again.send(map[string]any{"type": "resume", "conversation_id": id, "seq": c.LastSeq,
		"chat_state": fmt.Sprintf("%s-%d", chat.Assigned, samID)})
	if frame := again.waitFor(`data-target="#conversation-list"`); strings.Contains(frame, chatStateSwap(id)) {
		t.Fatalf("the resume of a page that shows the chat as it stands replaces its actions:\n%s", frame)
	}
}
