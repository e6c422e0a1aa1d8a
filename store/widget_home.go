package store

// What a widget's home shows its visitor: their conversations, the team
// behind customer service and how soon it usually answers, and whether an
// author they write to is there.

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

// VisitorConversations returns what visitorID's widget home lists, newest
// activity first, at most limit: their newest support chat and their direct
// conversations, each with their own unread count and last message, as
// Summaries has them. Only the visitor's own conversations: the access rule
// is Summaries', for a viewer who is never an agent.
func (db *DB) VisitorConversations(ctx context.Context, visitorID int64, limit int) ([]chat.Summary, error) {
	rows, err := db.pool.Query(ctx, summaryQuery+` AND c.last_seq > 0 AND `+visitorsOwn+`
		ORDER BY c.last_message_at DESC NULLS LAST, c.id DESC LIMIT $4`, visitorID, false, false, limit)
	if err != nil {
		return nil, fmt.Errorf("store: conversations of visitor %d: %w", visitorID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (chat.Summary, error) { return scanSummary(r) })
	if err != nil {
		return nil, fmt.Errorf("store: conversations of visitor %d: %w", visitorID, err)
	}
	return out, nil
}

// visitorsOwn narrows a query of conversations c, with the visitor's id as
// $1, to those the widget keeps for them: their newest support chat and
// their direct conversations. The home lists these, and the launcher counts
// what is unread in these only, so that every count it shows can be read.
const visitorsOwn = `(c.kind = 'direct' OR c.id = (SELECT s.id FROM conversations s
	WHERE s.kind = 'support' AND s.visitor_id = $1 ORDER BY s.id DESC LIMIT 1))`

// ReplyTime returns the median time from joining the queue to the first
// answer over the newest n support chats answered since since, and false
// when there are none. One read of conversations_first_response_idx.
func (db *DB) ReplyTime(ctx context.Context, since time.Time, n int) (time.Duration, bool, error) {
	var secs *float64
	err := db.pool.QueryRow(ctx, `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.first_response_at - r.queued_at))
		FROM (SELECT first_response_at, queued_at FROM conversations
			WHERE kind = 'support' AND first_response_at IS NOT NULL AND first_response_at > $1 AND queued_at IS NOT NULL
			ORDER BY first_response_at DESC LIMIT $2) r`, since, n).Scan(&secs)
	if err != nil {
		return 0, false, fmt.Errorf("store: reply time: %w", err)
	}
	if secs == nil {
		return 0, false, nil
	}
	return time.Duration(max(*secs, 0) * float64(time.Second)), true, nil
}

// Online reports whether member userID is there to answer at now: a
// console socket of theirs is open (not closed, and refreshed within
// grace) and they have not said they are away. A member who never was
// customer service has no state to say so: an open console is enough.
func (db *DB) Online(ctx context.Context, userID int64, now time.Time, grace time.Duration) (bool, error) {
	var online bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM agent_presence p
			WHERE p.agent_id = $1 AND p.closed_at IS NULL AND p.seen_at > $2)
		AND NOT EXISTS (SELECT 1 FROM agents a WHERE a.user_id = $1 AND a.state = 'away')`, userID, now.Add(-grace)).Scan(&online)
	if err != nil {
		return false, fmt.Errorf("store: is %d online: %w", userID, err)
	}
	return online, nil
}
