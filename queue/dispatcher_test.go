package queue_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/queue"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// clock is a test-controlled clock.
type clock struct{ ns atomic.Int64 }

func newClock() *clock                   { c := &clock{}; c.ns.Store(time.Now().UnixNano()); return c }
func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// world is a database with agents and queued chats.
type world struct {
	t      testing.TB
	db     *store.DB
	url    string
	clock  *clock
	agents []int64
	chats  []int64 // in queue order
}

func newWorld(t testing.TB, agents, capacity, chats int) *world {
	t.Helper()
	ctx := context.Background()
	url := storetest.URL(t)
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	w := &world{t: t, db: db, url: url, clock: newClock()}
	for i := range agents {
		u, err := db.CreateMember(ctx, store.NewMember{Email: fmt.Sprintf("agent%d@example.com", i), Name: fmt.Sprintf("Agent %d", i), PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.EnsureAgent(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.SetCapacity(ctx, u.ID, capacity); err != nil {
			t.Fatal(err)
		}
		w.agents = append(w.agents, u.ID)
		w.online(u.ID)
	}
	if err := db.SetAgentList(ctx, w.agents[0], chat.AgentList{IDs: w.agents}); err != nil {
		t.Fatal(err)
	}
	for i := range chats {
		w.chats = append(w.chats, w.newChat(fmt.Sprint("help ", i)))
	}
	return w
}

func (w *world) newChat(body string) int64 {
	w.t.Helper()
	ctx := context.Background()
	v, err := w.db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		w.t.Fatal(err)
	}
	m, _, err := w.db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: body})
	if err != nil {
		w.t.Fatal(err)
	}
	return m.ConversationID
}

func (w *world) online(agentID int64) {
	w.t.Helper()
	if err := w.db.TouchPresence(context.Background(), fmt.Sprint("socket-", agentID), agentID, w.clock.Now()); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) dispatcher() *queue.Dispatcher {
	cfg := queue.DefaultConfig
	cfg.Now = w.clock.Now
	return queue.NewDispatcher(w.db, cfg, slog.New(slog.DiscardHandler))
}

