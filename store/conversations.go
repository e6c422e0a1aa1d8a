package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

const conversationColumns = `c.id, c.kind, c.title, coalesce(c.visitor_id, 0), c.status, c.last_seq, c.last_message_at, c.created_at,
	c.queued_at, coalesce(c.assigned_agent_id, 0),
	CASE WHEN c.snoozed_until <> 'infinity' THEN c.snoozed_until END, coalesce(c.snoozed_until = 'infinity', false)`

// scanConversation scans conversationColumns, then extra.
func scanConversation(row pgx.Row, extra ...any) (chat.Conversation, error) {
	var c chat.Conversation
	err := row.Scan(append([]any{&c.ID, &c.Kind, &c.Title, &c.VisitorID, &c.Status, &c.LastSeq, &c.LastMessageAt, &c.CreatedAt,
		&c.QueuedAt, &c.AssignedAgentID, &c.SnoozedUntil, &c.SnoozedUntilReply}, extra...)...)
	return c, err
}

// visibleTo is the access rule: a viewer sees the direct and group
// conversations they are a member of, a visitor their own support
// conversations, and agents (while they are agents) every support conversation.
// $1 is the viewer's id and $2 whether they are an agent.
const visibleTo = `(c.visitor_id = $1 OR ($2 AND c.kind = 'support')
	OR (c.kind <> 'support' AND EXISTS (SELECT 1 FROM conversation_members x WHERE x.conversation_id = c.id AND x.user_id = $1)))`

// ConversationFor returns conversation id if viewer may see it, and ErrNotFound otherwise.
func (db *DB) ConversationFor(ctx context.Context, id int64, v chat.Viewer) (chat.Conversation, error) {
	c, err := scanConversation(db.pool.QueryRow(ctx, "SELECT "+conversationColumns+
		" FROM conversations c WHERE "+visibleTo+" AND c.id = $3", v.UserID, v.IsAgent, id))
	if err != nil {
		return c, fmt.Errorf("store: conversation %d for user %d: %w", id, v.UserID, mapErr(err))
	}
	return c, nil
}

// VisitorConversation returns the visitor's newest support conversation.
func (db *DB) VisitorConversation(ctx context.Context, visitorID int64) (chat.Conversation, error) {
	c, err := scanConversation(db.pool.QueryRow(ctx, "SELECT "+conversationColumns+
		" FROM conversations c WHERE c.kind = 'support' AND c.visitor_id = $1 ORDER BY c.id DESC LIMIT 1", visitorID))
	if err != nil {
		return c, fmt.Errorf("store: conversation of visitor %d: %w", visitorID, mapErr(err))
	}
	return c, nil
}

// openSupportConversation returns the visitor's open support conversation.
// Without one, it reopens their last conversation if it was resolved (offered
// first to the agent who had it) or starts a new one; joined reports that the
// chat (re)joined the queue. Concurrent first messages meet at the partial
// unique index and end up in one conversation.
func openSupportConversation(ctx context.Context, tx *txn, s Send) (id int64, joined bool, err error) {
	visitorID := s.SenderID
	var target *int64
	var until *time.Time
	if s.TargetID != 0 {
		target, until = &s.TargetID, &s.TargetUntil
	}
	var status chat.Status
	var lastAgent *int64
	err = tx.QueryRow(ctx, `SELECT id, status, assigned_agent_id FROM conversations
		WHERE kind = 'support' AND visitor_id = $1 ORDER BY id DESC LIMIT 1 FOR UPDATE`, visitorID).Scan(&id, &status, &lastAgent)
	switch {
	case err == nil && status != chat.Resolved:
		return id, false, nil
	case err == nil:
		// Offered first to the agent who had it, unless the visitor named
		// someone; what the visitor gave when writing again is kept.
		targetUntil := time.Now()
		if s.TargetID != 0 {
			lastAgent, targetUntil = &s.TargetID, s.TargetUntil
		}
		var site *int64
		if s.SiteID != 0 {
			site = &s.SiteID
		}
		_, err = tx.Exec(ctx, `UPDATE conversations SET status = 'queued', queued_at = now(), resolved_at = NULL,
			rating = NULL, rating_comment = '', rated_at = NULL, hours_checked_at = NULL, waiting_reply_at = NULL,
			assigned_agent_id = NULL, assigned_at = NULL, first_response_at = NULL,
			target_user_id = $2, target_until = $3, target_released_at = CASE WHEN $3 <= now() THEN now() END,
			context = context || $4, site_id = coalesce($5, site_id) WHERE id = $1`,
			id, lastAgent, targetUntil, jsonObject(s.Context), site)
		if err == nil {
			err = enqueueEvent(ctx, tx, EventConversationQueued, conversationChange{ConversationID: id, VisitorID: visitorID, Reason: "reopened"})
		}
		return id, err == nil, err
	case err != pgx.ErrNoRows:
		return 0, false, err
	}
	var site *int64
	if s.SiteID != 0 {
		site = &s.SiteID
	}
	visitorContext := jsonObject(s.Context)
	err = tx.QueryRow(ctx, `INSERT INTO conversations (kind, visitor_id, status, queued_at, target_user_id, target_until, site_id, context)
		VALUES ('support', $1, 'queued', now(), $2, $3, $4, $5)
		ON CONFLICT (visitor_id) WHERE kind = 'support' AND status <> 'resolved' DO NOTHING RETURNING id`,
		visitorID, target, until, site, visitorContext).Scan(&id)
	if err == pgx.ErrNoRows {
		err = tx.QueryRow(ctx, `SELECT id FROM conversations
			WHERE visitor_id = $1 AND kind = 'support' AND status <> 'resolved'`, visitorID).Scan(&id)
		return id, false, err
	}
	if err != nil {
		return 0, false, err
	}
	_, err = tx.Exec(ctx, "INSERT INTO conversation_members (conversation_id, user_id) VALUES ($1, $2)", id, visitorID)
	if err == nil {
		err = enqueueEvent(ctx, tx, EventConversationQueued, conversationChange{ConversationID: id, VisitorID: visitorID, Reason: "new"})
	}
	return id, err == nil, err
}

