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
// agents) and conversations. q must already be checked (chat.SearchQuery).
// before pages through messages: only those with a smaller id (0: from the
// newest). The access rule is visibleTo's, and notes are chat.Reader's.
func (db *DB) Search(ctx context.Context, v chat.Viewer, q string, before int64, limit int) (SearchResults, error) {
	var res SearchResults
	var err error
	if before == 0 {
		if res.Conversations, err = db.searchConversations(ctx, v, q); err != nil {
			return res, fmt.Errorf("store: search conversations for user %d: %w", v.UserID, err)
		}
	}
	if res.Messages, res.More, err = db.searchMessages(ctx, v, q, before, limit); err != nil {
		return res, fmt.Errorf("store: search messages for user %d: %w", v.UserID, err)
	}
	return res, nil
}

// likePattern is q as an ILIKE pattern that finds it anywhere.
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(q) + "%"
}

// searchMatch is the condition on messages m for query q, with its
// arguments ($8 on), chosen so that an index serves it:
//   - with CJK characters, the text holds q, found through their pairs in
//     messages_search_idx;
//   - for one latin word of three or more characters, the text holds q,
//     found through the trigrams of messages_body_trgm_idx (partial words too);
//   - otherwise (several words, or short ones), each word is the start of a
//     word of the text, in any order, through messages_search_idx.
func searchMatch(q string) (string, []any) {
	switch {
	case hasCJK(q):
		return "search_words(m.body) @@ search_query($8) AND m.body ILIKE $9", []any{q, likePattern(q)}
	case !strings.ContainsFunc(q, unicode.IsSpace) && utf8.RuneCountInString(q) >= 3:
		return "m.body ILIKE $8", []any{likePattern(q)}
	}
	return "search_words(m.body) @@ search_query($8)", []any{q}
}

// hasCJK reports whether s holds a Chinese, Japanese or Korean character,
// as search_words (migrations) counts them.
func hasCJK(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
	})
}

func (db *DB) searchMessages(ctx context.Context, v chat.Viewer, q string, before int64, limit int) ([]SearchHit, bool, error) {
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
	match, matchArgs := searchMatch(q)
	// Planned for this query's words each time (not a cached generic plan):
	// how many messages hold them decides between the word index and
	// reading the newest messages first.
	args := append([]any{pgx.QueryExecModeExec, v.UserID, v.IsAgent, before, reader.Notes(), reader.AllLines(), visitorLines, limit + 1}, matchArgs...)
	msgs, err := collectMessages(db.pool.Query(ctx, "SELECT "+messageColumns+messageFrom+
		"JOIN conversations c ON c.id = m.conversation_id WHERE "+match+
		" AND m.type IN ('text', 'note') AND m.revoked_at IS NULL AND "+readerFilter+" AND "+visibleTo+scope+
		" AND ($3 = 0 OR m.id < $3) ORDER BY m.id DESC LIMIT $7", args...))
	if err != nil {
		return nil, false, err
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
// visitor's or direct peer's name or email, holds q.
func (db *DB) searchConversations(ctx context.Context, v chat.Viewer, q string) ([]chat.Summary, error) {
	rows, err := db.pool.Query(ctx, fanOutSummaryQuery+` AND c.id IN (
		SELECT t.id FROM conversations t WHERE t.title ILIKE $4
		UNION SELECT s.id FROM conversations s JOIN users u ON u.id = s.visitor_id WHERE u.name ILIKE $4 OR u.email ILIKE $4
		UNION SELECT d.id FROM conversations d JOIN conversation_members dm ON dm.conversation_id = d.id AND dm.user_id <> $1
			JOIN users u ON u.id = dm.user_id
			WHERE d.kind = 'direct' AND (u.name ILIKE $4 OR u.email ILIKE $4)
			AND EXISTS (SELECT 1 FROM conversation_members me WHERE me.conversation_id = d.id AND me.user_id = $1))
		ORDER BY c.last_message_at DESC NULLS LAST, c.id DESC LIMIT $5`, pgx.QueryExecModeExec,
		v.UserID, v.IsAgent, false, likePattern(q), searchConversationLimit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (chat.Summary, error) { return scanSummary(r) })
}
