package handlers_test

import (
	"context"
	"fmt"
	"github.com/coder/websocket"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/storetest"
)

// siteWidget opens the widget socket of a new visitor on site, resumed as
// the site's page does, and returns it with the visitor's token.
func (k *instance) siteWidget(site chat.Site) (*socket, string) {
	k.t.Helper()
	secret, err := k.db.SiteSecret(context.Background(), site.ID)
	if err != nil {
		k.t.Fatal(err)
	}
	token := k.visitorToken()
	v := k.widget(token)
	v.send(map[string]any{"type": "resume", "site": site.ID, "site_token": widgetSiteToken(site.ID, secret)})
	v.waitFor(`data-target="#queue-status"`)
	return v, token
}

// resolve resolves the visitor's chat as the agent.
func (k *instance) resolve(token string) {
	k.t.Helper()
	ctx := context.Background()
	conv, err := k.db.VisitorConversation(ctx, mustVisitor(k.t.(*testing.T), k.db, token).ID)
	if err != nil {
		k.t.Fatal(err)
	}
	admin, _, err := k.db.MemberByEmail(ctx, agentEmail)
	if err != nil {
		k.t.Fatal(err)
	}
	if err := k.db.Resolve(ctx, conv.ID, admin.ID, time.Now()); err != nil {
		k.t.Fatal(err)
	}
}

// TestPrechatIsAskedOnce: a visitor who gave their email when their first
// chat started is not asked again when they write after it was resolved,
// on a site that requires the email and when nobody is available (the
// offline form, which asks for one on any site).
func TestPrechatIsAskedOnce(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	required, _ := k.newSite("Shop", "https://shop.example.com")
	if _, err := k.db.UpdateSite(ctx, 0, chat.Site{ID: required.ID, Name: "Shop", Origins: required.Origins,
		PrechatName: chat.FieldOptional, PrechatEmail: chat.FieldRequired}); err != nil {
		t.Fatal(err)
	}
	plain, _ := k.newSite("Blog", "https://blog.example.com") // no pre-chat fields: nobody available asks the email alone

	for _, site := range []chat.Site{required, plain} {
		v, token := k.siteWidget(site)
		v.send(map[string]any{"type": "send", "client_msg_id": "a1", "body": "first", "email": "ada@example.com"})
		if got := v.waitFor(`data-ack="a1"`); strings.Contains(got, "data-refused") {
			t.Fatalf("%s: the first message was refused:\n%s", site.Name, got)
		}
		if u := mustVisitor(t, k.db, token); u.Email != "ada@example.com" {
			t.Fatalf("%s: the visitor's email is %q, want it kept", site.Name, u.Email)
		}
		k.resolve(token)
		v.waitFor(`data-testid="rating"`)
		// The widget, open all along, no longer asks: the email is known.
		v.send(map[string]any{"type": "send", "client_msg_id": "a2", "body": "me again"})
		if got := v.waitFor(`data-ack="a2"`); strings.Contains(got, "data-refused") {
			t.Fatalf("%s: writing again after a resolve was refused:\n%s", site.Name, got)
		}
		v.waitFor(">me again<")
		// Reopened: the rating form of the resolved chat goes.
		v.waitFor(`data-target="#rating" data-swap="innerHTML"></template>`)
		// A page loaded later does not ask either.
		again := k.widget(token)
		secret, _ := k.db.SiteSecret(ctx, site.ID)
		again.send(map[string]any{"type": "resume", "site": site.ID, "site_token": widgetSiteToken(site.ID, secret)})
		if got := again.waitFor(`data-target="#prechat"`); strings.Contains(got, `data-testid="prechat-email"`) {
			t.Fatalf("%s: a reloaded widget asks for the email again:\n%s", site.Name, got)
		}
	}
}

