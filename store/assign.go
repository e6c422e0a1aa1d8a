package store

// Assigning support chats to agents: routing's batches, and the one write
// that every assignment goes through, a batch's or a take's or a transfer's.

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

// routingLock is the advisory lock routing's batches take turns on.
const routingLock = migrationLock + 2

// AssignBatch assigns up to max of the oldest assignable queued chats, each
// to the agent pick chooses among agentIDs, in one transaction whose round
// trips do not grow with max. Batches on every instance take turns on a
// transaction-scoped advisory lock, so each sees the previous one's result:
// the oldest chats go first and no agent passes their capacity. The chats
// decided on are locked with SKIP LOCKED (a manual take may hold one), and
// the agents chosen have their rows locked and their open chats counted
// afresh, so a take or transfer racing the batch never double-books either;
// when either turns out otherwise than read, the batch decides again on what
// it now knows. Within the batch, the agents' loads are updated as chats are
// given out, so pick sees each assignment; pick must be pure, as it may run
// more than once per chat.
func (db *DB) AssignBatch(ctx context.Context, now time.Time, grace time.Duration, agentIDs []int64, max int,
	pick func(chat.QueuedChat, []chat.AgentLoad) (agentID int64, ok bool)) ([]chat.Assignment, error) {
	var out []chat.Assignment
	err := db.inTx(ctx, func(tx *txn) error {
		out = nil
		chats, err := queuedChats(ctx, tx, max)
		if err != nil || len(chats) == 0 {
			return err
		}
		loads, err := agentLoads(ctx, tx, now, grace, agentIDs)
		if err != nil {
			return err
		}
		if out, err = claim(ctx, tx, chats, loads, max, now, pick); err != nil || len(out) == 0 {
			return err
		}
		return assignAll(ctx, tx, out, 0, now)
	})
	if err != nil {
		return nil, fmt.Errorf("store: assign queued chats: %w", err)
	}
	return out, nil
}

// queuedChats waits for routing's turn and returns the oldest queued chats:
// twice as many as a batch may assign, so that chats waiting for a busy
// target do not block the rest. They are read without locking: the turn
// already orders batches, and locking every chat read would write to each.
func queuedChats(ctx context.Context, tx *txn, max int) ([]chat.QueuedChat, error) {
	var chats []chat.QueuedChat
	var b pgx.Batch
	b.Queue("SELECT pg_advisory_xact_lock($1)", routingLock)
	b.Queue(`SELECT id, queued_at, coalesce(target_user_id, 0), coalesce(target_until, queued_at)
		FROM conversations WHERE kind = 'support' AND status = 'queued'
		ORDER BY queued_at, id LIMIT $1`, 2*max).Query(func(rows pgx.Rows) error {
		var err error
		chats, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (chat.QueuedChat, error) {
			var c chat.QueuedChat
			return c, r.Scan(&c.ID, &c.QueuedAt, &c.TargetID, &c.TargetUntil)
		})
		return err
	})
	return chats, tx.SendBatch(ctx, &b).Close()
}

// claim decides, with pick, who gets which of chats (oldest first, at most
// max), and locks what it decided on. A chat that another transaction
// holds or has taken is left out, and an agent whose locked row and fresh
// count say otherwise than loads is seen as they are; then it decides again.
// Rows locked for a decision given up stay locked until commit, unused.
func claim(ctx context.Context, tx *txn, chats []chat.QueuedChat, loads []chat.AgentLoad, max int, now time.Time,
	pick func(chat.QueuedChat, []chat.AgentLoad) (int64, bool)) ([]chat.Assignment, error) {
	held := map[int64]bool{}  // chats locked (true), or not to be had (false)
	exact := map[int64]bool{} // agents locked and counted: their load is exact
	for {
		plan := decide(chats, held, loads, max, now, pick)
		var lockChats, lockAgents []int64
		for _, a := range plan {
			if _, tried := held[a.ConversationID]; !tried {
				lockChats = append(lockChats, a.ConversationID)
			}
			if !exact[a.AgentID] && !slices.Contains(lockAgents, a.AgentID) {
				lockAgents = append(lockAgents, a.AgentID)
			}
		}
		if len(lockChats) == 0 && len(lockAgents) == 0 {
			return plan, nil
		}
		locked, counted, err := lockPlan(ctx, tx, lockChats, lockAgents)
		if err != nil {
			return nil, err
		}
		for _, id := range lockChats {
			held[id] = slices.Contains(locked, id)
		}
		for _, id := range lockAgents {
			exact[id] = true
			i := slices.IndexFunc(loads, func(l chat.AgentLoad) bool { return l.ID == id })
			c, ok := counted[id]
			if !ok { // no routing profile any more: no room
				c = chat.AgentLoad{Capacity: 0}
			}
			loads[i].Open, loads[i].Capacity = c.Open, c.Capacity
		}
	}
}

