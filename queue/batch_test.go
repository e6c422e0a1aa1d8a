package queue_test

// Routing's batches against the database: many chats in one transaction,
// batches of two instances at once, and the takes and transfers that race them.

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// queueMany adds n queued chats at once, each with its own visitor and
// nothing said yet, after the world's own; it returns them oldest first.
func (w *world) queueMany(n int) []int64 {
	w.t.Helper()
	rows, err := w.db.Pool().Query(context.Background(), `WITH v AS (
		INSERT INTO users (kind, visitor_token_hash) SELECT 'visitor', sha256(('many ' || i)::bytea) FROM generate_series(1, $1) i RETURNING id)
		INSERT INTO conversations (kind, visitor_id, status, queued_at)
		SELECT 'support', id, 'queued', now() + id * interval '1 microsecond' FROM v ORDER BY id RETURNING id`, n)
	if err != nil {
		w.t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		w.t.Fatal(err)
	}
	w.chats = append(w.chats, ids...)
	return ids
}

// conn is a connection of the test's own, closed with it.
func (w *world) conn() *pgx.Conn {
	w.t.Helper()
	conn, err := pgx.Connect(context.Background(), w.url)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// waitForLockWait waits until some transaction of the world's database
// waits for a row lock.
func (w *world) waitForLockWait() {
	w.t.Helper()
	conn := w.conn()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting int
		if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			w.t.Fatal(err)
		}
		if waiting > 0 {
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatal("no transaction came to wait for a lock")
		}
		<-time.After(5 * time.Millisecond)
	}
}

func TestBatchesOfTwoInstancesFillEveryPlaceOnceOldestFirst(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 10, 15, 0)
	chats := w.queueMany(250)    // 150 places: more than one batch, fewer than the chats
	counts := w.drainTogether(2) // two instances
	assigned := w.assignments()
	if len(assigned) != 150 || counts[0]+counts[1] != 150 {
		t.Fatalf("%d chats assigned (dispatchers report %v), want exactly 150", len(assigned), counts)
	}
	per := map[int64]int{}
	for _, a := range assigned {
		per[a]++
	}
	for _, a := range w.agents {
		if per[a] != 15 {
			t.Fatalf("agent %d has %d chats; want every agent at their capacity of 15, none over", a, per[a])
		}
	}
	for _, id := range chats[:150] {
		if _, ok := assigned[id]; !ok {
			t.Fatalf("chat %d, among the 150 oldest, was not assigned", id)
		}
	}
	// Each assignment wrote one "joined" line, at the conversation's next seq.
	var wrong int
	if err := w.conn().QueryRow(context.Background(), `SELECT count(*) FROM conversations c JOIN users a ON a.id = c.assigned_agent_id
		WHERE c.status = 'assigned' AND NOT (c.last_seq = 1 AND EXISTS (SELECT 1 FROM messages m
			WHERE m.conversation_id = c.id AND m.seq = 1 AND m.code = 'joined' AND m.args = ARRAY[a.name]))`).Scan(&wrong); err != nil {
		t.Fatal(err)
	}
	if wrong != 0 {
		t.Fatalf("%d assigned chats lack their one joined line naming their agent", wrong)
	}
}

func TestBatchPassesOverAChatATakeHolds(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 1, 2, 3)
	ctx := context.Background()
	// A take holds the oldest chat's row, as Take does while it works.
	take, err := w.conn().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer take.Rollback(ctx)
	if _, err := take.Exec(ctx, "SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE", w.chats[0]); err != nil {
		t.Fatal(err)
	}
	n, err := w.dispatcher().Drain(ctx)
	if err != nil || n != 2 {
		t.Fatalf("Drain = %d, %v; want the agent's two places filled", n, err)
	}
	assigned := w.assignments()
	if _, ok := assigned[w.chats[0]]; ok || assigned[w.chats[1]] != w.agents[0] || assigned[w.chats[2]] != w.agents[0] {
		t.Fatalf("assignments %v; want the next two chats, the held one left to its take", assigned)
	}
	if err := take.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if q, err := w.db.Queue(ctx, 100); err != nil || len(q) != 1 || q[0].ConversationID != w.chats[0] {
		t.Fatalf("queue %+v, %v; want the chat the take let go, still queued", q, err)
	}
}

func TestBatchSeesAnAgentATransferFillsMeanwhile(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 2, 2, 1)
	ctx := context.Background()
	quiet, busy := w.agents[0], w.agents[1]
	if err := w.db.SetCapacity(ctx, quiet, 1); err != nil {
		t.Fatal(err)
	}
	// The busy agent has a chat already.
	if err := w.db.Take(ctx, w.chats[0], busy, w.clock.Now()); err != nil {
		t.Fatal(err)
	}
	next := w.newChat("next")
	// A transfer of that chat to the quiet agent is under way: it holds the
	// chat's row and the agent's, as Transfer does, and has moved the chat.
	transfer, err := w.conn().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer transfer.Rollback(ctx)
	if _, err := transfer.Exec(ctx, "SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE", w.chats[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := transfer.Exec(ctx, "SELECT 1 FROM agents WHERE user_id = $1 FOR UPDATE", quiet); err != nil {
		t.Fatal(err)
	}
	if _, err := transfer.Exec(ctx, "UPDATE conversations SET assigned_agent_id = $2 WHERE id = $1", w.chats[0], quiet); err != nil {
		t.Fatal(err)
	}
	// The batch reads the quiet agent as free and the fairer choice, and
	// waits for their row; once the transfer commits it counts again.
	type result struct {
		n   int
		err error
	}
	done := make(chan result)
	go func() {
		n, err := w.dispatcher().Drain(ctx)
		done <- result{n, err}
	}()
	w.waitForLockWait()
	if err := transfer.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if r := <-done; r.err != nil || r.n != 1 {
		t.Fatalf("Drain = %d, %v; want the new chat assigned", r.n, r.err)
	}
	assigned := w.assignments()
	if assigned[next] != busy || assigned[w.chats[0]] != quiet {
		t.Fatalf("assignments %v; want the new chat with agent %d, the one with room left", assigned, busy)
	}
	if len(assigned) != 2 {
		t.Fatalf("%d chats assigned, want 2", len(assigned))
	}
}
