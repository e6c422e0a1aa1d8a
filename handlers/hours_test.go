package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kefu-im/kefu/app"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/outbox/outboxtest"
	"github.com/kefu-im/kefu/store/storetest"
)

// TestSiteHoursForm: an admin sets a site's business hours and
// auto-replies on the Sites page; bad hours are refused with a sentence
// that says what is wrong, and change nothing. A day that closes at 00:00
// closes at midnight, at the day's end, and shows so to be saved again; one
// that closes before it opens closes the next day.
func TestSiteHoursForm(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	site, _ := k.newSite("Shop", "https://shop.example.com")
	b := k.agent()
	path := fmt.Sprintf("/admin/sites/%d/hours", site.ID)
	form := url.Values{"_csrf": {b.csrf("/admin/sites")}, "zone": {"Asia/Shanghai"},
		"open_1": {"09:00"}, "close_1": {"18:00"}, "open_5": {"10:00"}, "close_5": {"16:30"},
		"open_3": {"20:00"}, "close_3": {"00:00"}, "open_0": {"00:00"}, "close_0": {"00:00"}, "open_6": {"22:00"}, "close_6": {"02:00"},
		"holidays": {"2026-12-25\n2026-10-01"}, "wait_minutes": {"3"},
		"waiting_en": {"Hold on <please>"}, "waiting_zh": {"请稍候"}, "outside_en": {""}, "outside_zh": {"已下班"}}
	if resp, body := b.post(path, form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving hours: %s\n%s", resp.Status, body)
	}
	want := chat.Hours{Zone: "Asia/Shanghai", Holidays: []string{"2026-10-01", "2026-12-25"}, WaitMinutes: 3,
		Waiting: chat.Replies{EN: "Hold on <please>", ZH: "请稍候"}, Outside: chat.Replies{ZH: "已下班"}}
	want.Days[time.Monday] = chat.DayHours{Open: 540, Close: 1080}
	want.Days[time.Friday] = chat.DayHours{Open: 600, Close: 990}
	want.Days[time.Wednesday] = chat.DayHours{Open: 1200, Close: 24 * 60}
	want.Days[time.Sunday] = chat.DayHours{Open: 0, Close: 24 * 60}
	want.Days[time.Saturday] = chat.DayHours{Open: 22 * 60, Close: 2 * 60}
	if got, err := k.db.SiteHours(ctx, site.ID); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("hours = %+v, %v; want %+v", got, err, want)
	}
	_, page := b.get("/admin/sites")
	for _, s := range []string{`name="open_1" value="09:00"`, `name="close_5" value="16:30"`, `name="open_2" value=""`,
		`name="open_3" value="20:00"`, `name="close_3" value="00:00"`, `name="open_0" value="00:00"`, `name="close_0" value="00:00"`,
		`name="open_6" value="22:00"`, `name="close_6" value="02:00"`, "22:00 to 06:00, a night shift",
		"2026-10-01\n2026-12-25</textarea>", `value="Hold on &lt;please&gt;"`, "Business hours and auto-replies"} {
		if !strings.Contains(page, s) {
			t.Fatalf("the Sites page does not show %q:\n%s", s, page)
		}
	}
	// Saved again as the page shows them, or with midnight typed as 24:00,
	// the hours stay as they are.
	for _, shut := range []string{"00:00", "24:00"} {
		again := url.Values{}
		for k, v := range form {
			again[k] = v
		}
		again.Set("close_3", shut)
		if resp, body := b.post(path, again); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("saving hours again with a close of %s: %s\n%s", shut, resp.Status, body)
		}
		if got, err := k.db.SiteHours(ctx, site.ID); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("saved again with a close of %s, hours = %+v, %v; want %+v", shut, got, err, want)
		}
	}

	for _, c := range []struct{ field, value, says string }{
		{"zone", "Mars/Olympus", `&#34;Mars/Olympus&#34; is not a time zone such as Asia/Shanghai.`},
		{"close_1", "09:00", "A day opens before 24:00 and closes at another time than it opens: 09:00 to 09:00 does not."},
		{"open_1", "24:00", "A day opens before 24:00 and closes at another time than it opens: 24:00 to 18:00 does not."},
		{"open_1", "9am", `&#34;9am&#34; is not a time such as 09:00.`},
		{"holidays", "2026-12-32", `&#34;2026-12-32&#34; is not a date such as 2026-12-25.`},
		{"wait_minutes", "soon", "The wait before the auto-reply is 0 to 1440 minutes."},
	} {
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set(c.field, c.value)
		resp, body := b.post(path, bad)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, c.says) {
			t.Fatalf("%s %q: %s, want 400 saying %q\n%s", c.field, c.value, resp.Status, c.says, body)
		}
		if got, _ := k.db.SiteHours(ctx, site.ID); !reflect.DeepEqual(got, want) {
			t.Fatalf("refused hours (%s %q) changed them: %+v", c.field, c.value, got)
		}
	}
	// In Chinese for an admin who reads it.
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("zone", "Mars/Olympus")
	if _, body := b.send(http.MethodPost, path, bad, http.Header{"Accept-Language": {"zh-CN"}}); !strings.Contains(body, "不是有效的时区") {
		t.Fatalf("the refusal is not in Chinese:\n%s", body)
	}
	// Without the form's token, nothing.
	form.Del("_csrf")
	form.Set("zone", "Europe/Paris")
	if resp, _ := b.post(path, form); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("hours without a CSRF token: %s, want 403", resp.Status)
	}
	if got, _ := k.db.SiteHours(ctx, site.ID); got.Zone != "Asia/Shanghai" {
		t.Fatalf("hours without a CSRF token changed the zone to %q", got.Zone)
	}
}