// TestMissingFieldShowsTheField: when a new chat needs a field the visitor
// has not given, the refusal says which, with the message still in the
// composer. Fields the widget shows already are not sent again (what the
// visitor typed into them stays); fields it does not show yet (the site
// changed them meanwhile) come with the refusal.
func TestMissingFieldShowsTheField(t *testing.T) {
	t.Parallel()
	k, _ := newMailKefu(t) // kefu sends email: the offline form requires the email
	site, _ := k.newSite("Blog", "https://blog.example.com")
	v, _ := k.siteWidget(site) // nobody is available: the offline form asks for the email
	if !strings.Contains(v.all(), `data-testid="prechat-email"`) {
		t.Fatal("the widget does not show the offline form's email field")
	}
	v.send(map[string]any{"type": "send", "client_msg_id": "m1", "body": "hello", "name": "Ada"})
	got := v.waitFor(`data-ack="m1"`)
	if !strings.Contains(got, `data-refused="m1"`) || !strings.Contains(got, "Please give your email") {
		t.Fatalf("the refusal lacks the reason:\n%s", got)
	}
	if strings.Contains(got, `data-target="#prechat"`) {
		t.Fatalf("the refusal replaces the fields the widget shows, and what was typed in them:\n%s", got)
	}
	site.PrechatName = chat.FieldRequired
	if _, err := k.db.UpdateSite(context.Background(), 0, site); err != nil {
		t.Fatal(err)
	}
	v.send(map[string]any{"type": "send", "client_msg_id": "m2", "body": "hello", "email": "ada@example.com"})
	got = v.waitFor(`data-ack="m2"`)
	for _, want := range []string{`data-refused="m2"`, "Please tell us your name.", `data-target="#prechat"`, `data-testid="prechat-name"`} {
		if !strings.Contains(got, want) {
			t.Fatalf("the refusal lacks %q:\n%s", want, got)
		}
	}
	// A name PostgreSQL cannot keep (a NUL in it) is the visitor's to mend,
	// not a failure of kefu's to be sent again.
	v.send(map[string]any{"type": "send", "client_msg_id": "m2b", "body": "hello", "name": "Ada\x00", "email": "ada@example.com"})
	got = v.waitFor(`"m2b"`)
	for _, want := range []string{`data-refused="m2b"`, "Your name holds a character that cannot be kept.", `data-ack="m2b"`} {
		if !strings.Contains(got, want) {
			t.Fatalf("a pre-chat name with a NUL: the refusal lacks %q:\n%s", want, got)
		}
	}
	v.send(map[string]any{"type": "send", "client_msg_id": "m3", "body": "hello", "name": "Ada", "email": "ada@example.com"})
	// Once given, the fields go.
	if got := v.waitFor(`data-target="#prechat"`); strings.Contains(got, "prechat-email") || strings.Contains(got, "prechat-name") {
		t.Fatalf("the fields stay after the chat started:\n%s", got)
	}
	v.waitFor(`data-ack="m3"`)
}

// TestResolveWhileOpenShowsTheFields: an agent was there when the chat
// started, so no email was asked; they resolve it and step away while the
// visitor's widget is open: the widget now shows the offline form's email
// field, before the visitor writes again.
func TestResolveWhileOpenShowsTheFields(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	site, _ := k.newSite("Blog", "https://blog.example.com")
	agent := k.agent()
	console := agent.console()
	console.send(map[string]any{"type": "resume"})
	console.waitFor(`data-target="#conversation-list"`)
	v, token := k.siteWidget(site)
	if strings.Contains(v.all(), "prechat-email") {
		t.Fatal("the email is asked while an agent is available")
	}
	v.send(map[string]any{"type": "send", "client_msg_id": "r1", "body": "hello"})
	v.waitFor(`data-ack="r1"`)
	v.waitFor("joined the chat")
	k.resolve(token)
	agent.setState("away")
	v.waitFor(`data-testid="prechat-email"`)
}

