package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kefu-im/kefu/chat"
)

// getJSON gets path as a script that reads JSON, in language lang.
func (b *browser) getJSON(lang, path string) (int, map[string]string) {
	b.k.t.Helper()
	resp, body := b.send(http.MethodGet, path, nil, http.Header{"Accept": {"application/json"}, "Accept-Language": {lang}})
	var v map[string]string
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		b.k.t.Fatalf("GET %s = %s, not JSON: %s", path, resp.Status, body)
	}
	return resp.StatusCode, v
}

// cannedID is the id of the canned response with shortcut on page.
func cannedID(t *testing.T, k *instance, owner *int64, shortcut string) int64 {
	t.Helper()
	var id int64
	if err := k.db.Pool().QueryRow(context.Background(), `SELECT id FROM canned_responses WHERE owner_id IS NOT DISTINCT FROM $1 AND shortcut = $2`,
		owner, shortcut).Scan(&id); err != nil {
		t.Fatalf("no canned /%s: %v", shortcut, err)
	}
	return id
}

// TestCannedResponsesWhoMay: admins keep the shared canned responses, each
// agent their own; members who are not agents have neither; bad and taken
// shortcuts and unknown placeholders are refused in the reader's language,
// and an agent is offered, and may fill in, only the shared ones and their
// own, for conversations they see.
func TestCannedResponsesWhoMay(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	samID := k.addAgent("sam@example.com", "Sam", "sam password")
	k.addPlainMember("pat@example.com", "Pat", "pat password")
	alex, sam, pat := k.agent(), k.signInAs("sam@example.com", "sam password"), k.signInAs("pat@example.com", "pat password")

	// The shared ones: admins only.
	if resp, _ := sam.get("/admin/canned"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("an agent who is not an admin opens /admin/canned: %s", resp.Status)
	}
	csrf := alex.csrf("/admin/canned")
	post := func(b *browser, lang, path string, form url.Values) (*http.Response, string) {
		t.Helper()
		form.Set("_csrf", csrf)
		if b != alex {
			form.Set("_csrf", b.csrf("/console"))
		}
		return b.postIn(lang, path, form)
	}
	if resp, body := post(alex, "en", "/admin/canned", url.Values{"shortcut": {"hi"}, "body": {"Hello {{visitor.name}}, {{agent.name}} of {{site.name}} here."}}); resp.StatusCode != http.StatusSeeOther ||
		resp.Header.Get("Location") != "/admin/canned" {
		t.Fatalf("create a shared response: %s %s", resp.Status, body)
	}
	if _, body := alex.get("/admin/canned"); !strings.Contains(body, "/hi is saved.") || !strings.Contains(body, `data-shortcut="hi"`) {
		t.Fatalf("the shared page after a create:\n%s", body)
	}
	for _, c := range []struct {
		name, shortcut, body, en, zh string
	}{
		{"bad shortcut", "Hi!", "x", `A shortcut may hold only lower-case letters a–z, digits, "_" and "-".`, "快捷词只能包含小写字母 a–z、数字、“_”和“-”。"},
		{"taken shortcut", "/hi", "x", "/hi is taken already: choose another shortcut.", "/hi 已被使用，请换一个快捷词。"},
		{"unknown placeholder", "phone", "Call {{visitor.phone}}", "{{visitor.phone}} is not a placeholder kefu knows.", "kefu 不认识占位符 {{visitor.phone}}。"},
		{"no text", "empty", " ", "Write the text of the response.", "请填写回复的内容。"},
	} {
		for lang, want := range map[string]string{"en": c.en, "zh-CN": c.zh} {
			resp, body := post(alex, lang, "/admin/canned", url.Values{"shortcut": {c.shortcut}, "body": {c.body}})
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(html.UnescapeString(body), want) {
				t.Errorf("%s in %s: %s, want 400 saying %q", c.name, lang, resp.Status, want)
			}
			// The form comes back as it was, to be mended.
			if !strings.Contains(body, `value="`+html.EscapeString(c.shortcut)+`"`) {
				t.Errorf("%s in %s: the refused shortcut is not given back", c.name, lang)
			}
		}
	}
	if n := k.count(`SELECT count(*) FROM canned_responses`); n != 1 {
		t.Fatalf("%d canned responses after the refusals, want 1", n)
	}
	if n := k.count(`SELECT count(*) FROM audit_log WHERE action = 'canned.create'`); n != 1 {
		t.Fatalf("%d audited creates, want 1", n)
	}

	// Each agent's own: agents only, and only theirs.
	for lang, want := range map[string]string{"en": "Only customer service can do that", "zh-CN": "只有客服才能这样做"} {
		resp, _ := pat.send(http.MethodGet, "/console/canned", nil, http.Header{"Accept-Language": {lang}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console" {
			t.Fatalf("a member who is not an agent opens /console/canned: %s", resp.Status)
		}
		if _, body := pat.getIn(lang, "/console"); !strings.Contains(body, want) {
			t.Fatalf("the member is not told why, in %s", lang)
		}
	}
	if resp, _ := post(pat, "en", "/console/canned", url.Values{"shortcut": {"mine"}, "body": {"x"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a member creates a canned response: %s", resp.Status)
	}
	if resp, body := post(sam, "en", "/console/canned", url.Values{"shortcut": {"hi"}, "body": {"Bye from {{site.name}}"}}); resp.StatusCode != http.StatusSeeOther ||
		resp.Header.Get("Location") != "/console/canned" {
		t.Fatalf("Sam creates his own /hi: %s %s", resp.Status, body)
	}
	samHi := cannedID(t, k, &samID, "hi")
	if resp, _ := post(sam, "en", "/console/canned", url.Values{"shortcut": {"hi"}, "body": {"again"}}); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("Sam's second /hi: %s", resp.Status)
	}
	if _, body := sam.get("/console/canned"); !strings.Contains(body, "Bye from {{site.name}}") || strings.Contains(body, "of {{site.name}} here") {
		t.Fatal("Sam's page does not list his own response alone")
	}
	if _, body := alex.get("/console/canned"); strings.Contains(body, "Bye from") {
		t.Fatal("Alex's page lists Sam's response")
	}
	for _, path := range []string{fmt.Sprintf("/console/canned/%d", samHi), fmt.Sprintf("/console/canned/%d/delete", samHi)} {
		if resp, _ := post(alex, "en", path, url.Values{"shortcut": {"x"}, "body": {"taken over"}}); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("Alex posts to Sam's %s: %s", path, resp.Status)
		}
	}
	if n := k.count(`SELECT count(*) FROM canned_responses WHERE owner_id = $1 AND body = 'Bye from {{site.name}}'`, samID); n != 1 {
		t.Fatal("Sam's response changed")
	}

	// The composer offers each agent the shared ones and their own.
	token := k.visitorToken()
	v := k.liveWidget(token)
	v.send(map[string]any{"type": "send", "client_msg_id": "v1", "body": "hello"})
	v.waitFor(`data-ack="v1"`)
	conv := visitorConversation(t, k.db, token)
	if _, err := k.db.Pool().Exec(context.Background(), `UPDATE users SET name = 'Mei <b>' WHERE id = $1`, conv.VisitorID); err != nil {
		t.Fatal(err)
	}
	sharedHi := cannedID(t, k, nil, "hi")
	chatPage := fmt.Sprintf("/console/c/%d", conv.ID)
	if _, body := alex.get(chatPage); !strings.Contains(body, fmt.Sprintf(`data-canned-id="%d"`, sharedHi)) || strings.Contains(body, fmt.Sprintf(`data-canned-id="%d"`, samHi)) ||
		strings.Contains(body, "Mei &lt;b&gt;, Alex") {
		t.Fatal("Alex's composer does not offer the shared /hi alone, unfilled")
	}
	if _, body := sam.get(chatPage); !strings.Contains(body, fmt.Sprintf(`data-canned-id="%d"`, samHi)) {
		t.Fatal("Sam's composer does not offer his own /hi")
	}
	fill := fmt.Sprintf("%s/canned/%d", chatPage, sharedHi)
	if status, v := alex.getJSON("en", fill); status != http.StatusOK || v["text"] != "Hello Mei <b>, Alex of  here." {
		t.Fatalf("Alex fills /hi: %d %v", status, v)
	}
	if status, v := alex.getJSON("zh-CN", fmt.Sprintf("%s/canned/%d", chatPage, samHi)); status != http.StatusNotFound || v["message"] != "这里什么也没有。" {
		t.Fatalf("Alex fills Sam's /hi: %d %v", status, v)
	}
	if status, v := pat.getJSON("en", fill); status != http.StatusForbidden || !strings.Contains(v["message"], "Only customer service") {
		t.Fatalf("a member fills a canned response: %d %v", status, v)
	}
	// A conversation the agent does not see: Sam's with Pat.
	if resp, _ := sam.startDirect(k.userID("pat@example.com")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("Sam starts a chat with Pat: %s", resp.Status)
	}
	var direct int64
	if err := k.db.Pool().QueryRow(context.Background(), `SELECT id FROM conversations WHERE kind = 'direct'`).Scan(&direct); err != nil {
		t.Fatal(err)
	}
	if status, _ := alex.getJSON("en", fmt.Sprintf("/console/c/%d/canned/%d", direct, sharedHi)); status != http.StatusNotFound {
		t.Fatalf("Alex fills a response for a chat he does not see: %d", status)
	}
	// Deleting a shared one asks first, then is audited.
	del := fmt.Sprintf("/admin/canned/%d/delete", sharedHi)
	if _, body := alex.get("/admin/canned"); !strings.Contains(body, `data-confirm="Delete the canned response /hi? No agent is offered it any more."`) {
		t.Fatal("the shared page does not ask before a delete")
	}
	if resp, body := post(alex, "zh-CN", del, url.Values{}); resp.StatusCode != http.StatusOK || !strings.Contains(body, "删除快捷回复 /hi？") {
		t.Fatalf("a delete without confirm=1 is not asked about: %s", resp.Status)
	}
	if n := k.count(`SELECT count(*) FROM canned_responses WHERE owner_id IS NULL`); n != 1 {
		t.Fatal("a delete not confirmed deleted")
	}
	if resp, _ := post(alex, "en", del, url.Values{"confirm": {"1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete the shared /hi: %s", resp.Status)
	}
	if n := k.count(`SELECT count(*) FROM audit_log WHERE action = 'canned.delete'`); n != 1 {
		t.Fatal("the delete is not audited")
	}
}

// userID is the id of the member with email.
func (k *instance) userID(email string) int64 {
	k.t.Helper()
	var id int64
	if err := k.db.Pool().QueryRow(context.Background(), `SELECT id FROM users WHERE email = $1`, email).Scan(&id); err != nil {
		k.t.Fatal(err)
	}
	return id
}

// TestDraftFollowsTheMemberNotTheVisitor: a draft saved over one socket
// is in the composer of the member's every page of that conversation, in
// no one else's and never on the visitor's side; a member may not keep a
// draft in a conversation they do not see (told in their language), and
// sending drops it.
func TestDraftFollowsTheMemberNotTheVisitor(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	k.addAgent("sam@example.com", "Sam", "sam password")
	k.addPlainMember("pat@example.com", "Pat", "pat password")
	alex, sam, pat := k.agent(), k.signInAs("sam@example.com", "sam password"), k.signInAs("pat@example.com", "pat password")
	token := k.visitorToken()
	v := k.liveWidget(token)
	v.send(map[string]any{"type": "send", "client_msg_id": "v1", "body": "hello"})
	v.waitFor(`data-ack="v1"`)
	conv := visitorConversation(t, k.db, token)
	chatPage := fmt.Sprintf("/console/c/%d", conv.ID)

	// saved sends a draft frame, and returns once the socket has handled it:
	// frames are handled in order, and an empty message after it is refused
	// with an acknowledgement of its own.
	probes := 0
	saved := func(s *socket, body string) {
		t.Helper()
		probes++
		probe := fmt.Sprintf("probe-%d", probes)
		s.send(map[string]any{"type": "draft", "conversation_id": conv.ID, "body": body})
		s.send(map[string]any{"type": "send", "conversation_id": conv.ID, "client_msg_id": probe, "body": ""})
		s.waitFor(`data-ack="` + probe + `"`)
	}
	phone := alex.console()
	saved(phone, "Dear <Mei>, your refund")
	if _, body := alex.get(chatPage); !strings.Contains(body, `data-testid="composer">Dear &lt;Mei&gt;, your refund</textarea>`) {
		t.Fatal("Alex's other device does not show his draft in the composer")
	}
	if _, body := sam.get(chatPage); strings.Contains(body, "your refund") {
		t.Fatal("another agent sees Alex's draft")
	}
	again := k.widget(token)
	again.send(map[string]any{"type": "resume"})
	again.waitFor(`data-target="#messages"`)
	if strings.Contains(v.all()+again.all(), "refund") {
		t.Fatal("the visitor was shown the agent's draft")
	}

	// A member who does not see the chat keeps no draft there, and is told why.
	pat.setLanguage("zh-CN")
	patSocket := pat.console()
	patSocket.send(map[string]any{"type": "draft", "conversation_id": conv.ID, "body": "peek"})
	patSocket.waitFor("这里什么也没有。")
	tooLong := strings.Repeat("a", chat.MaxBodyChars+1)
	phone.send(map[string]any{"type": "draft", "conversation_id": conv.ID, "body": tooLong})
	phone.waitFor(fmt.Sprintf("the limit is %d", chat.MaxBodyChars))
	if n := k.count(`SELECT count(*) FROM drafts`); n != 1 {
		t.Fatalf("%d drafts, want Alex's alone", n)
	}

	// A member keeps drafts in their own conversations too.
	if resp, _ := sam.startDirect(k.userID("pat@example.com")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("Sam starts a chat with Pat: %s", resp.Status)
	}
	var direct int64
	if err := k.db.Pool().QueryRow(context.Background(), `SELECT id FROM conversations WHERE kind = 'direct'`).Scan(&direct); err != nil {
		t.Fatal(err)
	}
	patSocket.send(map[string]any{"type": "draft", "conversation_id": direct, "body": "see you at 3"})
	patSocket.send(map[string]any{"type": "send", "conversation_id": direct, "client_msg_id": "pat-probe", "body": ""})
	patSocket.waitFor(`data-ack="pat-probe"`)
	if _, body := pat.get(fmt.Sprintf("/console/c/%d", direct)); !strings.Contains(body, `data-testid="composer">see you at 3</textarea>`) {
		t.Fatal("a member's draft in their own conversation is not kept")
	}
	if _, body := sam.get(fmt.Sprintf("/console/c/%d", direct)); strings.Contains(body, "see you at 3") {
		t.Fatal("the other member of a direct conversation sees the draft")
	}
	if _, err := k.db.Pool().Exec(context.Background(), `DELETE FROM drafts WHERE user_id <> $1`, k.userID(agentEmail)); err != nil {
		t.Fatal(err)
	}

	// Sending from the composer drops the draft; emptying it does too.
	phone.send(map[string]any{"type": "send", "conversation_id": conv.ID, "client_msg_id": "a1", "body": "Dear Mei, your refund is on its way"})
	phone.waitFor(`data-ack="a1"`)
	if n := k.count(`SELECT count(*) FROM drafts`); n != 0 {
		t.Fatal("the draft outlived the message sent")
	}
	saved(phone, "one more thing")
	saved(phone, "   ")
	if n := k.count(`SELECT count(*) FROM drafts`); n != 0 {
		t.Fatal("an emptied draft is kept")
	}
}

// TestNoteFromTheComposer: an agent writes a private note in a support
// chat from the composer, over the socket and without JavaScript; agents
// see it as a note, the visitor never does, live or on resume. Members
// who are not agents, and any chat but a support chat, get no notes.
func TestNoteFromTheComposer(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	k.addAgent("sam@example.com", "Sam", "sam password")
	k.addPlainMember("pat@example.com", "Pat", "pat password")
	alex, sam, pat := k.agent(), k.signInAs("sam@example.com", "sam password"), k.signInAs("pat@example.com", "pat password")
	token := k.visitorToken()
	v := k.liveWidget(token)
	v.send(map[string]any{"type": "send", "client_msg_id": "v1", "body": "hello"})
	v.waitFor(`data-ack="v1"`)
	conv := visitorConversation(t, k.db, token)
	chatPage := fmt.Sprintf("/console/c/%d", conv.ID)
	if _, body := alex.get(chatPage); !strings.Contains(body, `data-testid="mode-note"`) {
		t.Fatal("an agent's composer in a support chat has no note switch")
	}

	watching := sam.console()
	watching.send(map[string]any{"type": "resume", "conversation_id": conv.ID, "seq": 0})
	watching.waitFor(`data-target="#conversation-list"`)
	live := alex.console()
	live.send(map[string]any{"type": "send", "kind": "note", "conversation_id": conv.ID, "client_msg_id": "n1", "body": "Refund approved by billing"})
	live.waitFor(`data-ack="n1"`)
	if got := watching.waitFor("Refund approved by billing"); !strings.Contains(got, `class="msg note`) || !strings.Contains(got, `data-testid="note-tag">Private note<`) {
		t.Fatalf("another agent is not shown the note as a note:\n%s", got)
	}
	resp, body := alex.post(chatPage+"/messages", url.Values{"type": {"note"}, "body": {"Posted without JavaScript"}, "_csrf": {alex.csrf(chatPage)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a note without JavaScript: %s %s", resp.Status, body)
	}
	watching.waitFor("Posted without JavaScript")
	// Then a reply, which the visitor is shown: the notes before it never.
	live.send(map[string]any{"type": "send", "conversation_id": conv.ID, "client_msg_id": "r1", "body": "We are on it"})
	v.waitFor("We are on it")
	again := k.widget(token)
	again.send(map[string]any{"type": "resume"})
	page := again.waitFor(`data-target="#messages"`)
	for _, s := range []string{v.all(), page} {
		if strings.Contains(s, "Refund approved") || strings.Contains(s, "without JavaScript") {
			t.Fatalf("the visitor was shown an agents' note:\n%s", s)
		}
	}
	if !strings.Contains(page, "We are on it") {
		t.Fatalf("the visitor's resumed thread lacks the reply:\n%s", page)
	}
	if n := k.count(`SELECT count(*) FROM messages WHERE conversation_id = $1 AND type = 'note'`, conv.ID); n != 2 {
		t.Fatalf("%d notes stored, want 2", n)
	}

	// No notes from members, nor in a chat between members.
	if resp, _ := sam.startDirect(k.userID("pat@example.com")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("Sam starts a chat with Pat: %s", resp.Status)
	}
	var direct int64
	if err := k.db.Pool().QueryRow(context.Background(), `SELECT id FROM conversations WHERE kind = 'direct'`).Scan(&direct); err != nil {
		t.Fatal(err)
	}
	directPage := fmt.Sprintf("/console/c/%d", direct)
	if _, body := pat.get(directPage); strings.Contains(body, `data-testid="mode-note"`) || strings.Contains(body, `data-canned=`) {
		t.Fatal("a member's composer offers notes or canned responses")
	}
	if _, body := sam.get(directPage); strings.Contains(body, `data-testid="mode-note"`) {
		t.Fatal("an agent's composer offers notes in a chat between members")
	}
	for lang, want := range map[string]string{"en": "Only agents may write private notes", "zh-CN": "只有客服可以写内部备注"} {
		for _, b := range []*browser{pat, sam} {
			resp, body := b.postIn(lang, directPage+"/messages", url.Values{"type": {"note"}, "body": {"psst"}, "_csrf": {b.csrf(directPage)}})
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, want) {
				t.Fatalf("a note in a chat between members, in %s: %s", lang, resp.Status)
			}
		}
	}
	ps := pat.console()
	ps.send(map[string]any{"type": "send", "kind": "note", "conversation_id": direct, "client_msg_id": "p1", "body": "psst"})
	if got := ps.waitFor(`data-ack="p1"`); !strings.Contains(got, "Only agents may write private notes") {
		t.Fatalf("a member's note over the socket:\n%s", got)
	}
	if resp, body := alex.postIn("en", chatPage+"/messages", url.Values{"type": {"shout"}, "body": {"x"}, "_csrf": {alex.csrf(chatPage)}}); resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(body, "type must be text or note.") {
		t.Fatalf("an unknown type: %s", resp.Status)
	}
	if n := k.count(`SELECT count(*) FROM messages WHERE body IN ('psst', 'x')`); n != 0 {
		t.Fatal("a refused note was stored")
	}
}
