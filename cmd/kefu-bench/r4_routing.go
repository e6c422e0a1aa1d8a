package main

// R4: kefu's dispatchers assigning queued chats, beside a bare FOR UPDATE
// SKIP LOCKED claim loop on the same rows; and no agent given more chats
// than their capacity.

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/queue"
	"github.com/kefu-im/kefu/store"
)

// R4's world: more queued chats than the agents have places, and two
// dispatchers (two instances) or two claimers at once.
const (
	r4Agents   = 20
	r4Capacity = 25
	r4Chats    = 600
	r4Workers  = 2
)

// claimSQL is the bare loop's claim: the oldest queued chat nobody holds.
const claimSQL = `UPDATE conversations SET status = 'assigned', assigned_agent_id = $1, assigned_at = now()
	WHERE id = (SELECT id FROM conversations WHERE kind = 'support' AND status = 'queued'
	ORDER BY queued_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)`

func (b *bench) routing(ctx context.Context) error {
	places := r4Agents * r4Capacity
	b.progress("R4: %d queued chats, %d agents × %d places, %d at once", r4Chats, r4Agents, r4Capacity, r4Workers)
	db, dbURL, err := b.pg.openDatabase(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	agents, err := onlineAgents(ctx, db)
	if err != nil {
		return err
	}
	if _, err := db.Pool().Exec(ctx, `WITH v AS (
		INSERT INTO users (kind, visitor_token_hash) SELECT 'visitor', sha256(('r4 ' || i)::bytea) FROM generate_series(1, $1) i RETURNING id)
		INSERT INTO conversations (kind, visitor_id, status, queued_at)
		SELECT 'support', id, 'queued', now() + id * interval '1 microsecond' FROM v`, r4Chats); err != nil {
		return err
	}
	// The claim loop runs before and after kefu, on the same rows queued
	// again, and their mean is what kefu is compared with: the disk's pace drifts.
	before, err := claimLoop(ctx, dbURL, agents, places)
	if err != nil {
		return err
	}
	if err := requeue(ctx, db); err != nil {
		return err
	}
	assigned, elapsed, err := dispatch(ctx, dbURL)
	if err != nil {
		return err
	}
	load := loadAverage()
	over, filled, err := overCapacity(ctx, db)
	if err != nil {
		return err
	}
	if err := requeue(ctx, db); err != nil {
		return err
	}
	after, err := claimLoop(ctx, dbURL, agents, places)
	if err != nil {
		return err
	}
	claims := (before + after) / 2
	rate := float64(assigned) / elapsed.Seconds()
	where := fmt.Sprintf("%d agents × %d, %d at once", r4Agents, r4Capacity, r4Workers)
	b.rows = append(b.rows,
		row{figure: "R4 assignments/s, " + where, kefu: fmt.Sprintf("%.0f /s", rate), reference: fmt.Sprintf("%.0f claims/s (%.0f, %.0f)", claims, before, after),
			ratio: ratio(rate, claims), target: "≥ 0.5", load: load},
		row{figure: "R4 agents over capacity", kefu: fmt.Sprint(over), reference: fmt.Sprintf("%d of %d places filled", filled, places),
			target: "0", load: load})
	return nil
}

// onlineAgents makes (or finds) R4's agents, each with a console seen just now.
func onlineAgents(ctx context.Context, db *store.DB) ([]int64, error) {
	var ids []int64
	for i := range r4Agents {
		email := fmt.Sprintf("agent%d@bench.localhost", i)
		u, _, err := db.MemberByEmail(ctx, email)
		if err != nil {
			if u, err = db.CreateMember(ctx, store.NewMember{Email: email, Name: fmt.Sprint("Agent ", i), PasswordHash: "x"}); err != nil {
				return nil, err
			}
		}
		if err := db.SetAgentCapacity(ctx, 0, u.ID, r4Capacity); err != nil {
			return nil, err
		}
		if err := db.TouchPresence(ctx, fmt.Sprint("bench-", u.ID), u.ID, time.Now()); err != nil {
			return nil, err
		}
		ids = append(ids, u.ID)
	}
	return ids, db.SetAgentList(ctx, ids[0], chat.AgentList{IDs: ids})
}

// requeue puts every chat back in the queue, as it was, with its agents online.
func requeue(ctx context.Context, db *store.DB) error {
	if _, err := db.Pool().Exec(ctx, `UPDATE conversations SET status = 'queued', assigned_agent_id = NULL, assigned_at = NULL
		WHERE kind = 'support'`); err != nil {
		return err
	}
	_, err := onlineAgents(ctx, db) // their presence, fresh again
	return err
}

// claimLoop is the reference: workers claim the oldest queued chat, one
// durable transaction each, handing the agents chats in turn, until the
// agents' places are filled. It returns claims per second.
func claimLoop(ctx context.Context, dbURL string, agents []int64, places int) (float64, error) {
	conns := make([]*pgx.Conn, r4Workers)
	for i := range conns {
		conn, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			return 0, err
		}
		defer conn.Close(context.WithoutCancel(ctx))
		conns[i] = conn
	}
	var turn, claimed atomic.Int64
	start := time.Now()
	err := inParallel(r4Workers, r4Workers, func(w int) error {
		for i := turn.Add(1); i <= int64(places); i = turn.Add(1) {
			tag, err := conns[w].Exec(ctx, claimSQL, agents[i%int64(len(agents))])
			if err != nil || tag.RowsAffected() == 0 {
				return err
			}
			claimed.Add(1)
		}
		return nil
	})
	return float64(claimed.Load()) / time.Since(start).Seconds(), err
}

// dispatch runs kefu's dispatchers, each on its own pool as on its own
// instance, until neither can assign more, and returns how many they assigned.
func dispatch(ctx context.Context, dbURL string) (int, time.Duration, error) {
	dispatchers := make([]*queue.Dispatcher, r4Workers)
	for i := range dispatchers {
		db, err := store.Open(ctx, dbURL)
		if err != nil {
			return 0, 0, err
		}
		defer db.Close()
		dispatchers[i] = queue.NewDispatcher(db, queue.DefaultConfig, slog.New(slog.DiscardHandler))
	}
	var assigned atomic.Int64
	start := time.Now()
	err := inParallel(r4Workers, r4Workers, func(i int) error {
		n, err := dispatchers[i].Drain(ctx)
		assigned.Add(int64(n))
		return err
	})
	return int(assigned.Load()), time.Since(start), err
}

// overCapacity counts, from the database, the agents holding more open
// chats than their capacity, and the chats assigned.
func overCapacity(ctx context.Context, db *store.DB) (over, assigned int, err error) {
	err = db.Pool().QueryRow(ctx, `SELECT count(*) FILTER (WHERE n > $1), coalesce(sum(n), 0) FROM (
		SELECT count(*) AS n FROM conversations WHERE status = 'assigned' GROUP BY assigned_agent_id) t`, r4Capacity).Scan(&over, &assigned)
	return over, assigned, err
}
