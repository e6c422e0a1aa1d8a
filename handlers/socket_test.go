package handlers_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/storetest"
)

// visitorConversation returns the visitor's conversation once their first message is stored.
func visitorConversation(t *testing.T, db *store.DB, token string) chat.Conversation {
	t.Helper()
	c, err := db.VisitorConversation(context.Background(), mustVisitor(t, db, token).ID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTwoClientsChatLive(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	agent := k.agent().console()
	agent.send(map[string]any{"type": "resume"})
	agent.waitFor(`data-target="#conversation-list" data-swap="innerHTML"`) // the resumed (empty) list
	token := k.visitorToken()
	visitor := k.liveWidget(token)
	visitor.send(map[string]any{"type": "send", "client_msg_id": "v1", "body": "  Hello, is anyone there?  "})
	visitor.waitFor(`data-ack="v1"`)
	// The agent's list puts the conversation in its place (the top), live.
	frame := agent.waitFor(`data-target="#conversation-list" data-swap="sorted"`)
	// Unread is 1: routing's "joined" line does not count.
	if !strings.Contains(frame, "Hello, is anyone there?") || !strings.Contains(frame, `data-testid="unread">1<`) {
		t.Fatalf("agent's list update lacks the moved item or its unread count:\n%s", frame)
	}
	// The visitor's own bubble replaces the pending one.
	own := visitor.waitFor("Hello, is anyone there?")
	if !strings.Contains(own, `data-target="#pending-v1" data-swap="remove"`) || !strings.Contains(own, `class="msg mine"`) {
		t.Fatalf("visitor's own bubble:\n%s", own)
	}

	conv := visitorConversation(t, k.db, token)
	agent.send(map[string]any{"type": "resume", "conversation_id": conv.ID, "seq": 1})
	agent.send(map[string]any{"type": "send", "conversation_id": conv.ID, "client_msg_id": "a1", "body": "Hi! <b>Alex</b> here."})
	got := visitor.waitFor("here.")
	if strings.Contains(got, "<b>Alex</b>") || !strings.Contains(got, "&lt;b&gt;Alex&lt;/b&gt; here.") {
		t.Fatalf("agent's message is not escaped for the visitor:\n%s", got)
	}
	if strings.Contains(got, `class="msg mine"`) || !strings.Contains(got, `<span class="who">Alex</span>`) {
		t.Fatalf("the visitor sees the agent's message as their own or without a name:\n%s", got)
	}
	agent.waitFor(`data-ack="a1"`)

	// Replying read the conversation; a new visitor message is unread until the agent reads it.
	visitor.send(map[string]any{"type": "send", "client_msg_id": "v2", "body": "one more thing"})
	agent.waitFor("one more thing")
	// Routing may have added its own line, so the seq to read up to comes from the database.
	last, err := k.db.Conversation(context.Background(), conv.ID)
	if err != nil {
		t.Fatal(err)
	}
	agent.send(map[string]any{"type": "read", "conversation_id": conv.ID, "seq": last.LastSeq})
	upd := agent.waitFor(fmt.Sprintf(`data-target="#conv-%d" data-swap="outerHTML"`, conv.ID))
	if strings.Contains(upd, `data-testid="unread"`) {
		t.Fatalf("list item still shows unread after reading:\n%s", upd)
	}
	agentUser, _, _ := k.db.MemberByEmail(context.Background(), agentEmail)
	if unread, err := k.db.Unread(context.Background(), conv.ID, last.LastSeq, []int64{agentUser.ID}); err != nil || unread[agentUser.ID] != 0 {
		t.Fatalf("agent's unread after reading = %v, %v; want 0", unread, err)
	}
}

// TestUnreadFollowsEveryMessage: the console's unread count rises with each
// message, drops to nothing when the agent writes or reads, and counts what
// came while the console was closed.
func TestUnreadFollowsEveryMessage(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	agent := k.agent()
	console := agent.console()
	console.send(map[string]any{"type": "resume"})
	console.waitFor(`data-target="#conversation-list" data-swap="innerHTML"`)
	token := k.visitorToken()
	visitor := k.liveWidget(token)
	n := 0
	// say has the visitor write, and waits for the console's list item to
	// show it with want unread. (An event handled meanwhile may show the
	// count as it was at its own message: the last one shown is right.)
	say := func(want int) {
		t.Helper()
		n++
		body := fmt.Sprintf("question %d", n)
		visitor.send(map[string]any{"type": "send", "client_msg_id": fmt.Sprint("q", n), "body": body})
		console.waitForAll(`data-testid="preview">`+body+`<`, fmt.Sprintf(`data-testid="unread">%d<`, want))
	}
	for want := 1; want <= 3; want++ {
		say(want)
	}
	conv := visitorConversation(t, k.db, token)
	console.send(map[string]any{"type": "resume", "conversation_id": conv.ID, "seq": 0})
	console.send(map[string]any{"type": "send", "conversation_id": conv.ID, "client_msg_id": "a1", "body": "an answer"})
	// Writing read it.
	if f := console.waitFor(`data-testid="preview">an answer<`); strings.Contains(f, `data-testid="unread"`) {
		t.Fatalf("the agent's own answer left something unread:\n%s", f)
	}
	console.send(map[string]any{"type": "resume"}) // no chat open, so none is read as it comes
	console.waitFor(`data-target="#conversation-list" data-swap="innerHTML"`)
	say(1)

	// What comes while no console is open is counted when one is again.
	console.ws.Close(websocket.StatusNormalClosure, "")
	visitor.send(map[string]any{"type": "send", "client_msg_id": "away", "body": "while you were away"})
	visitor.waitFor(`data-ack="away"`)
	console = agent.console()
	console.send(map[string]any{"type": "resume"})
	console.waitFor(`data-target="#conversation-list" data-swap="innerHTML"`)
	say(3)

	last, err := k.db.Conversation(context.Background(), conv.ID)
	if err != nil {
		t.Fatal(err)
	}
	console.send(map[string]any{"type": "read", "conversation_id": conv.ID, "seq": last.LastSeq})
	if f := console.waitFor(fmt.Sprintf(`data-target="#conv-%d" data-swap="outerHTML"`, conv.ID)); strings.Contains(f, `data-testid="unread"`) {
		t.Fatalf("read, the list item still shows unread:\n%s", f)
	}
	say(1)
}

func TestResumeAfterDrop(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	agentUser, _, err := k.db.MemberByEmail(context.Background(), agentEmail)
	if err != nil {
		t.Fatal(err)
	}
	token := k.visitorToken()
	visitor := k.widget(token)
	visitor.send(map[string]any{"type": "resume"})
	visitor.send(map[string]any{"type": "send", "client_msg_id": "first", "body": "first"})
	visitor.waitFor(">first<")
	conv := visitorConversation(t, k.db, token)

	visitor.ws.CloseNow()
	var missed []string
	for i := range 3 {
		m, _, err := k.db.SendMessage(context.Background(), store.Send{ConversationID: conv.ID, SenderID: agentUser.ID, Body: fmt.Sprintf("missed %d", i)})
		if err != nil {
			t.Fatal(err)
		}
		missed = append(missed, fmt.Sprint(m.ID))
	}

	again := k.widget(token)
	again.send(map[string]any{"type": "resume", "conversation_id": conv.ID, "seq": 1})
	again.waitFor("missed 2")
	// A message sent after the resume marks the end of what to look at.
	m, _, err := k.db.SendMessage(context.Background(), store.Send{ConversationID: conv.ID, SenderID: agentUser.ID, Body: "after"})
	if err != nil {
		t.Fatal(err)
	}
	again.waitFor(">after<")
	want := append(missed, fmt.Sprint(m.ID))
	if got := bubbles(again.all()); !slices.Equal(got, want) {
		t.Fatalf("after resuming, bubbles %v arrived; want %v: each missed message once, in order", got, want)
	}
}

func TestWidgetResumeFromScratchShowsHistory(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	token := k.visitorToken()
	v := k.widget(token)
	v.send(map[string]any{"type": "send", "client_msg_id": "x1", "body": "from a past page load"})
	v.waitFor(`data-ack="x1"`)
	v.ws.CloseNow()

	reload := k.widget(token)
	reload.send(map[string]any{"type": "resume"})
	frame := reload.waitFor("from a past page load")
	if !strings.Contains(frame, `data-target="#messages" data-swap="innerHTML"`) {
		t.Fatalf("a fresh widget did not get its thread:\n%s", frame)
	}
}

func TestDuplicateFrameStoresOnce(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	token := k.visitorToken()
	v := k.widget(token)
	v.send(map[string]any{"type": "resume"})
	frame := map[string]any{"type": "send", "client_msg_id": "dup-1", "body": "only once"}
	v.send(frame)
	v.send(frame)
	v.waitFor(`data-ack="dup-1"`)
	v.waitFor(`data-ack="dup-1"`)
	v.send(map[string]any{"type": "send", "client_msg_id": "end", "body": "sentinel"})
	v.waitFor(">sentinel<")

	conv := visitorConversation(t, k.db, token)
	msgs, err := k.db.MessagesAfter(context.Background(), conv.ID, 0, 10, chat.ReaderAgent)
	if err != nil || len(msgs) != 2 || msgs[0].Body != "only once" || msgs[1].Seq != 2 {
		t.Fatalf("stored %+v, %v; want one copy and the sentinel at seq 2", msgs, err)
	}
	if got := bubbles(v.all()); !slices.Equal(got, []string{fmt.Sprint(msgs[0].ID), fmt.Sprint(msgs[1].ID)}) {
		t.Fatalf("bubbles %v were shown; the duplicate frame must not show a second bubble", got)
	}
}

func TestRefusedFrames(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	token := k.visitorToken()
	v := k.widget(token)
	for _, tt := range []struct{ id, body, want string }{
		{"empty", "   ", "The message is empty."},
		{"long", strings.Repeat("字", chat.MaxBodyChars+1), "the limit is 4000"},
	} {
		v.send(map[string]any{"type": "send", "client_msg_id": tt.id, "body": tt.body})
		if got := v.waitFor(`data-ack="` + tt.id + `"`); !strings.Contains(got, tt.want) || !strings.Contains(got, `#composer-error`) {
			t.Fatalf("refusal of %s: %s; want %q in the composer's error", tt.id, got, tt.want)
		}
	}
	v.send(map[string]any{"type": "send", "client_msg_id": "bad id!", "body": "x"})
	v.waitFor("The message id may hold only")
	v.send(map[string]any{"type": "dance"})
	v.waitFor("Unknown frame type.")
	if _, err := k.db.VisitorConversation(context.Background(), mustVisitor(t, k.db, token).ID); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("refused frames stored something: %v", err)
	}

	// A frame over the read limit closes the socket with 1009. The server
	// closes without reading the rest of the frame, so the peer may see the
	// reset before the close frame: either way the socket is gone.
	writeErr := v.trySend(map[string]any{"type": "send", "client_msg_id": "huge", "body": strings.Repeat("a", 40<<10)})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		_, _, err := v.ws.Read(ctx)
		if err != nil {
			reset := errors.Is(err, syscall.ECONNRESET) || errors.Is(writeErr, syscall.ECONNRESET)
			if websocket.CloseStatus(err) != websocket.StatusMessageTooBig && !reset {
				t.Fatalf("oversize frame: socket ended with %v (write: %v), want close 1009", err, writeErr)
			}
			break
		}
	}
	if _, err := k.db.VisitorConversation(context.Background(), mustVisitor(t, k.db, token).ID); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("an oversize frame stored something: %v", err)
	}
}

