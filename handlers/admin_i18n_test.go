package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// getIn gets path as a browser whose language is lang ("" sends no Accept-Language).
func (b *browser) getIn(lang, path string) (*http.Response, string) {
	b.k.t.Helper()
	h := http.Header{}
	if lang != "" {
		h.Set("Accept-Language", lang)
	}
	return b.send(http.MethodGet, path, nil, h)
}

// postIn posts form to path as a browser whose language is lang.
func (b *browser) postIn(lang, path string, form url.Values) (*http.Response, string) {
	b.k.t.Helper()
	return b.send(http.MethodPost, path, form, http.Header{"Origin": {b.k.srv.URL}, "Accept-Language": {lang}})
}

// h1 is the page's heading.
func h1(body string) string {
	m := regexp.MustCompile(`<h1>([^<]*)</h1>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestAdminPagesSpeakTheReadersLanguage(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	alex := k.agent()
	for _, c := range []struct {
		lang, path, want string
		says             []string
	}{
		{"zh-CN", "/admin/users", "用户", []string{">审计日志</a>", ">退出登录</button>", "添加用户", ">正常<"}},
		{"zh-CN,zh;q=0.9,en;q=0.5", "/admin/settings", "设置", []string{"任何人都可以与任何人发起会话。", "保存会话等级", "更换推送密钥？"}},
		{"zh-CN", "/admin/api", "API 与 Webhook", []string{"还没有 API 密钥。", "创建密钥", "宿主站点（管理其用户）"}},
		{"zh-CN", "/admin/audit", "审计日志", []string{">操作人</th>", ">添加用户</span>"}},
		{"", "/admin/users", "Users", []string{">Audit log</a>", ">Sign out</button>", "Add a user", ">Active<"}},
		{"", "/admin/settings", "Settings", []string{"Anyone may start a conversation with anyone.", "Save grade", "Rotate the push keys?"}},
		{"en-GB", "/admin/audit", "Audit log", []string{">Who</th>", ">Added a user</span>"}},
	} {
		resp, body := alex.getIn(c.lang, c.path)
		lang := "en"
		if strings.HasPrefix(c.lang, "zh") {
			lang = "zh-CN"
		}
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `<html lang="`+lang+`"`) || h1(body) != c.want {
			t.Errorf("%s in %q: %s, heading %q; want lang=%q and %q", c.path, c.lang, resp.Status, h1(body), lang, c.want)
		}
		for _, s := range c.says {
			if !strings.Contains(body, s) {
				t.Errorf("%s in %q does not say %q", c.path, c.lang, s)
			}
		}
		if lang == "en" && regexp.MustCompile(`\p{Han}`).MatchString(body) {
			t.Errorf("%s in %q has Chinese in it", c.path, c.lang)
		}
	}

	// The audit log's dates in the reader's format; its action codes stay codes.
	_, body := alex.getIn("zh-CN", "/admin/audit")
	if !regexp.MustCompile(`<time datetime="[^"]+">\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2} UTC</time>`).MatchString(body) ||
		!strings.Contains(body, `<code data-testid="audit-action">user.create</code>`) || !strings.Contains(body, "Alex (用户 ") {
		t.Error("the audit log in Chinese does not show its dates, actions and subjects as a Chinese reader reads them")
	}
	_, body = alex.getIn("", "/admin/audit")
	if !regexp.MustCompile(`<time datetime="[^"]+">\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC</time>`).MatchString(body) {
		t.Error("the audit log in English does not show its dates as before")
	}
}

