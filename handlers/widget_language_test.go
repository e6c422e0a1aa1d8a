package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kefu-im/kefu/chat"
)

// widgetPage asks for the widget page at path with the browser's
// Accept-Language accept ("": none), as an iframe does.
func (k *instance) widgetPage(path, accept string) string {
	k.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, k.srv.URL+path, nil)
	if accept != "" {
		req.Header.Set("Accept-Language", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		k.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		k.t.Fatalf("GET %s: %s", path, resp.Status)
	}
	return string(body)
}

// The widget's words, as a page in each language shows them.
var (
	widgetInEnglish = []string{`<html lang="en"`, "Chat with us", "Type your message…", ">Send</button>"}
	widgetInChinese = []string{`<html lang="zh-CN"`, "联系客服", "请输入消息…", ">发送</button>", "暂时无法咨询"}
)

func speaks(t *testing.T, what, page string, words []string) {
	t.Helper()
	for _, w := range words {
		if !strings.Contains(page, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, page)
		}
	}
}

// TestWidgetSpeaksItsVisitorsLanguage: the widget's page is in the
// language its site fixes, else the one its embed line asks for (?lang=),
// else the visitor's browser's; a socket opened from it speaks the same.
func TestWidgetSpeaksItsVisitorsLanguage(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	open, _ := k.newSite("Shop", "https://shop.example.com")
	fixed, _ := k.newSite("店铺", "https://dianpu.example.com")
	fixed.Language = "zh-CN"
	if _, err := k.db.UpdateSite(ctx, 0, fixed); err != nil {
		t.Fatal(err)
	}
	english, _ := k.newSite("Store", "https://store.example.com")
	english.Language = "en"
	if _, err := k.db.UpdateSite(ctx, 0, english); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name, path, accept string
		words              []string
		live               string // the socket's URL on the page
	}{
		{"no language asked", fmt.Sprintf("/widget?site=%d", open.ID), "", widgetInEnglish, `data-live="/widget/live"`},
		{"a Chinese browser", fmt.Sprintf("/widget?site=%d", open.ID), "zh-CN,zh;q=0.9,en;q=0.5", widgetInChinese, `data-live="/widget/live"`},
		{"a Chinese browser, no site", "/widget", "zh", widgetInChinese, `data-live="/widget/live"`},
		{"the site fixes Chinese", fmt.Sprintf("/widget?site=%d", fixed.ID), "en-US,en;q=0.9", widgetInChinese, `data-live="/widget/live?lang=zh-CN"`},
		{"the site fixes English", fmt.Sprintf("/widget?site=%d&lang=zh-CN", english.ID), "zh-CN", widgetInEnglish, `data-live="/widget/live?lang=en"`},
		{"the embed line asks for Chinese", fmt.Sprintf("/widget?site=%d&lang=zh-CN", open.ID), "en", widgetInChinese, `data-live="/widget/live?lang=zh-CN"`},
		{"the embed line asks for what kefu does not speak", fmt.Sprintf("/widget?site=%d&lang=fr", open.ID), "zh-CN", widgetInChinese, `data-live="/widget/live"`},
	} {
		page := k.widgetPage(c.path, c.accept)
		speaks(t, c.name, page, append(c.words, c.live))
	}

	// Aimed at another person, the widget stays in its site's language.
	if aimed := k.widgetPage(fmt.Sprintf("/widget/aim?site=%d&to=0", fixed.ID), "en"); !strings.Contains(aimed, "联系客服") {
		t.Errorf("the aimed widget of a Chinese site is not in Chinese:\n%s", aimed)
	}
	// A page framed where its site does not allow it says so in the site's language.
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/widget?site=%d", k.srv.URL, fixed.ID), nil)
	req.Header.Set("Sec-Fetch-Dest", "iframe")
	req.Header.Set("Referer", "https://elsewhere.example.com/")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	refused, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(refused), "https://elsewhere.example.com 不在允许显示它的网站之列") {
		t.Errorf("the refusal is %s, not in Chinese:\n%s", resp.Status, refused)
	}
}

