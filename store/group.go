package store

// Commit groups: the visitors' messages that arrive while the groups under
// way commit share the next transaction, and its one statement, so that
// under load many messages take one BEGIN, one statement, one COMMIT and
// one wait for the disk.

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// roundTrip is one message of inOneRoundTrip, and its outcome.
type roundTrip struct {
	ctx context.Context
	// in is the message: its statement alone, and what the group's
	// statement stores of it and reads back into it.
	in      *insertion
	version int64 // of the settings it was decided under
	after   func(tx *txn)
	err     error
	// done is closed when the round trip has its outcome, or when it is
	// handed group, the next group (its own among them), to commit.
	done  chan struct{}
	group []*roundTrip
}

// commitGroups runs the round trips given to commit in groups, at most
// groupsAtOnce groups at a time. One that arrives while fewer are under way
// commits at once, alone; those that arrive while groupsAtOnce are under
// way wait, and then commit together in one transaction (at most maxGroup
// of them), led by the first of them to arrive. A group is never waited
// for: it goes as soon as one under way ends.
//
// A group's messages are stored by one statement (groupSend), in the order
// of their senders, and in the order they arrived for one sender, so that
// groups lock conversations in one order (two under way at once, on two
// instances, may wait for each other, never in a circle). A visitor's
// messages keep the order they were sent in from one widget, which sends its
// next once the last is stored; messages sent at the same moment from two
// (two tabs, or the API) may land in two groups, or in one and in a
// transaction of their own, and take their seqs in either order. A group
// waits groupLockWait at most for a row another transaction holds. When the
// server refuses its statement, or the wait is longer, the group is rolled
// back, and each of its messages goes again in a transaction of its own,
// with its own statement, outside the groups: a refusal costs the others a
// retry, and a lock held long (or a deadlock with a transaction that locks
// conversations in another order) holds up the instance's other senders,
// waiting for the next group, for the group's wait (groupLockWait for each
// row it waits for), and then no one. A message the statement leaves out (no
// open chat, a resend) changes nothing and leaves the rest of the group be.
type commitGroups struct {
	mu      sync.Mutex
	running int // groups under way
	waiting []*roundTrip
	// lockWait, when set, is the groups' groupLockWait.
	lockWait time.Duration
}

const (
	// maxGroup bounds the round trips that commit together.
	maxGroup = 64
	// groupsAtOnce is how many groups an instance commits at the same
	// time. One: what arrives while a group commits goes in the next,
	// whole, so that the statement's start, most of its cost for a few
	// messages, is shared by as many as can share it. Two at once would
	// overlap one's wait for the disk with the other's statement, with
	// twice the statements and commits, each for fewer messages: on two
	// cores R1 (`make bench`) is 15 % lower at 8 and at 32 senders.
	groupsAtOnce = 1
	// groupLockWait bounds a group's wait for a row lock.
	groupLockWait = 100 * time.Millisecond
)

var (
	// errAlone is the outcome of a round trip whose group was rolled
	// back: it goes again alone.
	errAlone = errors.New("store: the commit group was rolled back")
	// errGroupPanicked is the outcome of the round trips of a group whose
	// leader panicked.
	errGroupPanicked = errors.New("store: the commit group failed")
)

// commit runs rt, in a group or alone, and returns its outcome.
func (g *commitGroups) commit(db *DB, rt *roundTrip) error {
	g.mu.Lock()
	if g.running == groupsAtOnce {
		rt.done = make(chan struct{})
		g.waiting = append(g.waiting, rt)
		g.mu.Unlock()
		<-rt.done
	} else {
		g.running++
		g.mu.Unlock()
		rt.group = []*roundTrip{rt}
	}
	if rt.group != nil {
		g.lead(db, rt.group)
	}
	if errors.Is(rt.err, errAlone) {
		return db.inOneRoundTripAlone(rt.ctx, rt.in.statement, rt.in.scan, rt.after)
	}
	return rt.err
}

// lead commits group, hands the round trips that waited meanwhile on as the
// next group, and then gives the others of group their outcome. A panic on
// the way still does both, so that no one waits for ever.
func (g *commitGroups) lead(db *DB, group []*roundTrip) {
	finished := false
	defer func() {
		if !finished {
			for _, rt := range group {
				rt.err = errGroupPanicked
			}
		}
		g.next()
		for _, rt := range group[1:] {
			close(rt.done)
		}
	}()
	db.commitGroup(group, cmp.Or(g.lockWait, groupLockWait))
	finished = true
}

