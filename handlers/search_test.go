package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

// TestSearchPageAndJSON: an agent's search finds a visitor's message and
// their chat, marks the words found in a page that escapes the message's
// text, gives the same as JSON, and links to the message, which its
// conversation's page then loads although it is older than a page.
func TestSearchPageAndJSON(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	v, err := k.db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	first, _, err := k.db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: `I need a Refund <b>now</b>`,
		VisitorName: "Grace Hopper", VisitorEmail: "grace@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	conv := first.ConversationID
	for i := range chat.PageSize + 10 {
		if _, _, err := k.db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: fmt.Sprintf("line %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	agent := k.agent()

	resp, page := agent.get("/console/search?q=" + url.QueryEscape("refund"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("search: %s\n%s", resp.Status, page)
	}
	hitURL := fmt.Sprintf("/console/c/%d?m=%d#msg-%d", conv, first.Seq, first.ID)
	for _, want := range []string{
		`I need a <mark>Refund</mark> &lt;b&gt;now&lt;/b&gt;`, // the word marked, the rest escaped
		`href="` + strings.ReplaceAll(hitURL, "&", "&amp;") + `"`,
		`data-testid="search-q"`, // the box in the top bar
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the results page lacks %s:\n%s", want, page)
		}
	}
	if strings.Contains(page, "<b>now</b>") {
		t.Errorf("the message's text reached the page unescaped")
	}
	_, page = agent.get("/console/search?q=" + url.QueryEscape("grace@example"))
	if !strings.Contains(page, `data-testid="search-conversation"`) || !strings.Contains(page, fmt.Sprintf(`href="/console/c/%d"`, conv)) {
		t.Errorf("a search by the visitor's email does not list their chat:\n%s", page)
	}

	resp, raw := agent.send(http.MethodGet, "/console/search?q=refund", nil, http.Header{"Accept": {"application/json"}})
	type found struct {
		Query         string
		Conversations []struct{ ID int64 }
		Messages      []struct {
			ID           int64     `json:"id"`
			Seq          int64     `json:"seq"`
			Conversation string    `json:"conversation_title"`
			Text         string    `json:"text"`
			URL          string    `json:"url"`
			Type         string    `json:"type"`
			CreatedAt    time.Time `json:"created_at"`
		}
		Next string
	}
	res := apiDecode[found](t, raw)
	if resp.StatusCode != http.StatusOK || res.Query != "refund" || len(res.Messages) != 1 || res.Next != "" {
		t.Fatalf("JSON search: %s %s", resp.Status, raw)
	}
	if m := res.Messages[0]; m.ID != first.ID || m.Text != `I need a Refund <b>now</b>` || m.URL != hitURL ||
		m.Conversation != "Grace Hopper" || m.Type != "text" || m.CreatedAt.IsZero() {
		t.Errorf("JSON hit: %+v", m)
	}

	// The link loads the thread back to the message, older than one page.
	bubble := fmt.Sprintf(`id="msg-%d"`, first.ID)
	if _, page := agent.get(fmt.Sprintf("/console/c/%d", conv)); strings.Contains(page, bubble) {
		t.Fatalf("the first page already holds the first message: the test proves nothing")
	}
	if resp, page := agent.get(hitURL); resp.StatusCode != http.StatusOK || !strings.Contains(page, bubble) {
		t.Errorf("opening a search result: %s, holds the message: %v", resp.Status, strings.Contains(page, bubble))
	}
	if resp, _ := agent.get(fmt.Sprintf("/console/c/%d?m=first", conv)); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a conversation at ?m=first: %s, want 400", resp.Status)
	}

	// Nobody signed in is sent to sign in.
	if resp, _ := k.browser().get("/console/search?q=refund"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Errorf("search without a session: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
}

// TestSearchRefusals: an empty or overlong search is refused, in the
// reader's language, as a page or as JSON, and finds nothing.
func TestSearchRefusals(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	agent := k.agent()
	long := strings.Repeat("退", chat.MaxSearchQuery+1)
	for _, c := range []struct {
		query, lang, want string
	}{
		{"q=", "en", "Type something to search for."},
		{"q=+++", "zh-CN", "请输入要搜索的内容。"},
		{"", "en", "Type something to search for."},
		{"q=" + url.QueryEscape(long), "en", "A search is at most 200 characters of text."},
		{"q=" + url.QueryEscape(long), "zh-CN", "搜索内容最多 200 个字符。"},
		{"q=refund&before=x", "zh-CN", "该结果页不存在。"},
		{"q=refund&before=0", "en", "That page of results does not exist."},
	} {
		resp, page := agent.send(http.MethodGet, "/console/search?"+c.query, nil, http.Header{"Accept-Language": {c.lang}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `data-testid="refusal">`+c.want+`<`) ||
			strings.Contains(page, `data-testid="search-messages"`) {
			t.Errorf("search ?%.30s in %s: %s, want 400 saying %q:\n%s", c.query, c.lang, resp.Status, c.want, page)
		}
		resp, raw := agent.send(http.MethodGet, "/console/search?"+c.query, nil,
			http.Header{"Accept-Language": {c.lang}, "Accept": {"application/json"}})
		if e := apiDecode[apiError](t, raw); resp.StatusCode != http.StatusBadRequest || e.Error != "invalid" || e.Message != c.want {
			t.Errorf("JSON search ?%.30s in %s: %s %s", c.query, c.lang, resp.Status, raw)
		}
	}
}
