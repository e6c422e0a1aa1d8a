package handlers_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kefu-im/kefu/chat"
)

// TestVisitorSeesOnlyTheirLines: of the lines kefu writes into a chat, the
// visitor's widget shows those about their chat (an agent joined), never
// those about how the team shares it out (a transfer) nor agents' notes:
// not live, not on a resume from scratch or from where it was, and not in
// the earlier messages it loads.
func TestVisitorSeesOnlyTheirLines(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	samID := k.addAgent("sam@example.com", "Sam", "sam password")
	alex, sam := k.agent(), k.browser()
	if resp := sam.signIn("sam@example.com", "sam password"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("Sam signs in: %s", resp.Status)
	}
	// Both away with their consoles open, as an agent's is: a chat whose
	// agent is offline goes back to the queue at the next sweep, with a
	// line of its own.
	alex.setState("away")
	sam.setState("away")
	alex.onDuty(k.adminID())
	sam.onDuty(samID)
	token := k.visitorToken()
	v := k.liveWidget(token)
	v.send(map[string]any{"type": "send", "client_msg_id": "l1", "body": "Where is my parcel?"})
	v.waitFor(`data-ack="l1"`)
	conv := visitorConversation(t, k.db, token)
	if resp, body := alex.post(fmt.Sprintf("/console/queue/%d/take", conv.ID), url.Values{"_csrf": {alex.csrf("/console")}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("take: %s %s", resp.Status, body)
	}
	v.waitFor("Alex joined the chat.")
	if err := k.db.Transfer(context.Background(), conv.ID, k.adminID(), samID, "Wants a refund", time.Now()); err != nil {
		t.Fatal(err)
	}
	// The transfer's line and note come before Sam's join, in seq order:
	// had they been sent, they would be here by now.
	v.waitFor("Sam joined the chat.")
	if got := v.all(); strings.Contains(got, "transferred") || strings.Contains(got, "Wants a refund") {
		t.Fatalf("the visitor's socket was sent the transfer:\n%s", got)
	}
	stored, err := k.db.MessagesAfter(context.Background(), conv.ID, 0, 100, chat.ReaderAgent)
	if err != nil {
		t.Fatal(err)
	}
	var codes []chat.SystemCode
	for _, m := range stored {
		codes = append(codes, m.Code)
	}
	if len(stored) != 5 || stored[3].Code != chat.LineTransferred {
		t.Fatalf("stored codes %q, want the message, Alex's join, the note, the transfer and Sam's join", codes)
	}

	// A resume from scratch (the newest page), and one from the visitor's
	// own message on (the messages after it).
	for _, resume := range []map[string]any{
		{"type": "resume"},
		{"type": "resume", "conversation_id": conv.ID, "seq": 1},
	} {
		again := k.widget(token)
		again.send(resume)
		got := again.waitFor("Sam joined the chat.")
		if strings.Contains(got, "transferred") || strings.Contains(got, "Wants a refund") || (resume["seq"] == nil && !strings.Contains(got, "Alex joined the chat.")) {
			t.Fatalf("resumed with %v, the visitor's thread:\n%s", resume, got)
		}
	}

	// "Load earlier messages".
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/widget/c/%d/history?before=%d", k.srv.URL, conv.ID, len(stored)+1), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || strings.Contains(string(page), "transferred") || strings.Contains(string(page), "Wants a refund") ||
		!strings.Contains(string(page), "Alex joined the chat.") || !strings.Contains(string(page), "Sam joined the chat.") {
		t.Fatalf("earlier messages for the visitor: %s\n%s", resp.Status, page)
	}
}
