package e2e

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

// box is an element's place on the page, in CSS pixels.
type box struct{ Left, Top, Right, Bottom, Width float64 }

// boxesJS defines rect(element), an element's box, and box(sel), the box
// of the first element matching sel.
const boxesJS = `const rect = e => { const r = e.getBoundingClientRect();
	return {Left: r.left, Top: r.top, Right: r.right, Bottom: r.bottom, Width: r.width}; };
const box = sel => rect(document.querySelector(sel));`

// TestPagesFit looks at pages in a 1280 px wide window, then a phone's. On the
// admin's users page with every "Contact button" open, the table fits its
// card: every Reset password button can be seen without scrolling. On the
// sites page, the choices look like the fields. In the widget of a site
// that asks for a name and an email, the pre-chat fields take a full row
// each above the message box and Send, so that their placeholders can be
// read. In the console, a "new chat" toast covers nothing of the open chat,
// and on a phone nothing of its composer, however tall, whose reply box takes
// the chat's width; and on a phone the console is no wider and no taller
// than the screen.
func TestPagesFit(t *testing.T) {
	t.Parallel() // its own kefu and browser
	// Many pages, in two languages and at two widths: on a busy 2-core
	// machine, beside the other browser tests, it has taken over 90 s.
	ctx, cancel := context.WithTimeout(t.Context(), 3*testTimeout)
	defer cancel()
	base, db, _ := kefuOnOwnDatabase(t, ctx, "layout")
	admin, _, err := db.MemberByEmail(ctx, agentEmail)
	if err != nil {
		t.Fatal(err)
	}
	var others []int64 // the members besides the admin, for a group
	for _, m := range []store.NewMember{
		{Email: "samantha.longname-whitfield@example.com", Name: "Samantha Longname-Whitfield", PasswordHash: "x"},
		{Email: "kim@example.com", Name: "Kim", PasswordHash: "x"},
	} {
		u, err := db.CreateMember(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		others = append(others, u.ID)
		// Samantha is customer service too: the chat's header offers a
		// transfer, the widest of its forms.
		if m.Name == "Samantha Longname-Whitfield" {
			if err := db.SetAgent(ctx, admin.ID, u.ID, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	groupID, err := db.CreateGroup(ctx, admin.ID, "Garden crew", others)
	if err != nil {
		t.Fatal(err)
	}
	// groupFits opens the group's members and says what of them, or of the
	// conversation's head, reaches past the pane or the window.
	groupFits := func(tab context.Context, base, where string) {
		do(t, tab, "the admin opens the group's members "+where,
			chromedp.Navigate(fmt.Sprintf("%s/console/c/%d", base, groupID)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=group-panel] summary`)),
			chromedp.Click(chromedp.CSS(`[data-testid=group-panel] summary`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=group-member-row]`)))
		var out struct {
			Width, Page, Pane, Head float64
			Past                    []string
		}
		if err := json.Unmarshal([]byte(get(t, tab, "the group panel's size", chromedp.Evaluate[string](`(() => {
			const pane = document.querySelector("main.pane").getBoundingClientRect();
			const head = document.querySelector(".pane-head");
			const past = Array.from(document.querySelectorAll("[data-testid=group-panel] *, .pane-head *")).filter(e => {
				const r = e.getBoundingClientRect();
				return r.width > 0 && r.right > Math.min(pane.right, window.innerWidth) + 0.5;
			}).map(e => e.textContent.trim() || e.tagName);
			return JSON.stringify({Width: window.innerWidth, Page: document.documentElement.scrollWidth, Pane: pane.right,
				Head: head.getBoundingClientRect().height, Past: past});
		})()`))), &out); err != nil {
			t.Fatal(err)
		}
		if out.Page > out.Width || len(out.Past) > 0 {
			t.Errorf("%s: the page is %.0f px wide in a window of %.0f px; past the pane's edge (%.0f px): %q", where, out.Page, out.Width, out.Pane, out.Past)
		}
		if below := get(t, tab, "where the group panel is", chromedp.Evaluate[bool](`(() => {
			const head = document.querySelector(".pane-head").getBoundingClientRect(), panel = document.querySelector("[data-testid=group-panel]").getBoundingClientRect();
			return panel.top >= head.bottom - 0.5 && panel.width >= head.width - 0.5;
		})()`)); !below {
			t.Errorf("%s: the group's members are not a full-width panel below the conversation's head", where)
		}
	}

	var siteID int64
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Garden plugins</title></head>
<body style="font-family: Georgia, serif; margin: 48px">
<h1>Garden plugins</h1>
<script src="%s/widget.js" data-site="%d" async></script>
</body></html>`, base, siteID)
	}))
	t.Cleanup(host.Close)
	hostURL := strings.Replace(host.URL, "127.0.0.1", "localhost", 1) + "/"
	site, err := db.CreateSite(ctx, admin.ID, chat.Site{Name: "Garden plugins", Origins: []string{strings.TrimSuffix(hostURL, "/")},
		PrechatName: chat.FieldRequired, PrechatEmail: chat.FieldRequired}, auth.NewToken())
	if err != nil {
		t.Fatal(err)
	}
	siteID = site.ID

	browser := startBrowser(t, ctx)
	tab := newTab(t, browser)
	defer screenshot(t, tab, "layout-users.png")
	signIn(t, tab, base, agentEmail, agentPassword)
	do(t, tab, "the admin opens every contact button on the users page",
		chromedp.Navigate(base+"/admin/users"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=users]`)),
		chromedp.Evaluate[chromedp.Void](`document.querySelectorAll("details.snippet").forEach(d => d.open = true)`),
		until(`document.querySelectorAll("[data-testid=snippet]").length === 3 &&
			Array.from(document.querySelectorAll("[data-testid=snippet]")).every(e => e.getClientRects().length > 0)`))
	var users struct {
		Card, Table       box
		CardWidth, Scroll float64
		Resets            []box
	}
	if err := json.Unmarshal([]byte(get(t, tab, "the users table's size", chromedp.Evaluate[string](`(() => { `+boxesJS+`
		const card = document.querySelector(".table-wrap");
		return JSON.stringify({Card: box(".table-wrap"), Table: box("[data-testid=users]"),
			CardWidth: card.clientWidth, Scroll: card.scrollWidth,
			Resets: Array.from(document.querySelectorAll("[data-testid=reset-password]"), rect)});
	})()`))), &users); err != nil {
		t.Fatal(err)
	}
	if users.Scroll > users.CardWidth {
		t.Errorf("with the contact buttons open, the users table is %.0f px wide in a card of %.0f px", users.Scroll, users.CardWidth)
	}
	if len(users.Resets) != 3 {
		t.Fatalf("%d Reset password buttons, want 3", len(users.Resets))
	}
	for i, b := range users.Resets {
		if b.Right > users.Card.Right || b.Left < users.Card.Left {
			t.Errorf("Reset password of row %d spans %.0f–%.0f px, outside its card (%.0f–%.0f px)", i+1, b.Left, b.Right, users.Card.Left, users.Card.Right)
		}
	}

	// On the sites page, the pre-chat choices look like the fields beside them.
	do(t, tab, "the admin opens the sites page",
		chromedp.Navigate(base+"/admin/sites"),
		chromedp.WaitVisible(chromedp.CSS(`.site-form select`)))
	if odd := get(t, tab, "the sites page's choices", chromedp.Evaluate[string](`(() => {
		const field = getComputedStyle(document.querySelector(".site-form input[type=text]"));
		return Array.from(document.querySelectorAll(".site-form select")).filter(s => {
			const c = getComputedStyle(s);
			return c.borderRadius !== field.borderRadius || c.borderTopColor !== field.borderTopColor || c.fontFamily !== field.fontFamily;
		}).map(s => s.name).join(", ");
	})()`)); odd != "" {
		t.Errorf("on the sites page, these choices do not look like the fields beside them: %s", odd)
	}

	// On the sensitive words page, the list, the form to add and the
	// filter's choice are three cards of one width, each with a heading.
	do(t, tab, "the admin opens the sensitive words page",
		chromedp.Navigate(base+"/admin/words"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=words-mode-form]`)))
	var cards []struct {
		Left, Width float64
		Heading     string
	}
	if err := json.Unmarshal([]byte(get(t, tab, "the words page's cards", chromedp.Evaluate[string](`JSON.stringify(Array.from(
		document.querySelectorAll("[data-testid=words-card]"), e => ({Left: e.getBoundingClientRect().left, Width: e.getBoundingClientRect().width,
			Heading: (e.querySelector("h2") || {textContent: ""}).textContent})))`))), &cards); err != nil {
		t.Fatal(err)
	}
	if len(cards) != 3 {
		t.Fatalf("the words page has %d cards, want 3", len(cards))
	}
	for _, c := range cards {
		if c.Left != cards[0].Left || c.Width != cards[0].Width || c.Heading == "" {
			t.Errorf("the words page's cards: %+v, want one left edge, one width and a heading each", cards)
			break
		}
	}
	screenshot(t, tab, "layout-words.png")

	visitor, widget := openWidget(t, browser, hostURL)
	defer screenshot(t, visitor, "layout-widget.png")
	do(t, widget, "the widget asks for a name and an email",
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=prechat-name]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=prechat-email]`)))
	var composer struct{ Form, Name, Email, Text, Send box }
	if err := json.Unmarshal([]byte(get(t, widget, "the composer's layout", chromedp.Evaluate[string](`(() => { `+boxesJS+`
		return JSON.stringify({Form: box("#composer"), Name: box("[data-testid=prechat-name]"), Email: box("[data-testid=prechat-email]"),
			Text: box("textarea[data-testid=composer]"), Send: box("[data-testid=send]")});
	})()`))), &composer); err != nil {
		t.Fatal(err)
	}
	row := composer.Send.Right - composer.Text.Left // the message box and Send, side by side
	for name, field := range map[string]box{"name": composer.Name, "email": composer.Email} {
		if field.Width < row-1 {
			t.Errorf("the pre-chat %s field is %.0f px wide, beside a row of %.0f px for the message and Send", name, field.Width, row)
		}
		if field.Bottom > composer.Text.Top {
			t.Errorf("the pre-chat %s field ends at %.0f px, below the top of the message box (%.0f px)", name, field.Bottom, composer.Text.Top)
		}
	}
	if composer.Send.Left < composer.Text.Right || composer.Send.Top > composer.Text.Bottom {
		t.Errorf("Send (%+v) is not beside the message box (%+v)", composer.Send, composer.Text)
	}

	// The visitor writes, and the admin opens their chat. A second visitor
	// writes: the notice that tells the admin this chat is theirs covers
	// nothing of the chat they have open, its head and actions included.
	writeFirst := func(name, body string) {
		do(t, widget, name+" writes",
			chromedp.SendKeys(chromedp.CSS(`[data-testid=prechat-name]`), name),
			chromedp.SendKeys(chromedp.CSS(`[data-testid=prechat-email]`), strings.ToLower(name)+"@garden.example"),
			chromedp.SendKeys(chromedp.CSS(`textarea[data-testid=composer]`), body),
			chromedp.Click(chromedp.CSS(sendBtn)),
			hasText(stored, body))
	}
	writeFirst("Lee", "Does the rain gauge work in snow?")
	var convID int64
	if err := db.Pool().QueryRow(ctx, "SELECT id FROM conversations WHERE kind = 'support'").Scan(&convID); err != nil {
		t.Fatal(err)
	}
	do(t, tab, "the admin opens the chat",
		chromedp.Navigate(fmt.Sprintf("%s/console/c/%d", base, convID)),
		hasText(badge, "With Admin"),
		until(`document.body.dataset.liveState === "open"`))
	// At 1280 px the top bar fits in English and in Chinese, on the chat
	// and on a console page, for an admin who is also customer service
	// (the most links): nothing in it wraps and the page does not scroll
	// sideways.
	for _, lang := range []string{"zh-CN", ""} {
		if err := db.SetLanguage(ctx, admin.ID, lang); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{fmt.Sprintf("/console/c/%d", convID), "/console/people"} {
			do(t, tab, "the admin opens "+path+" in "+cmp.Or(lang, "English"),
				chromedp.Navigate(base+path),
				chromedp.WaitVisible(chromedp.CSS(`[data-testid=user-menu]`)))
			var bar struct {
				Width, Page float64
				Wrapped     []string
			}
			if err := json.Unmarshal([]byte(get(t, tab, "the top bar's size", chromedp.Evaluate[string](`(() => {
				const wrapped = Array.from(document.querySelectorAll(".topbar a, .topbar summary, .topbar button, .topbar [data-testid=state]")).filter(e => {
					const r = e.getBoundingClientRect(), c = getComputedStyle(e);
					if (r.height === 0) return false;
					const inner = r.height - parseFloat(c.paddingTop) - parseFloat(c.paddingBottom) - parseFloat(c.borderTopWidth) - parseFloat(c.borderBottomWidth);
					return inner > 1.9 * parseFloat(c.fontSize);
				}).map(e => e.textContent.trim());
				return JSON.stringify({Width: window.innerWidth, Page: document.documentElement.scrollWidth, Wrapped: wrapped});
			})()`))), &bar); err != nil {
				t.Fatal(err)
			}
			if bar.Page > bar.Width || len(bar.Wrapped) > 0 {
				t.Errorf("%s in %s: the page is %.0f px wide in a window of %.0f px; wrapped in the top bar: %q", path, cmp.Or(lang, "English"), bar.Page, bar.Width, bar.Wrapped)
			}
		}
	}
	groupFits(tab, base, "at 1280 px")
	screenshot(t, tab, "layout-group-panel.png")
	do(t, tab, "the admin is back on the chat",
		chromedp.Navigate(fmt.Sprintf("%s/console/c/%d", base, convID)),
		hasText(badge, "With Admin"),
		until(`document.body.dataset.liveState === "open"`))
	do(t, widget, "the widget forgets Lee", chromedp.Evaluate[chromedp.Void](`(localStorage.clear(), true)`))
	widget = reopenWidget(t, visitor)
	writeFirst("Kai", "Is there a blue one?")
	do(t, tab, "the admin is told of Kai's chat", chromedp.WaitVisible(chromedp.CSS(`#toasts a[data-testid=toast]`)))
	screenshot(t, tab, "layout-console-toast.png")
	var toast struct{ Toast, Pane box }
	if err := json.Unmarshal([]byte(get(t, tab, "the toast's place", chromedp.Evaluate[string](`(() => { `+boxesJS+`
		return JSON.stringify({Toast: box("#toasts a[data-testid=toast]"), Pane: box("main.pane")});
	})()`))), &toast); err != nil {
		t.Fatal(err)
	}
	if toast.Toast.Right > toast.Pane.Left && toast.Toast.Left < toast.Pane.Right && toast.Toast.Bottom > toast.Pane.Top && toast.Toast.Top < toast.Pane.Bottom {
		t.Errorf("the toast (%+v) covers the open chat (%+v)", toast.Toast, toast.Pane)
	}

	// On a phone, the console is no wider than the screen, the open chat
	// has the screen to itself with a way back to the list, the top bar's
	// items are a menu and the visitor panel starts folded. The phone
	// reaches kefu through a network that will drop.
	network, err := listenProxy()
	if err != nil {
		t.Fatal(err)
	}
	network.Serve(strings.TrimPrefix(base, "http://"))
	t.Cleanup(network.Close)
	phoneBase := network.URL() // the same host, so the same session
	do(t, tab, "the admin looks at the console on a phone",
		chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
			_, err := cdp.Call(ctx, target, emulation.SetDeviceMetricsOverride,
				emulation.SetDeviceMetricsOverrideParams{Width: 390, Height: 844, DeviceScaleFactor: 1, Mobile: true})
			return err
		}),
		chromedp.Navigate(fmt.Sprintf("%s/console/c/%d", phoneBase, convID)),
		hasText(badge, "With Admin"),
		until(`document.body.dataset.liveState === "open"`))
	shown := func(sel string) string {
		return `(e => !!e && e.getClientRects().length > 0)(document.querySelector("` + sel + `"))`
	}
	do(t, tab, "the chat has the screen, the menu and the panel are folded",
		until(`!`+shown(".sidebar")+` && `+shown("main.pane")+` && `+shown("[data-testid=back]")),
		until(`!`+shown(".topbar .nav")+` && `+shown(".menu-button")),
		until(`!document.querySelector("details.visitor-panel").open`))
	screenshot(t, tab, "console-phone-chat.png")
	// fitsTall checks the console is no taller than the phone's screen,
	// the composer's foot on it.
	fitsTall := func(when string) {
		t.Helper()
		var tall struct{ Height, Page, Composer float64 }
		if err := json.Unmarshal([]byte(get(t, tab, "the console's height on a phone "+when, chromedp.Evaluate[string](
			`JSON.stringify({Height: window.innerHeight, Page: document.documentElement.scrollHeight,
				Composer: document.getElementById("composer").getBoundingClientRect().bottom})`))), &tall); err != nil {
			t.Fatal(err)
		}
		if tall.Page > tall.Height || tall.Composer > tall.Height {
			t.Errorf("on a phone %.0f px tall %s, the console is %.0f px tall, and its composer ends at %.0f px", tall.Height, when, tall.Page, tall.Composer)
		}
	}
	fitsTall("with a chat open")
	// A third visitor writes while the admin, on the phone, has a long reply
	// half written: the notice covers nothing of the composer, grown with
	// its text, and its Reply / Private note choice; the reply box takes the
	// composer's width, and the composer the conversation's.
	reply := `document.querySelector("textarea[data-testid=composer]")`
	do(t, tab, "the admin writes a long reply",
		chromedp.Evaluate[chromedp.Void](`(b => (b.value = "We do.\nTo most of Europe.\nIt takes a week.\nSeeds travel well.\nAsk me for the forms.", b.dispatchEvent(new Event("input", {bubbles: true})), true))(`+reply+`)`),
		until(reply+`.offsetHeight > 100`))
	do(t, widget, "the widget forgets Kai", chromedp.Evaluate[chromedp.Void](`(localStorage.clear(), true)`))
	widget = reopenWidget(t, visitor)
	writeFirst("Ada", "Do you ship seeds abroad?")
	do(t, tab, "the admin is told of Ada's chat on the phone", hasText(`#toasts a[data-testid=toast]`, "New chat for you: Ada"))
	screenshot(t, tab, "console-phone-toast.png")
	var onPhone struct {
		Toasts, Forward, Composer, Mode, Text, Pane box
		Row                                         float64 // the composer's width inside its padding
	}
	if err := json.Unmarshal([]byte(get(t, tab, "the toast and the composer on a phone", chromedp.Evaluate[string](`(() => { `+boxesJS+`
		const c = getComputedStyle(document.getElementById("composer"));
		return JSON.stringify({Toasts: box("#toasts"), Forward: box("[data-testid=forward]"), Composer: box("#composer"), Mode: box("[data-testid=composer-mode]"),
			Text: box("textarea[data-testid=composer]"), Pane: box("main.pane"),
			Row: document.getElementById("composer").clientWidth - parseFloat(c.paddingLeft) - parseFloat(c.paddingRight)});
	})()`))), &onPhone); err != nil {
		t.Fatal(err)
	}
	if b, c := onPhone.Toasts, onPhone.Composer; b.Right > c.Left && b.Left < c.Right && b.Bottom > c.Top && b.Top < c.Bottom {
		t.Errorf("on a phone, the toasts (%+v) cover the composer (%+v), whose Reply / Private note choice is at %+v", b, c, onPhone.Mode)
	}
	if b, f := onPhone.Toasts, onPhone.Forward; b.Bottom > f.Top {
		t.Errorf("on a phone, the toasts (%+v) cover Forward (%+v)", b, f)
	}
	if onPhone.Text.Width < onPhone.Row-1 || onPhone.Composer.Width < onPhone.Pane.Width-1 {
		t.Errorf("on a phone, the reply box is %.0f px wide in a composer %.0f px wide (%.0f px inside its padding), in a conversation %.0f px wide",
			onPhone.Text.Width, onPhone.Composer.Width, onPhone.Row, onPhone.Pane.Width)
	}
	do(t, tab, "the admin dismisses the notices and the reply",
		until(`(document.querySelectorAll("#toasts [data-testid=toast-dismiss]").forEach(b => b.click()), document.querySelector("#toasts .toast") === null)`),
		chromedp.Evaluate[chromedp.Void](`(b => (b.value = "", b.dispatchEvent(new Event("input", {bubbles: true})), true))(`+reply+`)`))
	do(t, tab, "the menu opens",
		chromedp.Click(chromedp.CSS(`.menu-button`)),
		until(shown(".topbar .nav")+` && `+shown("[data-testid=nav-people]")))
	screenshot(t, tab, "console-phone-menu.png")
	do(t, tab, "the menu closes", chromedp.Click(chromedp.CSS(`.menu-button`)), until(`!`+shown(".topbar .nav")))

	// The network drops: the console says so and greys the admin's dot; a
	// reply written meanwhile waits, and goes once, when it is back.
	dot := `getComputedStyle(document.querySelector(".topbar .dot"), "::before").backgroundColor`
	green := get(t, tab, "the presence dot's colour", chromedp.Evaluate[string](dot))
	network.Cut()
	do(t, tab, "the console shows the drop",
		until(`document.getElementById("status").textContent === "Reconnecting…" && `+shown("[data-testid=connection]")),
		until(dot+` !== "`+green+`"`))
	screenshot(t, tab, "console-phone-offline.png")
	fitsTall("while it reconnects")
	do(t, tab, "the admin replies offline",
		chromedp.SendKeys(chromedp.CSS(`textarea[data-testid=composer]`), "Yes, down to -10 °C\n"),
		until(`Array.from(document.querySelectorAll("#messages .body")).some(e => e.textContent === "Yes, down to -10 °C")`))
	if got := texts(t, tab, stored); slices.Contains(got, "Yes, down to -10 °C") {
		t.Fatal("a reply was stored through a network that is down")
	}
	network.Restore()
	do(t, tab, "the reply goes when the network is back",
		hasText(stored, "Yes, down to -10 °C"),
		until(`document.body.dataset.liveState === "open" && !`+shown("[data-testid=connection]")),
		until(dot+` === "`+green+`"`))
	var sent int
	if err := db.Pool().QueryRow(ctx, "SELECT count(*) FROM messages WHERE body = 'Yes, down to -10 °C'").Scan(&sent); err != nil || sent != 1 {
		t.Fatalf("the reply is stored %d times (%v), want once", sent, err)
	}

	bctx, bcancel := context.WithTimeout(tab, stepTimeout)
	defer bcancel()
	if _, err := chromedp.RunResponse(bctx, chromedp.Click(chromedp.CSS(`[data-testid=back]`))); err != nil {
		t.Fatalf("back to the list: %v", err)
	}
	do(t, tab, "the list has the screen", until(shown(".sidebar")+` && !`+shown("main.pane")))
	screenshot(t, tab, "console-phone-list.png")
	do(t, tab, "the chat again", chromedp.Navigate(fmt.Sprintf("%s/console/c/%d", phoneBase, convID)), hasText(badge, "With Admin"))
	groupFits(tab, phoneBase, "on a phone")
	screenshot(t, tab, "console-phone-group.png")
	do(t, tab, "the chat again, for its actions", chromedp.Navigate(fmt.Sprintf("%s/console/c/%d", phoneBase, convID)), hasText(badge, "With Admin"))
	do(t, tab, "the chat's actions are there", chromedp.WaitVisible(chromedp.CSS(`[data-testid=transfer-to]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=snooze-preset]`)))
	var phone struct{ Width, Page, Actions float64 }
	if err := json.Unmarshal([]byte(get(t, tab, "the console's width on a phone", chromedp.Evaluate[string](
		`JSON.stringify({Width: window.innerWidth, Page: document.documentElement.scrollWidth,
			Actions: Math.max(...Array.from(document.querySelectorAll(".pane-head *"), e => e.getBoundingClientRect().right))})`))), &phone); err != nil {
		t.Fatal(err)
	}
	if phone.Width != 390 || phone.Page > phone.Width || phone.Actions > phone.Width {
		t.Errorf("on a phone %.0f px wide, the console is %.0f px wide, its chat's actions reach %.0f px", phone.Width, phone.Page, phone.Actions)
	}
}
