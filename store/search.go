package store

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

// SearchLimit is how many messages one page of search results holds.
const SearchLimit = 50

// searchConversationLimit is how many conversations a search lists.
const searchConversationLimit = 20

// SearchResults is what a search finds that its viewer may see.
type SearchResults struct {
	// Conversations whose title, or whose visitor's (or direct peer's) name
	// or email, holds the query; newest activity first. Only on the first page.
	Conversations []chat.Summary
	// Messages holding the query, newest first, each with the conversation
	// it is in (as its viewer sees it in a list).
	Messages []SearchHit
	// More: older messages match too (the next page: Before the last's ID).
	More bool
}

// SearchHit is a message a search found.
type SearchHit struct {
	Message      chat.Message
	Conversation chat.Summary
}

// Search finds what v may see that holds q: messages (text, and notes for
// agents) and conversations. q must already be checked (chat.ValidateSearchQuery).
// before pages through messages: only those with a smaller id (0: from the
// newest). The access rule is visibleTo's, and notes are chat.Reader's.
func (db *DB) Search(ctx context.Context, v chat.Viewer, q string, before int64, limit int) (SearchResults, error) {
	return db.search(ctx, v, q, before, limit, searchWindow)
}

// search is Search, an agent's reading the newest window messages in order.
func (db *DB) search(ctx context.Context, v chat.Viewer, q string, before int64, limit int, window int64) (SearchResults, error) {
	var res SearchResults
	var err error
	if before == 0 {
		if res.Conversations, err = db.searchConversations(ctx, v, q); err != nil {
			return res, fmt.Errorf("store: search conversations for user %d: %w", v.UserID, err)
		}
	}
	if res.Messages, res.More, err = db.searchMessages(ctx, v, q, before, limit, window); err != nil {
		return res, fmt.Errorf("store: search messages for user %d: %w", v.UserID, err)
	}
	return res, nil
}

// likePattern is q as an ILIKE pattern that finds it anywhere.
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(q) + "%"
}

// searchMatch is the condition on the text in column col for query q,
// with its arguments (the next after first), chosen so that an index of
// message_search serves it:
//   - with CJK characters, the text holds q as typed, found through the
//     pairs of characters in message_search_words_idx;
//   - otherwise each word of q is in the text, anywhere, even inside a word:
//     found through the trigrams of message_search_trgm_idx for words of
//     three or more characters; shorter ones must start a word of the text,
//     which message_search_words_idx finds.
//
// Text without case (CJK, digits) is compared with LIKE, which is quicker
// than ILIKE on text that is not ASCII.
func searchMatch(col, q string, args *[]any, first int) string {
	return textMatch(col, q, func(v any) string {
		*args = append(*args, v)
		return fmt.Sprintf("$%d", first-1+len(*args))
	})
}

// textMatch is searchMatch's condition on column col (which has the same
// two indexes), taking its arguments from arg.
func textMatch(col, q string, arg func(any) string) string {
	var conds []string
	contains := func(s string) string {
		if strings.ToLower(s) == strings.ToUpper(s) {
			return col + " LIKE " + arg(likePattern(s))
		}
		return col + " ILIKE " + arg(likePattern(s))
	}
	if hasCJK(q) {
		return "search_words(" + col + ") @@ search_query(" + arg(q) + ") AND " + contains(q)
	}
	var short []string
	for _, w := range strings.Fields(q) {
		if utf8.RuneCountInString(w) < 3 {
			short = append(short, w)
			continue
		}
		conds = append(conds, contains(w))
	}
	if len(short) > 0 {
		conds = append(conds, "search_words("+col+") @@ search_query("+arg(strings.Join(short, " "))+")")
	}
	return "(" + strings.Join(conds, " AND ") + ")"
}

// hasCJK reports whether s holds a Chinese, Japanese or Korean character,
// as search_words (migrations) counts them.
func hasCJK(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
	})
}

