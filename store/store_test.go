package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// fixture is a visitor with an open support conversation and an agent.
type fixture struct {
	db      *store.DB
	visitor chat.User
	agent   chat.User
	conv    chat.Conversation
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	db := storetest.DB(t)
	agent, created, err := db.EnsureAdmin(ctx, store.NewMember{Email: "alex@example.com", Name: "Alex", PasswordHash: "x"})
	if err != nil || !created {
		t.Fatalf("EnsureAdmin = %v, %v", created, err)
	}
	visitor, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	m, created, err := db.SendFromVisitor(ctx, store.Send{SenderID: visitor.ID, Body: "hello"})
	if err != nil || !created || m.Seq != 1 {
		t.Fatalf("first visitor message = %+v, %v, %v", m, created, err)
	}
	conv, err := db.VisitorConversation(ctx, visitor.ID)
	if err != nil || conv.ID != m.ConversationID || conv.Status != chat.Queued {
		t.Fatalf("VisitorConversation = %+v, %v", conv, err)
	}
	return fixture{db: db, visitor: visitor, agent: agent, conv: conv}
}

// openWithConn opens the store on a fresh database, with a connection of
// its own to that database for what a test asks PostgreSQL directly; both
// close when t ends.
func openWithConn(t *testing.T) (*store.DB, *pgx.Conn) {
	t.Helper()
	ctx := context.Background()
	url := storetest.URL(t)
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return db, conn
}

func TestSeqGapFreeUnderConcurrentSenders(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	const senders, each = 20, 10
	var wg sync.WaitGroup
	errs := make(chan error, senders*each)
	for i := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sender := f.agent.ID
			if i%2 == 0 {
				sender = f.visitor.ID
			}
			for j := range each {
				_, _, err := f.db.SendMessage(ctx, store.Send{ConversationID: f.conv.ID, SenderID: sender,
					ClientMsgID: fmt.Sprintf("s%d-%d", i, j), Body: "hi"})
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := f.db.MessagesAfter(ctx, f.conv.ID, 0, 1000, chat.ReaderAgent)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != senders*each+1 {
		t.Fatalf("stored %d messages, want %d", len(msgs), senders*each+1)
	}
	for i, m := range msgs {
		if m.Seq != int64(i+1) {
			t.Fatalf("message %d has seq %d: seq has a gap or repeat", i, m.Seq)
		}
	}
	conv, _ := f.db.ConversationFor(ctx, f.conv.ID, chat.Viewer{UserID: f.visitor.ID})
	if conv.LastSeq != int64(len(msgs)) {
		t.Fatalf("last_seq = %d, want %d", conv.LastSeq, len(msgs))
	}
}

func TestDuplicateClientMsgIDUnderConcurrency(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	const tries = 16
	var wg sync.WaitGroup
	results := make(chan struct {
		m       chat.Message
		created bool
		err     error
	}, tries)
	for range tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, created, err := f.db.SendMessage(ctx, store.Send{ConversationID: f.conv.ID, SenderID: f.visitor.ID, ClientMsgID: "same", Body: "once"})
			results <- struct {
				m       chat.Message
				created bool
				err     error
			}{m, created, err}
		}()
	}
	wg.Wait()
	close(results)
	var created int
	var id int64
	for r := range results {
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.created {
			created++
		}
		if id != 0 && r.m.ID != id {
			t.Fatalf("duplicate sends returned messages %d and %d", id, r.m.ID)
		}
		id = r.m.ID
	}
	if created != 1 {
		t.Fatalf("%d sends reported creating the message, want 1", created)
	}
	msgs, _ := f.db.MessagesAfter(ctx, f.conv.ID, 0, 100, chat.ReaderAgent)
	if len(msgs) != 2 || msgs[1].Seq != 2 {
		t.Fatalf("conversation holds %d messages, want the first and one more with seq 2", len(msgs))
	}
	// The same client id in another conversation is a conflict, not a silent alias.
	other, err := f.db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	m2, _, err := f.db.SendFromVisitor(ctx, store.Send{SenderID: other.ID, Body: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.db.SendMessage(ctx, store.Send{ConversationID: m2.ConversationID, SenderID: f.visitor.ID, ClientMsgID: "same", Body: "x"}); !errors.Is(err, chat.ErrConflict) {
		t.Fatalf("reused client id in another conversation: err = %v, want ErrConflict", err)
	}
}

func TestConcurrentFirstVisitorMessagesShareOneConversation(t *testing.T) {
	t.Parallel()
	db := storetest.DB(t)
	ctx := context.Background()
	if _, _, err := db.EnsureAdmin(ctx, store.NewMember{Email: "alex@example.com", Name: "Alex", PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	v, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	convs := make(chan int64, 10)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cid := ""
			if i%2 == 0 {
				cid = "dup" // half of them resend one frame
			}
			m, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, ClientMsgID: cid, Body: "hi"})
			if err != nil {
				t.Error(err)
				return
			}
			convs <- m.ConversationID
		}()
	}
	wg.Wait()
	close(convs)
	var first int64
	for c := range convs {
		if first != 0 && c != first {
			t.Fatalf("first messages landed in conversations %d and %d", first, c)
		}
		first = c
	}
	msgs, _ := db.MessagesAfter(ctx, first, 0, 100, chat.ReaderAgent)
	if len(msgs) != 6 {
		t.Fatalf("stored %d messages, want 6 (5 distinct + 1 deduplicated)", len(msgs))
	}
}

