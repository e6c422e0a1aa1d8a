package store

// Commit groups: the one-round-trip transactions that arrive while one is
// committing share the next transaction, so that under load many messages
// take one BEGIN, one COMMIT and one wait for the disk.

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// roundTrip is one transaction of inOneRoundTrip, and its outcome.
type roundTrip struct {
	ctx   context.Context
	first statement
	scan  func(pgx.Row) error
	after func(tx *txn)
	err   error
	// done is closed when the round trip's outcome is known, or when it
	// is to commit group (and so its own) itself.
	done  chan struct{}
	group []*roundTrip
}

// commitGroups runs the round trips given to commit one group at a time.
// One that arrives while none is under way commits at once, alone; those
// that arrive while a group is under way wait for it, and then commit
// together in one transaction (at most maxGroup of them), committed by the
// first of them to arrive. A group is never waited for: it goes as soon as
// the one before it ends.
//
// The group's statements run in the order of their first argument (the
// key the statement picks its conversation by), and in the order they
// arrived for the same key: groups that lock conversations in one order
// cannot deadlock one another, and a visitor's messages keep their order.
// When a statement fails, the server rolls the whole transaction back, and
// each round trip of the group then goes again alone, so that one refusal
// costs the others nothing. A statement that picks no conversation changes
// nothing and leaves the rest of the group be.
type commitGroups struct {
	mu      sync.Mutex
	busy    bool
	waiting []*roundTrip
}

// maxGroup bounds the round trips that commit together.
const maxGroup = 64

// commit runs rt, in a group or alone, and returns its outcome.
func (g *commitGroups) commit(db *DB, rt *roundTrip) error {
	g.mu.Lock()
	if !g.busy {
		g.busy = true
		g.mu.Unlock()
		db.commitGroup([]*roundTrip{rt})
		g.next(db)
		return rt.err
	}
	rt.done = make(chan struct{})
	g.waiting = append(g.waiting, rt)
	g.mu.Unlock()
	<-rt.done
	if group := rt.group; group != nil {
		db.commitGroup(group)
		g.next(db) // the database starts on the next group while this one's are answered
		for _, other := range group[1:] {
			close(other.done)
		}
	}
	return rt.err
}

// next hands the round trips that waited to the first of them, which
// commits them, or notes that no group is under way.
func (g *commitGroups) next(db *DB) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.waiting) == 0 {
		g.busy = false
		return
	}
	n := min(len(g.waiting), maxGroup)
	group := slices.Clone(g.waiting[:n])
	g.waiting = slices.Delete(g.waiting, 0, n)
	group[0].group = group
	close(group[0].done)
}

// commitGroup commits group in one transaction, and sets the outcome of
// each of its round trips. A round trip whose context has ended does not
// start.
func (db *DB) commitGroup(group []*roundTrip) {
	live := group[:0:0]
	for _, rt := range group {
		if rt.err = rt.ctx.Err(); rt.err == nil {
			live = append(live, rt)
		}
	}
	if len(live) == 0 {
		return
	}
	// The group is committed on behalf of all of its round trips: the one
	// that commits it may stop waiting, but the group goes on.
	ctx := context.WithoutCancel(live[0].ctx)
	slices.SortStableFunc(live, func(a, b *roundTrip) int {
		ka, _ := a.first.args[0].(int64)
		kb, _ := b.first.args[0].(int64)
		return cmp.Compare(ka, kb)
	})
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		for _, rt := range live {
			rt.err = err
		}
		return
	}
	defer conn.Release()
	var b pgx.Batch
	b.Queue("BEGIN")
	for _, rt := range live {
		b.Queue(rt.first.sql, rt.first.args...).QueryRow(func(row pgx.Row) error {
			// What one statement says is its own outcome: the rest of
			// the batch is read whatever it is, and the COMMIT's tag says
			// whether the transaction failed.
			rt.err = rt.scan(row)
			return nil
		})
	}
	b.Queue("COMMIT").Exec(committed)
	err = conn.SendBatch(ctx, &b).Close()
	if err != nil {
		rollBack(ctx, conn)
	}
	var refused *pgconn.PgError
	switch {
	case (errors.As(err, &refused) || errors.Is(err, pgx.ErrTxCommitRollback)) && len(live) > 1:
		// The server refused a statement, skipped the rest and rolled
		// the group back: each goes again alone.
		for _, rt := range live {
			db.commitGroup([]*roundTrip{rt})
		}
		return
	case errors.As(err, &refused) || errors.Is(err, pgx.ErrTxCommitRollback):
		if live[0].err == nil || errors.Is(live[0].err, pgx.ErrNoRows) {
			live[0].err = err
		}
		return
	case err != nil:
		// Whether it committed is unknown: a send looks for what it
		// stored by its client message id (DB.sent).
		for _, rt := range live {
			rt.err = err
		}
		return
	}
	for _, rt := range live {
		if rt.err == nil {
			t := &txn{publisher: db.publisher}
			rt.after(t)
			db.publish(t)
		}
	}
}
