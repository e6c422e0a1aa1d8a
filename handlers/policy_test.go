package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/storetest"
)

// The sentences the conversation_grade's refusals carry.
const (
	refused100  = "Here you can only start a conversation with customer service, your friends, or people in a group with you."
	refused200  = "Here you can only start a conversation with your friends or people in a group with you."
	refusedTeam = "Chat is unavailable right now."
	// A message in a conversation that exists is a reply, not a start.
	reply100 = "Replies are not allowed at this grade: you can write only to customer service, your friends, or people in a group with you."
	reply200 = "Replies are not allowed at this grade: you can write only to your friends or people in a group with you."
	// A visitor has no friends or groups here.
	unreachable = "This person cannot be reached by chat here."
)

// person is a member who is not customer service, signed in with their own browser.
type person struct {
	chat.User
	b *browser
}

const personPassword = "person password"

// person creates a member named name and signs them in.
func (k *instance) person(name string) person {
	k.t.Helper()
	email := strings.ToLower(name) + "@example.com"
	u, err := k.db.CreateMember(context.Background(), store.NewMember{Email: email, Name: name, PasswordHash: mustHash(k.t, personPassword)})
	if err != nil {
		k.t.Fatal(err)
	}
	b := k.browser()
	if resp := b.signIn(email, personPassword); resp.StatusCode != http.StatusSeeOther {
		k.t.Fatalf("%s could not sign in: %s", name, resp.Status)
	}
	return person{User: u, b: b}
}

// signedIn returns the browser of a member already created.
func (k *instance) signedIn(u chat.User, password string) *browser {
	k.t.Helper()
	b := k.browser()
	if resp := b.signIn(u.Email, password); resp.StatusCode != http.StatusSeeOther {
		k.t.Fatalf("%s could not sign in: %s", u.Name, resp.Status)
	}
	return b
}

func (k *instance) setGrade(grade int) {
	k.t.Helper()
	if err := k.db.SetGrade(context.Background(), 0, grade); err != nil {
		k.t.Fatal(err)
	}
}

// count runs a count(*) query.
func (k *instance) count(sql string, args ...any) int {
	k.t.Helper()
	var n int
	if err := k.db.Pool().QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		k.t.Fatal(err)
	}
	return n
}

// startDirect posts "new conversation with…" as a person would, and returns
// the response and the page.
func (b *browser) startDirect(to int64) (*http.Response, string) {
	b.k.t.Helper()
	return b.post("/console/direct", url.Values{"to": {fmt.Sprint(to)}, "_csrf": {b.csrf("/console/people")}})
}

