package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-im/kefu/app"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/live/natstest"
	"github.com/kefu-im/kefu/store/storetest"
)

// testClock is a clock the test moves by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock { return &testClock{now: time.Now()} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// rowCounts counts the rows of every table a frame could write to.
func rowCounts(t *testing.T, k *instance) string {
	t.Helper()
	var out string
	err := k.db.Pool().QueryRow(context.Background(), `SELECT concat_ws(' ',
		(SELECT count(*) FROM messages), (SELECT count(*) FROM conversations), (SELECT sum(last_seq) FROM conversations),
		(SELECT count(*) FROM conversation_members), (SELECT sum(last_read_seq) FROM conversation_members),
		(SELECT count(*) FROM push_outbox), (SELECT count(*) FROM webhook_deliveries), (SELECT count(*) FROM audit_log))`).Scan(&out)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const typingLine = `data-testid="typing"`

// typingAcross has a visitor on instance a and the agent on instance b type
// to each other: each sees the other typing, by name, and nothing is stored.
// The agent's message takes their typing line away at once.
func typingAcross(t *testing.T, a, b *instance) {
	visitorOnA, agentOnB, conv := chatAcross(t, a, b)
	// Routing gives the agent the chat, and says so in it, in its own time:
	// that line is written before the rows are counted.
	visitorOnA.waitFor("Alex joined the chat.")
	if c, err := a.db.Conversation(context.Background(), conv.ID); err == nil {
		conv = c
	}
	agentOnB.send(map[string]any{"type": "resume", "conversation_id": conv.ID, "seq": conv.LastSeq})
	agentOnB.waitFor(`data-target="#conversation-list" data-swap="innerHTML"`)
	before := rowCounts(t, a)

	visitorOnA.send(map[string]any{"type": "typing"}) // the widget's own conversation
	if got := agentOnB.waitFor(typingLine); !strings.Contains(got, "is typing…") || !strings.Contains(got, fmt.Sprintf(`data-conversation="%d"`, conv.ID)) {
		t.Fatalf("the agent on B sees the visitor typing as:\n%s", got)
	}

	agentOnB.send(map[string]any{"type": "typing", "conversation_id": conv.ID})
	if got := visitorOnA.waitFor(typingLine); !strings.Contains(got, "Alex is typing…") {
		t.Fatalf("the visitor on A sees the agent typing as:\n%s", got)
	}
	if after := rowCounts(t, a); after != before {
		t.Fatalf("typing stored something: rows %s became %s", before, after)
	}

	agentOnB.send(map[string]any{"type": "send", "conversation_id": conv.ID, "client_msg_id": "a1", "body": "here I am"})
	if got := visitorOnA.waitFor("here I am"); !strings.Contains(got, `data-target="#typing" data-swap="innerHTML"></template>`) {
		t.Fatalf("the agent's message leaves their typing line in the widget:\n%s", got)
	}
}

// TestTypingAcrossInstances: typing reaches the other side on another
// instance, over NOTIFY.
func TestTypingAcrossInstances(t *testing.T) {
	t.Parallel()
	dbURL := storetest.URL(t)
	a := start(t, dbURL)
	a.ensureAgent()
	typingAcross(t, a, start(t, dbURL))
}

// TestTypingAcrossInstancesOnNATS: the same, with the bus on NATS.
func TestTypingAcrossInstancesOnNATS(t *testing.T) {
	t.Parallel()
	nats := natstest.Start(t)
	dbURL := storetest.URL(t)
	a := startWithBus(t, dbURL, nats.URL())
	a.ensureAgent()
	typingAcross(t, a, startWithBus(t, dbURL, nats.URL()))
}

// TestTypingIsRateLimited: of a socket's typing frames in one conversation,
// one in two seconds is relayed; the rest are dropped without a word.
func TestTypingIsRateLimited(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	k := startWith(t, storetest.URL(t), func(c *app.Config) { c.Now = clock.Now })
	k.ensureAgent()
	visitor, agent, conv := chatAcross(t, k, k)
	agent.send(map[string]any{"type": "resume", "conversation_id": conv.ID, "seq": conv.LastSeq})
	agent.waitFor(`data-target="#conversation-list" data-swap="innerHTML"`)

	// The frames are handled in order: a message's ack says those before
	// it were, before the clock moves on, and its bubble at the agent marks
	// the end of what they brought there.
	marker := func(id string) {
		t.Helper()
		visitor.send(map[string]any{"type": "send", "client_msg_id": id, "body": "marker " + id})
		visitor.waitFor(`data-ack="` + id + `"`)
		agent.waitFor("marker " + id)
	}
	for range 5 {
		visitor.send(map[string]any{"type": "typing"})
	}
	marker("m1")
	clock.advance(1900 * time.Millisecond)
	visitor.send(map[string]any{"type": "typing"})
	marker("m2")
	if n := strings.Count(agent.all(), typingLine); n != 1 {
		t.Fatalf("six typing frames within 2 s showed the agent %d typing lines; want 1", n)
	}
	if strings.Contains(visitor.all(), "composer-error") {
		t.Fatalf("dropped typing frames were answered:\n%s", visitor.all())
	}

	clock.advance(100 * time.Millisecond) // 2 s since the one relayed
	visitor.send(map[string]any{"type": "typing"})
	marker("m3")
	if n := strings.Count(agent.all(), typingLine); n != 2 {
		t.Fatalf("a typing frame 2 s after the last relayed one: %d typing lines in all; want 2", n)
	}
}

// TestTypingRefusedToOthers: nobody but a participant may say they are
// typing in a conversation; the one who tries is told, and nobody is shown.
func TestTypingRefusedToOthers(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	visitor, agent, conv := chatAcross(t, k, k)
	agent.send(map[string]any{"type": "resume", "conversation_id": conv.ID, "seq": conv.LastSeq})
	agent.waitFor(`data-target="#conversation-list" data-swap="innerHTML"`)

	stranger := k.liveWidget(k.visitorToken())
	stranger.send(map[string]any{"type": "typing", "conversation_id": conv.ID})
	if got := stranger.waitFor(`data-target="#composer-error"`); !strings.Contains(got, "There is nothing here.") {
		t.Fatalf("a stranger typing in another's chat was answered:\n%s", got)
	}
	stranger.send(map[string]any{"type": "typing"}) // no conversation of their own: nobody to tell
	// The stranger's frames are handled in order: once a later one is
	// answered, the typing frame before it has been dealt with.
	stranger.send(map[string]any{"type": "read", "conversation_id": conv.ID, "seq": 1})
	stranger.waitFor(`data-target="#composer-error"`)
	visitor.send(map[string]any{"type": "send", "client_msg_id": "m1", "body": "marker"})
	agent.waitFor("marker")
	if strings.Contains(agent.all(), typingLine) {
		t.Fatalf("the agent was shown a stranger typing:\n%s", agent.all())
	}
}

// TestTypingDraftOnlyWhereTheSiteShowsIt: a visitor's draft reaches the
// agent only from a site that shows drafts, escaped; otherwise the server
// drops it, and the agent sees only that the visitor is typing.
func TestTypingDraftOnlyWhereTheSiteShowsIt(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	k := startWith(t, storetest.URL(t), func(c *app.Config) { c.Now = clock.Now })
	k.ensureAgent()
	ctx := context.Background()
	site, _ := k.newSite("Shop", "https://shop.example.com")
	agent := k.agent().console()
	v, token := k.siteWidget(site)
	v.send(map[string]any{"type": "send", "client_msg_id": "m1", "body": "first", "email": "ada@example.com"})
	agent.waitFor("first")
	conv := visitorConversation(t, k.db, token)
	agent.send(map[string]any{"type": "resume", "conversation_id": conv.ID, "seq": conv.LastSeq})
	agent.waitFor(`data-target="#conversation-list" data-swap="innerHTML"`)

	v.send(map[string]any{"type": "typing", "draft": "my order number is 42"})
	if got := agent.waitFor(typingLine); strings.Contains(got, "typing-draft") || strings.Contains(got, "order number") {
		t.Fatalf("a draft reached the agent from a site that does not show drafts:\n%s", got)
	}

	site.TypingPreview = true
	if _, err := k.db.UpdateSite(ctx, 0, site); err != nil {
		t.Fatal(err)
	}
	clock.advance(2 * time.Second)
	long := "<b>bold</b> " + strings.Repeat("字", chat.MaxDraft)
	v.send(map[string]any{"type": "typing", "draft": long})
	got := agent.waitFor(typingLine)
	want := "&lt;b&gt;bold&lt;/b&gt; " + strings.Repeat("字", chat.MaxDraft-len([]rune("<b>bold</b> ")))
	if !strings.Contains(got, `data-testid="typing-draft">`+want+`</p>`) {
		t.Fatalf("the draft from a site that shows drafts is not shown escaped and cut to %d characters:\n%s", chat.MaxDraft, got)
	}

	// An agent's draft is never relayed, whatever the site.
	clock.advance(2 * time.Second)
	agent.send(map[string]any{"type": "typing", "conversation_id": conv.ID, "draft": "agent's words"})
	if got := v.waitFor(typingLine); strings.Contains(got, "agent&#39;s words") || strings.Contains(got, "typing-draft") {
		t.Fatalf("an agent's draft reached the visitor:\n%s", got)
	}
}

// TestSeenBothWays: each side learns how far the other has read, live and,
// after a reconnect, from the stored read positions.
func TestSeenBothWays(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	agent := k.agent().console()
	token := k.visitorToken()
	visitor := k.liveWidget(token)
	visitor.send(map[string]any{"type": "send", "client_msg_id": "v1", "body": "a question"})
	agent.waitFor("a question")
	conv := visitorConversation(t, k.db, token)
	agent.send(map[string]any{"type": "resume", "conversation_id": conv.ID, "seq": conv.LastSeq})
	agent.waitFor(`data-target="#conversation-list" data-swap="innerHTML"`)
	seen := func(seq int64) string {
		return fmt.Sprintf(`<span id="seen" hidden data-conversation="%d" data-seq="%d">`, conv.ID, seq)
	}

	// The agent reads the visitor's message: the widget hears it.
	agent.send(map[string]any{"type": "read", "conversation_id": conv.ID, "seq": conv.LastSeq})
	visitor.waitFor(seen(conv.LastSeq))

	// The agent answers; the visitor reads it: the agent's console hears it.
	agent.send(map[string]any{"type": "send", "conversation_id": conv.ID, "client_msg_id": "a1", "body": "an answer"})
	visitor.waitFor("an answer")
	answered, err := k.db.Conversation(ctx, conv.ID)
	if err != nil {
		t.Fatal(err)
	}
	visitor.send(map[string]any{"type": "read", "conversation_id": conv.ID, "seq": answered.LastSeq})
	agent.waitFor(seen(answered.LastSeq))

	// Reconnected, each side is told where the other stands, as stored.
	again := k.agent().console()
	again.send(map[string]any{"type": "resume", "conversation_id": conv.ID, "seq": answered.LastSeq})
	again.waitFor(seen(answered.LastSeq))
	widget := k.widget(token)
	widget.send(map[string]any{"type": "resume", "conversation_id": conv.ID, "seq": answered.LastSeq})
	widget.waitFor(seen(answered.LastSeq)) // the agent replied: replying reads
}

// TestSitesPageSavesTypingPreview: the Sites page's checkbox turns the
// draft preview on and off; a new site has it off, and the widget's page
// says so to its script.
func TestSitesPageSavesTypingPreview(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	b := k.agent()
	form := url.Values{"name": {"Shop"}, "origins": {"https://shop.example.com"}, "colour": {"#2563eb"},
		"prechat_name": {"off"}, "prechat_email": {"off"}, "_csrf": {b.csrf("/admin/sites")}}
	if resp, body := b.post("/admin/sites", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("adding a site: %s\n%s", resp.Status, body)
	}
	sites, err := k.db.Sites(ctx)
	if err != nil || len(sites) != 1 || sites[0].TypingPreview {
		t.Fatalf("sites = %+v, %v; want one, without the draft preview", sites, err)
	}
	site := sites[0]
	if _, page := b.get("/admin/sites"); !strings.Contains(page, `name="typing_preview" value="1" data-testid="typing-preview"`) {
		t.Fatalf("the Sites page does not show the preview off:\n%s", page)
	}
	if _, widget := k.browser().get(fmt.Sprintf("/widget?site=%d", site.ID)); strings.Contains(widget, "data-typing-preview") {
		t.Fatal("the widget of a site without the preview asks for drafts")
	}

	form.Set("typing_preview", "1")
	if resp, body := b.post(fmt.Sprintf("/admin/sites/%d", site.ID), form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving the site: %s\n%s", resp.Status, body)
	}
	if got, err := k.db.Site(ctx, site.ID); err != nil || !got.TypingPreview {
		t.Fatalf("site after turning the preview on = %+v, %v", got, err)
	}
	if _, page := b.get("/admin/sites"); !strings.Contains(page, `name="typing_preview" value="1" checked data-testid="typing-preview"`) {
		t.Fatalf("the Sites page does not show the preview on:\n%s", page)
	}
	if _, widget := k.browser().get(fmt.Sprintf("/widget?site=%d", site.ID)); !strings.Contains(widget, "data-typing-preview") {
		t.Fatal("the widget of a site with the preview does not send drafts")
	}
}