// movesActivity is the statement that moves the activity of each
// conversation its CTE c has updated, to c's last_message_at, and notes
// whether it is a support chat, and resolved (lists.go): in the same
// statement as the update, so that the two always agree, and after it, so
// that the conversation's row lock is taken first. A later change of
// status moves resolved too (migration 0036's trigger).
func movesActivity(c string) string {
	return `INSERT INTO conversation_activity AS a (conversation_id, last_message_at, support, resolved)
			SELECT id, last_message_at, kind = 'support', status = 'resolved' FROM ` + c + `
			ON CONFLICT (conversation_id) DO UPDATE SET last_message_at = excluded.last_message_at, resolved = excluded.resolved`
}

// unreadCount counts what $1 has not read in c: other people's text
// messages after their read mark. System lines and notes are not "unread".
// Counting stops at chat.UnreadCap, so a long unread thread costs no more than a short one.
var unreadCount = `(SELECT count(*) FROM (SELECT 1 FROM messages um WHERE um.conversation_id = c.id
	AND um.seq > coalesce(cm.last_read_seq, 0) AND um.type IN ('text', 'image', 'file', 'merged') AND um.sender_id IS DISTINCT FROM $1
	LIMIT ` + strconv.Itoa(chat.UnreadCap) + `) capped)`

// summarySelect is the query of a conversation as a list shows it, with
// unread as its unread count, and whether a message the viewer has not
// read mentions them: $1 is the viewer, $2 whether they are an
// agent, and $3 skips the access rule.
func summarySelect(unread string) string { return summarySelectFrom(unread, "conversations c") }

// summarySelectFrom is summarySelect, with conversations c taken from
// from.
func summarySelectFrom(unread, from string) string {
	return "SELECT " + conversationColumns + ", " + unread + `,
	coalesce(vu.id, 0), coalesce(vu.kind, 'visitor'), coalesce(vu.name, ''), coalesce(vu.email, ''),
	lm.id, lm.seq, coalesce(lm.sender_id, 0), lm.type, lm.body, lm.created_at,
	coalesce(display_name(au), ''), ` + labelsOf + `, coalesce(cm.muted, false), coalesce(cm.mention_seq > cm.last_read_seq, false),
	cm.pinned_at
	FROM ` + from + `
	LEFT JOIN conversation_members cm ON cm.conversation_id = c.id AND cm.user_id = $1
	LEFT JOIN users au ON au.id = c.assigned_agent_id
	LEFT JOIN LATERAL (SELECT u.id, u.kind, u.name, u.email FROM users u WHERE u.id = c.visitor_id
		UNION ALL
		SELECT u.id, u.kind, u.name, u.email FROM conversation_members om JOIN users u ON u.id = om.user_id
		WHERE c.kind = 'direct' AND om.conversation_id = c.id AND om.user_id <> $1
		LIMIT 1) vu ON true
	LEFT JOIN LATERAL (SELECT * FROM messages m WHERE m.conversation_id = c.id AND m.type IN ('text', 'image', 'file', 'merged')
		ORDER BY m.seq DESC LIMIT 1) lm ON true
	WHERE ($3 OR ` + visibleTo + ")"
}

