package console

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
)

func renderIn(t *testing.T, lang string, c templ.Component) string {
	t.Helper()
	var b strings.Builder
	if err := c.Render(i18n.With(context.Background(), i18n.For(lang)), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestConsoleInBothLanguages: the console's words are the reader's, and
// the English ones are those kefu has always said.
func TestConsoleInBothLanguages(t *testing.T) {
	full := &Load{Open: 1, Capacity: 1}
	p := Props{User: chat.User{ID: 1, Name: "Alex"}, IsAgent: true, State: chat.Available, Load: full,
		Queue: []chat.QueueEntry{{ConversationID: 7, Position: 1, QueuedAt: time.Now(), Preview: "你好"}}}
	cases := []struct {
		lang string
		c    templ.Component
		want []string
	}{
		{"en", Page(p), []string{`<html lang="en">`, "<title>kefu console</title>", ">Sign out<", ">Set away<", ">Queue<",
			"At capacity (1 open chat, capacity 1): resolve a chat to take another.", "waiting since <time",
			"find them under <a href=\"/console/people\">People</a>.", ">Follow my browser<"}},
		{"zh-CN", Page(p), []string{`<html lang="zh-CN">`, "<title>kefu 客服工作台</title>", ">退出登录<", ">设为离开<", ">排队<",
			"已达接待上限（1 个进行中的会话，上限 1）：解决一个会话后才能再接入。", "排队于 <time",
			"请在<a href=\"/console/people\">联系人</a>中找到对方。", ">跟随浏览器<"}},
		{"en", Taken(ChatState{ID: 7, Status: chat.Assigned}, false), []string{"The chat is yours. <a href=\"/console/c/7\" data-testid=\"open-taken\">Open it</a>"}},
		{"zh-CN", Taken(ChatState{ID: 7, Status: chat.Assigned}, false), []string{"会话已由您接待。 <a href=\"/console/c/7\" data-testid=\"open-taken\">打开</a>"}},
		{"en", StatusBadge(chat.Assigned, "Sam"), []string{">With Sam<"}},
		{"zh-CN", StatusBadge(chat.Assigned, "Sam"), []string{">Sam 接待中<"}},
		{"en", GroupNew(GroupNewProps{}), []string{"<label>Group name <input", "<h1>New group</h1>"}},
		{"zh-CN", GroupNew(GroupNewProps{}), []string{"<label>群组名称 <input", "<h1>新建群组</h1>"}},
		{"en", groupPanel(1, 1, &GroupPanel{OwnerID: 1, Members: []chat.User{{ID: 1}}}, ""), []string{"<summary>1 member</summary>"}},
		{"zh-CN", groupPanel(1, 1, &GroupPanel{OwnerID: 1, Members: []chat.User{{ID: 1}, {ID: 2}}}, ""), []string{"<summary>2 位成员</summary>"}},
	}
	for _, c := range cases {
		got := renderIn(t, c.lang, c.c)
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: lacks %q:\n%s", c.lang, w, got)
			}
		}
	}
}

// TestListPreviewOfALine: the list shows a system line in the reader's language.
func TestListPreviewOfALine(t *testing.T) {
	s := chat.Summary{LastMessage: &chat.Message{Type: chat.System, Code: chat.LineJoined, Args: []string{"Sam"}}}
	s.ID = 3
	if got := renderIn(t, "zh-CN", ListItem(s, false, Listing{View: chat.ViewMine})); !strings.Contains(got, ">Sam 加入了会话。<") {
		t.Errorf("the preview of a line in Chinese:\n%s", got)
	}
	if got := renderIn(t, "en", ListItem(s, false, Listing{View: chat.ViewMine})); !strings.Contains(got, ">Sam joined the chat.<") {
		t.Errorf("the preview of a line in English:\n%s", got)
	}
}

// TestListItemShowsWhereAChatStands: a support chat's item says its state,
// who has it and its labels, in the reader's language; what people wrote
// is escaped and cut short; its link keeps the list's view and filter.
func TestListItemShowsWhereAChatStands(t *testing.T) {
	s := chat.Summary{Title: "Lee <b>", Assignee: "Ann",
		Labels:      []chat.Label{{ID: 7, Name: "VIP <i>", Color: "#ff8800"}},
		LastMessage: &chat.Message{Type: chat.Text, Body: "<script>x</script>" + strings.Repeat("a", 100)}}
	s.ID, s.Kind, s.Status = 9, chat.Support, chat.Assigned
	l := Listing{View: chat.ViewAll, Filter: chat.InboxFilter{LabelID: 7}}
	en := renderIn(t, "en", ListItem(s, false, l))
	for _, want := range []string{`href="/console/c/9?label=7&amp;view=all"`, ">Open<", ">Ann<", `class="chip label-7"`, ">VIP &lt;i&gt;<",
		"&lt;script&gt;x&lt;/script&gt;", "…<", "Lee &lt;b&gt;"} {
		if !strings.Contains(en, want) {
			t.Errorf("en lacks %q:\n%s", want, en)
		}
	}
	if strings.Contains(en, "<script>") || strings.Contains(en, strings.Repeat("a", 90)) {
		t.Errorf("unescaped or uncut:\n%s", en)
	}
	s.Status, s.Assignee, s.SnoozedUntilReply = chat.Queued, "", true
	zh := renderIn(t, "zh-CN", ListItem(s, false, l))
	for _, want := range []string{">已暂停<", ">未分配<"} {
		if !strings.Contains(zh, want) {
			t.Errorf("zh-CN lacks %q:\n%s", want, zh)
		}
	}
}

// TestQueuePanelListsTheFirstChats: a long queue lists its first
// QueueShown chats and counts the others, in the reader's language.
func TestQueuePanelListsTheFirstChats(t *testing.T) {
	q := make([]chat.QueueEntry, QueueShown+3)
	for i := range q {
		q[i] = chat.QueueEntry{ConversationID: int64(i + 1), Position: i + 1, QueuedAt: time.Now()}
	}
	for lang, more := range map[string]string{"en": ">and 3 more waiting<", "zh-CN": ">还有 3 人在排队<"} {
		got := renderIn(t, lang, QueueItems(q, "token", &Load{Capacity: 5}))
		if n := strings.Count(got, `data-testid="queued"`); n != QueueShown || !strings.Contains(got, more) ||
			strings.Contains(got, fmt.Sprintf(`id="queued-%d"`, QueueShown+1)) {
			t.Errorf("%s: %d chats listed, want %d and %q:\n%s", lang, n, QueueShown, more, got)
		}
	}
	if got := renderIn(t, "en", QueueItems(q[:QueueShown], "token", &Load{Capacity: 5})); strings.Contains(got, "more waiting") {
		t.Errorf("a queue of %d counts more waiting:\n%s", QueueShown, got)
	}
}