// findMessages returns up to n messages v sees that match q, with ids from
// lo up to hi (not included), newest first. In order reads the messages
// themselves, newest first; otherwise the candidates come from the indexes
// of message_search and, for messages not indexed yet, search_pending.
func findMessages(ctx context.Context, db querier, v chat.Viewer, q string, lo, hi int64, n int, inOrder bool) ([]chat.Message, error) {
	reader := chat.ReaderMember
	if v.IsAgent {
		reader = chat.ReaderAgent
	}
	// A member sees only conversations they are in (visibleTo); saying so
	// again as a join lets the planner start from those few conversations.
	scope := ""
	if !v.IsAgent {
		scope = " AND m.conversation_id IN (SELECT x.conversation_id FROM conversation_members x WHERE x.user_id = $1)"
	}
	var matchArgs []any
	var from, match string
	if inOrder {
		from, match = messageFrom, searchMatch("m.body", q, &matchArgs, 9)
	} else {
		// A member's few conversations are said again inside, so that the
		// planner may start from their messages rather than the index.
		inScope := ""
		if !v.IsAgent {
			inScope = " AND s.message_id IN (SELECT xm.id FROM conversation_members x JOIN messages xm ON xm.conversation_id = x.conversation_id WHERE x.user_id = $1)"
		}
		from = " FROM (SELECT s.message_id FROM message_search s WHERE " + searchMatch("s.body", q, &matchArgs, 9) + inScope +
			" AND s.message_id >= $8 AND s.message_id < $3 UNION ALL SELECT p.message_id FROM search_pending p" +
			" JOIN messages pm ON pm.id = p.message_id WHERE " + searchMatch("pm.body", q, &matchArgs, 9) +
			" AND p.message_id >= $8 AND p.message_id < $3) found JOIN messages m ON m.id = found.message_id" +
			strings.TrimPrefix(messageFrom, " FROM messages m")
		match = "true"
	}
	// Planned for this query's words each time (not a cached generic plan):
	// how many messages hold them decides how to find them.
	args := append([]any{pgx.QueryExecModeExec, v.UserID, v.IsAgent, hi, reader.Notes(), reader.AllLines(), visitorLines, n, lo}, matchArgs...)
	return collectMessages(db.Query(ctx, "SELECT "+messageColumns+from+
		"JOIN conversations c ON c.id = m.conversation_id WHERE "+match+
		" AND m.type IN ('text', 'note') AND m.revoked_at IS NULL AND "+readerFilter+" AND "+visibleTo+scope+
		" AND m.id >= $8 AND m.id < $3 ORDER BY m.id DESC LIMIT $7", args...))
}

// searchWindow is how many of the newest messages (by id) an agent's
// search reads in order before it turns to the indexes. Words that are
// common fill a page from the newest messages at once, where an index
// would have to fetch every message that holds them before choosing the
// newest; words rarer than a page in searchWindow are few, which is what
// the indexes are quick at.
const searchWindow = 10000

func (db *DB) searchMessages(ctx context.Context, v chat.Viewer, q string, before int64, limit int, window int64) ([]SearchHit, bool, error) {
	hi := before
	if hi == 0 {
		if err := db.pool.QueryRow(ctx, "SELECT coalesce(max(id), 0) + 1 FROM messages").Scan(&hi); err != nil {
			return nil, false, err
		}
	}
	// Messages from lo up to hi are read newest first; those below lo are
	// found through the indexes, if they are still needed.
	var msgs []chat.Message
	lo := hi
	if v.IsAgent {
		// A member's conversations are few: their search starts from those.
		lo = max(hi-window, 0)
		err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SET LOCAL enable_bitmapscan = off"); err != nil {
				return err
			}
			var err error
			msgs, err = findMessages(ctx, tx, v, q, lo, hi, limit+1, true)
			return err
		})
		if err != nil {
			return nil, false, err
		}
	}
	if len(msgs) <= limit && lo > 0 {
		older, err := findMessages(ctx, db.pool, v, q, 0, lo, limit+1-len(msgs), false)
		if err != nil {
			return nil, false, err
		}
		msgs = append(msgs, older...)
	}
	more := len(msgs) > limit
	if more {
		msgs = msgs[:limit]
	}
	if len(msgs) == 0 {
		return nil, false, nil
	}
	ids := make([]int64, 0, len(msgs))
	for _, m := range msgs {
		ids = append(ids, m.ConversationID)
	}
	rows, err := db.pool.Query(ctx, fanOutSummaryQuery+" AND c.id = ANY($4)", v.UserID, v.IsAgent, false, ids)
	if err != nil {
		return nil, false, err
	}
	convs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (chat.Summary, error) { return scanSummary(r) })
	if err != nil {
		return nil, false, err
	}
	byID := make(map[int64]chat.Summary, len(convs))
	for _, c := range convs {
		byID[c.ID] = c
	}
	hits := make([]SearchHit, 0, len(msgs))
	for _, m := range msgs {
		hits = append(hits, SearchHit{Message: m, Conversation: byID[m.ConversationID]})
	}
	return hits, more, nil
}