// labelsOf is conversation c's labels, by name, as a JSON array of
// {ID, Name, Color}: one index lookup per listed conversation, in the
// list's own query.
const labelsOf = `coalesce((SELECT json_agg(json_build_object('ID', l.id, 'Name', l.name, 'Color', l.color) ORDER BY lower(l.name), l.id)
		FROM conversation_labels cl JOIN labels l ON l.id = cl.label_id WHERE cl.conversation_id = c.id), '[]')`

// summaryQuery is a conversation as its viewer sees it in a list.
var summaryQuery = summarySelect(unreadCount)

// fanOutSummaryQuery is a conversation for every recipient of a fan-out at
// once: its unread count, which is each recipient's own, is left at 0
// (see Unread), as counting it for nobody in particular costs the most.
var fanOutSummaryQuery = summarySelect("0")

func scanSummary(row pgx.Row) (chat.Summary, error) {
	var s chat.Summary
	c := &s.Conversation
	var unread int64
	var peer chat.User // the visitor of a support chat, the other person in a direct one
	var lastID, lastSeq, lastSender *int64
	var lastType, lastBody *string
	var lastAt *time.Time
	err := row.Scan(&c.ID, &c.Kind, &c.Title, &c.VisitorID, &c.Status, &c.LastSeq, &c.LastMessageAt, &c.CreatedAt,
		&c.QueuedAt, &c.AssignedAgentID, &c.SnoozedUntil, &c.SnoozedUntilReply, &unread,
		&peer.ID, &peer.Kind, &peer.Name, &peer.Email, &lastID, &lastSeq, &lastSender, &lastType, &lastBody, &lastAt,
		&s.Assignee, &s.Labels, &s.Muted, &s.Mentioned, &s.PinnedAt)
	if err != nil {
		return s, err
	}
	s.Unread = unread
	s.Title = c.Title
	if c.Kind != chat.Group && peer.ID != 0 {
		s.Title = peer.DisplayName()
		s.PeerID = peer.ID
	}
	if lastID != nil {
		s.LastMessage = &chat.Message{ID: *lastID, ConversationID: c.ID, Seq: *lastSeq, SenderID: *lastSender,
			Type: chat.MessageType(*lastType), Body: *lastBody, CreatedAt: *lastAt}
	}
	return s, nil
}

// A summary's last message is the last text message: system lines and
// private notes are not what a list should preview.