// TestSupportClosedWidget: with customer_service_uids false, or at grade
// 200, the widget says chat is unavailable instead of taking messages that
// nobody can answer, live; a message sent anyway is refused and stores
// nothing.
func TestSupportClosedWidget(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	author, err := k.db.CreateMember(ctx, store.NewMember{Email: "ann@example.com", Name: "Ann", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	v := k.liveWidget(k.visitorToken())
	if strings.Contains(v.all(), `data-testid="unavailable"`) {
		t.Fatal("the widget says chat is unavailable while an agent is listed")
	}
	// A waiting visitor's queue status goes when chat closes: not "leave
	// your message here" above "chat is unavailable".
	waiting := k.liveWidget(k.visitorToken())
	waiting.send(map[string]any{"type": "send", "client_msg_id": "w1", "body": "waiting", "email": "ada@example.com"})
	waiting.waitFor(`data-ack="w1"`)
	waiting.waitFor("No one is available right now.")
	list, err := k.db.AgentList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	closers := map[string]func() error{
		"uids_false": func() error { return k.db.SetAgentList(ctx, 0, chat.AgentList{Unrestricted: true}) },
		"grade_200":  func() error { return k.db.SetGrade(ctx, 0, chat.GradeKinOnly) },
	}
	for name, close := range closers {
		if err := close(); err != nil {
			t.Fatal(err)
		}
		v.waitFor(`data-testid="unavailable"`)
		if got := waiting.waitFor(`data-testid="unavailable"`); !strings.Contains(got, `data-target="#queue-status" data-swap="innerHTML"></template>`) {
			t.Fatalf("%s: the waiting visitor's queue status stays beside chat is unavailable:\n%s", name, got)
		}
		v.send(map[string]any{"type": "send", "client_msg_id": "x-" + name, "body": "anyone?"})
		if got := v.waitFor(`data-ack="x-` + name + `"`); !strings.Contains(got, "Chat is unavailable") {
			t.Fatalf("%s: a message was not refused: %s", name, got)
		}
		if n := k.count("SELECT count(*) FROM conversations WHERE kind = 'support'"); n != 1 {
			t.Fatalf("%s: a refused message stored a chat", name)
		}
		_, page := k.framed("/widget", "")
		if !strings.Contains(page, `data-testid="unavailable"`) {
			t.Fatalf("%s: a newly loaded widget does not say chat is unavailable", name)
		}
		// A contact button aimed at a member still reaches them; aimed back at support, chat is closed.
		if _, aimed := k.framed(fmt.Sprintf("/widget/aim?to=%d", author.ID), ""); !strings.Contains(aimed, `data-target="#availability" data-swap="innerHTML"></template>`) {
			t.Fatalf("%s: the widget aimed at a member still says chat is unavailable:\n%s", name, aimed)
		}
		if _, aimed := k.framed("/widget/aim?to=0", ""); !strings.Contains(aimed, `data-testid="unavailable"`) {
			t.Fatalf("%s: the widget aimed back at support does not say chat is unavailable:\n%s", name, aimed)
		}
		// Reopened: the notice goes.
		if err := k.db.SetAgentList(ctx, 0, list); err != nil {
			t.Fatal(err)
		}
		if err := k.db.SetGrade(ctx, 0, chat.GradeAnyone); err != nil {
			t.Fatal(err)
		}
		v.waitFor(`data-target="#availability" data-swap="innerHTML"></template>`)
	}
}

// TestSendDuringDatabaseOutage: while kefu's database is unreachable, a
// message is neither stored nor refused for good: the browser is told to
// send it again (or its socket closes, "reconnect and resume", when other
// work for it fails). Sent again once the database is back, on the socket it
// was sent on or on a new one after a reconnect, every message is stored
// exactly once, in order.
func TestSendDuringDatabaseOutage(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	token := k.visitorToken()
	v := k.liveWidget(token)
	v.send(map[string]any{"type": "send", "client_msg_id": "before", "body": "before"})
	v.waitFor(`data-ack="before"`)
	v.waitFor("No one is available right now.") // the last work the first message gave the socket

	end := storetest.Outage(t, k.url)
	bodies := []string{"during 1", "during 2", "during 3"}
	retried, open := 0, true
	for i, body := range bodies {
		id := fmt.Sprintf("o%d", i+1)
		if v.trySend(map[string]any{"type": "send", "client_msg_id": id, "body": body}) != nil {
			open = false
			break
		}
		got, err := v.tryWaitFor(`"` + id + `"`)
		if err != nil {
			open = false // closed: the browser reconnects and sends again
			break
		}
		if !strings.Contains(got, `data-retry="`+id+`"`) || strings.Contains(got, "data-ack") {
			t.Fatalf("a send during an outage was not handed back to be retried:\n%s", got)
		}
		retried++
	}
	if retried == 0 {
		t.Fatal("no send during the outage was answered with data-retry")
	}
	end()
	deadline := time.Now().Add(10 * time.Second)
	for k.db.Ping(context.Background()) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the database did not come back")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if open {
		// The first again on the socket it was sent on. Or the socket closes
		// with 1011, when a job of its meets a connection the outage broke:
		// the browser then reconnects and sends it again, as below.
		if v.trySend(map[string]any{"type": "send", "client_msg_id": "o1", "body": bodies[0]}) == nil {
			if _, err := v.tryWaitFor(`data-ack="o1"`); err != nil && websocket.CloseStatus(err) != websocket.StatusInternalError {
				t.Fatalf("o1 sent again after the outage, on its socket: %v", err)
			}
		}
	}
	// Then all of them on a new socket, as live.js sends them after a reconnect.
	v.ws.CloseNow()
	again := k.liveWidget(token)
	for i, body := range bodies {
		id := fmt.Sprintf("o%d", i+1)
		again.send(map[string]any{"type": "send", "client_msg_id": id, "body": body})
		if got := again.waitFor(`"` + id + `"`); !strings.Contains(got, `data-ack="`+id+`"`) || strings.Contains(got, "data-refused") {
			t.Fatalf("%s sent again after the reconnect:\n%s", id, got)
		}
	}
	conv := visitorConversation(t, k.db, token)
	msgs, err := k.db.MessagesAfter(context.Background(), conv.ID, 0, 100, chat.ReaderMember)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range msgs {
		if m.Type == chat.Text {
			got = append(got, m.Body)
		}
	}
	if want := append([]string{"before"}, bodies...); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("stored %q, want %q: each once, in order", got, want)
	}
}

