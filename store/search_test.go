package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

// searchFixture: a visitor, Ada, in a support chat written in English and
// Chinese, with an agent's note; and a group of two members, Bob and Carol
// (with the agent in it too), that Dave is not in.
type searchFixture struct {
	fixture
	ada              chat.User
	adaChat          int64
	bob, carol, dave chat.User
	group            int64
	// agent is in the group; erin, another agent, is not.
	agent, erin, bobV, daveV chat.Viewer
}

func newSearchFixture(t *testing.T) searchFixture {
	t.Helper()
	ctx := context.Background()
	f := searchFixture{fixture: newFixture(t)}
	var err error
	if f.ada, err = f.db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken())); err != nil {
		t.Fatal(err)
	}
	for i, body := range []string{"I would like a Refund for order 42, please", "我想申请退款，订单还没有收到", "中文版说明书在哪里？"} {
		s := store.Send{SenderID: f.ada.ID, Body: body}
		if i == 0 {
			s.VisitorName, s.VisitorEmail = "Ada Lovelace", "ada@example.com"
		}
		m, _, err := f.db.SendFromVisitor(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		f.adaChat = m.ConversationID
	}
	f.send(t, f.adaChat, f.fixture.agent.ID, chat.Note, "VIP customer, refund approved")
	for _, u := range []*chat.User{&f.bob, &f.carol, &f.dave} {
		name := map[*chat.User]string{&f.bob: "Bob", &f.carol: "Carol", &f.dave: "Dave"}[u]
		if *u, err = f.db.CreateMember(ctx, store.NewMember{Email: name + "@kefu.test", Name: name, PasswordHash: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	if f.group, err = f.db.CreateGroup(ctx, f.bob.ID, "Launch 发布会", []int64{f.carol.ID, f.fixture.agent.ID}); err != nil {
		t.Fatal(err)
	}
	f.send(t, f.group, f.carol.ID, chat.Text, "the refund policy draft is ready")
	f.send(t, f.group, f.fixture.agent.ID, chat.Note, "secret refund memo")
	f.agent = chat.Viewer{UserID: f.fixture.agent.ID, IsAgent: true}
	f.bobV, f.daveV = chat.Viewer{UserID: f.bob.ID}, chat.Viewer{UserID: f.dave.ID}
	erin, err := f.db.CreateMember(ctx, store.NewMember{Email: "erin@kefu.test", Name: "Erin", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	f.erin = chat.Viewer{UserID: erin.ID, IsAgent: true}
	return f
}

func (f searchFixture) send(t *testing.T, conv, from int64, typ chat.MessageType, body string) chat.Message {
	t.Helper()
	m, _, err := f.db.SendMessage(context.Background(), store.Send{ConversationID: conv, SenderID: from, Type: typ, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// bodiesWithin are the messages found for q by v, newest first, an agent's
// search reading the newest window messages in order.
func (f searchFixture) bodiesWithin(t *testing.T, v chat.Viewer, q string, window int64) []string {
	t.Helper()
	res, err := f.db.SearchWithin(context.Background(), v, q, 0, store.SearchLimit, window)
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	var got []string
	for _, h := range res.Messages {
		got = append(got, h.Message.Body)
	}
	return got
}

// indexAll indexes every message that is still pending.
func (f searchFixture) indexAll(t *testing.T) {
	t.Helper()
	for {
		n, err := f.db.IndexPending(context.Background(), store.IndexBatch)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// bodies are the messages found for q by v, newest first.
func (f searchFixture) bodies(t *testing.T, v chat.Viewer, q string) []string {
	t.Helper()
	res, err := f.db.Search(context.Background(), v, q, 0, store.SearchLimit)
	if err != nil {
		t.Fatalf("Search(%q): %v", q, err)
	}
	var out []string
	for _, h := range res.Messages {
		if h.Conversation.ID != h.Message.ConversationID {
			t.Errorf("Search(%q): hit in conversation %d comes with conversation %d", q, h.Message.ConversationID, h.Conversation.ID)
		}
		out = append(out, h.Message.Body)
	}
	return out
}

// TestSearchMatching: whole and partial latin words in any case, several
// words in any order, Chinese of two and more characters (which must stand
// together), an address; LIKE's wildcards are only characters.
func TestSearchMatching(t *testing.T) {
	t.Parallel()
	f := newSearchFixture(t)
	refund := "I would like a Refund for order 42, please"
	zh1, zh2 := "我想申请退款，订单还没有收到", "中文版说明书在哪里？"
	note := "VIP customer, refund approved"
	cases := []struct {
		q    string
		want []string
	}{
		{"refund", []string{note, refund}},
		{"REFUND", []string{note, refund}},
		{"refu", []string{note, refund}},   // the start of a word
		{"efun", []string{note, refund}},   // inside a word (trigrams)
		{"order refund", []string{refund}}, // every word, in any order
		{"42", []string{refund}},           // a short word
		{"退款", []string{zh1}},              // two Chinese characters
		{"申请退款", []string{zh1}},            // four
		{"中文版说明书", []string{zh2}},          // six
		{"说", []string{zh2}},               // one
		{"款订", nil},                        // not together: a comma is between them
		{"退订", nil},                        // both there, apart
		{"refund 退款", nil},                 // Chinese must stand as typed
		{"%", nil},
		{"_", nil},
		{"nothing-like-this", nil},
	}
	for _, c := range cases {
		if got := f.bodies(t, f.erin, c.q); !slices.Equal(got, c.want) {
			t.Errorf("an agent searching %q found %q; want %q", c.q, got, c.want)
		}
		if got := f.bodiesWithin(t, f.erin, c.q, 0); !slices.Equal(got, c.want) {
			t.Errorf("an agent searching %q, not yet indexed, found %q; want %q", c.q, got, c.want)
		}
	}
	// The same through the indexes, once the messages are indexed.
	f.indexAll(t)
	for _, c := range cases {
		if got := f.bodiesWithin(t, f.erin, c.q, 0); !slices.Equal(got, c.want) {
			t.Errorf("an agent searching %q, indexed, found %q; want %q", c.q, got, c.want)
		}
	}
	// Conversations, by their visitor's name and email, and by title.
	for _, q := range []string{"ada@example.com", "lovelace", "Ada Love", "example.com"} {
		res, err := f.db.Search(context.Background(), f.erin, q, 0, store.SearchLimit)
		if err != nil || len(res.Conversations) != 1 || res.Conversations[0].ID != f.adaChat || res.Conversations[0].Title != "Ada Lovelace" {
			t.Errorf("an agent searching %q: conversations %+v, %v; want Ada's chat", q, res.Conversations, err)
		}
	}
	for _, q := range []string{"发布", "launch"} {
		res, err := f.db.Search(context.Background(), f.bobV, q, 0, store.SearchLimit)
		if err != nil || len(res.Conversations) != 1 || res.Conversations[0].ID != f.group {
			t.Errorf("Bob searching %q: conversations %+v, %v; want his group", q, res.Conversations, err)
		}
	}
}

// TestSearchLeastPrivilege: agents search support chats and their own
// conversations; members only the conversations they are in; notes are
// for agents only.
func TestSearchLeastPrivilege(t *testing.T) {
	t.Parallel()
	f := newSearchFixture(t)
	ctx := context.Background()
	if got, want := f.bodies(t, f.agent, "refund"), []string{"secret refund memo", "the refund policy draft is ready",
		"VIP customer, refund approved", "I would like a Refund for order 42, please"}; !slices.Equal(got, want) {
		t.Errorf("agent (in the group) found %q; want %q", got, want)
	}
	// Members' searches go through the indexes: before the indexer has
	// been, and after.
	for _, when := range []string{"pending", "indexed"} {
		if when == "indexed" {
			f.indexAll(t)
		}
		if got, want := f.bodies(t, f.bobV, "refund"), []string{"the refund policy draft is ready"}; !slices.Equal(got, want) {
			t.Errorf("Bob found %q (%s); want only his group's message, without its note", got, when)
		}
		for _, q := range []string{"refund", "退款", "secret", "memo"} {
			if got := f.bodies(t, f.daveV, q); len(got) != 0 {
				t.Errorf("Dave, in nothing, found %q for %q (%s)", got, q, when)
			}
		}
	}
	for _, q := range []string{"ada@example.com", "Launch", "Carol"} {
		if res, err := f.db.Search(ctx, f.daveV, q, 0, store.SearchLimit); err != nil || len(res.Conversations) != 0 {
			t.Errorf("Dave searching %q found conversations %+v, %v", q, res.Conversations, err)
		}
	}
	// An agent out of the group finds neither it nor its note.
	if got, want := f.bodies(t, f.erin, "refund"),
		[]string{"VIP customer, refund approved", "I would like a Refund for order 42, please"}; !slices.Equal(got, want) {
		t.Errorf("another agent found %q; want the support chat's message and note only", got)
	}
	// The same agent, once off customer service, sees no support chat.
	if got := f.bodies(t, chat.Viewer{UserID: f.erin.UserID}, "refund"); len(got) != 0 {
		t.Errorf("a member who is not an agent found %q", got)
	}
}

// TestSearchPages: a page holds at most limit messages; the next one starts
// below the last, and only the first lists conversations. An agent's pages
// are the same whether the newest messages are read in order or found
// through the indexes, or partly each way.
func TestSearchPages(t *testing.T) {
	t.Parallel()
	f := newSearchFixture(t)
	for i := range 7 {
		f.send(t, f.group, f.bob.ID, chat.Text, fmt.Sprintf("invoice %d for Launch", i))
		f.send(t, f.group, f.bob.ID, chat.Text, "something else")
	}
	want := []string{"invoice 6 for Launch", "invoice 5 for Launch", "invoice 4 for Launch", "invoice 3 for Launch",
		"invoice 2 for Launch", "invoice 1 for Launch", "invoice 0 for Launch"}
	for _, n := range []int64{0, 2, 5, 1 << 20} {
		for _, v := range []chat.Viewer{f.bobV, f.agent} {
			if got := searchPages(t, f, v, n); !slices.Equal(got, want) {
				t.Errorf("pages for %+v, reading %d in order, gave %q; want %q", v, n, got, want)
			}
		}
	}
}

func searchPages(t *testing.T, f searchFixture, v chat.Viewer, window int64) []string {
	t.Helper()
	var got []string
	before := int64(0)
	for page := 0; ; page++ {
		res, err := f.db.SearchWithin(context.Background(), v, "invoice", before, 3, window)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Messages) > 3 || (page > 0 && len(res.Conversations) != 0) {
			t.Fatalf("page %d: %d messages, %d conversations", page, len(res.Messages), len(res.Conversations))
		}
		for _, h := range res.Messages {
			got = append(got, h.Message.Body)
		}
		if !res.More {
			break
		}
		before = res.Messages[len(res.Messages)-1].Message.ID
	}
	return got
}

// TestIndexPendingTakesEachOnce: the indexers of several instances at once
// index every pending message exactly once, and what they indexed is found
// through the indexes alone.
func TestIndexPendingTakesEachOnce(t *testing.T) {
	t.Parallel()
	f := newSearchFixture(t)
	ctx := context.Background()
	for i := range 40 {
		f.send(t, f.group, f.bob.ID, chat.Text, fmt.Sprintf("waybill %d 运单", i))
	}
	took := make(chan int)
	for range 4 {
		go func() {
			sum := 0
			for {
				n, err := f.db.IndexPending(ctx, 3)
				if err != nil {
					t.Error(err)
				}
				if n == 0 || err != nil {
					took <- sum
					return
				}
				sum += n
			}
		}()
	}
	total := 0
	for range 4 {
		total += <-took
	}
	// The fixture's seven messages with text, and the forty.
	if total != 47 {
		t.Errorf("the indexers took %d messages; want 47", total)
	}
	if n, err := f.db.IndexPending(ctx, store.IndexBatch); n != 0 || err != nil {
		t.Errorf("after them, IndexPending took %d, %v", n, err)
	}
	if got := f.bodiesWithin(t, f.agent, "运单", 0); len(got) != 40 {
		t.Errorf("an agent found %d waybills through the indexes; want 40", len(got))
	}
}

// TestRevokedTextLeavesTheIndex: the text a search indexed is a copy, and
// a revoke takes it out with the message's own.
func TestRevokedTextLeavesTheIndex(t *testing.T) {
	t.Parallel()
	f := newSearchFixture(t)
	ctx := context.Background()
	m := f.send(t, f.group, f.bob.ID, chat.Text, "the vault code is 4711")
	f.indexAll(t)
	if got := f.bodiesWithin(t, f.agent, "vault", 0); len(got) != 1 {
		t.Fatalf("before the revoke, found %q", got)
	}
	if _, err := f.db.Revoke(ctx, f.group, m.ID, f.bobV, m.CreatedAt.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	var copies int
	if err := f.db.Pool().QueryRow(ctx, "SELECT count(*) FROM message_search WHERE body LIKE '%vault%'").Scan(&copies); err != nil || copies != 0 {
		t.Fatalf("%d copies of the revoked text left in message_search, %v", copies, err)
	}
	f.indexAll(t)
	for _, window := range []int64{0, 10000} {
		if got := f.bodiesWithin(t, f.agent, "vault", window); len(got) != 0 {
			t.Errorf("after the revoke, found %q", got)
		}
	}
}