// postJSON posts form as an API client asking for JSON, and decodes the answer.
func (b *browser) postJSON(path string, form url.Values) (int, map[string]any) {
	b.k.t.Helper()
	form.Set("_csrf", b.csrf("/console/people"))
	req, _ := http.NewRequest(http.MethodPost, b.k.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Origin", b.k.srv.URL)
	resp, err := b.client.Do(req)
	if err != nil {
		b.k.t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		b.k.t.Fatalf("POST %s: answer is not JSON: %v", path, err)
	}
	return resp.StatusCode, v
}

func (k *instance) befriend(a, b person) {
	k.t.Helper()
	ctx := context.Background()
	if _, err := k.db.InviteFriend(ctx, a.ID, b.ID, ""); err != nil {
		k.t.Fatal(err)
	}
	if friends, err := k.db.InviteFriend(ctx, b.ID, a.ID, ""); err != nil || !friends {
		k.t.Fatalf("mutual invitations did not make friends: %v, %v", friends, err)
	}
}

// TestStartConversationPolicy drives "new conversation with…" (the form and
// its JSON answer) through every grade: what is allowed opens the
// conversation, what is refused says why and stores nothing.
func TestStartConversationPolicy(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	admin, _, err := k.db.MemberByEmail(ctx, agentEmail)
	if err != nil {
		t.Fatal(err)
	}
	ann, bob, dan, erin := k.person("Ann"), k.person("Bob"), k.person("Dan"), k.person("Erin")
	alex := k.agent() // customer service

	allowed := func(b *browser, to int64) int64 {
		t.Helper()
		resp, body := b.startDirect(to)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/c/") {
			t.Fatalf("start with %d answered %s, want 303 to the conversation: %s", to, resp.Status, body)
		}
		var id int64
		fmt.Sscanf(resp.Header.Get("Location"), "/console/c/%d", &id)
		return id
	}
	refused := func(b *browser, to int64, sentence string) {
		t.Helper()
		before := k.count("SELECT count(*) FROM conversations")
		resp, body := b.startDirect(to)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `data-testid="refusal"`) || !strings.Contains(body, sentence) {
			t.Fatalf("refused start answered %s; want 403 with %q in the page: %s", resp.Status, sentence, body)
		}
		status, v := b.postJSON("/console/direct", url.Values{"to": {fmt.Sprint(to)}})
		if status != http.StatusForbidden || v["error"] != "conversation_not_allowed" || v["message"] != sentence {
			t.Fatalf("refused start as JSON = %d %v; want 403 conversation_not_allowed", status, v)
		}
		if after := k.count("SELECT count(*) FROM conversations"); after != before {
			t.Fatalf("a refused start stored %d conversations", after-before)
		}
	}

	// Grade 0: anyone.
	annBob := allowed(ann.b, bob.ID)
	if again := allowed(ann.b, bob.ID); again != annBob {
		t.Fatalf("starting again opened conversation %d, want the existing %d", again, annBob)
	}
	if back := allowed(bob.b, ann.ID); back != annBob {
		t.Fatalf("the other side opened conversation %d, want the shared %d", back, annBob)
	}
	status, v := ann.b.postJSON("/console/direct", url.Values{"to": {fmt.Sprint(bob.ID)}})
	if status != http.StatusOK || v["conversation_id"] != float64(annBob) {
		t.Fatalf("JSON start = %d %v, want 200 with conversation %d", status, v, annBob)
	}

	// Grade 100: customer service, friends, shared groups.
	k.setGrade(chat.GradeServiceOrKin)
	refused(ann.b, dan.ID, refused100)
	allowed(ann.b, admin.ID) // a user may contact customer service
	allowed(alex, dan.ID)    // customer service may contact anyone
	k.befriend(ann, dan)     // friends may
	allowed(ann.b, dan.ID)   //
	refused(bob.b, erin.ID, refused100)
	if _, err := k.db.CreateGroup(ctx, admin.ID, "Beta testers", []int64{bob.ID, erin.ID}); err != nil {
		t.Fatal(err)
	}
	allowed(bob.b, erin.ID) // members of a group they share may

	// customer_service_uids false: no restriction at 100.
	fay := k.person("Fay")
	refused(ann.b, fay.ID, refused100)
	if err := k.db.SetAgentList(ctx, 0, chat.AgentList{Unrestricted: true}); err != nil {
		t.Fatal(err)
	}
	allowed(ann.b, fay.ID)
	if err := k.db.SetAgentList(ctx, 0, chat.AgentList{IDs: []int64{admin.ID}}); err != nil {
		t.Fatal(err)
	}

	// Grade 200: friends and shared groups only, customer service included.
	k.setGrade(chat.GradeKinOnly)
	gus := k.person("Gus")
	refused(ann.b, gus.ID, refused200)
	refused(alex, gus.ID, refused200)
	allowed(ann.b, dan.ID)
	allowed(bob.b, erin.ID)

	// Bad input: a clear answer, nothing stored.
	before := k.count("SELECT count(*) FROM conversations")
	for _, to := range []string{"", "x", "0", "999999", fmt.Sprint(ann.ID)} {
		resp, body := ann.b.post("/console/direct", url.Values{"to": {to}, "_csrf": {ann.b.csrf("/console/people")}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `data-testid="error"`) {
			t.Fatalf("start with to=%q answered %s, want 400 with a message", to, resp.Status)
		}
	}
	if after := k.count("SELECT count(*) FROM conversations"); after != before {
		t.Fatal("bad input stored a conversation")
	}
}

