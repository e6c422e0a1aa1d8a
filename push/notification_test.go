package push

import (
	"strings"
	"testing"

	"github.com/kefu-im/kefu/store"
)

func TestNotificationWordsAreWrittenFromTheFacts(t *testing.T) {
	t.Parallel()
	due := func(kind, sender, visitor, text string, hide bool) store.DuePush {
		d := store.DuePush{Sender: sender, Visitor: visitor, Text: text, HideText: hide}
		d.ConversationID, d.Kind = 42, kind
		return d
	}
	long := strings.Repeat("é", 130)
	for _, c := range []struct {
		name        string
		d           store.DuePush
		title, body string
	}{
		{"a chat joins the queue", due(store.PushQueued, "Visitor #7", "Visitor #7", "  Where is\n my   order?  ", false),
			"A chat is waiting", "Where is my order?"},
		{"a chat is assigned", due(store.PushAssigned, "Visitor #7", "Visitor #7", "Where is my order?", false),
			"New chat for you: Visitor #7", "Where is my order?"},
		{"a chat with nothing said yet", due(store.PushAssigned, "", "Robin", "", false), "New chat for you: Robin", ""},
		{"a message", due(store.PushMessage, "Sam", "", "lunch?", false), "Sam wrote", "lunch?"},
		{"a long message", due(store.PushMessage, "Visitor #7", "Visitor #7", long, false),
			"Visitor #7 wrote", strings.Repeat("é", 119) + "…"},
		{"a long name", due(store.PushMessage, strings.Repeat("ü", 120), "", "hi", false), strings.Repeat("ü", 100), "hi"},
		{"text hidden", due(store.PushMessage, "Alex", "", "sure, 12:30", true), "Alex wrote", "New message"},
	} {
		n := describe(c.d)
		want := notification{Title: c.title, Body: c.body, URL: "/console/c/42", Tag: "c42", Kind: c.d.Kind}
		if n != want {
			t.Errorf("%s: %+v, want %+v", c.name, n, want)
		}
		if p, err := payload(c.d); err != nil || len(p) > 3000 || (c.d.HideText && strings.Contains(string(p), c.d.Text)) {
			t.Errorf("%s: payload %s, %v", c.name, p, err)
		}
	}
	for kind, want := range map[string]string{store.PushMessage: "normal", store.PushAssigned: "high", store.PushQueued: "high"} {
		if got := Urgency(kind); got != want {
			t.Errorf("Urgency(%s) = %s, want %s", kind, got, want)
		}
	}
}