// TestSupportClosedStoresNothing: with nobody customer service
// (customer_service_uids false), or at grade 200, a visitor's message to
// customer service is refused with the widget's sentence, and nothing is
// stored; the visitor's pre-chat details are not kept either.
func TestSupportClosedStoresNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	for _, close := range []func() error{
		func() error { return f.db.SetAgentList(ctx, f.agent.ID, chat.AgentList{Unrestricted: true}) },
		func() error { return f.db.SetGrade(ctx, f.agent.ID, chat.GradeKinOnly) },
	} {
		if err := f.db.SetAgentList(ctx, f.agent.ID, chat.AgentList{IDs: []int64{f.agent.ID}}); err != nil {
			t.Fatal(err)
		}
		if err := f.db.SetGrade(ctx, f.agent.ID, chat.GradeAnyone); err != nil {
			t.Fatal(err)
		}
		if err := close(); err != nil {
			t.Fatal(err)
		}
		v, err := f.db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = f.db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: "anyone?", VisitorEmail: "ada@example.com"})
		var refused *chat.RefusedError
		if !errors.As(err, &refused) || refused.Say != chat.SayUnavailable {
			t.Fatalf("send with support closed: %v, want the widget's refusal", err)
		}
		if _, err := f.db.VisitorConversation(ctx, v.ID); !errors.Is(err, chat.ErrNotFound) {
			t.Fatalf("a refused first message left a conversation: %v", err)
		}
		if u, err := f.db.User(ctx, v.ID); err != nil || u.Email != "" {
			t.Fatalf("a refused first message kept the visitor's email: %q, %v", u.Email, err)
		}
	}
}

// TestVisitorDetailsKept: what a visitor gives in the pre-chat form is kept
// with them, so that a later chat need not ask again.
func TestVisitorDetailsKept(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	v, err := f.db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: "hi", VisitorName: "Ada", VisitorEmail: "ada@example.com"}); err != nil {
		t.Fatal(err)
	}
	// A later message that gives nothing keeps what was given.
	if _, _, err := f.db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: "again"}); err != nil {
		t.Fatal(err)
	}
	if u, err := f.db.User(ctx, v.ID); err != nil || u.Name != "Ada" || u.Email != "ada@example.com" {
		t.Fatalf("visitor = %+v, %v; want Ada <ada@example.com>", u, err)
	}
}

