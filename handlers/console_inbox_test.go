package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/store"
)

// waitingChat starts a visitor's support chat saying body, which waits in
// the queue (nobody is online to get it), and returns its id.
func (k *instance) waitingChat(body string, site int64) int64 {
	k.t.Helper()
	ctx := context.Background()
	v, err := k.db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		k.t.Fatal(err)
	}
	m, _, err := k.db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: body, SiteID: site})
	if err != nil {
		k.t.Fatal(err)
	}
	return m.ConversationID
}

// label adds a label in color and puts it on conversations ids, as the
// labels' own pages would.
func (k *instance) label(name, color string, ids ...int64) int64 {
	k.t.Helper()
	var id int64
	pool := k.db.Pool()
	if err := pool.QueryRow(context.Background(), "INSERT INTO labels (name, color) VALUES ($1, $2) RETURNING id", name, color).Scan(&id); err != nil {
		k.t.Fatal(err)
	}
	if _, err := pool.Exec(context.Background(), "INSERT INTO conversation_labels (conversation_id, label_id) SELECT unnest($1::bigint[]), $2", ids, id); err != nil {
		k.t.Fatal(err)
	}
	return id
}

// TestConsoleViews walks the console's views and filters over HTTP: each
// view lists its chats with their state, agent and labels and counts every
// view; links keep the view; bad values are refused in the reader's
// language, and a member has Mine only.
func TestConsoleViews(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	alex := k.agent()
	shop, _ := k.newSite("Shop", "https://shop.example.com")
	queued := k.waitingChat("where is <my> parcel?", shop.ID)
	other := k.waitingChat("hello", 0)
	vip := k.label("VIP", "#ff8800", queued)

	_, page := alex.get("/console")
	for _, want := range []string{`data-testid="view-mine" aria-current="page"`, `data-testid="count-mine">0<`, `data-testid="count-unassigned">2<`,
		`data-testid="count-all">2<`, `data-testid="count-resolved">0<`, `data-testid="count-snoozed">0<`, `src="/static/live`,
		`data-live="/console/live?view=mine"`, `href="/console/labels.css?v=`} {
		if !strings.Contains(page, want) {
			t.Fatalf("the console's Mine lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, fmt.Sprintf(`id="conv-%d"`, queued)) {
		t.Fatal("a waiting chat is listed in Mine")
	}

	_, page = alex.get("/console?view=unassigned")
	item := fmt.Sprintf(`<a href="/console/c/%d?view=unassigned">`, queued)
	for _, want := range []string{item, ">Waiting<", ">Unassigned<", fmt.Sprintf(`class="chip label-%d"`, vip), ">VIP<",
		"where is &lt;my&gt; parcel?", fmt.Sprintf(`id="conv-%d"`, other)} {
		if !strings.Contains(page, want) {
			t.Fatalf("Unassigned lacks %q:\n%s", want, page)
		}
	}
	// Filters: by label, by site, combined with the view; the socket is told them.
	_, page = alex.get(fmt.Sprintf("/console?view=unassigned&label=%d", vip))
	if !strings.Contains(page, fmt.Sprintf(`id="conv-%d"`, queued)) || strings.Contains(page, fmt.Sprintf(`id="conv-%d"`, other)) ||
		!strings.Contains(page, fmt.Sprintf(`data-live="/console/live?label=%d&amp;view=unassigned"`, vip)) || !strings.Contains(page, `data-testid="count-unassigned">1<`) {
		t.Fatalf("Unassigned by label:\n%s", page)
	}
	_, page = alex.get(fmt.Sprintf("/console?view=all&site=%d", shop.ID))
	if !strings.Contains(page, fmt.Sprintf(`id="conv-%d"`, queued)) || strings.Contains(page, fmt.Sprintf(`id="conv-%d"`, other)) {
		t.Fatalf("All by site:\n%s", page)
	}
	// An open chat keeps the view.
	if resp, page := alex.get(fmt.Sprintf("/console/c/%d?view=unassigned", other)); resp.StatusCode != http.StatusOK ||
		!strings.Contains(page, `data-testid="view-unassigned" aria-current="page"`) || !strings.Contains(page, `data-testid="pane-title"`) {
		t.Fatalf("a chat open in Unassigned: %s\n%s", resp.Status, page)
	}
	// The labels' colours, as a stylesheet (the CSP allows no style attributes).
	if resp, css := alex.get("/console/labels.css"); resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/css; charset=utf-8" ||
		!strings.Contains(css, fmt.Sprintf(".chip.label-%d { background: #ff8800; color: #111; }", vip)) {
		t.Fatalf("labels.css: %s %q", resp.Status, css)
	}

	// Bad values are refused, saying what is wrong, in the reader's language; nothing is listed.
	for _, c := range []struct{ path, lang, want string }{
		{"/console?view=later", "en", "There is no such view of the conversations."},
		{"/console?view=later", "zh-CN", "没有这个会话视图。"},
		{"/console/c/1?view=MINE", "en", "There is no such view of the conversations."},
		{"/console?site=shop", "en", "There is no such site, label or agent to filter by."},
		{"/console?label=99999", "zh-CN", "没有可供筛选的该网站、标签或客服。"},
		{"/console?agent=-1", "en", "There is no such site, label or agent to filter by."},
		{"/console?before=yesterday", "en", "before must be a place in the list, as “Show more” gives it."},
		{"/console?before=yesterday", "zh-CN", "before 必须是列表中的位置"},
		{"/console/list?view=all", "en", "before must be a place in the list"},
	} {
		resp, page := alex.getIn(c.lang, c.path)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, c.want) || strings.Contains(page, "conversation-list") {
			t.Fatalf("%s in %s: %s\n%s", c.path, c.lang, resp.Status, page)
		}
	}
	if _, _, err := k.dial("/console/live?view=later", &websocket.DialOptions{
		HTTPHeader: http.Header{"Origin": {k.srv.URL}, "Cookie": {sessionCookie(t, alex)}}, Subprotocols: []string{"kefu.v1"}}); err == nil {
		t.Fatal("a socket for a view that does not exist was opened")
	}

	// "Show more" from a cursor: the page after it, as fragments (here, the last item).
	resp, frag := alex.get(fmt.Sprintf("/console/list?view=unassigned&before=%s", cursorOf(t, k, other)))
	if resp.StatusCode != http.StatusOK || !strings.Contains(frag, `data-target="#conversation-list" data-swap="beforeend"`) ||
		!strings.Contains(frag, fmt.Sprintf(`id="conv-%d"`, min(queued, other))) || strings.Contains(frag, fmt.Sprintf(`id="conv-%d"`, max(queued, other))) ||
		strings.Contains(frag, "show-more") {
		t.Fatalf("the page after %d: %s\n%s", other, resp.Status, frag)
	}

	// In Chinese, the views are named in Chinese.
	if _, page := alex.getIn("zh-CN", "/console?view=unassigned"); !strings.Contains(page, ">未分配 <span") || !strings.Contains(page, ">排队中<") {
		t.Fatalf("the views in Chinese:\n%s", page)
	}

	// Without JavaScript, "Show more" opens the page that starts there, whose socket keeps to it.
	after := cursorOf(t, k, other)
	if _, page := alex.get("/console?view=unassigned&before=" + after); !strings.Contains(page, fmt.Sprintf(`id="conv-%d"`, queued)) ||
		strings.Contains(page, fmt.Sprintf(`id="conv-%d"`, other)) || !strings.Contains(page, `data-live="/console/live?before=`+after+`&amp;view=unassigned"`) {
		t.Fatalf("the page after %s:\n%s", after, page)
	}

	// A member sees their own conversations as Mine, and nothing of customer service.
	maxID := k.addPlainMember("max@example.com", "Max", "max password")
	ctx := context.Background()
	direct, err := k.db.StartDirect(ctx, alexID(t, k), maxID)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := k.db.SendMessage(ctx, store.Send{ConversationID: direct.ID, SenderID: maxID, ClientMsgID: "d1", Body: "lunch?"}); err != nil {
		t.Fatal(err)
	}
	max := k.signInAs("max@example.com", "max password")
	if resp, page := max.get("/console"); resp.StatusCode != http.StatusOK || strings.Contains(page, `data-testid="views"`) ||
		strings.Contains(page, `data-testid="filters"`) || strings.Contains(page, "parcel") || !strings.Contains(page, "lunch?") {
		t.Fatalf("a member's console: %s\n%s", resp.Status, page)
	}
	// Alex, an agent, has the direct conversation in Mine too.
	if _, page := alex.get("/console"); !strings.Contains(page, "lunch?") || !strings.Contains(page, `data-testid="count-mine">1<`) {
		t.Fatalf("an agent's Mine lacks their direct conversation:\n%s", page)
	}
	for _, path := range []string{"/console?view=unassigned", "/console?view=all", fmt.Sprintf("/console?label=%d", vip), "/console/list?view=resolved&before=1.1"} {
		if resp, page := max.get(path); resp.StatusCode != http.StatusForbidden || strings.Contains(page, "parcel") {
			t.Fatalf("a member asks for %s: %s", path, resp.Status)
		}
	}
}

func alexID(t *testing.T, k *instance) int64 {
	t.Helper()
	u, _, err := k.db.MemberByEmail(context.Background(), agentEmail)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// cursorOf is the cursor after conversation id, as "Show more" carries it.
func cursorOf(t *testing.T, k *instance, id int64) string {
	t.Helper()
	c, err := k.db.Conversation(context.Background(), id)
	if err != nil || c.LastMessageAt == nil {
		t.Fatalf("conversation %d: %+v, %v", id, c, err)
	}
	return fmt.Sprintf("%d.%d", c.LastMessageAt.UnixMicro(), id)
}

// TestConsoleViewsLive: a console's socket keeps to the view its page
// shows. A new chat joins Unassigned with its counts; taken, it leaves
// Unassigned and joins Mine, item by item; the list is never redrawn.
func TestConsoleViewsLive(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	alex := k.agent()
	alex.setState("away")
	queue := alex.consoleAt("/console/live?view=unassigned")
	queue.send(map[string]any{"type": "resume"})
	queue.waitFor(`data-target="#conversation-list" data-swap="innerHTML"`)
	k.waitOnline(k.adminID())
	mine := alex.consoleAt("/console/live?view=mine")
	mine.send(map[string]any{"type": "resume"})
	mine.waitFor(`data-target="#conversation-list" data-swap="innerHTML"`)

	id := k.waitingChat("is anyone there?", 0)
	conv := fmt.Sprintf(`data-target="#conv-%d"`, id)
	queue.waitForAll(`data-target="#conversation-list" data-swap="sorted"`, "is anyone there?")
	queue.waitFor(`data-target="#view-count-unassigned" data-swap="innerHTML">1<`)
	mine.waitFor(conv + ` data-swap="remove"`)

	if resp, _ := alex.post(fmt.Sprintf("/console/queue/%d/take", id), url.Values{"_csrf": {alex.csrf("/console")}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("take: %s", resp.Status)
	}
	f := queue.waitFor(`data-target="#view-count-unassigned" data-swap="innerHTML">0<`)
	if !strings.Contains(f, conv+` data-swap="remove"`) || strings.Contains(f, `data-swap="sorted"`) {
		t.Fatalf("taken, the chat does not leave Unassigned:\n%s", f)
	}
	// A queue event heard after the take commits may count the views anew
	// before the take's own event places the chat: the take's frame is the
	// one that places it, with the count.
	f = mine.waitForAll(`data-target="#view-count-mine" data-swap="innerHTML">1<`, `data-target="#conversation-list" data-swap="sorted"`)
	if !strings.Contains(f, ">Alex<") {
		t.Fatalf("taken, the chat does not join Mine:\n%s", f)
	}
	for _, s := range []*socket{queue, mine} {
		if n := strings.Count(s.all(), `data-target="#conversation-list" data-swap="innerHTML"`); n != 1 {
			t.Fatalf("the list was redrawn %d times:\n%s", n, s.all())
		}
	}
}

// TestFaviconCount: the console's icon carries its unread count.
func TestFaviconCount(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	b := k.browser()
	for n, want := range map[string]string{"3": ">3</text>", "42": ">42</text>", "100": ">99+</text>", "": "</svg>"} {
		resp, body := b.get("/favicon.svg?n=" + n)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(body, "<svg") ||
			!strings.Contains(body, want) {
			t.Fatalf("n=%s: %s %q", n, resp.Status, body)
		}
	}
	if resp, _ := b.get("/favicon.svg?n=%3Cscript%3E"); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a count that is not one: %s", resp.Status)
	}
}