// TestEverySendIsChecked: in a one-to-one conversation each message meets
// the policy, over the socket and through the form, so a raised grade or a
// removed friend takes effect on the next message.
func TestEverySendIsChecked(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	ann, bob := k.person("Ann"), k.person("Bob")
	conv, err := k.db.StartDirect(ctx, ann.ID, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	annLive, bobLive := ann.b.console(), bob.b.console()
	annLive.send(map[string]any{"type": "resume", "conversation_id": conv.ID})
	bobLive.send(map[string]any{"type": "resume", "conversation_id": conv.ID})

	send := func(id, body string) string {
		annLive.send(map[string]any{"type": "send", "conversation_id": conv.ID, "client_msg_id": id, "body": body})
		return annLive.waitFor(`data-ack="` + id + `"`)
	}
	messages := func() int { return k.count("SELECT count(*) FROM messages WHERE conversation_id = $1", conv.ID) }
	form := func(body string) (*http.Response, string) {
		path := fmt.Sprintf("/console/c/%d", conv.ID)
		return ann.b.post(path+"/messages", url.Values{"body": {body}, "_csrf": {ann.b.csrf(path)}})
	}

	send("m1", "hello at grade 0")
	bobLive.waitFor("hello at grade 0")

	k.setGrade(chat.GradeServiceOrKin)
	n := messages()
	if got := send("m2", "after the grade went up"); !strings.Contains(got, reply100) {
		t.Fatalf("send after grade 100 was not refused with the reason: %s", got)
	}
	if resp, body := form("through the form"); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, reply100) {
		t.Fatalf("form send after grade 100 answered %s, want 403 with the reason", resp.Status)
	}
	if messages() != n {
		t.Fatal("a refused send stored a message")
	}

	k.befriend(ann, bob)
	send("m3", "now we are friends")
	bobLive.waitFor("now we are friends")
	if resp, _ := form("friends through the form"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("form send between friends answered %s, want 303", resp.Status)
	}

	if err := k.db.RemoveFriend(ctx, bob.ID, ann.ID); err != nil {
		t.Fatal(err)
	}
	n = messages()
	if got := send("m4", "after the friendship ended"); !strings.Contains(got, reply100) {
		t.Fatalf("send after the friendship ended was not refused: %s", got)
	}
	if messages() != n {
		t.Fatal("a refused send stored a message")
	}
	// A frame resent after the refusal of something else finds what was stored.
	if got := send("m1", "hello at grade 0"); strings.Contains(got, "composer-error") {
		t.Fatalf("a resent, already stored message was refused: %s", got)
	}
}

