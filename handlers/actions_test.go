package handlers_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

// inChinese is what a browser that reads Chinese sends, beside h.
func inChinese(h http.Header) http.Header {
	h = h.Clone()
	h.Set("Accept-Language", "zh-CN")
	return h
}

func TestAdminLabelsPage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := newKefu(t)
	alex := k.agent()
	alex.adminPost("/admin/labels", url.Values{"name": {"Billing"}, "color": {"#2563EB"}}, "/admin/labels")
	_, page := alex.get("/admin/labels")
	if testidText(page, "notice") != "Label Billing added." || !strings.Contains(page, `value="Billing"`) || !strings.Contains(page, `value="#2563eb"`) {
		t.Fatalf("the labels page does not list the new label:\n%s", page)
	}
	labels, err := k.db.Labels(ctx)
	if err != nil || len(labels) != 1 {
		t.Fatalf("labels = %+v, %v", labels, err)
	}
	id := labels[0].ID

	// Bad names and colours are refused, in the admin's language, and change nothing.
	csrf := alex.csrf("/admin/labels")
	for _, c := range []struct {
		form   url.Values
		en, zh string
	}{
		{url.Values{"name": {"billing"}, "color": {"#000000"}}, "There is a label named “billing” already.", "已有名为“billing”的标签。"},
		{url.Values{"name": {"VIP"}, "color": {"gold"}}, "A label's colour is a colour such as #2563eb.", "标签颜色须为 #2563eb 这样的颜色值。"},
		{url.Values{"name": {strings.Repeat("x", 41)}, "color": {"#000000"}}, "A label's name is 1 to 40 characters.", "标签名称为 1 到 40 个字符。"},
	} {
		c.form.Set("_csrf", csrf)
		for _, lang := range []struct {
			header http.Header
			want   string
		}{{http.Header{}, c.en}, {inChinese(http.Header{}), c.zh}} {
			resp, body := alex.postWith("/admin/labels", c.form, lang.header)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(html.UnescapeString(body), lang.want) {
				t.Fatalf("%v: %s, want 400 saying %q", c.form, resp.Status, lang.want)
			}
		}
	}
	if n := k.count("SELECT count(*) FROM labels"); n != 1 {
		t.Fatalf("refused labels were stored: %d labels", n)
	}

	// Renamed and recoloured; deleted once confirmed.
	alex.adminPost(fmt.Sprintf("/admin/labels/%d", id), url.Values{"name": {"Payments"}, "color": {"#00aa00"}}, "/admin/labels")
	if _, page := alex.get("/admin/labels"); testidText(page, "notice") != "Label Payments saved." || !strings.Contains(page, `value="#00aa00"`) {
		t.Fatal("the label was not renamed and recoloured")
	}
	resp, body := alex.post(fmt.Sprintf("/admin/labels/%d/delete", id), url.Values{"_csrf": {csrf}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Delete the label Payments?") {
		t.Fatalf("a delete is not asked to be confirmed: %s", resp.Status)
	}
	alex.adminPost(fmt.Sprintf("/admin/labels/%d/delete", id), url.Values{"confirm": {"1"}}, "/admin/labels")
	if n := k.count("SELECT count(*) FROM labels"); n != 0 {
		t.Fatal("the label was not deleted")
	}
	// Each change is in the audit log.
	if _, audit := alex.get("/admin/audit"); !strings.Contains(audit, "label.create") || !strings.Contains(audit, "label.update") || !strings.Contains(audit, "label.delete") {
		t.Fatal("the audit log lacks the labels' changes")
	}
}

func TestLabelsOnAChatInPlaceAndLive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := newKefu(t)
	k.addAgent("sam@example.com", "Sam", "sam password")
	k.addPlainMember("mia@example.com", "Mia", "mia password")
	alex, sam, mia := k.agent(), k.signInAs("sam@example.com", "sam password"), k.signInAs("mia@example.com", "mia password")
	vip, err := k.db.CreateLabel(ctx, k.firstAdminID(), chat.Label{Name: "VIP", Color: "#aa00aa"})
	if err != nil {
		t.Fatal(err)
	}
	id := queuedChat(t, k, "hello")
	chatPage := fmt.Sprintf("/console/c/%d", id)
	samLive := sam.console() // Sam watches the chat
	samLive.send(map[string]any{"type": "resume", "conversation_id": id})
	samLive.waitFor(`data-target="#conversation-list" data-swap="innerHTML"`)
	samVIP := sam.consoleAt(fmt.Sprintf("/console/live?view=all&label=%d", vip.ID)) // and all VIP chats
	samVIP.send(map[string]any{"type": "resume"})
	samVIP.waitFor(`data-target="#conversation-list" data-swap="innerHTML"`)
	item := fmt.Sprintf(`id="conv-%d"`, id)
	if _, page := alex.get(chatPage); !strings.Contains(page, `data-testid="label-choose"`) || !strings.Contains(page, ">VIP</option>") ||
		strings.Contains(page, `name="_csrf" value=""`) {
		t.Fatal("the chat's header offers no label picker, or one without the form's token")
	}

	// Added in place; Sam's console shows it too; a second add changes nothing.
	add := url.Values{"label": {fmt.Sprint(vip.ID)}, "_csrf": {alex.csrf("/console")}}
	chip := fmt.Sprintf(`data-testid="label-chip" data-label="%d"`, vip.ID)
	swap := fmt.Sprintf(`<template data-target="#chat-labels[data-conversation=&#34;%d&#34;]" data-swap="outerHTML">`, id)
	resp, body := alex.postWith(chatPage+"/labels", add, k.inPlace(chatPage))
	wantFragment(t, "a label added in place", resp, body, http.StatusOK, swap, chip)
	samLive.waitForAll(swap, chip)
	// The list of VIPs gains the chat, with its chip.
	if frame := samVIP.waitFor(`data-swap="sorted"`); !strings.Contains(frame, item) || !strings.Contains(frame, ">VIP<") {
		t.Fatalf("the list of VIP chats was not given the chat, with its label:\n%s", frame)
	}
	// A message moves the item; it still shows the label it has now.
	say := func(body string) string {
		t.Helper()
		if _, _, err := k.db.SendMessage(ctx, store.Send{ConversationID: id, SenderID: k.firstAdminID(), Body: body}); err != nil {
			t.Fatal(err)
		}
		samLive.skip()
		return samLive.waitFor(`data-swap="sorted"`)
	}
	if frame := say("one moment"); !strings.Contains(frame, item) || !strings.Contains(frame, ">VIP<") {
		t.Fatalf("a message moved the chat's item without its label:\n%s", frame)
	}
	resp, body = alex.postWith(chatPage+"/labels", add, asJSON)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"labels":["VIP"]`) {
		t.Fatalf("a second add: %s %s", resp.Status, body)
	}
	// Without JavaScript, back to the chat, which shows it.
	if resp, _ := alex.post(chatPage+"/labels", add); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != chatPage {
		t.Fatalf("a plain add: %s", resp.Status)
	}
	if _, page := alex.get(chatPage); !strings.Contains(page, chip) {
		t.Fatal("the chat's page does not show its label")
	}
	// An unknown label is refused in place, in the reader's language.
	bad := url.Values{"label": {"999999"}, "_csrf": add["_csrf"]}
	resp, body = alex.postWith(chatPage+"/labels", bad, k.inPlace(chatPage))
	wantFragment(t, "an unknown label", resp, body, http.StatusBadRequest, `class="refusal"`, "Choose a label from the list.")
	resp, body = alex.postWith(chatPage+"/labels", bad, inChinese(k.inPlace(chatPage)))
	wantFragment(t, "an unknown label, in Chinese", resp, body, http.StatusBadRequest, `class="refusal"`, "请从列表中选择标签。")

	// Removed in place, and live; a second removal changes nothing.
	remove := fmt.Sprintf("%s/labels/%d/remove", chatPage, vip.ID)
	resp, body = alex.postWith(remove, url.Values{"_csrf": add["_csrf"]}, k.inPlace(chatPage))
	wantFragment(t, "a label removed in place", resp, body, http.StatusOK, swap)
	if strings.Contains(body, chip) {
		t.Fatalf("the removed label is still shown:\n%s", body)
	}
	samLive.skip()
	if frame := samLive.waitFor(swap); strings.Contains(frame, chip) {
		t.Fatalf("Sam's console still shows the removed label:\n%s", frame)
	}
	samVIP.skip()
	samVIP.waitFor(fmt.Sprintf(`<template data-target="#conv-%d" data-swap="remove">`, id))
	if frame := say("still here"); !strings.Contains(frame, item) || strings.Contains(frame, ">VIP<") {
		t.Fatalf("after the label came off, a message moved the chat's item with it still on:\n%s", frame)
	}
	if resp, _ := alex.postWith(remove, url.Values{"_csrf": add["_csrf"]}, asJSON); resp.StatusCode != http.StatusOK {
		t.Fatalf("a second removal: %s", resp.Status)
	}

	// Agents only: a member who is not customer service is refused, and changes nothing.
	for _, path := range []string{chatPage + "/labels", remove} {
		resp, body := mia.postWith(path, url.Values{"label": {fmt.Sprint(vip.ID)}, "_csrf": {mia.csrf("/console")}}, k.inPlace("/console"))
		wantFragment(t, "Mia labels a chat", resp, body, http.StatusForbidden, "Only customer service can do that")
	}
	if n := k.count("SELECT count(*) FROM conversation_labels"); n != 0 {
		t.Fatalf("%d labels on chats after Mia's refused add", n)
	}
}

// TestResumeKeepsALabelBeingChosen: a console that reconnects and shows the
// open chat's labels as they are is not sent them again, which would undo a
// label being chosen in the picker; one that shows them otherwise is.
func TestResumeKeepsALabelBeingChosen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := newKefu(t)
	alex := k.agent()
	if _, err := k.db.CreateLabel(ctx, k.firstAdminID(), chat.Label{Name: "VIP", Color: "#aa00aa"}); err != nil {
		t.Fatal(err)
	}
	id := queuedChat(t, k, "hello")
	_, page := alex.get(fmt.Sprintf("/console/c/%d", id))
	m := regexp.MustCompile(`id="chat-labels"[^>]* data-labels="([^"]*)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the chat's labels panel says nothing of what it shows")
	}
	shown := html.UnescapeString(m[1])
	resume := func(labels string) string {
		t.Helper()
		c := alex.console()
		c.send(map[string]any{"type": "resume", "conversation_id": id, "chat_labels": labels})
		return c.waitFor(`data-target="#conversation-list" data-swap="innerHTML"`)
	}
	const swap = `data-target="#chat-labels`
	if frame := resume(shown); strings.Contains(frame, swap) {
		t.Fatalf("a console showing the labels as they are was sent them again:\n%s", frame)
	}
	if frame := resume("1:VIP:#aa00aa,;"); !strings.Contains(frame, swap) {
		t.Fatalf("a console showing other labels was not sent them:\n%s", frame)
	}
}

