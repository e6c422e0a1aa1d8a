package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

// TestForwardForm: an agent picks two messages of a support chat and
// forwards them to a group; the group's members see one merged card, live,
// holding both as they were. A pick of another's chat they cannot read is
// refused and stores nothing.
func TestForwardForm(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	alex, _, err := k.db.MemberByEmail(ctx, agentEmail)
	if err != nil {
		t.Fatal(err)
	}
	kim, err := k.db.CreateMember(ctx, store.NewMember{Email: "kim@example.com", Name: "Kim", PasswordHash: mustHash(t, "kim password")})
	if err != nil {
		t.Fatal(err)
	}
	group, err := k.db.CreateGroup(ctx, alex.ID, "Team", []int64{kim.ID})
	if err != nil {
		t.Fatal(err)
	}
	token := k.visitorToken()
	visitor := k.liveWidget(token)
	visitor.send(map[string]any{"type": "send", "client_msg_id": "v1", "body": "The seeds never came"})
	visitor.waitFor(`data-ack="v1"`)
	visitor.send(map[string]any{"type": "send", "client_msg_id": "v2", "body": "Order 1234"})
	visitor.waitFor(`data-ack="v2"`)
	conv := visitorConversation(t, k.db, token)
	msgs, _, err := k.db.History(ctx, conv.ID, 0, 10, chat.ReaderAgent)
	if err != nil {
		t.Fatal(err)
	}
	var picks []string
	for _, m := range msgs {
		if m.Type == chat.Text {
			picks = append(picks, fmt.Sprint(m.ID))
		}
	}

	agent := k.agent()
	console := agent.console()
	console.send(map[string]any{"type": "resume", "conversation_id": group, "seq": 0})
	console.waitFor(`data-target="#conversation-list" data-swap="innerHTML"`)
	chatPath := fmt.Sprintf("/console/c/%d", conv.ID)
	_, page := agent.get(chatPath)
	if !strings.Contains(page, `id="forward-form"`) || !strings.Contains(page, fmt.Sprintf(`<option value="%d">Team</option>`, group)) {
		t.Fatal("the chat's page has no forward form that offers the group")
	}
	found := regexp.MustCompile(`name="client_msg_id" value="([^"]+)"`).FindStringSubmatch(page)
	if found == nil || chat.RequireClientMsgID(found[1]) != nil {
		t.Fatal("the forward form carries no client message id")
	}
	if _, other := agent.get(chatPath); strings.Contains(other, found[1]) {
		t.Fatal("two renders of the forward form carry the same client message id")
	}
	groupBefore, _, _ := k.db.History(ctx, group, 0, 50, chat.ReaderMember)
	resp, _ := agent.post(chatPath+"/forward", url.Values{"_csrf": {agent.csrf(chatPath)}, "to": {fmt.Sprint(group)}, "message": picks})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != chatPath {
		t.Fatalf("a forward with no client message id: %d to %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, page := agent.get(chatPath); !strings.Contains(page, "reload the page and try again") {
		t.Error("the refused forward does not say why")
	}
	for range 2 { // a second post of the same form is the same forward
		resp, _ = agent.post(chatPath+"/forward", url.Values{"_csrf": {agent.csrf(chatPath)}, "to": {fmt.Sprint(group)},
			"message": picks, "client_msg_id": {found[1]}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != fmt.Sprintf("/console/c/%d", group) {
			t.Fatalf("forward: %d to %s", resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	got := console.waitFor(`data-testid="merged"`)
	if !strings.Contains(got, "The seeds never came") || !strings.Contains(got, "Order 1234") || !strings.Contains(got, "Chat history: 2 messages") {
		t.Fatalf("the group's thread shows the forward as:\n%s", got)
	}
	if groupAfter, _, _ := k.db.History(ctx, group, 0, 50, chat.ReaderMember); len(groupAfter) != len(groupBefore)+1 {
		t.Fatalf("the form posted twice stored %d messages", len(groupAfter)-len(groupBefore))
	}

	// Kim may not forward the support chat's messages: she cannot read them.
	kimBrowser := k.browser()
	kimBrowser.signIn("kim@example.com", "kim password")
	groupPath := fmt.Sprintf("/console/c/%d", group)
	before, _, _ := k.db.History(ctx, group, 0, 50, chat.ReaderMember)
	resp, _ = kimBrowser.post(groupPath+"/forward", url.Values{"_csrf": {kimBrowser.csrf(groupPath)}, "to": {fmt.Sprint(group)}, "message": picks, "client_msg_id": {"kim1"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console" {
		t.Fatalf("Kim's forward answered %d, to %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if after, _, _ := k.db.History(ctx, group, 0, 50, chat.ReaderMember); len(after) != len(before) {
		t.Fatal("a refused forward stored a message")
	}
}
