package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
)

// TestRefusedFramesInTheReadersLanguage: a live frame refused for good is
// answered in the words of the socket's reader, whatever the language of
// the goroutine that renders the answer.
func TestRefusedFramesInTheReadersLanguage(t *testing.T) {
	t.Parallel()
	s := &socket{h: &Handler{Deps: Deps{Logger: slog.New(slog.DiscardHandler)}}}
	for _, c := range []struct {
		name   string
		f      inFrame
		err    error
		en, zh string
	}{
		{"a message too long", inFrame{Type: "send", ClientMsgID: "c1"},
			chat.Invalid("body", "error.body.tooLong", "Length", 4100, "Max", 4000),
			"The message is 4100 characters long; the limit is 4000.", "消息长 4100 个字符，上限为 4000 个字符。"},
		{"a frame that is not JSON", inFrame{}, chat.Invalid("frame", "error.frame.unreadable"),
			"That message could not be read. Reload the page.", "无法读取该消息，请刷新页面。"},
		{"a message the store cannot keep", inFrame{Type: "send"}, errors.New("no such column"),
			"This message could not be stored.", "这条消息未能保存。"},
		{"a grade refusal", inFrame{Type: "send", ClientMsgID: "c2"}, (&chat.RefusedError{Grade: chat.GradeKinOnly, ToTeam: true}).To(true, true),
			"This site now only allows conversations between friends and group members, so this chat with customer service is closed.",
			"本站现在只允许好友和群成员之间的会话，因此与客服的这个会话已关闭。"},
	} {
		for lang, want := range map[string]string{"en": c.en, "zh-CN": c.zh} {
			comps := s.refusal(i18n.For(lang), c.f, c.err)
			frame, err := render(context.Background(), comps...)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(frame), want) {
				t.Errorf("%s, %s: %s, want %q", c.name, lang, frame, want)
			}
		}
	}
}

// TestRefusalWords: each refusal of the conversation grade is told in the
// sentence that fits its reader, in English as kefu has always said it, and
// in Chinese.
func TestRefusalWords(t *testing.T) {
	t.Parallel()
	s := chat.Settings{Grade: chat.GradeServiceOrKin, Agents: chat.AgentList{IDs: []int64{1}}}
	start100 := s.MayStart(2, 3, chat.Ties{}).(*chat.RefusedError)
	s.Grade = chat.GradeKinOnly
	start200 := s.MayStart(2, 3, chat.Ties{}).(*chat.RefusedError)
	en, zh := i18n.For("en"), i18n.For("zh-CN")
	for _, c := range []struct {
		err    error
		en, zh string
	}{
		{start100, "Here you can only start a conversation with customer service, your friends, or people in a group with you.",
			"在这里，您只能与客服、好友或与您同在一个群的人发起会话。"},
		{start200.To(true, false), "This person cannot be reached by chat here.", "无法在这里通过聊天联系此人。"},
		{start100.To(false, true), "Replies are not allowed at this grade: you can write only to customer service, your friends, or people in a group with you.",
			"当前会话等级不允许回复：您只能给客服、好友或与您同在一个群的人发消息。"},
		{start100.Adding("Sam"), "You cannot add Sam: here you can only start a conversation with customer service, your friends, or people in a group with you.",
			"无法添加 Sam：在这里，您只能与客服、好友或与您同在一个群的人发起会话。"},
		{start200.Adding("王芳"), "You cannot add 王芳: here you can only start a conversation with your friends or people in a group with you.",
			"无法添加 王芳：在这里，您只能与好友或与您同在一个群的人发起会话。"},
		{(chat.Settings{}).SupportOpen(), "Chat is unavailable right now. Please come back later.", "在线客服暂时不可用，请稍后再来。"},
	} {
		if status, code, msg := publicError(en, c.err); status != http.StatusForbidden || code != "conversation_not_allowed" || msg != c.en {
			t.Errorf("%v: %d %s %q, want 403 conversation_not_allowed %q", c.err, status, code, msg, c.en)
		}
		if _, code, msg := publicError(zh, c.err); code != "conversation_not_allowed" || msg != c.zh {
			t.Errorf("%v in Chinese: %s %q, want %q", c.err, code, msg, c.zh)
		}
	}
}
