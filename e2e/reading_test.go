package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

// TestReadingAThread has an agent in Shanghai read a long support chat:
// each day of it starts with a line, at midnight in the reader's time zone,
// not the server's; a sender's messages a minute apart go under one name;
// a time's exact moment shows on hover in the reader's time zone; earlier
// messages load above without moving what the agent reads; and a message
// that comes while the agent is scrolled up is announced, not scrolled to.
// A new chat and each new message in it chime, until the agent turns the
// sound off; a toast can be dismissed.
func TestReadingAThread(t *testing.T) {
	t.Parallel() // its own kefu and browser
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	base, db, _ := kefuOnOwnDatabase(t, ctx, "reading")
	admin, _, err := db.MemberByEmail(ctx, agentEmail)
	if err != nil {
		t.Fatal(err)
	}
	visitor, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	first, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: visitor.ID, ClientMsgID: "v0", Body: "message 1"})
	if err != nil {
		t.Fatal(err)
	}
	// The admin has the chat before it is opened: routing adds nothing later.
	if err := db.EnsureAgent(ctx, admin.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.Take(ctx, first.ConversationID, admin.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	// Seq 2 says the admin joined; then up to 120 messages in runs of three from each side, to
	// 2026-11-20 20:00 UTC; the last three are the visitor's, a minute apart.
	// Midnight in Shanghai (16:00 UTC) falls before seq 112; the last page
	// opens at seq 71, or later when routing wrote lines of its own today.
	conv := first.ConversationID
	for _, q := range []string{
		`UPDATE messages SET created_at = '2026-11-20T20:00:00Z'::timestamptz - 119 * interval '30 minutes' WHERE conversation_id = $1 AND seq <= 2`,
		`INSERT INTO messages (conversation_id, seq, sender_id, type, body, created_at)
		SELECT $1, g, CASE WHEN g >= 118 OR (g / 3) % 2 = 0 THEN $2::bigint ELSE $3::bigint END, 'text', 'message ' || g,
			CASE WHEN g >= 118 THEN '2026-11-20T20:00:00Z'::timestamptz - (120 - g) * interval '1 minute'
			ELSE '2026-11-20T20:00:00Z'::timestamptz - (120 - g) * interval '30 minutes' END
		FROM generate_series(3, 120) g`,
		`UPDATE conversations SET last_seq = 120, last_message_at = '2026-11-20T20:00:00Z' WHERE id = $1`,
		`UPDATE conversation_activity SET last_message_at = '2026-11-20T20:00:00Z' WHERE conversation_id = $1`,
	} {
		args := []any{conv, visitor.ID, admin.ID}
		if q[0] == 'U' {
			args = args[:1]
		}
		if _, err := db.Pool().Exec(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}

	browser := startBrowser(t, ctx)
	tab := newTab(t, browser)
	defer screenshot(t, tab, "console-reading.png")
	do(t, tab, "the agent is in Shanghai", chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		_, err := cdp.Call(ctx, target, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Shanghai"})
		return err
	}))
	// The page notes each note of the chime it plays.
	if _, err := chromedp.Call(tab, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `{
			const start = AudioScheduledSourceNode.prototype.start;
			AudioScheduledSourceNode.prototype.start = function (...args) {
				(window.e2eChimes = window.e2eChimes || []).push(this.context.state);
				return start.apply(this, args);
			};
		}`}); err != nil {
		t.Fatal(err)
	}
	signIn(t, tab, base, agentEmail, agentPassword)
	do(t, tab, "the agent opens the chat",
		chromedp.Navigate(fmt.Sprintf("%s/console/c/%d", base, conv)),
		hasText(stored, "message 120"),
		until(`document.body.dataset.liveState === "open"`))

	// Routing may add a line of today's (the admin came online), after seq 120.
	days := get(t, tab, "the day lines", chromedp.Evaluate[[]struct {
		Text  string
		After int
	}](`Array.from(document.querySelectorAll("#messages li.day"), d => ({Text: d.textContent, After: +d.nextElementSibling.dataset.seq}))`))
	firstSeq := get(t, tab, "the page's first message", chromedp.Evaluate[int](`+document.querySelector("#messages li.msg").dataset.seq`))
	var before120 []string
	for _, d := range days {
		if d.After <= 120 {
			before120 = append(before120, fmt.Sprintf("%s before %d", d.Text, d.After))
		}
	}
	if want := fmt.Sprintf("[20 Nov before %d 21 Nov before 112]", firstSeq); fmt.Sprint(before120) != want {
		t.Errorf("the page from seq %d has day lines %v; want %s (midnight in Shanghai)", firstSeq, before120, want)
	}
	grouped := get(t, tab, "the grouped messages", chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll("#messages li.msg.grouped"), m => m.dataset.seq)`))
	if fmt.Sprint(grouped) != "[119 120]" {
		t.Errorf("grouped under the sender's name above: %v; want seq 119 and 120, a minute after the one before", grouped)
	}
	if title := get(t, tab, "the last time's title", chromedp.Evaluate[string](
		`document.querySelector('#messages li.msg[data-seq="120"] time').title`)); title != "2026-11-21 04:00 UTC+8" {
		t.Errorf("the last message's exact time reads %q, want 2026-11-21 04:00 UTC+8", title)
	}

	// At the top, the agent loads earlier messages: what they read stays put.
	offset := `(() => { const l = document.getElementById("messages"), m = l.querySelector('li.msg[data-seq="` + fmt.Sprint(firstSeq) + `"]');
		return Math.round(m.getBoundingClientRect().top - l.getBoundingClientRect().top); })()`
	do(t, tab, "the agent scrolls to the top",
		chromedp.Evaluate[chromedp.Void](`document.getElementById("messages").scrollTop = 0`),
		until(`document.getElementById("messages").scrollTop === 0`))
	before := get(t, tab, "the first message's place", chromedp.Evaluate[int](offset))
	do(t, tab, "the agent loads earlier messages",
		chromedp.Click(chromedp.CSS(`[data-testid=older]`)),
		hasText(stored, fmt.Sprintf("message %d", firstSeq-chat.PageSize)))
	if after := get(t, tab, "its place after", chromedp.Evaluate[int](offset)); after < before-2 || after > before+2 {
		t.Errorf("loading earlier messages moved seq %d from %d px to %d px in the thread", firstSeq, before, after)
	}

	// Scrolled up, the agent is told of a new message, and taken to it on request.
	top := get(t, tab, "the thread's scroll", chromedp.Evaluate[int](`document.getElementById("messages").scrollTop`))
	if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: visitor.ID, ClientMsgID: "v121", Body: "are you there?"}); err != nil {
		t.Fatal(err)
	}
	do(t, tab, "the new message is announced",
		hasText(stored, "are you there?"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=new-messages]`)))
	if now := get(t, tab, "the thread's scroll now", chromedp.Evaluate[int](`document.getElementById("messages").scrollTop`)); now != top {
		t.Errorf("a new message moved the thread from %d px to %d px while the agent read above", top, now)
	}
	screenshot(t, tab, "console-new-messages.png")
	do(t, tab, "the agent goes to it",
		chromedp.Click(chromedp.CSS(`[data-testid=new-messages]`)),
		until(`(l => l.scrollHeight - l.scrollTop - l.clientHeight < 80)(document.getElementById("messages"))`),
		chromedp.WaitNotVisible(chromedp.CSS(`[data-testid=new-messages]`)))

	// Another visitor's chat comes to the agent with a toast and a chime,
	// and so does each new message in it; the toast can be dismissed, and
	// the agent can turn the sound off.
	chimes := `(window.e2eChimes || []).length`
	do(t, tab, "the agent clicks in the console", chromedp.Click(chromedp.CSS(`[data-testid=me]`)))
	other, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	write := func(id, body string) int64 {
		t.Helper()
		m, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: other.ID, ClientMsgID: id, Body: body})
		if err != nil {
			t.Fatal(err)
		}
		return m.ConversationID
	}
	otherConv := write("o1", "hello?")
	unreadIs := func(n int) chromedp.Action[chromedp.Void] {
		return hasText(fmt.Sprintf("#conv-%d [data-testid=unread]", otherConv), fmt.Sprint(n))
	}
	do(t, tab, "the new chat is told, with a chime",
		chromedp.WaitVisible(chromedp.CSS(`#toasts a[data-testid=toast]`)),
		until(chimes+` >= 2`))
	heard := get(t, tab, "the chimes so far", chromedp.Evaluate[int](chimes))
	write("o2", "anyone?")
	do(t, tab, "a new message in it chimes", unreadIs(2), until(fmt.Sprintf("%s >= %d", chimes, heard+2)))
	do(t, tab, "the toast is dismissed",
		chromedp.Click(chromedp.CSS(`#toasts [data-testid=toast-dismiss]`)),
		until(`document.querySelector("#toasts .toast") === null`))
	do(t, tab, "the agent turns the sound off",
		chromedp.Click(chromedp.CSS(`[data-testid=sound]`)),
		hasText(`[data-testid=sound]`, "Sound off"))
	heard = get(t, tab, "the chimes so far", chromedp.Evaluate[int](chimes))
	write("o3", "still there?")
	do(t, tab, "the next message is counted", unreadIs(3))
	if now := get(t, tab, "the chimes now", chromedp.Evaluate[int](chimes)); now != heard {
		t.Errorf("with the sound off, a new message chimed (%d notes, then %d)", heard, now)
	}
}