func TestSnoozeInPlaceAndTheWake(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := newKefu(t)
	k.addAgent("sam@example.com", "Sam", "sam password")
	k.addPlainMember("mia@example.com", "Mia", "mia password")
	alex, sam, mia := k.agent(), k.signInAs("sam@example.com", "sam password"), k.signInAs("mia@example.com", "mia password")
	alex.setState("away")
	sam.setState("away")
	alex.onDuty(k.adminID())
	token := k.visitorToken()
	visitor := k.liveWidget(token)
	visitor.send(map[string]any{"type": "send", "client_msg_id": "m1", "body": "please help"})
	visitor.waitFor(`data-ack="m1"`)
	id := visitorConversation(t, k.db, token).ID
	chatPage := fmt.Sprintf("/console/c/%d", id)
	snooze := chatPage + "/snooze"
	csrf := alex.csrf("/console")
	reply := url.Values{"preset": {chat.SnoozeReply}, "_csrf": {csrf}}

	// Queued: nothing to snooze yet.
	resp, body := alex.postWith(snooze, reply, k.inPlace(chatPage))
	wantFragment(t, "a queued chat snoozed", resp, body, http.StatusConflict, `class="refusal"`,
		"This chat is waiting in the queue: take it before you snooze it.")
	if resp, _ := alex.post(fmt.Sprintf("/console/queue/%d/take", id), url.Values{"_csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("take: %s", resp.Status)
	}
	if _, page := alex.get(chatPage); !strings.Contains(page, `data-testid="snooze-form"`) {
		t.Fatal("the agent who has the chat is offered no snooze")
	}
	if _, page := sam.get(chatPage); strings.Contains(page, `data-testid="snooze-form"`) {
		t.Fatal("Sam, who does not have the chat, is offered a snooze")
	}
	// Someone else's chat, a time past, a time too far: refused, in both languages.
	samForm := url.Values{"preset": {chat.SnoozeReply}, "_csrf": {sam.csrf("/console")}}
	resp, body = sam.postWith(snooze, samForm, k.inPlace(chatPage))
	wantFragment(t, "Sam snoozes Alex's chat", resp, body, http.StatusForbidden, "Only the agent who has this chat, or an admin, can snooze it.")
	resp, body = sam.postWith(snooze, samForm, inChinese(k.inPlace(chatPage)))
	wantFragment(t, "Sam snoozes Alex's chat, in Chinese", resp, body, http.StatusForbidden, "只有负责这个会话的客服或管理员才能暂缓它。")
	past := url.Values{"preset": {chat.SnoozeCustom}, "until": {time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15:04")}, "_csrf": {csrf}}
	resp, body = alex.postWith(snooze, past, k.inPlace(chatPage))
	wantFragment(t, "a time past", resp, body, http.StatusBadRequest, "That time has passed: choose a time ahead.")
	far := url.Values{"preset": {chat.SnoozeCustom}, "until": {time.Now().UTC().AddDate(1, 1, 0).Format("2006-01-02T15:04")}, "_csrf": {csrf}}
	resp, body = alex.postWith(snooze, far, inChinese(k.inPlace(chatPage)))
	wantFragment(t, "a time too far, in Chinese", resp, body, http.StatusBadRequest, "会话最多只能暂缓一年。")
	resp, body = mia.postWith(snooze, url.Values{"preset": {chat.SnoozeReply}, "_csrf": {mia.csrf("/console")}}, k.inPlace("/console"))
	wantFragment(t, "Mia snoozes", resp, body, http.StatusForbidden, "Only customer service can do that")
	if c, _ := k.db.Conversation(ctx, id); c.Snoozed() {
		t.Fatalf("a refused snooze changed the chat: %+v", c)
	}

	// Until the visitor writes: in place, the chat says so.
	alexLive := alex.console()
	alexLive.send(map[string]any{"type": "resume", "conversation_id": id})
	alexLive.waitFor(`data-target="#conversation-list" data-swap="innerHTML"`)
	resp, body = alex.postWith(snooze, reply, k.inPlace(chatPage))
	wantFragment(t, "a snooze in place", resp, body, http.StatusOK, chatStateSwap(id),
		`data-testid="snoozed">Snoozed until the visitor writes<`, "Snoozed until the visitor writes.")
	// The visitor writes: the chat wakes, Alex is told, and the visitor sees none of it.
	visitor.send(map[string]any{"type": "send", "client_msg_id": "m2", "body": "any news?"})
	visitor.waitFor(`data-ack="m2"`)
	alexLive.waitForAll(`data-testid="toast-woke"`, "is back from snooze.", "The visitor wrote: the snooze ended.")
	if c, _ := k.db.Conversation(ctx, id); c.Snoozed() {
		t.Fatalf("the visitor wrote and the chat still sleeps: %+v", c)
	}
	if strings.Contains(strings.ToLower(visitor.all()), "snooze") {
		t.Fatalf("the visitor was told of the snooze:\n%s", visitor.all())
	}

	// Until a time, in the agent's time zone; the waker wakes it once it is due.
	hour := url.Values{"preset": {chat.SnoozeTomorrow}, "tz": {"Asia/Shanghai"}, "_csrf": {csrf}}
	resp, body = alex.postWith(snooze, hour, k.inPlace(chatPage))
	wantFragment(t, "a snooze until tomorrow", resp, body, http.StatusOK, chatStateSwap(id), "09:00 CST.")
	alexLive.skip()
	woke, err := k.db.WakeDue(ctx, time.Now().Add(49*time.Hour))
	if err != nil || len(woke) != 1 || woke[0].ConversationID != id {
		t.Fatalf("WakeDue = %+v, %v", woke, err)
	}
	alexLive.waitForAll(`data-testid="toast-woke"`, "The snooze ended: the chat is back.")
}

func TestReopenInPlace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := newKefu(t)
	k.addPlainMember("mia@example.com", "Mia", "mia password")
	alex, mia := k.agent(), k.signInAs("mia@example.com", "mia password")
	alex.setState("away")
	alex.onDuty(k.adminID())
	id := queuedChat(t, k, "hello")
	chatPage := fmt.Sprintf("/console/c/%d", id)
	csrf := url.Values{"_csrf": {alex.csrf("/console")}}
	resp, body := alex.postWith(chatPage+"/reopen", csrf, k.inPlace(chatPage))
	wantFragment(t, "an open chat reopened", resp, body, http.StatusConflict, `class="refusal"`, "This chat is open already.")
	if resp, _ := alex.post(fmt.Sprintf("/console/queue/%d/take", id), csrf); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("take: %s", resp.Status)
	}
	if resp, _ := alex.post(chatPage+"/resolve", csrf); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("resolve: %s", resp.Status)
	}
	if _, page := alex.get(chatPage); !strings.Contains(page, `data-testid="reopen"`) {
		t.Fatal("a resolved chat offers no Reopen")
	}
	// At capacity: refused, in the agent's language.
	if err := k.db.SetCapacity(ctx, k.firstAdminID(), 0); err != nil {
		t.Fatal(err)
	}
	resp, body = alex.postWith(chatPage+"/reopen", csrf, inChinese(k.inPlace(chatPage)))
	wantFragment(t, "a reopening at capacity", resp, body, http.StatusConflict, "你已达到接待上限：请先结束一个会话，再重新打开其他会话。")
	alex.refusedBack(chatPage+"/reopen", chatPage, chatPage, url.Values{}, "You are at capacity: resolve one of your chats before you reopen another.")
	resp, body = mia.postWith(chatPage+"/reopen", url.Values{"_csrf": {mia.csrf("/console")}}, k.inPlace("/console"))
	wantFragment(t, "Mia reopens", resp, body, http.StatusForbidden, "Only customer service can do that")
	if c, _ := k.db.Conversation(ctx, id); c.Status != chat.Resolved {
		t.Fatalf("a refused reopening changed the chat: %+v", c)
	}
	if err := k.db.SetCapacity(ctx, k.firstAdminID(), 2); err != nil {
		t.Fatal(err)
	}
	resp, body = alex.postWith(chatPage+"/reopen", csrf, k.inPlace(chatPage))
	wantFragment(t, "a reopening in place", resp, body, http.StatusOK, chatStateSwap(id), "With Alex", `data-testid="resolve"`,
		"The chat is open again, and yours.")
}

