package thread

import (
	"testing"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
)

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

// TestPreviewOfMerged: a list names a merged message as a chat history,
// in the reader's language; other messages as their text.
func TestPreviewOfMerged(t *testing.T) {
	zh := i18n.With(t.Context(), i18n.For("zh-CN"))
	en := i18n.With(t.Context(), i18n.For("en"))
	merged := chat.Message{Type: chat.Merged}
	if got := Preview(en, merged); got != "[Chat history]" {
		t.Errorf("merged in English = %q", got)
	}
	if got := Preview(zh, merged); got != "[聊天记录]" {
		t.Errorf("merged in Chinese = %q", got)
	}
	if got := Preview(en, chat.Message{Type: chat.Text, Body: "hi"}); got != "hi" {
		t.Errorf("a text = %q", got)
	}
}