func mustVisitor(t *testing.T, db *store.DB, token string) chat.User {
	t.Helper()
	v, err := db.VisitorByToken(context.Background(), auth.TokenHash(token))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestHandshakeRefusals(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	token := k.visitorToken()
	agent := k.agent()
	tests := []struct {
		name, path string
		header     http.Header
		protocols  []string
		wantStatus int
	}{
		{"widget from another origin", "/widget/live", http.Header{"Origin": {"http://evil.example"}}, []string{"kefu.v1", "kefu.token." + token}, http.StatusForbidden},
		{"widget without token", "/widget/live", http.Header{"Origin": {k.srv.URL}}, []string{"kefu.v1"}, http.StatusUnauthorized},
		{"widget with a made-up token", "/widget/live", http.Header{"Origin": {k.srv.URL}}, []string{"kefu.v1", "kefu.token.made-up"}, http.StatusUnauthorized},
		{"console without session", "/console/live", http.Header{"Origin": {k.srv.URL}}, []string{"kefu.v1"}, http.StatusUnauthorized},
		{"console from another origin", "/console/live", http.Header{"Origin": {"http://evil.example"}, "Cookie": {sessionCookie(t, agent)}}, []string{"kefu.v1"}, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, resp, err := k.dial(tt.path, &websocket.DialOptions{HTTPHeader: tt.header, Subprotocols: tt.protocols})
			if err == nil || resp == nil || resp.StatusCode != tt.wantStatus {
				status := 0
				if resp != nil {
					status = resp.StatusCode
				}
				t.Fatalf("handshake: err %v, status %d; want refused with %d", err, status, tt.wantStatus)
			}
		})
	}
}

func sessionCookie(t *testing.T, b *browser) string {
	t.Helper()
	u, _ := url.Parse(b.k.srv.URL)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == "kefu_session" {
			return c.String()
		}
	}
	t.Fatal("no session cookie")
	return ""
}

func TestTwoInstancesShareMessages(t *testing.T) {
	t.Parallel()
	dbURL := storetest.URL(t)
	a := start(t, dbURL)
	a.ensureAgent()
	b := start(t, dbURL)

	visitorOnA, agentOnB, conv := chatAcross(t, a, b)
	agentOnB.send(map[string]any{"type": "send", "conversation_id": conv.ID, "client_msg_id": "r1", "body": "answered on instance B"})
	visitorOnA.waitFor("answered on instance B")
}

// chatAcross opens the agent's console on b and a visitor's widget on a,
// where the visitor writes first; it returns once the agent sees that on b.
func chatAcross(t *testing.T, a, b *instance) (visitorOnA, agentOnB *socket, conv chat.Conversation) {
	t.Helper()
	agentOnB = b.agent().console()
	token := a.visitorToken()
	visitorOnA = a.liveWidget(token)
	visitorOnA.send(map[string]any{"type": "send", "client_msg_id": "first", "body": "sent through instance A"})
	agentOnB.waitFor("sent through instance A")
	return visitorOnA, agentOnB, visitorConversation(t, a.db, token)
}
