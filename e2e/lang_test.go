package e2e

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestLiveWordsInTheReadersLanguage: live.js speaks the page's language.
// For an agent who chose Chinese, its words are Chinese, and so are the
// relative times it keeps current: minutes ago, and a date as a Chinese
// reader writes it.
func TestLiveWordsInTheReadersLanguage(t *testing.T) {
	t.Parallel() // its own kefu and browser
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	base, db, _ := kefuOnOwnDatabase(t, ctx, "lang")
	agent, _, err := db.MemberByEmail(ctx, agentEmail)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetLanguage(ctx, agent.ID, "zh-CN"); err != nil {
		t.Fatal(err)
	}
	tab := newTab(t, startBrowser(t, ctx))
	signIn(t, tab, base, agentEmail, agentPassword)
	type words struct{ Lang, Sending, Retry, Minutes, Date string }
	got := get(t, tab, "live.js writes its words and times", chromedp.Evaluate[words](`(() => {
		const ago = new Date(Date.now() - 5 * 60000).toISOString();
		kefuLive.apply('<template data-target="body" data-swap="beforeend"><div class="msg">' +
			'<time data-rel id="e2e-minutes" datetime="' + ago + '"></time>' +
			'<time data-rel id="e2e-date" datetime="2026-01-02T09:30:00Z"></time></div></template>');
		return {Lang: document.documentElement.lang, Sending: kefuLive.say("live.sending"), Retry: kefuLive.say("live.retry"),
			Minutes: document.getElementById("e2e-minutes").textContent, Date: document.getElementById("e2e-date").textContent};
	})()`))
	want := words{Lang: "zh-CN", Sending: "发送中…", Retry: "重试", Minutes: "5 分钟前", Date: "1月2日"}
	if got != want {
		t.Fatalf("live.js says %+v, want %+v", got, want)
	}
}