// Summaries returns the conversations viewer sees, newest activity first, at most limit.
func (db *DB) Summaries(ctx context.Context, v chat.Viewer, limit int) ([]chat.Summary, error) {
	rows, err := db.pool.Query(ctx, listQuery(listSources(v, "", true), "", "$4"),
		v.UserID, v.IsAgent, false, limit)
	if err != nil {
		return nil, fmt.Errorf("store: summaries for user %d: %w", v.UserID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (chat.Summary, error) { return scanSummary(r) })
	if err != nil {
		return nil, fmt.Errorf("store: summaries for user %d: %w", v.UserID, err)
	}
	return out, nil
}

// Summary returns one conversation as viewer sees it in a list.
func (db *DB) Summary(ctx context.Context, id int64, v chat.Viewer) (chat.Summary, error) {
	s, err := scanSummary(db.pool.QueryRow(ctx, summaryQuery+" AND c.id = $4", v.UserID, v.IsAgent, false, id))
	if err != nil {
		return s, fmt.Errorf("store: summary of conversation %d for user %d: %w", id, v.UserID, mapErr(err))
	}
	return s, nil
}

// SummaryOf returns conversation id for a list, whoever asks: for fan-out,
// where each recipient's unread count is applied after (see Unread); its
// own is 0. A direct conversation's title depends on who asks: use Summary
// for it.
func (db *DB) SummaryOf(ctx context.Context, id int64) (chat.Summary, error) {
	s, err := scanSummary(db.pool.QueryRow(ctx, fanOutSummaryQuery+" AND c.id = $4", 0, false, true, id))
	if err != nil {
		return s, fmt.Errorf("store: summary of conversation %d: %w", id, mapErr(err))
	}
	return s, nil
}

// Unread returns, for each of userIDs, how many of other people's text
// messages in conversation id up to seq upTo they have not read, up to
// chat.UnreadCap.
func (db *DB) Unread(ctx context.Context, id, upTo int64, userIDs []int64) (map[int64]int64, error) {
	counts, _, err := db.UnreadMarks(ctx, id, upTo, userIDs)
	return counts, err
}

// UnreadMarks is Unread, with whether a message each has not read
// mentions them.
func (db *DB) UnreadMarks(ctx context.Context, id, upTo int64, userIDs []int64) (map[int64]int64, map[int64]bool, error) {
	rows, err := db.pool.Query(ctx, `SELECT u.id, (SELECT count(*) FROM (SELECT 1 FROM messages m WHERE m.conversation_id = $1
		AND m.seq > coalesce(cm.last_read_seq, 0) AND m.seq <= $4 AND m.type IN ('text', 'image', 'file', 'merged') AND m.sender_id IS DISTINCT FROM u.id LIMIT $3) capped),
		coalesce(cm.mention_seq > cm.last_read_seq, false)
		FROM unnest($2::bigint[]) u(id)
		LEFT JOIN conversation_members cm ON cm.conversation_id = $1 AND cm.user_id = u.id`, id, userIDs, chat.UnreadCap, upTo)
	if err != nil {
		return nil, nil, fmt.Errorf("store: unread in conversation %d: %w", id, err)
	}
	out := make(map[int64]int64, len(userIDs))
	marks := make(map[int64]bool)
	var uid, n int64
	var mark bool
	if _, err := pgx.ForEachRow(rows, []any{&uid, &n, &mark}, func() error {
		out[uid] = n
		if mark {
			marks[uid] = true
		}
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("store: unread in conversation %d: %w", id, err)
	}
	return out, marks, nil
}

// MarkRead records that userID has read conversation id up to seq (never
// backwards, never past the last message) and announces it when it moved.
func (db *DB) MarkRead(ctx context.Context, id, userID, seq int64) error {
	err := db.inTx(ctx, func(tx *txn) error {
		var last int64
		if err := tx.QueryRow(ctx, "SELECT last_seq FROM conversations WHERE id = $1", id).Scan(&last); err != nil {
			return err
		}
		seq = min(seq, last)
		var moved bool
		err := tx.QueryRow(ctx, `INSERT INTO conversation_members AS cm (conversation_id, user_id, last_read_seq) VALUES ($1, $2, $3)
			ON CONFLICT (conversation_id, user_id) DO UPDATE SET last_read_seq = excluded.last_read_seq
			WHERE cm.last_read_seq < excluded.last_read_seq RETURNING true`, id, userID, seq).Scan(&moved)
		if err == pgx.ErrNoRows {
			return nil
		}
		if err != nil {
			return err
		}
		return notify(ctx, tx, chat.Event{Type: chat.EventRead, ConversationID: id, UserID: userID, Seq: seq})
	})
	if err != nil {
		return fmt.Errorf("store: mark conversation %d read for user %d: %w", id, userID, mapErr(err))
	}
	return nil
}

// SeenUpTo is how far conversation c has been read by those whose reading
// viewerID's thread shows under their own messages (c.SeenBy): the furthest
// any of them has read.
func (db *DB) SeenUpTo(ctx context.Context, c chat.Conversation, viewerID int64) (int64, error) {
	var only int64 // in a support chat, customer service sees the visitor's reading only
	if c.Kind == chat.Support && viewerID != c.VisitorID {
		only = c.VisitorID
	}
	var seq int64
	err := db.pool.QueryRow(ctx, `SELECT coalesce(max(last_read_seq), 0) FROM conversation_members
		WHERE conversation_id = $1 AND user_id <> $2 AND ($3 = 0 OR user_id = $3)`, c.ID, viewerID, only).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("store: conversation %d seen by others than user %d: %w", c.ID, viewerID, err)
	}
	return seq, nil
}

func markRead(ctx context.Context, q querier, id, userID, seq int64) error {
	_, err := q.Exec(ctx, `INSERT INTO conversation_members AS cm (conversation_id, user_id, last_read_seq) VALUES ($1, $2, $3)
		ON CONFLICT (conversation_id, user_id) DO UPDATE SET last_read_seq = greatest(cm.last_read_seq, excluded.last_read_seq)`,
		id, userID, seq)
	return err
}

// Conversation returns conversation id, whoever asks: for fan-out, not for answering a user.
func (db *DB) Conversation(ctx context.Context, id int64) (chat.Conversation, error) {
	c, err := scanConversation(db.pool.QueryRow(ctx, "SELECT "+conversationColumns+" FROM conversations c WHERE c.id = $1", id))
	if err != nil {
		return c, fmt.Errorf("store: conversation %d: %w", id, mapErr(err))
	}
	return c, nil
}

// MemberIDs returns the ids of conversation id's members.
func (db *DB) MemberIDs(ctx context.Context, id int64) ([]int64, error) {
	rows, err := db.pool.Query(ctx, "SELECT user_id FROM conversation_members WHERE conversation_id = $1", id)
	if err != nil {
		return nil, fmt.Errorf("store: members of conversation %d: %w", id, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("store: members of conversation %d: %w", id, err)
	}
	return ids, nil
}

// jsonObject is m for a jsonb column: never null.
func jsonObject(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