// TestWidgetSocketSpeaksItsPagesLanguage: the frames a widget's socket
// renders, on its writer and from the hub's events, are in the language its
// page chose: the one its URL names, else its browser's.
func TestWidgetSocketSpeaksItsPagesLanguage(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	dial := func(path, accept string) *socket {
		t.Helper()
		opts := widgetDial(k, k.visitorToken())
		if accept != "" {
			opts.HTTPHeader.Set("Accept-Language", accept)
		}
		s, _, err := k.dial(path, opts)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, c := range []struct {
		name, path, accept string
		nobody, closed     string
	}{
		{"a Chinese browser", "/widget/live", "zh-CN,zh;q=0.9", "目前没有客服在线。", "暂时无法在线咨询，请稍后再来。"},
		{"a page in Chinese", "/widget/live?lang=zh-CN", "en", "目前没有客服在线。", "暂时无法在线咨询，请稍后再来。"},
		{"an English browser", "/widget/live", "en-GB", "No one is available right now.", "Chat is unavailable right now."},
	} {
		v := dial(c.path, c.accept)
		v.send(map[string]any{"type": "resume"})
		v.waitFor(`data-target="#queue-status"`)
		v.send(map[string]any{"type": "send", "client_msg_id": "m1", "body": "你好", "email": "ada@example.com"})
		if got := v.waitFor(`data-ack="m1"`); strings.Contains(got, "data-refused") {
			t.Fatalf("%s: the message was refused:\n%s", c.name, got)
		}
		// Nobody is online: the queue status the hub's event brings.
		v.waitFor(c.nobody)
		list, err := k.db.AgentList(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Chat closes: the notice the settings' event brings.
		if err := k.db.SetAgentList(ctx, 0, chat.AgentList{Unrestricted: true}); err != nil {
			t.Fatal(err)
		}
		if got := v.waitFor(`data-testid="unavailable"`); !strings.Contains(got, c.closed) {
			t.Errorf("%s: the notice is not %q:\n%s", c.name, c.closed, got)
		}
		if err := k.db.SetAgentList(ctx, 0, list); err != nil {
			t.Fatal(err)
		}
		v.waitFor(`data-target="#availability" data-swap="innerHTML"></template>`)
	}
}

// TestWidgetScriptCarriesTheLaunchersWords: widget.js brings the launcher's
// words in every language kefu speaks, and passes the embed line's
// data-lang on to the widget's page.
func TestWidgetScriptCarriesTheLaunchersWords(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	_, js := k.browser().get("/widget.js")
	for _, want := range []string{`"zh-CN":{"close":"关闭","dismiss":"关闭提示","frame":"在线客服","newMessage":"新消息","open":"在线客服","unread":"未读消息：{n}"}`,
		`"en":{"close":"Close","dismiss":"Dismiss","frame":"Chat","newMessage":"New message","open":"Chat","unread":"Unread messages: {n}"}`,
		`fallback = "en";`, `"lang=" + encodeURIComponent(opts.lang)`} {
		if !strings.Contains(js, want) {
			t.Errorf("widget.js lacks %s", want)
		}
	}
	if strings.Contains(js, "var words = {},") {
		t.Error("widget.js is served without the launcher's words")
	}
}

// TestSitesPageSavesTheLanguage: the admin fixes a site's language on the
// Sites page, sees it chosen there and in the embed line, and may give it
// back to each visitor's browser; a language kefu does not speak is refused.
func TestSitesPageSavesTheLanguage(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	b := k.agent()
	_, page := b.get("/admin/sites")
	if !strings.Contains(page, `<option value="" selected>Each visitor&#39;s browser</option>`) &&
		!strings.Contains(page, `<option value="" selected>Each visitor's browser</option>`) {
		t.Fatalf("a new site does not follow each visitor's browser by default:\n%s", page)
	}
	form := url.Values{"name": {"店铺"}, "origins": {"https://dianpu.example.com"}, "colour": {"#2563eb"},
		"prechat_name": {"off"}, "prechat_email": {"off"}, "language": {"zh-CN"}, "_csrf": {b.csrf("/admin/sites")}}
	if resp, body := b.post("/admin/sites", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("adding a site: %s\n%s", resp.Status, body)
	}
	sites, err := k.db.Sites(ctx)
	if err != nil || len(sites) != 1 || sites[0].Language != "zh-CN" {
		t.Fatalf("sites = %+v, %v; want one in zh-CN", sites, err)
	}
	site := sites[0]
	_, page = b.get("/admin/sites")
	if !strings.Contains(page, `<option value="zh-CN" lang="zh-CN" selected>简体中文</option>`) {
		t.Fatalf("the Sites page does not show the site's language:\n%s", page)
	}
	if !strings.Contains(page, fmt.Sprintf(`data-site=&#34;%d&#34; data-lang=&#34;zh-CN&#34; async`, site.ID)) &&
		!strings.Contains(page, fmt.Sprintf(`data-site="%d" data-lang="zh-CN" async`, site.ID)) {
		t.Fatalf("the embed line does not name the site's language:\n%s", page)
	}

	// An admin whose browser reads Chinese gets the page in Chinese.
	if _, zh := b.send(http.MethodGet, "/admin/sites", nil, http.Header{"Accept-Language": {"zh-CN"}}); !strings.Contains(zh, `<html lang="zh-CN"`) ||
		!strings.Contains(zh, "跟随访客的浏览器") || !strings.Contains(zh, "将下面这行代码粘贴到该网站的页面中：") {
		t.Fatalf("the Sites page is not in Chinese:\n%s", zh)
	}

	update := fmt.Sprintf("/admin/sites/%d", site.ID)
	form.Set("language", "fr")
	if resp, _ := b.post(update, form); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a language kefu does not speak: %s, want 400", resp.Status)
	}
	if got, _ := k.db.Site(ctx, site.ID); got.Language != "zh-CN" {
		t.Fatalf("a refused form changed the language to %q", got.Language)
	}
	form.Set("language", "")
	if resp, body := b.post(update, form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving a site: %s\n%s", resp.Status, body)
	}
	if got, _ := k.db.Site(ctx, site.ID); got.Language != "" {
		t.Fatalf("the site's language is %q, want each visitor's browser", got.Language)
	}
}

// TestWidgetRefusalsSpeakTheReadersLanguage: a refusal the widget shows,
// such as an identity exchange it cannot read, says its message in the
// language the widget asks for, while its error code stays English.
func TestWidgetRefusalsSpeakTheReadersLanguage(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	for _, c := range []struct{ accept, body, message string }{
		{"zh-CN", "{", "请求不是 kefu 所需的 JSON 格式。"},
		{"zh-CN", `{"site": 999, "token": "x"}`, "没有这个站点。"},
		{"", "{", "The request is not the JSON kefu expects."},
	} {
		req, _ := http.NewRequest(http.MethodPost, k.srv.URL+"/widget/identify", strings.NewReader(c.body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		if c.accept != "" {
			req.Header.Set("Accept-Language", c.accept)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var got struct{ Error, Message string }
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusBadRequest || got.Error != "invalid" || got.Message != c.message {
			t.Errorf("%s %s: %s %+v (%v), want 400 invalid %q", c.accept, c.body, resp.Status, got, err, c.message)
		}
	}
}