// assignments reads who has which chat, straight from the database.
func (w *world) assignments() map[int64]int64 {
	w.t.Helper()
	conn, err := pgx.Connect(context.Background(), w.url)
	if err != nil {
		w.t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, _ := conn.Query(context.Background(), "SELECT id, assigned_agent_id FROM conversations WHERE status = 'assigned'")
	out := map[int64]int64{}
	var id, agent int64
	if _, err := pgx.ForEachRow(rows, []any{&id, &agent}, func() error { out[id] = agent; return nil }); err != nil {
		w.t.Fatal(err)
	}
	return out
}

func (w *world) checkCapacity(assigned map[int64]int64, capacity int) {
	w.t.Helper()
	per := map[int64]int{}
	for _, a := range assigned {
		per[a]++
	}
	for a, n := range per {
		if n > capacity {
			w.t.Fatalf("agent %d has %d chats, over the capacity of %d", a, n, capacity)
		}
	}
}

func TestThreeDispatchersFillEveryAgentExactly(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 6, 3, 100)
	counts := w.drainTogether(3) // three instances
	assigned := w.assignments()
	if len(assigned) != 18 || counts[0]+counts[1]+counts[2] != 18 {
		t.Fatalf("%d chats assigned (dispatchers report %v), want exactly 18", len(assigned), counts)
	}
	w.checkCapacity(assigned, 3)
	for _, id := range w.chats[:18] { // oldest first
		if _, ok := assigned[id]; !ok {
			t.Fatalf("chat %d, among the 18 oldest, was not assigned", id)
		}
	}
	q, err := w.db.Queue(context.Background(), 50)
	if err != nil || len(q) != 82 || q[0].ConversationID != w.chats[18] {
		t.Fatalf("the queue holds %d chats starting at %v, want 82 starting at %d", len(q), q[0].ConversationID, w.chats[18])
	}
	if q[49].Preview == "" || q[50].Preview != "" {
		t.Fatalf("previews %q at 50 and %q at 51; want the first 50 read, no more", q[49].Preview, q[50].Preview)
	}
	// Each waiting visitor's own place, as their widget reads it, is their place in the whole queue.
	for _, e := range q {
		e.Preview = ""
		if got, err := w.db.QueuePlace(context.Background(), e.VisitorID); err != nil || !got.QueuedAt.Equal(e.QueuedAt) ||
			got.ConversationID != e.ConversationID || got.Position != e.Position || got.VisitorID != e.VisitorID {
			t.Fatalf("QueuePlace(%d) = %+v, %v; want %+v", e.VisitorID, got, err, e)
		}
	}
	for id := range assigned {
		c, err := w.db.Conversation(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := w.db.QueuePlace(context.Background(), c.VisitorID); !errors.Is(err, chat.ErrNotFound) {
			t.Fatalf("QueuePlace of an assigned chat's visitor = %+v, %v; want chat.ErrNotFound", got, err)
		}
	}
}

func TestDispatchersWhileAgentsComeAndGo(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 6, 3, 60)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 3 {
		d := w.dispatcher()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if _, err := d.Drain(ctx); err != nil && ctx.Err() == nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	// Agents switch between available and away, go off and on line, and resolve chats, at random.
	rng := rand.New(rand.NewPCG(1, 2))
	for range 150 {
		a := w.agents[rng.IntN(len(w.agents))]
		state := chat.Available
		if rng.IntN(2) == 0 {
			state = chat.Away
		}
		if err := w.db.SetAgentState(ctx, a, state); err != nil {
			t.Fatal(err)
		}
		// And go off line (their console last seen long ago) or come back.
		seen := w.clock.Now()
		if rng.IntN(3) == 0 {
			seen = seen.Add(-time.Hour)
		}
		b := w.agents[rng.IntN(len(w.agents))]
		if err := w.db.TouchPresence(ctx, fmt.Sprint("socket-", b), b, seen); err != nil {
			t.Fatal(err)
		}
		assigned := w.assignments()
		w.checkCapacity(assigned, 3)
		for id, agent := range assigned {
			if rng.IntN(8) == 0 {
				if err := w.db.Resolve(ctx, id, agent, w.clock.Now()); err != nil && !errors.Is(err, chat.ErrResolved) {
					t.Fatal(err)
				}
			}
		}
	}
	cancel()
	wg.Wait()
	w.checkCapacity(w.assignments(), 3)
	// No chat was assigned twice: every assignment left exactly one "joined" line.
	conn, err := pgx.Connect(context.Background(), w.url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var doubled int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM (SELECT conversation_id FROM messages
		WHERE code = 'joined' GROUP BY conversation_id HAVING count(*) > 1) x`).Scan(&doubled); err != nil {
		t.Fatal(err)
	}
	if doubled != 0 {
		t.Fatalf("%d chats were assigned more than once", doubled)
	}
}

func TestManualTakeRacesTheDispatcher(t *testing.T) {
	t.Parallel()
	for round := range 10 {
		w := newWorld(t, 2, 5, 1)
		d := w.dispatcher()
		// Only agent 0 is eligible for the dispatcher; agent 1 takes by hand.
		if err := w.db.SetAgentState(context.Background(), w.agents[1], chat.Away); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var takeErr error
		var dispatched int
		wg.Add(2)
		go func() {
			defer wg.Done()
			takeErr = w.db.Take(context.Background(), w.chats[0], w.agents[1], w.clock.Now())
		}()
		go func() { defer wg.Done(); dispatched, _ = d.Drain(context.Background()) }()
		wg.Wait()
		assigned := w.assignments()
		if len(assigned) != 1 {
			t.Fatalf("round %d: %d assignments, want 1", round, len(assigned))
		}
		switch {
		case takeErr == nil && dispatched == 0 && assigned[w.chats[0]] == w.agents[1]:
		case errors.Is(takeErr, chat.ErrAlreadyAssigned) && dispatched == 1 && assigned[w.chats[0]] == w.agents[0]:
		default:
			t.Fatalf("round %d: take %v, dispatcher %d, assigned %v: want exactly one winner, the loser told", round, takeErr, dispatched, assigned)
		}
	}
}

func TestPositionsStayOneToN(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 6, 5, 40)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done, start := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		<-start // once the full queue is sampled: the drain is watched from its start
		for _, d := range []*queue.Dispatcher{w.dispatcher(), w.dispatcher()} {
			go d.Drain(ctx)
		}
		d := w.dispatcher()
		for {
			if n, _ := d.Drain(ctx); n == 0 && len(w.assignments()) == 30 {
				return
			}
		}
	}()
	samples := 0
	for {
		q, err := w.db.Queue(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range q {
			if e.Position != i+1 {
				t.Fatalf("sample %d: positions %v are not 1..%d", samples, positions(q), len(q))
			}
		}
		if !slices.IsSortedFunc(q, func(a, b chat.QueueEntry) int { return a.QueuedAt.Compare(b.QueuedAt) }) {
			t.Fatalf("sample %d: the queue is not oldest first", samples)
		}
		samples++
		if samples == 1 {
			close(start)
		}
		select {
		case <-done:
			if len(q) != 10 {
				// the last sample may predate the end; take one more
				if q, _ = w.db.Queue(ctx, 100); len(q) != 10 {
					t.Fatalf("%d chats left in the queue, want 10", len(q))
				}
			}
			if samples < 2 {
				t.Fatalf("only %d samples taken while the queue drained", samples)
			}
			return
		default:
		}
	}
}

func positions(q []chat.QueueEntry) []int {
	out := make([]int, len(q))
	for i, e := range q {
		out[i] = e.Position
	}
	return out
}

func TestAnswerTimeoutHandsBack(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 1, 5, 2)
	d := w.dispatcher()
	if n, err := d.Drain(context.Background()); err != nil || n != 2 {
		t.Fatalf("Drain = %d, %v", n, err)
	}
	// The agent answers the second chat only.
	if _, _, err := w.db.SendMessage(context.Background(), store.Send{ConversationID: w.chats[1], SenderID: w.agents[0], Body: "hello"}); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(3*time.Minute - time.Second)
	w.online(w.agents[0])
	if back, err := d.Sweep(context.Background()); err != nil || len(back) != 0 {
		t.Fatalf("before the timeout: handed back %v, %v", back, err)
	}
	w.clock.Advance(2 * time.Second)
	w.online(w.agents[0])
	back, err := d.Sweep(context.Background())
	if err != nil || len(back) != 1 || back[0].ConversationID != w.chats[0] || back[0].Reason != "no_answer" {
		t.Fatalf("after the timeout: handed back %+v, %v; want the unanswered chat", back, err)
	}
	q, _ := w.db.Queue(context.Background(), 100)
	if len(q) != 1 || q[0].ConversationID != w.chats[0] || q[0].Position != 1 {
		t.Fatalf("queue after hand-back: %+v", q)
	}
	msgs, _ := w.db.MessagesAfter(context.Background(), w.chats[0], 0, 10, chat.ReaderAgent)
	if last := msgs[len(msgs)-1]; last.Type != chat.System || last.Text() != "Agent 0 did not answer in time, so the chat is back in the queue." {
		t.Fatalf("last line %q, want the hand-back said in the conversation", last.Text())
	}
}

func TestOfflineAgentHandsBackUnanswered(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 2, 1, 2)
	d := w.dispatcher()
	if n, err := d.Drain(context.Background()); err != nil || n != 2 {
		t.Fatalf("Drain = %d, %v", n, err)
	}
	assigned := w.assignments()
	answered := w.chats[0]
	if _, _, err := w.db.SendMessage(context.Background(), store.Send{ConversationID: answered, SenderID: assigned[answered], Body: "on it"}); err != nil {
		t.Fatal(err)
	}
	// Both agents' consoles close; the clock passes the grace period.
	w.clock.Advance(31 * time.Second)
	back, err := d.Sweep(context.Background())
	if err != nil || len(back) != 1 || back[0].ConversationID != w.chats[1] || back[0].Reason != "offline" {
		t.Fatalf("handed back %+v, %v; want only the unanswered chat, for going offline", back, err)
	}
	if now := w.assignments(); now[answered] != assigned[answered] || len(now) != 1 {
		t.Fatalf("assignments after hand-back %v: the answered chat must stay with its agent", now)
	}
	// One agent comes back: the chat is theirs again.
	w.online(w.agents[1])
	if n, err := d.Drain(context.Background()); err != nil || n != 1 || w.assignments()[w.chats[1]] != w.agents[1] {
		t.Fatalf("after coming back: Drain = %d, %v; assignments %v", n, err, w.assignments())
	}
}

func TestChatWaitsForItsTargetThenJoinsTheQueue(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 2, 5, 0)
	ctx := context.Background()
	target, other := w.agents[1], w.agents[0]
	if err := w.db.SetAgentState(ctx, target, chat.Away); err != nil {
		t.Fatal(err)
	}
	newTargeted := func() int64 {
		v, err := w.db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
		if err != nil {
			t.Fatal(err)
		}
		m, _, err := w.db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: "for the author",
			TargetID: target, TargetUntil: w.clock.Now().Add(2 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		return m.ConversationID
	}
	first := newTargeted()
	d := w.dispatcher()
	if n, err := d.Drain(ctx); err != nil || n != 0 {
		t.Fatalf("while waiting for an away target: Drain = %d, %v; want nothing assigned", n, err)
	}
	// The wait ends: the chat joins the general queue, and the visitor is told.
	w.clock.Advance(2*time.Minute + time.Second)
	w.online(other)
	w.online(target)
	if _, err := d.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := d.Drain(ctx); err != nil || n != 1 || w.assignments()[first] != other {
		t.Fatalf("after the wait: Drain = %d, %v, assignments %v; want the other agent", n, err, w.assignments())
	}
	msgs, _ := w.db.MessagesAfter(ctx, first, 0, 10, chat.ReaderMember)
	var lines []string
	for _, m := range msgs {
		if m.Type == chat.System {
			lines = append(lines, m.Text())
		}
	}
	if !slices.Equal(lines, []string{"Agent 1 is not available right now, so the chat joined the general queue.", "Agent 0 joined the chat."}) {
		t.Fatalf("system lines %q", lines)
	}
	// An eligible target gets the chat even though the other agent is less busy.
	if err := w.db.SetAgentState(ctx, target, chat.Available); err != nil {
		t.Fatal(err)
	}
	second := newTargeted()
	if n, err := d.Drain(ctx); err != nil || n != 1 || w.assignments()[second] != target {
		t.Fatalf("eligible target: Drain = %d, %v, assignments %v; want the target", n, err, w.assignments())
	}
}

func TestResolvedChatReopensToTheSameAgent(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 2, 5, 1)
	ctx := context.Background()
	d := w.dispatcher()
	if n, err := d.Drain(ctx); err != nil || n != 1 {
		t.Fatalf("Drain = %d, %v", n, err)
	}
	agent := w.assignments()[w.chats[0]]
	if _, _, err := w.db.SendMessage(ctx, store.Send{ConversationID: w.chats[0], SenderID: agent, Body: "Happy to help."}); err != nil {
		t.Fatal(err)
	}
	if err := w.db.Resolve(ctx, w.chats[0], agent, w.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := w.db.Resolve(ctx, w.chats[0], agent, w.clock.Now()); !errors.Is(err, chat.ErrResolved) {
		t.Fatalf("resolving twice: %v, want ErrResolved", err)
	}
	// Give the other agent fewer chats' worth of fairness: the previous agent still wins.
	conv, err := w.db.Conversation(ctx, w.chats[0])
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := w.db.SendFromVisitor(ctx, store.Send{SenderID: conv.VisitorID, Body: "one more question"})
	if err != nil || m.ConversationID != w.chats[0] {
		t.Fatalf("message after resolve went to %d (%v), want the same conversation %d reopened", m.ConversationID, err, w.chats[0])
	}
	// The queue shows what the visitor wrote last, not their first message.
	if q, err := w.db.Queue(ctx, 100); err != nil || len(q) != 1 || q[0].Preview != "one more question" {
		t.Fatalf("the reopened chat's queue row: %+v, %v; want the newest visitor message", q, err)
	}
	if n, err := d.Drain(ctx); err != nil || n != 1 || w.assignments()[w.chats[0]] != agent {
		t.Fatalf("reopened: Drain = %d, %v, assignments %v; want agent %d again", n, err, w.assignments(), agent)
	}
}

// drainTogether runs n dispatchers at once, each on a pool of its own as
// separate instances have, until the queue has nothing more for them, and
// returns how many chats each assigned.
func (w *world) drainTogether(n int) []int {
	w.t.Helper()
	var wg sync.WaitGroup
	counts := make([]int, n)
	for i := range n {
		db, err := store.Open(context.Background(), w.url)
		if err != nil {
			w.t.Fatal(err)
		}
		defer db.Close()
		cfg := queue.DefaultConfig
		cfg.Now = w.clock.Now
		d := queue.NewDispatcher(db, cfg, slog.New(slog.DiscardHandler))
		wg.Go(func() {
			n, err := d.Drain(context.Background())
			if err != nil {
				w.t.Error(err)
			}
			counts[i] = n
		})
	}
	wg.Wait()
	return counts
}