func TestAdminNoticesAndRefusalsInChinese(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	alex := k.agent()
	samID := k.addAgent("sam@example.com", "Sam", "sam password")
	csrf := alex.csrf("/admin/users")

	// A change's notice is in the language of the admin who made it.
	resp, _ := alex.postIn("zh-CN", "/admin/settings/grade", url.Values{"grade": {"100"}, "_csrf": {csrf}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving the grade: %s", resp.Status)
	}
	if _, body := alex.getIn("zh-CN", "/admin/settings"); testidText(body, "notice") != "已保存。" {
		t.Errorf("the notice after saving in Chinese is %q", testidText(body, "notice"))
	}
	resp, _ = alex.postIn("zh-CN", fmt.Sprintf("/admin/users/%d/capacity", samID), url.Values{"capacity": {"4"}, "_csrf": {csrf}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("setting a capacity: %s", resp.Status)
	}
	if _, body := alex.getIn("zh-CN", "/admin/users"); testidText(body, "notice") != "Sam 的接待上限已设为 4。" {
		t.Errorf("the capacity notice in Chinese is %q", testidText(body, "notice"))
	}

	// A key's times, relative and in full, as a Chinese reader reads them.
	resp, _ = alex.postIn("zh-CN", "/admin/api/keys", url.Values{"name": {"商城后台"}, "_csrf": {csrf}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("creating a key: %s", resp.Status)
	}
	_, body := alex.getIn("zh-CN", "/admin/api")
	if testidText(body, "notice") != "已创建密钥 商城后台。请立即复制：它只显示这一次。" ||
		!regexp.MustCompile(`title="\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2} UTC" data-rel>刚刚</time>`).MatchString(body) ||
		!strings.Contains(body, ">从未使用<") {
		t.Errorf("the API page in Chinese, after a key is made: notice %q", testidText(body, "notice"))
	}

	// Refusals: on the page, and in JSON with the code in English.
	resp, body = alex.postIn("zh-CN", "/admin/settings/grade", url.Values{"grade": {"x"}, "_csrf": {csrf}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "请选择会话等级：0、100 或 200。") || !strings.Contains(body, `lang="zh-CN"`) {
		t.Errorf("a bad grade in Chinese: %s", resp.Status)
	}
	resp, body = alex.postIn("zh-CN", "/admin/users", url.Values{"email": {"not an email"}, "_csrf": {csrf}})
	if resp.StatusCode != http.StatusBadRequest || testidText(body, "create-error") != "请输入邮箱地址，例如 sam@example.com。" {
		t.Errorf("a bad email in Chinese: %s %q", resp.Status, testidText(body, "create-error"))
	}
	resp, body = alex.send(http.MethodPost, fmt.Sprintf("/admin/users/%d/disable", samID), url.Values{"_csrf": {csrf}},
		http.Header{"Origin": {k.srv.URL}, "Accept": {"application/json"}, "Accept-Language": {"zh-CN"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"error":"invalid"`) || !strings.Contains(body, "此变更无法撤销") {
		t.Errorf("a change not confirmed, in JSON and Chinese: %s %s", resp.Status, body)
	}

	// Without JavaScript, the page that asks first asks in Chinese.
	resp, body = alex.postIn("zh-CN", fmt.Sprintf("/admin/users/%d/disable", samID), url.Values{"_csrf": {csrf}})
	if resp.StatusCode != http.StatusOK || h1(body) != "停用 Sam？" || !strings.Contains(body, ">停用 Sam</button>") ||
		!strings.Contains(body, `data-testid="cancel">取消</a>`) {
		t.Errorf("the confirmation page in Chinese: %s, heading %q", resp.Status, h1(body))
	}
	// With it, confirm() asks the same, from the form.
	if _, body := alex.getIn("zh-CN", "/admin/users"); !strings.Contains(body, `data-confirm="停用 Sam？Sam 将立即在所有设备上退出登录，重新启用前无法登录。"`) {
		t.Error("the disable form does not carry its question in Chinese")
	}
}

func TestAdminPagesFollowTheMembersOwnLanguage(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	alex := k.agent()
	if err := k.db.SetLanguage(context.Background(), k.firstAdminID(), "zh-CN"); err != nil {
		t.Fatal(err)
	}
	// Their own choice wins over what the browser says.
	if _, body := alex.getIn("en", "/admin/users"); !strings.Contains(body, `<html lang="zh-CN"`) || h1(body) != "用户" {
		t.Errorf("a member who chose Chinese gets the users page with heading %q", h1(body))
	}
}

func TestSignInPageSpeaksTheReadersLanguage(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	b := k.browser()

	resp, body := b.getIn("zh-CN", "/login")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `<html lang="zh-CN"`) || h1(body) != "登录 kefu 客服" ||
		!strings.Contains(body, "<title>登录 · kefu 客服</title>") || !strings.Contains(body, `data-testid="login">登录</button>`) {
		t.Errorf("the sign-in page in Chinese: %s, heading %q", resp.Status, h1(body))
	}
	resp, body = b.getIn("", "/login")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `<html lang="en"`) || h1(body) != "Sign in to kefu" ||
		!strings.Contains(body, `data-testid="login">Sign in</button>`) {
		t.Errorf("the sign-in page without Accept-Language: %s, heading %q", resp.Status, h1(body))
	}

	csrf := b.csrf("/login")
	form := url.Values{"email": {agentEmail}, "password": {"wrong password"}, "_csrf": {csrf}}
	resp, body = b.postIn("zh-CN", "/login", form)
	if resp.StatusCode != http.StatusUnauthorized || testidText(body, "login-error") != "邮箱或密码错误，或账号已停用。" || h1(body) != "登录 kefu 客服" {
		t.Errorf("a wrong password in Chinese: %s %q", resp.Status, testidText(body, "login-error"))
	}
	resp, body = b.postIn("en-US", "/login", form)
	if resp.StatusCode != http.StatusUnauthorized || testidText(body, "login-error") != "That email and password do not match an active account." {
		t.Errorf("a wrong password in English: %s %q", resp.Status, testidText(body, "login-error"))
	}
	// Past the limit, the wait is said in Chinese too.
	for range 3 {
		b.postIn("zh-CN", "/login", form)
	}
	resp, body = b.postIn("zh-CN", "/login", form)
	if resp.StatusCode != http.StatusTooManyRequests || testidText(body, "login-error") != "登录失败次数过多，请等待 15 分钟后再试。" {
		t.Errorf("too many sign-ins in Chinese: %s %q", resp.Status, testidText(body, "login-error"))
	}
}