// decide gives chats out in order with pick, up to max, as though each
// assignment before it had been made, leaving out the chats not to be had.
func decide(chats []chat.QueuedChat, held map[int64]bool, loads []chat.AgentLoad, max int, now time.Time,
	pick func(chat.QueuedChat, []chat.AgentLoad) (int64, bool)) []chat.Assignment {
	work := slices.Clone(loads)
	var plan []chat.Assignment
	for _, c := range chats {
		if len(plan) == max {
			break
		}
		if h, tried := held[c.ID]; tried && !h {
			continue
		}
		id, ok := pick(c, work)
		if !ok {
			continue
		}
		i := slices.IndexFunc(work, func(l chat.AgentLoad) bool { return l.ID == id })
		if i < 0 { // pick chose among the agents it was given
			continue
		}
		work[i].Open++
		work[i].LastAssignedAt = now
		plan = append(plan, chat.Assignment{ConversationID: c.ID, AgentID: id})
	}
	return plan
}

// lockPlan locks the queued chats of chatIDs that no one holds, returning
// those it locked, and then the rows of agentIDs, in id order as every
// batch does, returning each one's capacity and open chats. The count comes
// from a statement after the lock, so it sees every assignment that
// committed before: each assignment takes the agent's row lock, so it cannot
// grow underneath us.
func lockPlan(ctx context.Context, tx *txn, chatIDs, agentIDs []int64) ([]int64, map[int64]chat.AgentLoad, error) {
	var locked []int64
	counted := map[int64]chat.AgentLoad{}
	var b pgx.Batch
	if len(chatIDs) > 0 {
		b.Queue(`SELECT id FROM conversations WHERE id = ANY($1) AND kind = 'support' AND status = 'queued'
			FOR UPDATE SKIP LOCKED`, chatIDs).Query(func(rows pgx.Rows) error {
			var err error
			locked, err = pgx.CollectRows(rows, pgx.RowTo[int64])
			return err
		})
	}
	if len(agentIDs) > 0 {
		b.Queue("SELECT user_id FROM agents WHERE user_id = ANY($1) ORDER BY user_id FOR UPDATE", agentIDs)
		b.Queue(`SELECT a.user_id, a.capacity,
			(SELECT count(*) FROM conversations c WHERE c.assigned_agent_id = a.user_id AND c.status = 'assigned')
			FROM agents a WHERE a.user_id = ANY($1)`, agentIDs).Query(func(rows pgx.Rows) error {
			var a chat.AgentLoad
			_, err := pgx.ForEachRow(rows, []any{&a.ID, &a.Capacity, &a.Open}, func() error {
				counted[a.ID] = a
				return nil
			})
			return err
		})
	}
	return locked, counted, tx.SendBatch(ctx, &b).Close()
}