func TestTransferToAnAgentOfflineIsRefused(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	kimID := k.addAgent("kim@example.com", "Kim", "kim password")
	alex := k.agent()
	alex.setState("away")
	alex.onDuty(k.adminID())
	if err := k.db.EnsureAgent(context.Background(), kimID); err != nil {
		t.Fatal(err)
	}
	id := queuedChat(t, k, "hello")
	chatPage := fmt.Sprintf("/console/c/%d", id)
	csrf := alex.csrf("/console")
	if resp, _ := alex.post(fmt.Sprintf("/console/queue/%d/take", id), url.Values{"_csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("take: %s", resp.Status)
	}
	// The picker says Kim is offline, and offers Kim greyed.
	if _, page := alex.get(chatPage); !strings.Contains(page, `disabled data-presence="offline" data-testid="transfer-option">Kim — offline<`) {
		t.Fatalf("the picker does not say Kim is offline:\n%s", page)
	}
	toKim := url.Values{"to": {fmt.Sprint(kimID)}, "_csrf": {csrf}}
	resp, body := alex.postWith(chatPage+"/transfer", toKim, k.inPlace(chatPage))
	wantFragment(t, "a transfer to an agent offline", resp, body, http.StatusConflict, `class="refusal"`,
		"That agent is offline: choose an agent who is online.")
	resp, body = alex.postWith(chatPage+"/transfer", toKim, inChinese(k.inPlace(chatPage)))
	wantFragment(t, "a transfer to an agent offline, in Chinese", resp, body, http.StatusConflict, "该客服不在线：请选择在线的客服。")
	// Kim opens a console: online now, and the transfer goes through.
	kim := k.signInAs("kim@example.com", "kim password")
	kimLive := kim.console()
	kimLive.send(map[string]any{"type": "resume"})
	kimLive.waitFor(`data-target="#conversation-list"`)
	// Kim's socket records her presence once it is open; the picker says so
	// from then on.
	for deadline := time.Now().Add(10 * time.Second); ; {
		_, page := alex.get(chatPage)
		if strings.Contains(page, "Kim — online, 0/5 chats") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the picker does not say Kim is online")
		}
	}
	resp, body = alex.postWith(chatPage+"/transfer", toKim, k.inPlace(chatPage))
	wantFragment(t, "a transfer to Kim, online", resp, body, http.StatusOK, "Transferred to Kim.")
}