func TestHistoryPaging(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	// 1 message from the fixture + 119 = 120: pages of 50, 50, 20.
	for i := range 119 {
		if _, _, err := f.db.SendMessage(ctx, store.Send{ConversationID: f.conv.ID, SenderID: f.agent.ID, Body: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		before             int64
		wantFirst, wantLen int64
		wantMore           bool
	}{
		{before: 0, wantFirst: 71, wantLen: 50, wantMore: true},
		{before: 71, wantFirst: 21, wantLen: 50, wantMore: true},
		{before: 21, wantFirst: 1, wantLen: 20, wantMore: false},
		{before: 51, wantFirst: 1, wantLen: 50, wantMore: false},
		{before: 52, wantFirst: 2, wantLen: 50, wantMore: true},
		{before: 2, wantFirst: 1, wantLen: 1, wantMore: false},
		{before: 1, wantLen: 0, wantMore: false},
		{before: 500, wantFirst: 71, wantLen: 50, wantMore: true},
	}
	for _, tt := range tests {
		msgs, more, err := f.db.History(ctx, f.conv.ID, tt.before, chat.PageSize, chat.ReaderAgent)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(msgs)) != tt.wantLen || more != tt.wantMore {
			t.Fatalf("History(before %d) = %d messages, more %v; want %d, %v", tt.before, len(msgs), more, tt.wantLen, tt.wantMore)
		}
		for i, m := range msgs {
			if m.Seq != tt.wantFirst+int64(i) {
				t.Fatalf("History(before %d)[%d].Seq = %d, want %d (ascending, contiguous)", tt.before, i, m.Seq, tt.wantFirst+int64(i))
			}
		}
	}
}

func TestAccessAndUnread(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	stranger, err := f.db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.ConversationFor(ctx, f.conv.ID, chat.Viewer{UserID: stranger.ID}); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("another visitor sees the conversation: %v", err)
	}
	if _, err := f.db.ConversationFor(ctx, f.conv.ID, chat.Viewer{UserID: f.agent.ID, IsAgent: true}); err != nil {
		t.Fatalf("an agent cannot see a support conversation: %v", err)
	}
	if list, _ := f.db.Summaries(ctx, chat.Viewer{UserID: stranger.ID}, 50); len(list) != 0 {
		t.Fatalf("another visitor lists %d conversations", len(list))
	}
	agent := chat.Viewer{UserID: f.agent.ID, IsAgent: true}
	s, err := f.db.Summary(ctx, f.conv.ID, agent)
	if err != nil || s.Unread != 1 || s.LastMessage == nil || s.LastMessage.Body != "hello" || s.Title != chat.VisitorName(f.visitor.ID) {
		t.Fatalf("Summary = %+v, %v", s, err)
	}
	if err := f.db.MarkRead(ctx, f.conv.ID, f.agent.ID, 99); err != nil {
		t.Fatal(err)
	}
	unread, err := f.db.Unread(ctx, f.conv.ID, 1<<40, []int64{f.agent.ID, f.visitor.ID, stranger.ID})
	if err != nil || unread[f.agent.ID] != 0 || unread[f.visitor.ID] != 0 || unread[stranger.ID] != 1 {
		t.Fatalf("Unread = %v, %v; want the agent and the visitor at 0, a non-member at 1", unread, err)
	}
	// The agent's reply is unread for the visitor; routing's system lines are unread for nobody.
	reply, _, err := f.db.SendMessage(ctx, store.Send{ConversationID: f.conv.ID, SenderID: f.agent.ID, Body: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.db.Resolve(ctx, f.conv.ID, f.agent.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	unread, err = f.db.Unread(ctx, f.conv.ID, 1<<40, []int64{f.agent.ID, f.visitor.ID})
	if err != nil || unread[f.agent.ID] != 0 || unread[f.visitor.ID] != 1 {
		t.Fatalf("after a reply and a resolve: Unread = %v, %v; want agent 0, visitor 1", unread, err)
	}
	// Counted up to the message before the reply, nothing is unread.
	if unread, err = f.db.Unread(ctx, f.conv.ID, reply.Seq-1, []int64{f.visitor.ID}); err != nil || unread[f.visitor.ID] != 0 {
		t.Fatalf("Unread up to seq %d = %v, %v; want the visitor at 0", reply.Seq-1, unread, err)
	}
	if s, err := f.db.Summary(ctx, f.conv.ID, chat.Viewer{UserID: f.visitor.ID}); err != nil || s.Unread != 1 || s.LastMessage.Body != "hi" {
		t.Fatalf("visitor's summary: %+v, %v; want 1 unread and the reply as the preview", s, err)
	}
	if _, _, err := f.db.SendMessage(ctx, store.Send{ConversationID: 1 << 40, SenderID: f.agent.ID, Body: "x"}); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("send to a missing conversation: %v, want ErrNotFound", err)
	}
}

func TestEnsureAdminOnce(t *testing.T) {
	t.Parallel()
	db := storetest.DB(t)
	ctx := context.Background()
	a, created, err := db.EnsureAdmin(ctx, store.NewMember{Email: "first@example.com", PasswordHash: "x"})
	if err != nil || !created || !a.IsAdmin {
		t.Fatalf("first EnsureAdmin = %+v, %v, %v", a, created, err)
	}
	b, created, err := db.EnsureAdmin(ctx, store.NewMember{Email: "second@example.com", PasswordHash: "x"})
	if err != nil || created || b.ID != a.ID {
		t.Fatalf("second EnsureAdmin = %+v, %v, %v; want the first admin", b, created, err)
	}
	agents, err := db.AgentList(ctx)
	if err != nil || !agents.Has(a.ID) || len(agents.IDs) != 1 {
		t.Fatalf("customer_service_uids = %+v, %v; want the admin", agents, err)
	}
	if _, err := db.CreateMember(ctx, store.NewMember{Email: "FIRST@example.com", PasswordHash: "x"}); !errors.Is(err, chat.ErrConflict) {
		t.Fatalf("a second account with the same email (other case): %v, want ErrConflict", err)
	}
}

// TestResendAfterRefusalReturnsStored: a frame resent after customer
// service closed is answered with the message stored the first time, not
// refused, and nothing more is stored; a new message is refused.
func TestResendAfterRefusalReturnsStored(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	first, created, err := f.db.SendFromVisitor(ctx, store.Send{SenderID: f.visitor.ID, ClientMsgID: "c-1", Body: "still there?"})
	if err != nil || !created {
		t.Fatalf("send = %v, %v", created, err)
	}
	if err := f.db.SetAgentList(ctx, f.agent.ID, chat.AgentList{Unrestricted: true}); err != nil {
		t.Fatal(err)
	}
	again, created, err := f.db.SendFromVisitor(ctx, store.Send{SenderID: f.visitor.ID, ClientMsgID: "c-1", Body: "still there?"})
	if err != nil || created || again.ID != first.ID || again.Seq != first.Seq {
		t.Fatalf("resend = %+v, %v, %v; want the stored %+v", again, created, err, first)
	}
	var refused *chat.RefusedError
	if _, _, err := f.db.SendFromVisitor(ctx, store.Send{SenderID: f.visitor.ID, ClientMsgID: "c-2", Body: "hello?"}); !errors.As(err, &refused) {
		t.Fatalf("a new message with support closed: %v, want a refusal", err)
	}
	conv, err := f.db.VisitorConversation(ctx, f.visitor.ID)
	if err != nil || conv.LastSeq != first.Seq {
		t.Fatalf("conversation = %+v, %v; want its last seq still %d", conv, err, first.Seq)
	}
}
