package store

// What an agent's visitor panel shows beyond the open chat: the host pages
// the visitor has been on, and their earlier support chats.

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

const (
	// maxPageURL bounds a recorded page's address, in characters.
	maxPageURL = 2000
	// pagesKept is how many of a visitor's newest pages are kept.
	pagesKept = 20
)

// RecordVisitorPage notes that visitor visitorID is on page (an http or
// https address), unless it is already their newest, and forgets all but
// their newest pagesKept. A page that is not such an address is refused
// with a *chat.ValidationError and nothing is recorded.
func (db *DB) RecordVisitorPage(ctx context.Context, visitorID int64, page string) error {
	u, err := url.Parse(page)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		utf8.RuneCountInString(page) > maxPageURL || !utf8.ValidString(page) || strings.ContainsRune(page, 0) {
		return chat.Invalid("page", "error.page.invalid")
	}
	u.User = nil // an address's credentials are nobody's business
	page = u.String()
	_, err = db.pool.Exec(ctx, `WITH newest AS (
			SELECT url FROM visitor_pages WHERE visitor_id = $1 ORDER BY id DESC LIMIT 1),
		added AS (
			INSERT INTO visitor_pages (visitor_id, url)
			SELECT $1, $2 WHERE NOT EXISTS (SELECT FROM newest WHERE url = $2)
			RETURNING id)
		DELETE FROM visitor_pages WHERE visitor_id = $1 AND EXISTS (SELECT FROM added)
			AND id < (SELECT min(id) FROM (SELECT id FROM visitor_pages WHERE visitor_id = $1 ORDER BY id DESC LIMIT $3) kept)`,
		visitorID, page, pagesKept-1)
	if err != nil {
		return fmt.Errorf("store: record a page of visitor %d: %w", visitorID, mapErr(err))
	}
	return nil
}

// VisitorPages returns visitor visitorID's newest pages, newest first.
func (db *DB) VisitorPages(ctx context.Context, visitorID int64, limit int) ([]chat.VisitedPage, error) {
	rows, err := db.pool.Query(ctx, `SELECT url, seen_at FROM visitor_pages WHERE visitor_id = $1 ORDER BY id DESC LIMIT $2`,
		visitorID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: pages of visitor %d: %w", visitorID, err)
	}
	pages, err := pgx.CollectRows(rows, pgx.RowToStructByPos[chat.VisitedPage])
	if err != nil {
		return nil, fmt.Errorf("store: pages of visitor %d: %w", visitorID, err)
	}
	return pages, nil
}

// keepRound keeps what support chat id's round that has just been resolved
// was, before a visitor writing again reopens the chat and it is forgotten.
func keepRound(ctx context.Context, tx *txn, id int64) error {
	_, err := tx.Exec(ctx, `INSERT INTO past_chats (conversation_id, visitor_id, site_id, agent_id, queued_at,
			first_response_at, resolved_at, end_seq)
		SELECT id, visitor_id, site_id, assigned_agent_id, queued_at, first_response_at, resolved_at, last_seq
		FROM conversations WHERE id = $1 AND kind = 'support' AND status = 'resolved'
		ON CONFLICT (conversation_id, end_seq) DO NOTHING`, id)
	return err
}

// PastChats returns the newest resolved rounds of visitor visitorID's
// support chats, newest first.
func (db *DB) PastChats(ctx context.Context, visitorID int64, limit int) ([]chat.PastChat, error) {
	rows, err := db.pool.Query(ctx, `SELECT p.conversation_id, CASE WHEN a.id IS NULL THEN '' ELSE display_name(a) END, coalesce(p.queued_at, p.resolved_at),
			p.resolved_at, p.end_seq, coalesce(last.body, ''), coalesce(p.rating, 0)
		FROM past_chats p
		LEFT JOIN users a ON a.id = p.agent_id
		LEFT JOIN LATERAL (SELECT m.body FROM messages m WHERE m.conversation_id = p.conversation_id AND m.seq < p.end_seq
			AND m.type = 'text' AND m.revoked_at IS NULL ORDER BY m.seq DESC LIMIT 1) last ON true
		WHERE p.visitor_id = $1
		ORDER BY p.id DESC LIMIT $2`, visitorID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: past chats of visitor %d: %w", visitorID, err)
	}
	past, err := pgx.CollectRows(rows, pgx.RowToStructByPos[chat.PastChat])
	if err != nil {
		return nil, fmt.Errorf("store: past chats of visitor %d: %w", visitorID, err)
	}
	return past, nil
}