// TestWidgetOutsideBusinessHours: outside its site's hours the widget says
// when the team is back, in the visitor's language and the site's zone
// (with its offset from UTC), and asks for an email as it does when nobody
// is available, even with an agent on duty: optional, unless the site
// requires it. The visitor's chat still queues, and the visitor hears each
// auto-reply once, live: the outside-hours one in the site's words when the
// chat starts, the waiting one in the catalog's, the wait after the team
// is back and not before.
func TestWidgetOutsideBusinessHours(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	alex := k.agent()
	alex.onDuty(k.adminID())
	plain, _ := k.newSite("Open shop", "https://open.example.com")
	site, _ := k.newSite("Shop", "https://shop.example.com")
	site.OfflineMessage = "Leave us a note"
	if _, err := k.db.UpdateSite(ctx, 0, site); err != nil {
		t.Fatal(err)
	}
	// Open 09:00 to 17:00 in Shanghai, three days from today there only.
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(sh)
	opens := time.Date(today.Year(), today.Month(), today.Day()+3, 9, 0, 0, 0, sh)
	h := chat.Hours{Zone: "Asia/Shanghai", WaitMinutes: 2, Outside: chat.Replies{EN: "We are closed <now>", ZH: "我们已下班"}}
	h.Days[opens.Weekday()] = chat.DayHours{Open: 540, Close: 1020}
	if err := k.db.SetSiteHours(ctx, 0, site.ID, h); err != nil {
		t.Fatal(err)
	}

	back := fmt.Sprintf("We&#39;re back %s 09:00 (UTC+8).", opens.Weekday())
	_, page := k.browser().get(fmt.Sprintf("/widget?site=%d", site.ID))
	if !strings.Contains(page, back) || !strings.Contains(page, `data-testid="prechat-email"`) {
		t.Fatalf("outside hours, the widget does not say %q and ask for an email:\n%s", back, page)
	}
	zhDays := []string{"星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"}
	if _, zh := k.browser().send(http.MethodGet, fmt.Sprintf("/widget?site=%d", site.ID), nil, http.Header{"Accept-Language": {"zh-CN"}}); !strings.Contains(zh, "我们将于"+zhDays[opens.Weekday()]+" 09:00（UTC+8）回来。") {
		t.Fatalf("the notice is not in Chinese:\n%s", zh)
	}
	if _, open := k.browser().get(fmt.Sprintf("/widget?site=%d", plain.ID)); strings.Contains(open, "We&#39;re back") || strings.Contains(open, `data-testid="prechat-email"`) {
		t.Fatalf("a site without hours says it is closed or asks for an email:\n%s", open)
	}

	// Nobody takes chats now: this one waits in the queue.
	if err := k.db.SetCapacity(ctx, k.adminID(), 0); err != nil {
		t.Fatal(err)
	}
	v, token := k.siteWidget(site)
	if got := v.all(); !strings.Contains(got, back) || !strings.Contains(got, `data-testid="prechat-email"`) {
		t.Fatalf("the widget's socket does not say when the team is back:\n%s", got)
	}
	if got := v.all(); strings.Contains(got, `aria-label="Your email" required`) {
		t.Fatalf("outside hours, with email off, the widget requires the email:\n%s", got)
	}
	v.send(map[string]any{"type": "send", "client_msg_id": "h1", "body": "anyone there?"})
	if got := v.waitFor(`data-ack="h1"`); strings.Contains(got, "data-refused") {
		t.Fatalf("outside hours, a message without an email was refused:\n%s", got)
	}
	v.waitFor("Leave us a note")
	conv := visitorConversation(t, k.db, token)
	if conv.Status != chat.Queued {
		t.Fatalf("the chat is %s, want queued", conv.Status)
	}
	// Every instance's round sends it too: whichever comes first, once.
	if _, err := k.db.AutoReply(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	v.waitFor("We are closed &lt;now&gt;")
	// Its wait passes while the team is away: nothing; the wait after the
	// team is back: the waiting reply.
	if _, err := k.db.AutoReply(ctx, time.Now().Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	early, err := k.db.MessagesAfter(ctx, conv.ID, 0, 50, chat.ReaderVisitor)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range early {
		if m.Code == chat.LineAutoWaiting {
			t.Fatalf("outside hours, the chat heard the waiting reply: %+v", m)
		}
	}
	if _, err := k.db.AutoReply(ctx, opens.Add(2*time.Minute+time.Second)); err != nil {
		t.Fatal(err)
	}
	v.waitFor("Thank you for waiting.")
	msgs, err := k.db.MessagesAfter(ctx, conv.ID, 0, 50, chat.ReaderVisitor)
	if err != nil {
		t.Fatal(err)
	}
	var codes []chat.SystemCode
	for _, m := range msgs {
		if m.Type == chat.System {
			codes = append(codes, m.Code)
		}
	}
	if !reflect.DeepEqual(codes, []chat.SystemCode{chat.LineAutoOutside, chat.LineAutoWaiting}) {
		t.Fatalf("the visitor's lines = %v, want each auto-reply once", codes)
	}

	// A site that requires the email requires it outside its hours too.
	site.PrechatEmail = chat.FieldRequired
	if _, err := k.db.UpdateSite(ctx, 0, site); err != nil {
		t.Fatal(err)
	}
	if _, page := k.browser().get(fmt.Sprintf("/widget?site=%d", site.ID)); !strings.Contains(page, `aria-label="Your email" required`) {
		t.Fatalf("outside hours, a site that requires the email does not:\n%s", page)
	}
}

// TestWidgetHoursLive: a widget left open when its site's team opens
// switches from the offline form to the chat composer, and back when the
// team closes, saying when it is back; and at once when an admin changes
// the hours. Nothing reloads: the switch arrives on the open socket.
func TestWidgetHoursLive(t *testing.T) {
	t.Parallel()
	clock := &outboxtest.Clock{}
	k := startWith(t, storetest.URL(t), func(c *app.Config) { c.Now = clock.Now })
	k.ensureAgent()
	ctx := context.Background()
	k.agent().onDuty(k.adminID())
	site, _ := k.newSite("Shop", "https://shop.example.com")
	// Every day, open from an hour from now for an hour, in UTC.
	now := clock.Now().UTC()
	opens := now.Truncate(time.Minute).Add(time.Hour)
	closes := opens.Add(time.Hour)
	h := chat.Hours{Zone: "UTC"}
	for d := range h.Days {
		h.Days[d] = chat.DayHours{Open: opens.Hour()*60 + opens.Minute(), Close: closes.Hour()*60 + closes.Minute()}
	}
	if err := k.db.SetSiteHours(ctx, 0, site.ID, h); err != nil {
		t.Fatal(err)
	}
	v, _ := k.siteWidget(site)
	back := fmt.Sprintf("We&#39;re back %s %s (UTC).", opens.Weekday(), opens.Format("15:04"))
	if got := v.all(); !strings.Contains(got, back) || !strings.Contains(got, `data-testid="prechat-email"`) {
		t.Fatalf("before the opening, the widget does not say %q and ask for an email:\n%s", back, got)
	}

	clock.Advance(opens.Sub(now))
	waitOpen(v) // once the team opened

	clock.Advance(time.Hour)
	tomorrow := opens.AddDate(0, 0, 1)
	back = fmt.Sprintf("We&#39;re back %s %s (UTC).", tomorrow.Weekday(), tomorrow.Format("15:04"))
	// The hours and the pre-chat fields may come in one frame, or the fields
	// first, when the agent's presence lapsed as the clock jumped two hours.
	v.waitForAll(back)
	if prechat := lastTarget(v.frames, "#prechat"); !strings.Contains(prechat, `data-testid="prechat-email"`) {
		t.Fatalf("once the team closed, the widget says %q but does not ask for an email:\n%s", back, strings.Join(v.frames, "\n"))
	}

	// The admin opens the site round the clock: the widget switches at once.
	for d := range h.Days {
		h.Days[d] = chat.DayHours{Open: 0, Close: 24 * 60}
	}
	if err := k.db.SetSiteHours(ctx, 0, site.ID, h); err != nil {
		t.Fatal(err)
	}
	waitOpen(v)
}

// waitOpen waits until the widget shows its site open: hours that say
// nothing of when the team is back, and pre-chat fields that ask for no
// email. The hours and the fields may come in one frame or in two (a
// change of the agent's presence sends the fields too), in either order.
func waitOpen(v *socket) {
	v.t.Helper()
	for strings.Contains(lastTarget(v.frames, "#hours"), "We&#39;re back") ||
		strings.Contains(lastTarget(v.frames, "#prechat"), `data-testid="prechat-email"`) {
		v.waitForAll(`<template data-target="`)
	}
}

// lastTarget is what the last of frames that swaps target put there.
func lastTarget(frames []string, target string) string {
	open := `<template data-target="` + target + `"`
	for i := len(frames) - 1; i >= 0; i-- {
		if _, rest, ok := strings.Cut(frames[i], open); ok {
			inner, _, _ := strings.Cut(rest, "</template>")
			return inner
		}
	}
	return ""
}