// TestWidgetPolicy covers the widget's ways in: "contact us" (no target),
// a target who is customer service, and a target who is not.
func TestWidgetPolicy(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	admin, _, err := k.db.MemberByEmail(ctx, agentEmail)
	if err != nil {
		t.Fatal(err)
	}
	author := k.person("Author")
	authorLive := author.b.console()
	authorLive.send(map[string]any{"type": "resume"})

	token := k.visitorToken()
	visitor := mustVisitor(t, k.db, token)
	v := k.liveWidget(token)
	stored := func() int {
		return k.count(`SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
			WHERE m.sender_id = $1 OR c.visitor_id = $1`, visitor.ID)
	}
	send := func(id string, to int64, body string) string {
		v.send(map[string]any{"type": "send", "client_msg_id": id, "body": body, "to": to})
		return v.waitFor(`data-ack="` + id + `"`)
	}

	// Grade 200: customer service is closed to visitors, named or not.
	k.setGrade(chat.GradeKinOnly)
	if got := send("w1", 0, "contact us"); !strings.Contains(got, refusedTeam) {
		t.Fatalf("contact us at grade 200 was not refused: %s", got)
	}
	if got := send("w2", admin.ID, "contact the agent"); !strings.Contains(got, unreachable) {
		t.Fatalf("contact an agent at grade 200 was not refused: %s", got)
	}
	if got := send("w3", author.ID, "contact the author"); !strings.Contains(got, unreachable) {
		t.Fatalf("contact a member at grade 200 was not refused: %s", got)
	}
	// Grade 100: customer service yes, a member who is not customer service no.
	k.setGrade(chat.GradeServiceOrKin)
	if got := send("w4", author.ID, "contact the author"); !strings.Contains(got, unreachable) {
		t.Fatalf("contact a member at grade 100 was not refused: %s", got)
	}
	if n := stored(); n != 0 {
		t.Fatalf("refused widget sends stored %d messages", n)
	}
	if got := send("w5", admin.ID, "hello support"); strings.Contains(got, "composer-error") {
		t.Fatalf("contact an agent at grade 100 was refused: %s", got)
	}
	if c, err := k.db.VisitorConversation(ctx, visitor.ID); err != nil || c.Kind != chat.Support {
		t.Fatalf("the visitor's chat with an agent is %+v, %v; want a support conversation", c, err)
	}
	// Grade 0: the author gets a direct conversation, live in their console.
	k.setGrade(chat.GradeAnyone)
	if got := send("w6", author.ID, "hello author"); strings.Contains(got, "composer-error") {
		t.Fatalf("contact a member at grade 0 was refused: %s", got)
	}
	authorLive.waitFor("hello author")
	c, err := k.db.DirectConversation(ctx, visitor.ID, author.ID)
	if err != nil || c.Kind != chat.Direct {
		t.Fatalf("the visitor's chat with the author is %+v, %v; want a direct conversation", c, err)
	}
	// A target that cannot be contacted is refused plainly.
	if got := send("w7", 999999, "anyone there?"); !strings.Contains(got, "That person cannot be contacted here.") {
		t.Fatalf("contact a missing person: %s", got)
	}
	// Raised again: the direct conversation stops at the next message.
	k.setGrade(chat.GradeServiceOrKin)
	if got := send("w8", author.ID, "still there?"); !strings.Contains(got, unreachable) {
		t.Fatalf("the widget's direct conversation went on after the grade went up: %s", got)
	}
}

// TestAgentReplyAtGrade200: an agent writing in a support chat that is open
// is told that replies are not allowed at the grade, not that they may only
// start conversations with friends.
func TestAgentReplyAtGrade200(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	agent := k.agent()
	agent.setState("away") // the chat waits for the take by hand
	alex := agent.console()
	alex.send(map[string]any{"type": "resume"})
	id := queuedChat(t, k, "hello")
	if err := k.db.Take(ctx, id, k.firstAdminID(), time.Now()); err != nil {
		t.Fatal(err)
	}
	k.setGrade(chat.GradeKinOnly)
	alex.send(map[string]any{"type": "resume", "conversation_id": id})
	alex.send(map[string]any{"type": "send", "conversation_id": id, "client_msg_id": "r1", "body": "How can I help?"})
	if got := alex.waitFor(`data-ack="r1"`); !strings.Contains(got, reply200) {
		t.Fatalf("an agent's reply at grade 200 was not refused as a reply:\n%s", got)
	}
}

// TestGradeChangeReachesOtherInstance: a grade changed through the admin
// page of one instance is enforced by another within a second.
func TestGradeChangeReachesOtherInstance(t *testing.T) {
	t.Parallel()
	dbURL := storetest.URL(t)
	a, b := start(t, dbURL), start(t, dbURL)
	a.ensureAgent()
	ctx := context.Background()
	ann, bob := b.person("Ann"), b.person("Bob")
	conv, err := b.db.StartDirect(ctx, ann.ID, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	annLive := ann.b.console()
	annLive.send(map[string]any{"type": "resume", "conversation_id": conv.ID})

	admin := a.agent()
	resp, body := admin.post("/admin/settings/grade", url.Values{"grade": {"200"}, "_csrf": {admin.csrf("/admin/settings")}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("grade change on instance a answered %s: %s", resp.Status, body)
	}
	changed := time.Now()
	for i := 0; ; i++ {
		id := fmt.Sprintf("g%d", i)
		annLive.send(map[string]any{"type": "send", "conversation_id": conv.ID, "client_msg_id": id, "body": "are we still allowed?"})
		if strings.Contains(annLive.waitFor(`data-ack="`+id+`"`), reply200) {
			break
		}
		if time.Since(changed) > time.Second {
			t.Fatal("instance b still allowed the conversation a second after instance a raised the grade")
		}
	}
}

// TestMembersSeeOnlyTheirOwn: a member who is not customer service sees
// their own conversations and no queue; an agent taken off the list loses
// the support chats at once, even one they had read.
func TestMembersSeeOnlyTheirOwn(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	ann, bob, cat := k.person("Ann"), k.person("Bob"), k.person("Cat")
	annBob, err := k.db.StartDirect(ctx, ann.ID, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	token := k.visitorToken()
	k.liveWidget(token).send(map[string]any{"type": "send", "client_msg_id": "v1", "body": "I need help"})
	var support chat.Conversation
	for support.ID == 0 {
		support, _ = k.db.VisitorConversation(ctx, mustVisitor(t, k.db, token).ID)
	}

	_, page := cat.b.get("/console")
	if strings.Contains(page, `id="queue"`) || strings.Contains(page, "I need help") {
		t.Fatal("a member who is not customer service sees the queue or a support chat")
	}
	for _, id := range []int64{annBob.ID, support.ID} {
		if resp, _ := cat.b.get(fmt.Sprintf("/console/c/%d", id)); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("Cat opened conversation %d: %s, want 404", id, resp.Status)
		}
	}
	if resp, _ := cat.b.post("/console/state", url.Values{"state": {"away"}, "_csrf": {cat.b.csrf("/console")}}); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console" {
		t.Fatalf("a member set an agent's state: %s, want to be sent back to the console", resp.Status)
	}
	if resp, _ := ann.b.get(fmt.Sprintf("/console/c/%d", annBob.ID)); resp.StatusCode != http.StatusOK {
		t.Fatalf("Ann could not open her own conversation: %s", resp.Status)
	}

	// Cat becomes customer service, reads the support chat, and is taken off
	// the list again. Her open console is told to reload each time.
	catLive := cat.b.console()
	// Her socket answers a resume once the hub has it, so it hears what comes next.
	catLive.send(map[string]any{"type": "resume"})
	catLive.waitFor(`data-target="#conversation-list"`)
	if err := k.db.SetAgent(ctx, 0, cat.ID, true); err != nil {
		t.Fatal(err)
	}
	readCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := closedWith(readCtx, catLive); websocket.CloseStatus(err) != 4001 {
		t.Fatalf("Cat's console was not told to reload when she became customer service: %v", err)
	}
	if resp, _ := cat.b.openChat(support.ID); resp.StatusCode != http.StatusOK {
		t.Fatalf("an agent could not open a support chat: %s", resp.Status)
	}
	if err := k.db.SetAgent(ctx, 0, cat.ID, false); err != nil {
		t.Fatal(err)
	}
	if resp, _ := cat.b.get(fmt.Sprintf("/console/c/%d", support.ID)); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console" {
		t.Fatalf("a former agent still opens a support chat they had read: %s, want to be sent to the console", resp.Status)
	}
	if _, page := cat.b.get("/console"); strings.Contains(page, "I need help") {
		t.Fatal("a former agent still lists a support chat they had read")
	}
}

// closedWith reads s until it ends, and returns how it ended.
func closedWith(ctx context.Context, s *socket) error {
	for {
		if _, _, err := s.ws.Read(ctx); err != nil {
			return err
		}
	}
}
