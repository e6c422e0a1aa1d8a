package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// setLanguage chooses lang in b's console, as its language menu does.
func (b *browser) setLanguage(lang string) {
	b.k.t.Helper()
	resp, _ := b.post("/console/language", url.Values{"language": {lang}, "_csrf": {b.csrf("/console")}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console" {
		b.k.t.Fatalf("choosing %q answered %s to %q, want 303 to /console", lang, resp.Status, resp.Header.Get("Location"))
	}
}

// TestConsoleLanguageSetting: a member's own choice of language holds over
// their browser's; following the browser again speaks the browser's.
func TestConsoleLanguageSetting(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	alex := k.agent()

	_, page := alex.getIn("", "/console")
	if !strings.Contains(page, `<html lang="en">`) || !strings.Contains(page, ">Sign out<") || !strings.Contains(page, ">Follow my browser<") {
		t.Fatalf("the console of a browser that names no language is not in English:\n%s", page)
	}

	alex.setLanguage("zh-CN")
	for _, accept := range []string{"", "en-US,en;q=0.9"} {
		_, page = alex.getIn(accept, "/console")
		if !strings.Contains(page, `<html lang="zh-CN">`) || !strings.Contains(page, ">退出登录<") || !strings.Contains(page, ">没有人在排队。<") {
			t.Fatalf("the console of a member who chose zh-CN (Accept-Language %q) is not in Chinese:\n%s", accept, page)
		}
		if !strings.Contains(page, `<option value="zh-CN" lang="zh-CN" selected>简体中文</option>`) {
			t.Fatalf("the language menu does not show the member's choice:\n%s", page)
		}
	}
	if _, page = alex.getIn("", "/console/people"); !strings.Contains(page, `<html lang="zh-CN">`) || !strings.Contains(page, "<h1>联系人</h1>") {
		t.Fatalf("the people page does not follow the member's choice:\n%s", page)
	}
	// A page that does not exist says so in their language too.
	if resp, page := alex.getIn("en", "/no-such-page"); resp.StatusCode != http.StatusNotFound ||
		!strings.Contains(page, `<html lang="zh-CN">`) || !strings.Contains(page, "这里什么也没有。") {
		t.Fatalf("a missing page for a member who chose Chinese: %s\n%s", resp.Status, page)
	}

	// Following the browser again: its language, else the instance's.
	alex.setLanguage("")
	if _, page = alex.getIn("zh-CN,zh;q=0.9", "/console"); !strings.Contains(page, `<html lang="zh-CN">`) || !strings.Contains(page, ">退出登录<") {
		t.Fatalf("a member who follows a Chinese browser does not read Chinese:\n%s", page)
	}
	if _, page = alex.getIn("", "/console"); !strings.Contains(page, `<html lang="en">`) || !strings.Contains(page, ">Sign out<") ||
		!strings.Contains(page, `<option value="" selected>Follow my browser</option>`) {
		t.Fatalf("a member who follows a browser that names no language does not read English:\n%s", page)
	}

	// A language kefu does not speak is refused and changes nothing.
	resp, _ := alex.post("/console/language", url.Values{"language": {"fr"}, "_csrf": {alex.csrf("/console")}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("choosing fr answered %s, want 400", resp.Status)
	}
	if u, _, err := k.db.MemberByEmail(t.Context(), agentEmail); err != nil || u.Language != "" {
		t.Fatalf("after a refused choice the member's language is %q, %v", u.Language, err)
	}
	// Without the form's token, nothing is chosen.
	if resp, _ := alex.post("/console/language", url.Values{"language": {"zh-CN"}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("choosing without the CSRF token answered %s, want 403", resp.Status)
	}
}

// TestConsoleSocketSpeaksMembersLanguage: the console's socket renders its
// frames in the language its member chose, and a system line is written in
// each reader's language: Chinese for the agent who chose it, English for
// the visitor whose browser names no language.
func TestConsoleSocketSpeaksMembersLanguage(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	alex := k.agent()
	alex.setLanguage("zh-CN")

	console := alex.console()
	console.send(map[string]any{"type": "resume"})
	console.waitFor(">没有人在排队。<") // the queue panel, in Chinese

	token := k.visitorToken()
	visitor := k.liveWidget(token)
	visitor.send(map[string]any{"type": "send", "client_msg_id": "v1", "body": "你好，有人在吗？"})
	console.waitFor("您有新会话：") // the assignment's toast
	visitor.waitFor("Alex joined the chat.")
	if strings.Contains(visitor.all(), "加入了会话") {
		t.Fatalf("the visitor read the agent's language:\n%s", visitor.all())
	}

	// The agent's thread, live and on the page, says it in Chinese.
	conv := visitorConversation(t, k.db, token)
	console.send(map[string]any{"type": "resume", "conversation_id": conv.ID})
	frame := console.waitFor("Alex 加入了会话。")
	if !strings.Contains(frame, "你好，有人在吗？") || strings.Contains(frame, "joined the chat") {
		t.Fatalf("the agent's thread is not in Chinese:\n%s", frame)
	}
	_, page := alex.get(fmt.Sprintf("/console/c/%d", conv.ID))
	if !strings.Contains(page, "Alex 加入了会话。") || !strings.Contains(page, ">Alex 接待中<") || !strings.Contains(page, ">标记已解决<") {
		t.Fatalf("the agent's chat page is not in Chinese:\n%s", page)
	}

	// Resolving in place answers in Chinese; the line it writes reaches the
	// visitor in English and the agent's open thread in Chinese.
	resp, body := alex.send(http.MethodPost, fmt.Sprintf("/console/c/%d/resolve", conv.ID),
		url.Values{"_csrf": {alex.csrf("/console")}}, http.Header{"Origin": {k.srv.URL}, "X-Kefu-Fragment": {"1"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "会话已解决。") || !strings.Contains(body, ">已解决<") {
		t.Fatalf("resolving in place answered %s:\n%s", resp.Status, body)
	}
	visitor.waitFor("Alex marked the chat resolved.")
	console.waitFor("Alex 已将会话标记为已解决。")
}
