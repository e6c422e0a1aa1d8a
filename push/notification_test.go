package push

import (
	"math"
	"strings"
	"testing"

	"github.com/kefu-im/kefu/i18n"
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
		{"a forwarded chat history", due(store.PushMessage, "Alex", "", "", false), "Alex wrote", "New message"},
		{"a message revoked", due(store.PushRevoked, "Sam", "", "", false), "Sam wrote", "Message revoked"},
	} {
		n := describe(c.d, "en")
		want := notification{Title: c.title, Body: c.body, URL: "/console/c/42", Tag: "c42", Kind: c.d.Kind}
		if n != want {
			t.Errorf("%s: %+v, want %+v", c.name, n, want)
		}
		if p, err := payload(c.d, "en"); err != nil || len(p) > 3000 || (c.d.HideText && strings.Contains(string(p), c.d.Text)) {
			t.Errorf("%s: payload %s, %v", c.name, p, err)
		}
	}
	// In Chinese: the recipient's own choice, else the instance's language.
	zh := func(kind, sender, visitor, text string, hide bool, lang string) store.DuePush {
		d := due(kind, sender, visitor, text, hide)
		d.Language = lang
		return d
	}
	for _, c := range []struct {
		name        string
		d           store.DuePush
		instance    string
		title, body string
	}{
		{"a chat joins the queue, for a member who chose Chinese", zh(store.PushQueued, "王芳", "王芳", "我的订单在哪里？", false, "zh-CN"), "en",
			"有会话正在排队", "我的订单在哪里？"},
		{"a chat is assigned, on an instance that speaks Chinese", zh(store.PushAssigned, "王芳", "王芳", "你好", false, ""), "zh-CN",
			"新会话分配给您：王芳", "你好"},
		{"a message with its text hidden", zh(store.PushMessage, "李雷", "", "十二点半", true, "zh-CN"), "en", "李雷 发来消息", "新消息"},
		{"a member who chose English, on an instance that speaks Chinese", zh(store.PushMessage, "Sam", "", "lunch?", false, "en"), "zh-CN",
			"Sam wrote", "lunch?"},
	} {
		if n := describe(c.d, c.instance); n.Title != c.title || n.Body != c.body {
			t.Errorf("%s: %q / %q, want %q / %q", c.name, n.Title, n.Body, c.title, c.body)
		}
	}
	// The longest words fit the record every push is padded to: a title and
	// a text of the longest, each character of them written in JSON as
	// \u003c, about the largest conversation id.
	worst := strings.Repeat("<", 200)
	for _, kind := range []string{store.PushMessage, store.PushAssigned, store.PushQueued, store.PushRevoked} {
		for _, l := range i18n.Languages {
			d := due(kind, worst, worst, worst, false)
			d.ConversationID = math.MaxInt64
			if p, err := payload(d, l.Code); err != nil || len(p) > maxPayload {
				t.Errorf("%s in %s: a payload of %d bytes, more than the %d a record holds (%v)", kind, l.Code, len(p), maxPayload, err)
			}
		}
	}
	for kind, want := range map[string]string{store.PushMessage: "normal", store.PushAssigned: "high", store.PushQueued: "high"} {
		if got := Urgency(kind); got != want {
			t.Errorf("Urgency(%s) = %s, want %s", kind, got, want)
		}
	}
}
