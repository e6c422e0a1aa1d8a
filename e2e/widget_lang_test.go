package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
)

// TestWidgetInChinese: a host page whose embed line asks for Chinese
// (data-lang="zh-CN") gets a launcher and a widget in Chinese, in an
// English-speaking browser; the widget's fields (nobody is online: the
// offline form asks for the email too, optional while kefu's email is
// off), placeholders and the
// queue status its socket sends are Chinese, a visitor writes in Chinese,
// and the layout holds: the pre-chat fields take a full row each, Send
// stays beside the message box and nothing is wider than the widget.
func TestWidgetInChinese(t *testing.T) {
	t.Parallel() // its own kefu and browser
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	base, db, _ := kefuOnOwnDatabase(t, ctx, "widget-zh")
	var siteID int64
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		lang := ` data-lang="zh-CN"`
		if r.URL.Path == "/plain" { // an embed line from before the site fixed its language
			lang = ""
		}
		fmt.Fprintf(w, `<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>园艺插件</title></head>
<body style="margin: 48px">
<h1>园艺插件</h1>
<script src="%s/widget.js" data-site="%d"%s async></script>
</body></html>`, base, siteID, lang)
	}))
	t.Cleanup(host.Close)
	hostURL := strings.Replace(host.URL, "127.0.0.1", "localhost", 1) + "/"
	site, err := db.CreateSite(ctx, 0, chat.Site{Name: "园艺插件", Origins: []string{strings.TrimSuffix(hostURL, "/")},
		PrechatName: chat.FieldRequired, PrechatEmail: chat.FieldOptional}, auth.NewToken())
	if err != nil {
		t.Fatal(err)
	}
	siteID = site.ID

	browser := startBrowser(t, ctx)
	visitor, widget := openWidget(t, browser, hostURL)
	defer screenshot(t, visitor, "widget-zh.png")
	do(t, visitor, "the launcher says close in Chinese", hasText(`button[data-kefu-launcher] span`, "关闭"),
		until(`document.querySelector("iframe[data-kefu-frame]").title === "在线客服"`))
	do(t, widget, "the widget is in Chinese",
		until(`document.documentElement.lang === "zh-CN"`),
		hasText(`[data-testid=widget-title]`, "联系客服"),
		hasText(sendBtn, "发送"),
		until(`document.querySelector("[data-testid=composer]").placeholder === "请输入消息…" &&
			document.querySelector("[data-testid=prechat-name]").placeholder === "您的姓名" &&
			document.querySelector("[data-testid=prechat-email]").placeholder === "您的邮箱（选填）"`))

	var layout struct {
		Name, Email, Text, Send box
		Width, Page             float64
	}
	if err := json.Unmarshal([]byte(get(t, widget, "the widget's layout", chromedp.Evaluate[string](`(() => { `+boxesJS+`
		return JSON.stringify({Name: box("[data-testid=prechat-name]"), Email: box("[data-testid=prechat-email]"),
			Text: box("textarea[data-testid=composer]"), Send: box("[data-testid=send]"),
			Width: document.documentElement.clientWidth, Page: document.documentElement.scrollWidth});
	})()`))), &layout); err != nil {
		t.Fatal(err)
	}
	row := layout.Send.Right - layout.Text.Left
	for name, field := range map[string]box{"name": layout.Name, "email": layout.Email} {
		if field.Width < row-1 || field.Bottom > layout.Text.Top {
			t.Errorf("the pre-chat %s field (%+v) is not a full row above the message box (%+v)", name, field, layout.Text)
		}
	}
	if layout.Send.Left < layout.Text.Right || layout.Send.Top > layout.Text.Bottom {
		t.Errorf("发送 (%+v) is not beside the message box (%+v)", layout.Send, layout.Text)
	}
	if layout.Page > layout.Width {
		t.Errorf("the widget is %.0f px wide in a frame of %.0f px", layout.Page, layout.Width)
	}

	do(t, widget, "the visitor writes in Chinese",
		chromedp.SendKeys(chromedp.CSS(`[data-testid=prechat-name]`), "李雷"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=prechat-email]`), "lilei@example.com"),
		chromedp.SendKeys(chromedp.CSS(composer), "你好，雨量计在雪天也能用吗？"),
		chromedp.Click(chromedp.CSS(sendBtn)),
		hasText(stored, "你好，雨量计在雪天也能用吗？"),
		hasText(`#queue-status`, "目前没有客服在线。请在此留言，客服回来后会尽快回复您。"))
	var name string
	if err := db.Pool().QueryRow(ctx, "SELECT display_name(u) FROM users u WHERE kind = 'visitor'").Scan(&name); err != nil || name != "李雷" {
		t.Fatalf("the visitor's name is %q (%v), want 李雷", name, err)
	}

	// The site fixes Chinese; a page whose embed line names no language
	// shows the browser's launcher until the chat opens, then the chat's.
	site.Language = "zh-CN"
	if _, err := db.UpdateSite(ctx, 0, site); err != nil {
		t.Fatal(err)
	}
	plain, _ := openWidget(t, browser, hostURL+"plain")
	defer screenshot(t, plain, "widget-zh-site.png")
	do(t, plain, "the launcher follows the chat's language", hasText(`button[data-kefu-launcher] span`, "关闭"))
}
