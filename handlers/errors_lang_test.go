package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestErrorsInTheReadersLanguage: an error page and a JSON error's message
// speak the reader's language (their browser's, else their own choice),
// while the JSON error code stays the same English identifier.
func TestErrorsInTheReadersLanguage(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	b := k.browser()

	resp, body := b.send(http.MethodGet, "/no-such-page", nil, http.Header{"Accept-Language": {"zh-CN,zh;q=0.9,en;q=0.5"}})
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("a page that is not there: %s", resp.Status)
	}
	for _, want := range []string{`<html lang="zh-CN">`, "<h1>抱歉</h1>", "这里什么也没有。", "返回控制台"} {
		if !strings.Contains(body, want) {
			t.Errorf("the Chinese error page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "Sorry") || strings.Contains(body, "There is nothing here.") {
		t.Errorf("the Chinese error page speaks English:\n%s", body)
	}
	_, body = b.get("/no-such-page")
	for _, want := range []string{`<html lang="en">`, "<h1>Sorry</h1>", "There is nothing here.", "Back to the console"} {
		if !strings.Contains(body, want) {
			t.Errorf("the English error page lacks %q:\n%s", want, body)
		}
	}

	resp, raw := b.send(http.MethodGet, "/no-such-page", nil, http.Header{"Accept": {"application/json"}, "Accept-Language": {"zh-CN"}})
	if e := apiDecode[apiError](t, raw); resp.StatusCode != http.StatusNotFound || e.Error != "not_found" || e.Message != "这里什么也没有。" {
		t.Errorf("a JSON error for a Chinese reader: %s %s", resp.Status, raw)
	}

	// A sentence with arguments, for a signed-in member's browser.
	agent := k.agent()
	long := strings.Repeat("名", 101)
	createGroup := func(lang string) (int, apiError) {
		resp, raw := agent.send(http.MethodPost, "/console/groups",
			url.Values{"title": {long}, "_csrf": {agent.csrf("/console/groups/new")}},
			http.Header{"Origin": {k.srv.URL}, "Accept": {"application/json"}, "Accept-Language": {lang}})
		return resp.StatusCode, apiDecode[apiError](t, raw)
	}
	if status, e := createGroup("zh-CN"); status != http.StatusBadRequest || e.Error != "invalid" || e.Message != "群名称为 1 到 100 个字符。" {
		t.Errorf("a group name too long, in Chinese: %d %+v", status, e)
	}
	if status, e := createGroup("en-GB"); status != http.StatusBadRequest || e.Error != "invalid" || e.Message != "A group's name is 1 to 100 characters." {
		t.Errorf("a group name too long, in English: %d %+v", status, e)
	}

	// The member's own choice wins over their browser's.
	alex, _, err := k.db.MemberByEmail(context.Background(), agentEmail)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.db.SetLanguage(context.Background(), alex.ID, "zh-CN"); err != nil {
		t.Fatal(err)
	}
	if status, e := createGroup("en"); status != http.StatusBadRequest || e.Error != "invalid" || e.Message != "群名称为 1 到 100 个字符。" {
		t.Errorf("a group name too long, for a member who chose Chinese: %d %+v", status, e)
	}
}