// next hands the round trips that waited to the first of them, which
// leads them as the next group, or notes that one group fewer is under way.
func (g *commitGroups) next() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.waiting) == 0 {
		g.running--
		return
	}
	n := min(len(g.waiting), maxGroup)
	group := slices.Clone(g.waiting[:n])
	g.waiting = slices.Delete(g.waiting, 0, n)
	group[0].group = group
	close(group[0].done)
}

// commitGroup commits group in one transaction that waits lockWait at most
// for a lock, and gives each of its round trips its outcome. A round trip
// whose context has ended does not start. When a resend fails the group
// (its message is stored already), the group's resends go alone, and the
// others commit again as a group, once.
func (db *DB) commitGroup(group []*roundTrip, lockWait time.Duration) {
	live := make([]*roundTrip, 0, len(group))
	for _, rt := range group {
		if rt.err = rt.ctx.Err(); rt.err == nil {
			live = append(live, rt)
		}
	}
	if len(live) == 0 {
		return
	}
	// The group is committed for all of its round trips: the one that
	// leads it may stop waiting, and the group goes on.
	ctx := context.WithoutCancel(live[0].ctx)
	slices.SortStableFunc(live, func(a, b *roundTrip) int { return cmp.Compare(a.in.msg.SenderID, b.in.msg.SenderID) })
	committed, err := db.tryGroup(ctx, live, lockWait)
	var refused *pgconn.PgError
	if !committed && errors.As(err, &refused) && refused.ConstraintName == "messages_sender_client_key" {
		// A resend: the messages stored already go again alone, which
		// answers them, and the others commit again as a group.
		rest := db.withoutResends(ctx, live)
		if len(rest) > 0 && len(rest) < len(live) {
			live = rest
			committed, err = db.tryGroup(ctx, live, lockWait)
		}
	}
	switch {
	case committed:
		// Committed, whatever came after.
	case err == nil || errors.As(err, &refused):
		// Rolled back: each goes again alone.
		for _, rt := range live {
			rt.err = errAlone
		}
		return
	default:
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

// tryGroup stores the messages of live in one transaction that waits
// lockWait at most for a lock, and says whether it committed; when it did,
// each round trip has its outcome.
func (db *DB) tryGroup(ctx context.Context, live []*roundTrip, lockWait time.Duration) (bool, error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Release()
	var b pgx.Batch
	b.Queue("BEGIN")
	b.Queue("SELECT set_config('lock_timeout', $1, true)", strconv.FormatInt(lockWait.Milliseconds(), 10)) // in ms
	// What the statement says of each message is its own outcome; a
	// statement the server refused fails the rest of the batch, COMMIT
	// included.
	send, read := groupSend(live)
	b.Queue(send.sql, send.args...).Query(read)
	var didCommit bool
	b.Queue("COMMIT").Exec(func(tag pgconn.CommandTag) error {
		didCommit = tag.String() == "COMMIT"
		return nil
	})
	err = conn.SendBatch(ctx, &b).Close()
	if err != nil {
		rollBack(ctx, conn)
	}
	return didCommit, err
}

// withoutResends gives the round trips of live whose message's (sender,
// client message id) is stored already errAlone, and returns the others;
// all of live when it cannot tell.
func (db *DB) withoutResends(ctx context.Context, live []*roundTrip) []*roundTrip {
	senders := make([]int64, len(live))
	ids := make([]string, len(live))
	for i, rt := range live {
		senders[i], ids[i] = rt.in.msg.SenderID, rt.in.msg.ClientMsgID
	}
	rows, err := db.pool.Query(ctx, `SELECT s.n FROM unnest($1::bigint[], $2::text[]) WITH ORDINALITY AS s (sender, client_msg_id, n)
		WHERE EXISTS (SELECT 1 FROM messages m WHERE m.sender_id = s.sender AND m.client_msg_id = s.client_msg_id)`, senders, ids)
	if err != nil {
		return live
	}
	stored, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return live
	}
	rest := make([]*roundTrip, 0, len(live))
	for i, rt := range live {
		if slices.Contains(stored, int64(i+1)) {
			rt.err = errAlone
		} else {
			rest = append(rest, rt)
		}
	}
	return rest
}