// TestSendThatCannotBeStoredIsRefused: a database error that trying again
// would not mend (here a check the message breaks) refuses the message for
// good, with a plain sentence, rather than have the browser send it again
// forever.
func TestSendThatCannotBeStoredIsRefused(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	if _, err := k.db.Pool().Exec(context.Background(),
		"ALTER TABLE messages ADD CONSTRAINT messages_body_test_check CHECK (body <> 'refused by a check')"); err != nil {
		t.Fatal(err)
	}
	v := k.liveWidget(k.visitorToken())
	v.send(map[string]any{"type": "send", "client_msg_id": "c1", "body": "refused by a check"})
	got := v.waitFor(`"c1"`)
	if strings.Contains(got, `data-retry="c1"`) || !strings.Contains(got, `data-refused="c1"`) ||
		!strings.Contains(got, "This message could not be stored.") || !strings.Contains(got, `data-ack="c1"`) {
		t.Fatalf("a message the database refuses for good was not refused:\n%s", got)
	}
	v.send(map[string]any{"type": "send", "client_msg_id": "c2", "body": "hello"})
	if got := v.waitFor(`"c2"`); !strings.Contains(got, `data-ack="c2"`) || strings.Contains(got, "data-refused") {
		t.Fatalf("the next message was not stored:\n%s", got)
	}
}

// TestFirstSendAfterResumeUsesItsAim runs the reader's and the writer's
// work on one socket at once: a send right behind a resume is filed under
// the site and person the resume named. Under the race detector it fails if
// any per-socket state is shared between the two goroutines.
func TestFirstSendAfterResumeUsesItsAim(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	site, _ := k.newSite("Shop", "https://shop.example.com")
	siteSecret, err := k.db.SiteSecret(ctx, site.ID)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	tokens := make([]string, 8)
	for i := range tokens {
		tokens[i] = k.visitorToken()
	}
	for i, token := range tokens {
		v := k.widget(token)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = v.trySend(map[string]any{"type": "resume", "site": site.ID, "site_token": widgetSiteToken(site.ID, siteSecret)})
			_ = v.trySend(map[string]any{"type": "send", "client_msg_id": fmt.Sprintf("s%d", i), "body": "hello", "email": "ada@example.com"})
		}()
	}
	wg.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for k.count("SELECT count(*) FROM conversations WHERE kind = 'support'") < len(tokens) {
		if time.Now().After(deadline) {
			t.Fatal("not every first message was stored")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := k.count("SELECT count(*) FROM conversations WHERE kind = 'support' AND site_id = $1", site.ID); n != len(tokens) {
		t.Fatalf("%d of %d chats started right after a resume are filed under its site", n, len(tokens))
	}
}

// TestWidgetSessionSaysWhetherTheTokenHolds: the widget asks when its socket
// keeps failing to open, since a refused handshake cannot say why.
func TestWidgetSessionSaysWhetherTheTokenHolds(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ask := func(token string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, k.srv.URL+"/widget/session", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	token := k.visitorToken()
	if got := ask(token); got != http.StatusNoContent {
		t.Fatalf("a live token: %d, want 204", got)
	}
	if got := ask("forgotten"); got != http.StatusUnauthorized {
		t.Fatalf("a token kefu does not know: %d, want 401", got)
	}
	if got := ask(""); got != http.StatusUnauthorized {
		t.Fatalf("no token: %d, want 401", got)
	}
	if err := k.db.SetDisabled(context.Background(), 0, mustVisitor(t, k.db, token).ID, true); err != nil {
		t.Fatal(err)
	}
	if got := ask(token); got != http.StatusForbidden {
		t.Fatalf("a disabled visitor's token: %d, want 403", got)
	}
}
