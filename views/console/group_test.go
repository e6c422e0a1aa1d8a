package console

import (
	"strings"
	"testing"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/views/thread"
)

// TestMentionShown: a mention is highlighted in its bubble, escaped, with
// the text around it as written; a list item with a mention unread says
// "@ me" in the reader's language, and not once it is open.
func TestMentionShown(t *testing.T) {
	m := chat.Message{ID: 1, SenderID: 2, Type: chat.Text, Body: "hi @Bo <b> and @all!",
		Mentions: []chat.Mention{{UserID: 3, Name: "Bo <b>"}}, MentionAll: true}
	got := renderIn(t, "en", thread.Bubble(m, false))
	want := `<p class="body">hi <span class="mention" data-testid="mention">@Bo &lt;b&gt;</span> and <span class="mention" data-testid="mention">@all</span>!</p>`
	if !strings.Contains(got, want) {
		t.Errorf("bubble:\n%s\nwant %s", got, want)
	}
	s := chat.Summary{Mentioned: true, LastMessage: &chat.Message{Type: chat.Text, Body: "@Bo hi"}}
	s.ID, s.Kind = 4, chat.Group
	if got := renderIn(t, "zh-CN", ListItem(s, false, Listing{View: chat.ViewMine})); !strings.Contains(got, `<span class="mention-mark" data-testid="mention-mark">有人@我</span> @Bo hi</span>`) {
		t.Errorf("list item in Chinese:\n%s", got)
	}
	if got := renderIn(t, "en", ListItem(s, true, Listing{View: chat.ViewMine})); strings.Contains(got, "mention-mark") {
		t.Errorf("the open conversation is read:\n%s", got)
	}
}

// TestGroupPanelByRole: the owner is offered every member's controls, an
// admin only a plain member's, a member none.
func TestGroupPanelByRole(t *testing.T) {
	roles := map[int64]chat.Role{1: chat.Owner, 2: chat.Admin, 3: chat.Member}
	members := []chat.User{{ID: 1, Name: "O"}, {ID: 2, Name: "A"}, {ID: 3, Name: "M"}}
	for _, c := range []struct {
		viewer  int64
		removes int
		appoint int
	}{{1, 2, 2}, {2, 1, 0}, {3, 0, 0}} {
		g := &GroupPanel{Members: members, Roles: roles, Viewer: roles[c.viewer]}
		got := renderIn(t, "en", groupPanel(9, c.viewer, g, ""))
		if n := strings.Count(got, `data-testid="remove-member"`); n != c.removes {
			t.Errorf("viewer %d: %d remove buttons, want %d", c.viewer, n, c.removes)
		}
		if n := strings.Count(got, `data-testid="appoint"`); n != c.appoint {
			t.Errorf("viewer %d: %d appoint buttons, want %d", c.viewer, n, c.appoint)
		}
	}
}