// assignAll gives each conversation of as to its agent, whose rows tx
// holds, and says so in the conversation with a "joined" line; byID is the
// member who did it by hand (0: routing). The assignments and their lines
// are one statement; the webhook deliveries and events they announce, in
// the order of as, are one statement each, and go in one more round trip
// with a push notification for each assignment whose agent has a browser
// subscribed to web push (pushes decides, as for any change, who is told).
func assignAll(ctx context.Context, tx *txn, as []chat.Assignment, byID int64, now time.Time) error {
	ids := make([]int64, len(as))
	agents := make([]int64, len(as))
	for i, a := range as {
		ids[i], agents[i] = a.ConversationID, a.AgentID
	}
	rows, err := tx.Query(ctx, `WITH a AS (SELECT * FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS a (id, agent_id, n)),
		c AS (
			UPDATE conversations c SET status = 'assigned', assigned_agent_id = a.agent_id, assigned_at = $3,
				first_response_at = NULL, target_released_at = coalesce(c.target_released_at, $3), snoozed_until = NULL,
				last_seq = c.last_seq + 1, last_message_at = now()
			FROM a WHERE c.id = a.id
			RETURNING c.id, c.kind, c.status, c.last_seq, c.last_message_at, a.agent_id, a.n),
		activity AS (`+movesActivity("c")+`),
		stamped AS (UPDATE agents SET last_assigned_at = $3 WHERE user_id = ANY($2)),
		m AS (
			INSERT INTO messages (conversation_id, seq, type, body, code, args)
			SELECT c.id, c.last_seq, 'system', '', $4, ARRAY[display_name(u)]
			FROM c JOIN users u ON u.id = c.agent_id ORDER BY c.n
			RETURNING conversation_id, id, seq, created_at, args)
		SELECT m.conversation_id, m.id, m.seq, m.created_at, m.args,
			EXISTS (SELECT 1 FROM push_subscriptions s WHERE s.user_id = c.agent_id)
		FROM m JOIN c ON c.id = m.conversation_id`, ids, agents, now, chat.LineJoined)
	if err != nil {
		return err
	}
	lines := map[int64]chat.Message{}
	subscribed := map[int64]bool{} // conversations whose agent has a browser subscribed to web push
	var m chat.Message
	var sub bool
	if _, err := pgx.ForEachRow(rows, []any{&m.ConversationID, &m.ID, &m.Seq, &m.CreatedAt, &m.Args, &sub}, func() error {
		m.Type, m.Code = chat.System, chat.LineJoined
		lines[m.ConversationID], subscribed[m.ConversationID] = m, sub
		return nil
	}); err != nil {
		return err
	}
	if len(lines) != len(as) {
		return fmt.Errorf("assigned %d of %d chats", len(lines), len(as))
	}
	events := make([]chat.Event, 0, 2*len(as))
	hooks := make([]webhookEvent, 0, 2*len(as))
	var notes []statement
	for _, a := range as {
		line := lines[a.ConversationID]
		events = append(events, messageEvent(line),
			chat.Event{Type: chat.EventAssigned, ConversationID: a.ConversationID, UserID: a.AgentID, By: byID})
		hooks = append(hooks,
			webhookEvent{EventMessageCreated, messageCreatedOf(line)},
			webhookEvent{EventConversationAssigned, conversationChange{ConversationID: a.ConversationID, AgentID: a.AgentID}})
		if subscribed[a.ConversationID] { // for anyone else the push statement would find no browser
			notes = append(notes, pushes(pushNote{kind: PushAssigned, conversationID: a.ConversationID}))
		}
	}
	deliveries, err := eventsDeliveries(hooks)
	if err != nil {
		return err
	}
	return execAll(ctx, tx, append([]statement{deliveries, announceAll(tx, events)}, notes...)...)
}

// announceAll is announce for many events: one NOTIFY statement for them
// all, in order, or nothing when they go to the publisher after commit.
func announceAll(tx *txn, evs []chat.Event) statement {
	if tx.publisher != nil {
		for _, ev := range evs {
			announce(tx, ev)
		}
		return statement{}
	}
	payloads := make([]string, len(evs))
	for i, ev := range evs {
		payloads[i] = string(encodeEvent(ev))
	}
	return statement{sql: "SELECT pg_notify($1, e.payload) FROM unnest($2::text[]) WITH ORDINALITY AS e (payload, n) ORDER BY e.n",
		args: []any{BusChannel, payloads}}
}
