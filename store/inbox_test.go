package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/storetest"
)

// inboxWorld is two agents, Ann and Bea, a member Max who is not customer
// service, and a member Nia; support chats in each state, and direct
// conversations.
type inboxWorld struct {
	db                      *store.DB
	ann, bea, max, nia      chat.User
	annChat, beaChat, queue int64 // assigned to Ann, to Bea; waiting
	resolved, snoozed       int64 // resolved by Ann; Ann's, snoozed
	annMax, maxNia          int64 // direct conversations
	site                    chat.Site
}

func newInboxWorld(t testing.TB) inboxWorld {
	t.Helper()
	ctx := context.Background()
	w := inboxWorld{db: storetest.DB(t)}
	var err error
	member := func(name string) chat.User {
		u, err := w.db.CreateMember(ctx, store.NewMember{Email: name + "@example.com", Name: name, PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	w.ann, w.bea, w.max, w.nia = member("Ann"), member("Bea"), member("Max"), member("Nia")
	if err := w.db.SetAgentList(ctx, 0, chat.AgentList{IDs: []int64{w.ann.ID, w.bea.ID}}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []chat.User{w.ann, w.bea} {
		if err := w.db.EnsureAgent(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if err := w.db.SetCapacity(ctx, a.ID, 500); err != nil {
			t.Fatal(err)
		}
	}
	if w.site, err = w.db.CreateSite(ctx, w.ann.ID, chat.Site{Name: "Shop", Origins: []string{"https://shop.example.com"}}, "secret"); err != nil {
		t.Fatal(err)
	}
	w.annChat = supportChat(t, w.db, "ann's", w.site.ID)
	w.beaChat = supportChat(t, w.db, "bea's", 0)
	w.queue = supportChat(t, w.db, "waiting", 0)
	w.resolved = supportChat(t, w.db, "done", 0)
	w.snoozed = supportChat(t, w.db, "later", 0)
	now := time.Now()
	for _, take := range []struct{ id, agent int64 }{{w.annChat, w.ann.ID}, {w.beaChat, w.bea.ID}, {w.resolved, w.ann.ID}, {w.snoozed, w.ann.ID}} {
		if err := w.db.Take(ctx, take.id, take.agent, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.db.Resolve(ctx, w.resolved, w.ann.ID, now); err != nil {
		t.Fatal(err)
	}
	if err := w.db.SnoozeForTest(ctx, w.snoozed, &time.Time{}); err != nil {
		t.Fatal(err)
	}
	w.annMax = direct(t, w.db, w.ann.ID, w.max.ID)
	w.maxNia = direct(t, w.db, w.max.ID, w.nia.ID)
	return w
}

// supportChat starts a visitor's support chat from site (0: none) with body.
func supportChat(t testing.TB, db *store.DB, body string, site int64) int64 {
	t.Helper()
	ctx := context.Background()
	v, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: body, SiteID: site})
	if err != nil {
		t.Fatal(err)
	}
	return m.ConversationID
}

func direct(t testing.TB, db *store.DB, from, to int64) int64 {
	t.Helper()
	ctx := context.Background()
	c, err := db.StartDirect(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SendMessage(ctx, store.Send{ConversationID: c.ID, SenderID: from, ClientMsgID: fmt.Sprint("d", c.ID), Body: "hi"}); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func inboxIDs(t *testing.T, db *store.DB, v chat.Viewer, in chat.Inbox) []int64 {
	t.Helper()
	items, _, err := db.Inbox(context.Background(), v, in, 100)
	if err != nil {
		t.Fatalf("Inbox(%+v, %+v): %v", v, in, err)
	}
	ids := make([]int64, len(items))
	for i, s := range items {
		ids[i] = s.ID
	}
	slices.Sort(ids)
	return ids
}

func sorted(ids ...int64) []int64 { slices.Sort(ids); return ids }

func TestInboxViewsAndFilters(t *testing.T) {
	t.Parallel()
	w := newInboxWorld(t)
	ctx := context.Background()
	db := w.db
	ann, bea := chat.Viewer{UserID: w.ann.ID, IsAgent: true}, chat.Viewer{UserID: w.bea.ID, IsAgent: true}
	label, err := db.LabelForTest(ctx, "VIP", "#ff8800", w.beaChat, w.queue)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		v    chat.Viewer
		in   chat.Inbox
		want []int64
	}{
		{"Ann's mine: her chat, not the snoozed one, and her direct", ann, chat.Inbox{View: chat.ViewMine}, sorted(w.annChat, w.annMax)},
		{"Bea's mine: hers only", bea, chat.Inbox{View: chat.ViewMine}, sorted(w.beaChat)},
		{"unassigned: the queue", ann, chat.Inbox{View: chat.ViewUnassigned}, sorted(w.queue)},
		{"all open, not snoozed", ann, chat.Inbox{View: chat.ViewAll}, sorted(w.annChat, w.beaChat, w.queue, w.annMax)},
		{"resolved", bea, chat.Inbox{View: chat.ViewResolved}, sorted(w.resolved)},
		{"snoozed", bea, chat.Inbox{View: chat.ViewSnoozed}, sorted(w.snoozed)},
		{"by site", ann, chat.Inbox{View: chat.ViewAll, Filter: chat.InboxFilter{SiteID: w.site.ID}}, sorted(w.annChat)},
		{"by label", ann, chat.Inbox{View: chat.ViewAll, Filter: chat.InboxFilter{LabelID: label}}, sorted(w.beaChat, w.queue)},
		{"by agent", ann, chat.Inbox{View: chat.ViewAll, Filter: chat.InboxFilter{AgentID: w.bea.ID}}, sorted(w.beaChat)},
		{"label and agent", ann, chat.Inbox{View: chat.ViewAll, Filter: chat.InboxFilter{LabelID: label, AgentID: w.bea.ID}}, sorted(w.beaChat)},
		{"a filter in mine leaves directs out", ann, chat.Inbox{View: chat.ViewMine, Filter: chat.InboxFilter{SiteID: w.site.ID}}, sorted(w.annChat)},
		{"resolved by agent", ann, chat.Inbox{View: chat.ViewResolved, Filter: chat.InboxFilter{AgentID: w.ann.ID}}, sorted(w.resolved)},
		{"Max, a member: his directs, never a support chat", chat.Viewer{UserID: w.max.ID}, chat.Inbox{View: chat.ViewMine}, sorted(w.annMax, w.maxNia)},
	}
	for _, c := range cases {
		if got := inboxIDs(t, db, c.v, c.in); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}

	// Members have Mine and nothing else, and no filters.
	max := chat.Viewer{UserID: w.max.ID}
	for _, in := range []chat.Inbox{{View: chat.ViewAll}, {View: chat.ViewUnassigned}, {View: chat.ViewResolved}, {View: chat.ViewSnoozed},
		{View: chat.ViewMine, Filter: chat.InboxFilter{SiteID: w.site.ID}}} {
		if _, _, err := db.Inbox(ctx, max, in, 100); !errors.Is(err, chat.ErrNotAllowed) {
			t.Errorf("member's %+v: %v, want ErrNotAllowed", in, err)
		}
		if _, err := db.InboxItem(ctx, max, in, w.maxNia); !errors.Is(err, chat.ErrNotAllowed) {
			t.Errorf("member's item in %+v: %v, want ErrNotAllowed", in, err)
		}
	}
	if _, err := db.InboxCounts(ctx, max, chat.InboxFilter{LabelID: label}); !errors.Is(err, chat.ErrNotAllowed) {
		t.Errorf("member's counts by label: %v, want ErrNotAllowed", err)
	}
	if _, _, err := db.Inbox(ctx, ann, chat.Inbox{View: "later"}, 100); err == nil {
		t.Error("an unknown view was listed")
	}

	// One item, as a live list asks: in its view, or not found.
	s, err := db.InboxItem(ctx, ann, chat.Inbox{View: chat.ViewAll}, w.beaChat)
	if err != nil || s.Assignee != "Bea" || len(s.Labels) != 1 || s.Labels[0] != (chat.Label{ID: label, Name: "VIP", Color: "#ff8800"}) ||
		s.LastMessage == nil || s.LastMessage.Body != "bea's" || s.Status != chat.Assigned {
		t.Fatalf("InboxItem = %+v, %v", s, err)
	}
	if _, err := db.InboxItem(ctx, ann, chat.Inbox{View: chat.ViewMine}, w.beaChat); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("Bea's chat in Ann's mine: %v", err)
	}
	if _, err := db.InboxItem(ctx, max, chat.Inbox{View: chat.ViewMine}, w.annChat); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("a support chat in a member's mine: %v", err)
	}
	sn, err := db.InboxItem(ctx, ann, chat.Inbox{View: chat.ViewSnoozed}, w.snoozed)
	if err != nil || !sn.Snoozed() || sn.SnoozedUntil != nil {
		t.Fatalf("snoozed until the visitor writes: %+v, %v", sn, err)
	}
	until := time.Now().Add(time.Hour).Truncate(time.Microsecond)
	if err := db.SnoozeForTest(ctx, w.snoozed, &until); err != nil {
		t.Fatal(err)
	}
	if sn, err = db.InboxItem(ctx, ann, chat.Inbox{View: chat.ViewSnoozed}, w.snoozed); err != nil || sn.SnoozedUntil == nil || !sn.SnoozedUntil.Equal(until) {
		t.Fatalf("snoozed for an hour: %+v, %v", sn, err)
	}

	// Counts, one query for every view, with and without a filter.
	counts, err := db.InboxCounts(ctx, ann, chat.InboxFilter{})
	want := chat.InboxCounts{chat.ViewMine: 2, chat.ViewUnassigned: 1, chat.ViewAll: 4, chat.ViewResolved: 1, chat.ViewSnoozed: 1}
	if err != nil || !mapsEqual(counts, want) {
		t.Fatalf("Ann's counts = %v, %v; want %v", counts, err, want)
	}
	counts, err = db.InboxCounts(ctx, ann, chat.InboxFilter{LabelID: label})
	want = chat.InboxCounts{chat.ViewMine: 0, chat.ViewUnassigned: 1, chat.ViewAll: 2, chat.ViewResolved: 0, chat.ViewSnoozed: 0}
	if err != nil || !mapsEqual(counts, want) {
		t.Fatalf("Ann's counts by label = %v, %v; want %v", counts, err, want)
	}
	counts, err = db.InboxCounts(ctx, max, chat.InboxFilter{})
	if err != nil || !mapsEqual(counts, chat.InboxCounts{chat.ViewMine: 2}) {
		t.Fatalf("Max's counts = %v, %v", counts, err)
	}
	labels, err := db.Labels(ctx)
	if err != nil || len(labels) != 1 || labels[0].Name != "VIP" {
		t.Fatalf("Labels = %v, %v", labels, err)
	}
}

func mapsEqual(a, b chat.InboxCounts) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// A chat leaves the lists of open chats when it is resolved and comes back
// when its visitor writes again: the lists walk the activity of resolved
// and open chats apart (migration 0036), which follows the chat's status.
func TestInboxFollowsResolveAndReopen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.DB(t)
	agent, _, err := db.EnsureAdmin(ctx, store.NewMember{Email: "ann@example.com", Name: "Ann", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.EnsureAgent(ctx, agent.ID); err != nil {
		t.Fatal(err)
	}
	v, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, ClientMsgID: "first", Body: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	id := m.ConversationID
	if err := db.Take(ctx, id, agent.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	ann := chat.Viewer{UserID: agent.ID, IsAgent: true}
	lists := func(step string, all, resolved []int64) {
		t.Helper()
		if got := inboxIDs(t, db, ann, chat.Inbox{View: chat.ViewAll}); !slices.Equal(got, all) {
			t.Errorf("%s: All = %v, want %v", step, got, all)
		}
		if got := inboxIDs(t, db, ann, chat.Inbox{View: chat.ViewResolved}); !slices.Equal(got, resolved) {
			t.Errorf("%s: Resolved = %v, want %v", step, got, resolved)
		}
		if n, err := db.InboxCounts(ctx, ann, chat.InboxFilter{}); err != nil || n[chat.ViewAll] != len(all) || n[chat.ViewResolved] != len(resolved) {
			t.Errorf("%s: counts = %v, %v; want All %d, Resolved %d", step, n, err, len(all), len(resolved))
		}
		list, err := db.Summaries(ctx, chat.Viewer{UserID: v.ID}, 10)
		if err != nil || len(list) != 1 || list[0].ID != id {
			t.Errorf("%s: the visitor's own list = %v, %v; want their chat", step, list, err)
		}
	}
	lists("taken", []int64{id}, []int64{})
	if err := db.Resolve(ctx, id, agent.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	lists("resolved", []int64{}, []int64{id})
	if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, ClientMsgID: "again", Body: "one more thing"}); err != nil {
		t.Fatal(err)
	}
	if got := inboxIDs(t, db, ann, chat.Inbox{View: chat.ViewUnassigned}); !slices.Equal(got, []int64{id}) {
		t.Errorf("reopened: Unassigned = %v, want %v", got, []int64{id})
	}
	lists("reopened", []int64{id}, []int64{})
	// A change of status that writes no message (a resolve does, and a
	// visitor's message) moves the chat between the lists all the same.
	if err := db.ExecForTest(ctx, "UPDATE conversations SET status = 'resolved' WHERE id = $1", id); err != nil {
		t.Fatal(err)
	}
	lists("resolved by its status alone", []int64{}, []int64{id})
}

// TestInboxPages pages through the queue by keyset: exactly a page has no
// next page, one more has; items with the same last activity are ordered
// by id and none is skipped or shown twice across the page's edge.
func TestInboxPages(t *testing.T) {
	t.Parallel()
	db := storetest.DB(t)
	ctx := context.Background()
	admin, _, err := db.EnsureAdmin(ctx, store.NewMember{Email: "alex@example.com", Name: "Alex", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetAgentList(ctx, 0, chat.AgentList{IDs: []int64{admin.ID}}); err != nil {
		t.Fatal(err)
	}
	agent := chat.Viewer{UserID: admin.ID, IsAgent: true}
	unassigned := chat.Inbox{View: chat.ViewUnassigned}
	var ids []int64
	for i := range 101 {
		ids = append(ids, supportChat(t, db, fmt.Sprint("chat ", i), 0))
	}
	// All but the newest one tie on their last activity.
	tie := time.Now().Add(-time.Minute).Truncate(time.Microsecond)
	if err := db.ActiveAtForTest(ctx, tie, ids[:100]...); err != nil {
		t.Fatal(err)
	}

	// 100 of 101 first: the newest, then the tied ones by id, newest first.
	page, next, err := db.Inbox(ctx, agent, unassigned, 100)
	if err != nil || len(page) != 100 || next.IsZero() {
		t.Fatalf("first page: %d items, next %v, %v", len(page), next, err)
	}
	if page[0].ID != ids[100] || page[1].ID != ids[99] || page[99].ID != ids[1] {
		t.Fatalf("order: %d, %d … %d", page[0].ID, page[1].ID, page[99].ID)
	}
	if next.ID != ids[1] || !next.At.Equal(tie) {
		t.Fatalf("cursor %+v, want %d at %v", next, ids[1], tie)
	}
	back, err := chat.ParseCursor(next.String())
	if err != nil || back != next {
		t.Fatalf("cursor %q reads back as %+v, %v", next.String(), back, err)
	}
	rest, after, err := db.Inbox(ctx, agent, chat.Inbox{View: chat.ViewUnassigned, Before: back}, 100)
	if err != nil || len(rest) != 1 || rest[0].ID != ids[0] || !after.IsZero() {
		t.Fatalf("second page: %v, next %v, %v", rest, after, err)
	}

	// Exactly a page: no next one.
	if err := db.SnoozeForTest(ctx, ids[0], &time.Time{}); err != nil {
		t.Fatal(err)
	}
	page, next, err = db.Inbox(ctx, agent, unassigned, 100)
	if err != nil || len(page) != 100 || !next.IsZero() {
		t.Fatalf("exactly a page: %d items, next %v, %v", len(page), next, err)
	}
	counts, err := db.InboxCounts(ctx, agent, chat.InboxFilter{})
	if err != nil || counts[chat.ViewUnassigned] != 100 || counts[chat.ViewSnoozed] != 1 {
		t.Fatalf("counts %v, %v", counts, err)
	}
}

func TestCursorRefusesWhatItDidNotWrite(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"x", "1", "1.", ".2", "1.0", "-5.2", "1.2.3", "abc.def"} {
		var ve *chat.ValidationError
		if _, err := chat.ParseCursor(s); !errors.As(err, &ve) || ve.Field != "before" {
			t.Errorf("ParseCursor(%q) = %v", s, err)
		}
	}
	if c, err := chat.ParseCursor(""); err != nil || !c.IsZero() {
		t.Errorf("no cursor: %v, %v", c, err)
	}
}

// TestHoldsAgreesWithTheStore: chat.Inbox.Holds, which a console uses to
// place a chat a message moved without asking the store, says of every
// chat, view and filter what the store's own query says.
func TestHoldsAgreesWithTheStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newInboxWorld(t)
	db := w.db
	vip, err := db.LabelForTest(ctx, "VIP", "#aa00aa", w.annChat, w.queue)
	if err != nil {
		t.Fatal(err)
	}
	timed := supportChat(t, db, "tomorrow", 0)
	if err := db.Take(ctx, timed, w.bea.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	until := time.Now().Add(24 * time.Hour)
	if err := db.SnoozeForTest(ctx, timed, &until); err != nil {
		t.Fatal(err)
	}
	// Pins change the order of Mine, never what a view holds.
	for _, pin := range []struct{ user, id int64 }{{w.ann.ID, w.annMax}, {w.ann.ID, w.queue}, {w.max.ID, w.maxNia}} {
		if err := db.SetPinned(ctx, pin.user, pin.id, true); err != nil {
			t.Fatal(err)
		}
	}
	chats := []int64{w.annChat, w.beaChat, w.queue, w.resolved, w.snoozed, timed, w.annMax, w.maxNia}
	viewers := []chat.Viewer{{UserID: w.ann.ID, IsAgent: true}, {UserID: w.bea.ID, IsAgent: true}, {UserID: w.max.ID}}
	filters := []chat.InboxFilter{{}, {LabelID: vip}, {AgentID: w.ann.ID}, {AgentID: w.bea.ID, LabelID: vip}}
	checked := 0
	for _, v := range viewers {
		for _, view := range chat.Views {
			for _, f := range filters {
				in := chat.Inbox{View: view, Filter: f}
				if in.Validate(v) != nil {
					continue
				}
				listed := inboxIDs(t, db, v, in) // pins and the page by activity together
				for _, id := range chats {
					sum, err := db.Summary(ctx, id, v)
					if errors.Is(err, chat.ErrNotFound) {
						continue // not theirs to see: no message of it reaches them
					}
					if err != nil {
						t.Fatal(err)
					}
					_, err = db.InboxItem(ctx, v, in, id)
					if err != nil && !errors.Is(err, chat.ErrNotFound) {
						t.Fatal(err)
					}
					if slices.Contains(listed, id) != (err == nil) {
						t.Errorf("chat %d, %s, filter %+v, viewer %d: the list and the item disagree", id, view, f, v.UserID)
					}
					holds, known := in.Holds(v, sum.Conversation, sum.Labels)
					if !known || holds != (err == nil) {
						t.Errorf("chat %d, %s, filter %+v, viewer %d: Holds = %v (known %v), the store says %v",
							id, view, f, v.UserID, holds, known, err == nil)
					}
					checked++
				}
			}
		}
	}
	if checked < 100 {
		t.Fatalf("only %d cases checked", checked)
	}
	if _, known := (chat.Inbox{View: chat.ViewAll, Filter: chat.InboxFilter{SiteID: w.site.ID}}).Holds(viewers[0], chat.Conversation{}, nil); known {
		t.Fatal("Holds claims to know a site filter, which a conversation does not carry")
	}
}