// searchConversations finds the conversations v sees whose title, or whose
// visitor's or direct peer's name or email, holds q: the newest
// searchConversationLimit of them are chosen first, then shown as a list
// shows them. The conversations that hold q are found first, through the
// trigram indexes, however many the planner expects.
func (db *DB) searchConversations(ctx context.Context, v chat.Viewer, q string) ([]chat.Summary, error) {
	args := []any{pgx.QueryExecModeExec, v.UserID, v.IsAgent, true, searchConversationLimit}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args)-1)
	}
	title, name, email := textMatch("t.title", q, arg), textMatch("u.name", q, arg), textMatch("u.email", q, arg)
	// The people and conversations found are at most a few thousand, each
	// reached through its index: joining them by hashing would read every
	// conversation, which the planner would choose whenever it expects many.
	var out []chat.Summary
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)"); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `WITH people AS MATERIALIZED (SELECT u.id FROM users u WHERE `+name+` OR `+email+`),
		found AS MATERIALIZED (
			SELECT t.id FROM conversations t WHERE t.title <> '' AND (`+title+`)
			UNION SELECT s.id FROM conversations s JOIN people p ON p.id = s.visitor_id
			UNION SELECT dm.conversation_id FROM conversation_members dm JOIN people p ON p.id = dm.user_id
				WHERE dm.user_id <> $1 AND dm.conversation_id IN (SELECT me.conversation_id FROM conversation_members me
					JOIN conversations d ON d.id = me.conversation_id AND d.kind = 'direct' WHERE me.user_id = $1))
		`+fanOutSummaryQuery+` AND c.id IN (SELECT c.id FROM found JOIN conversations c ON c.id = found.id
			WHERE `+visibleTo+` ORDER BY c.last_message_at DESC NULLS LAST, c.id DESC LIMIT $4)
		ORDER BY c.last_message_at DESC NULLS LAST, c.id DESC`, args...)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (chat.Summary, error) { return scanSummary(r) })
		return err
	})
	return out, err
}

// IndexBatch is how many pending messages one IndexPending indexes at
// most: a couple of milliseconds of the database's time.
const IndexBatch = 50

// IndexPending moves up to n messages from search_pending into
// message_search (migration search_behind), oldest first, and returns how
// many it took. Indexers on several instances take different messages.
func (db *DB) IndexPending(ctx context.Context, n int) (int, error) {
	var took int
	var b pgx.Batch
	b.Queue("BEGIN")
	// What a crash loses of this transaction is pending again, and is
	// indexed again: its commit need not wait for the disk.
	b.Queue("SET LOCAL synchronous_commit = off")
	// Each message is read by its key, in a subquery the planner cannot
	// flatten (its LIMIT keeps it whole), so that it runs once per message:
	// flattened into a hash join, planned while messages looked small (a
	// new database, before its first ANALYZE), each batch read the whole
	// table, 1–3 ms for 10,000 messages, for as long as the plan lasted.
	b.Queue(`WITH batch AS (
			DELETE FROM search_pending WHERE message_id IN (
				SELECT message_id FROM search_pending ORDER BY message_id LIMIT $1 FOR UPDATE SKIP LOCKED)
			RETURNING message_id),
		indexed AS (
			INSERT INTO message_search (message_id, body)
			SELECT m.id, m.body FROM batch b CROSS JOIN LATERAL (
				SELECT id, body FROM messages WHERE id = b.message_id AND body <> '' LIMIT 1) m
			ON CONFLICT (message_id) DO UPDATE SET body = excluded.body)
		SELECT count(*) FROM batch`, n).QueryRow(func(row pgx.Row) error { return row.Scan(&took) })
	b.Queue("COMMIT").Exec(committed)
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: index pending messages: %w", err)
	}
	defer conn.Release()
	if err := conn.SendBatch(ctx, &b).Close(); err != nil {
		rollBack(ctx, conn)
		return 0, fmt.Errorf("store: index pending messages: %w", err)
	}
	return took, nil
}
