package thread

import (
	"strings"
	"testing"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
)

// lines are samples of every line kefu writes, with their arguments.
var lines = []struct {
	code chat.SystemCode
	args []string
}{
	{chat.LineJoined, []string{"Sam"}},
	{chat.LineNoAnswer, []string{"Sam"}},
	{chat.LineWentOffline, []string{"Sam"}},
	{chat.LineTargetAway, []string{"Sam"}},
	{chat.LineResolved, []string{"Sam"}},
	{chat.LineTransferred, []string{"Sam", "李娜"}},
	{chat.LineVisitorSignedIn, []string{"42"}},
	{chat.LineGroupCreated, []string{"Ann", "Support <team>"}},
	{chat.LineMembersAdded, []string{"Ann", "Bob", "Cat", "王芳"}},
	{chat.LineMembersAdded, []string{"Ann", "Bob"}},
	{chat.LineMemberRemoved, []string{"Ann", "Bob"}},
	{chat.LineMemberLeft, []string{"Bob"}},
	{chat.LineOwnerLeft, []string{"Ann", "Bob"}},
	{chat.LineGroupRenamed, []string{"Ann", "客服组"}},
	{chat.NoteRated, []string{"4", ""}},
	{chat.NoteRated, []string{"5", "Quick and kind"}},
}

// TestLinesInEnglishAreSystemText: in English a line says exactly what
// chat.SystemText says for machines, so the two never drift apart.
func TestLinesInEnglishAreSystemText(t *testing.T) {
	ctx := i18n.With(t.Context(), i18n.For("en"))
	for _, l := range lines {
		if got, want := Line(ctx, l.code, l.args), chat.SystemText(l.code, l.args); got != want {
			t.Errorf("%s %q in English = %q, want %q", l.code, l.args, got, want)
		}
	}
}

// TestLinesInChinese: every line has its Chinese words, with each of its
// arguments in them.
func TestLinesInChinese(t *testing.T) {
	ctx := i18n.With(t.Context(), i18n.For("zh-CN"))
	for _, l := range lines {
		got := Line(ctx, l.code, l.args)
		if got == chat.SystemText(l.code, l.args) || strings.HasPrefix(got, "line.") || !strings.ContainsFunc(got, isHan) {
			t.Errorf("%s %q in Chinese = %q", l.code, l.args, got)
		}
		for _, a := range l.args {
			if !strings.Contains(got, a) {
				t.Errorf("%s in Chinese = %q, which lacks %q", l.code, got, a)
			}
		}
	}
	if got, want := Line(ctx, chat.LineMembersAdded, []string{"Ann", "Bob", "Cat"}), "Ann 添加了 Bob、Cat。"; got != want {
		t.Errorf("members added in Chinese = %q, want %q", got, want)
	}
	if got, want := Line(ctx, chat.LineJoined, []string{"Sam"}), "Sam 加入了会话。"; got != want {
		t.Errorf("joined in Chinese = %q, want %q", got, want)
	}
}

// TestLineFromANewerKefu: a code this kefu does not know shows its code and
// arguments rather than nothing.
func TestLineFromANewerKefu(t *testing.T) {
	ctx := i18n.With(t.Context(), i18n.For("zh-CN"))
	if got := Line(ctx, "merged", []string{"Ann", "7"}); got != "merged Ann, 7" {
		t.Errorf("an unknown line = %q", got)
	}
}

// TestTextIsTheReadersLanguage: a message's body is shown as written, a
// system line in the reader's language.
func TestTextIsTheReadersLanguage(t *testing.T) {
	zh := i18n.With(t.Context(), i18n.For("zh-CN"))
	en := i18n.With(t.Context(), i18n.For("en"))
	body := chat.Message{Type: chat.Text, Body: "Hello 你好"}
	if got := Text(zh, body); got != "Hello 你好" {
		t.Errorf("a text message in Chinese = %q", got)
	}
	line := chat.Message{Type: chat.System, Code: chat.LineJoined, Args: []string{"Sam"}}
	if got := Text(en, line); got != "Sam joined the chat." {
		t.Errorf("joined in English = %q", got)
	}
	if got := Text(zh, line); got != "Sam 加入了会话。" {
		t.Errorf("joined in Chinese = %q", got)
	}
}

func isHan(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }
