package store

// The console's inboxes: a view's conversations, narrowed by a filter, a
// page at a time, and how many each view holds. Both keep to the access
// rule (visibleTo): customer service sees support chats, everyone their own
// direct and group conversations.

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

// viewWhere is the condition of each view on conversations c, with the
// viewer's id as $1. Direct and group conversations have no status of
// their own (the column's default is not theirs): they are open, never
// snoozed, and their member's own.
var viewWhere = map[chat.View]string{
	chat.ViewMine: `((c.kind = 'support' AND c.status = 'assigned' AND c.assigned_agent_id = $1 AND c.snoozed_until IS NULL)
		OR c.kind <> 'support')`,
	chat.ViewUnassigned: `(c.kind = 'support' AND c.status = 'queued' AND c.snoozed_until IS NULL)`,
	chat.ViewAll:        `(c.kind <> 'support' OR (c.status <> 'resolved' AND c.snoozed_until IS NULL))`,
	chat.ViewResolved:   `(c.kind = 'support' AND c.status = 'resolved')`,
	chat.ViewSnoozed:    `(c.kind = 'support' AND c.status <> 'resolved' AND c.snoozed_until IS NOT NULL)`,
}

// filterWhere appends f's conditions on conversations c to args, and
// returns them ("" for none); placeholders follow args' length.
func filterWhere(f chat.InboxFilter, args *[]any) string {
	var w string
	arg := func(v any) string {
		*args = append(*args, v)
		return "$" + strconv.Itoa(len(*args))
	}
	if f.Any() {
		w += " AND c.kind = 'support'"
	}
	if f.SiteID != 0 {
		w += " AND c.site_id = " + arg(f.SiteID)
	}
	if f.AgentID != 0 {
		w += " AND c.assigned_agent_id = " + arg(f.AgentID)
	}
	if f.LabelID != 0 {
		w += " AND EXISTS (SELECT 1 FROM conversation_labels fl WHERE fl.conversation_id = c.id AND fl.label_id = " + arg(f.LabelID) + ")"
	}
	return w
}

// inboxWhere is what narrows the list to in's view and filter, after the
// access rule ($1 the viewer, $2 whether they are an agent, $3 false).
// A conversation started but not yet written in is in no view.
func inboxWhere(in chat.Inbox, args *[]any) (string, error) {
	view, ok := viewWhere[in.View]
	if !ok {
		return "", chat.Invalid("view", "console.invalid.view")
	}
	w := " AND c.last_seq > 0 AND " + view + filterWhere(in.Filter, args)
	if in.View.Hides() {
		w += notHiddenJoined
	}
	return w, nil
}

// notHiddenJoined and notHidden leave out what viewer $1 hid from their
// list, until a message comes after the hiding: the first where the
// viewer's member row is joined as cm (summarySelect), the second where it
// is not.
const (
	notHiddenJoined = " AND NOT coalesce(cm.hidden_at >= c.last_message_at, false)"
	notHidden       = ` AND NOT EXISTS (SELECT 1 FROM conversation_members hm WHERE hm.conversation_id = c.id AND hm.user_id = $1
		AND hm.hidden_at >= c.last_message_at)`
)

// Inbox returns a page of the conversations in viewer v's inbox in, newest
// activity first, at most limit, after in.Before; and the cursor of the
// next page (zero: this is the last). It is one query: each item's
// visitor, last message, unread count, assignee and labels come with it.
// The order is conversation_activity's (byActivity), and the page goes
// on from the cursor by keyset, so that a page costs the same however
// deep. It merges the newest of the list's sources (listSources), so that
// a list costs the same however many chats have been resolved, and however
// many conversations others have.
//
// In a view that lists pins first (chat.View.Pinning), the first page
// starts with every pinned conversation the view holds, newest pin first
// (at most chat.MaxPinned, a second small query), above its limit; the
// pages by activity leave them out.
func (db *DB) Inbox(ctx context.Context, v chat.Viewer, in chat.Inbox, limit int) ([]chat.Summary, chat.Cursor, error) {
	if err := in.Validate(v); err != nil {
		return nil, chat.Cursor{}, err
	}
	args := []any{v.UserID, v.IsAgent, false}
	where, err := inboxWhere(in, &args)
	if err != nil {
		return nil, chat.Cursor{}, err
	}
	var pinned []chat.Summary
	if in.View.Pinning() {
		if in.Before.IsZero() {
			if pinned, err = db.pinnedItems(ctx, where, args); err != nil {
				return nil, chat.Cursor{}, fmt.Errorf("store: pinned of inbox %s for user %d: %w", in.View, v.UserID, err)
			}
		}
		where += " AND cm.pinned_at IS NULL"
	}
	if !in.Before.IsZero() {
		args = append(args, in.Before.At, in.Before.ID)
		where += fmt.Sprintf(" AND (a.last_message_at, a.conversation_id) < ($%d, $%d)", len(args)-1, len(args))
	}
	args = append(args, limit+1)
	n := "$" + strconv.Itoa(len(args))
	rows, err := db.pool.Query(ctx, listQuery(listSources(v, in.View, false), where, n), args...)
	if err != nil {
		return nil, chat.Cursor{}, fmt.Errorf("store: inbox %s for user %d: %w", in.View, v.UserID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (chat.Summary, error) { return scanSummary(r) })
	if err != nil {
		return nil, chat.Cursor{}, fmt.Errorf("store: inbox %s for user %d: %w", in.View, v.UserID, err)
	}
	var next chat.Cursor
	if len(out) > limit {
		out = out[:limit]
		// Listed conversations have been written in: each has its activity.
		last := out[limit-1]
		next = chat.Cursor{At: last.LastMessageAt.UTC(), ID: last.ID}
	}
	return append(pinned, out...), next, nil
}

// pinnedItems are the pinned conversations of an inbox whose condition is
// where, with args: newest pin first.
func (db *DB) pinnedItems(ctx context.Context, where string, args []any) ([]chat.Summary, error) {
	args = append(args[:len(args):len(args)], chat.MaxPinned)
	rows, err := db.pool.Query(ctx, summaryQuery+where+
		" AND cm.pinned_at IS NOT NULL ORDER BY cm.pinned_at DESC, c.id DESC LIMIT $"+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (chat.Summary, error) { return scanSummary(r) })
}

// InboxItem returns conversation id as viewer v's inbox in lists it, and
// ErrNotFound when it is not in it (in.Before is not consulted): what a
// live list needs to move, insert or remove one item.
func (db *DB) InboxItem(ctx context.Context, v chat.Viewer, in chat.Inbox, id int64) (chat.Summary, error) {
	if err := in.Validate(v); err != nil {
		return chat.Summary{}, err
	}
	args := []any{v.UserID, v.IsAgent, false}
	where, err := inboxWhere(in, &args)
	if err != nil {
		return chat.Summary{}, err
	}
	args = append(args, id)
	s, err := scanSummary(db.pool.QueryRow(ctx, summaryQuery+where+" AND c.id = $"+strconv.Itoa(len(args)), args...))
	if err != nil {
		return s, fmt.Errorf("store: conversation %d in inbox %s for user %d: %w", id, in.View, v.UserID, mapErr(err))
	}
	return s, nil
}

// InboxCounts counts, in one query, the conversations of each view that
// viewer v may look at, narrowed by f, up to chat.CountCap each: a count
// stops there, so that a long history costs no more than a short one.
// Members have one view, Mine.
func (db *DB) InboxCounts(ctx context.Context, v chat.Viewer, f chat.InboxFilter) (chat.InboxCounts, error) {
	views := []chat.View{chat.ViewMine}
	if v.IsAgent {
		views = chat.Views
	}
	if err := (chat.Inbox{View: chat.ViewMine, Filter: f}).Validate(v); err != nil {
		return nil, err
	}
	args := []any{v.UserID, v.IsAgent, chat.CountCap}
	filter := filterWhere(f, &args)
	q := "SELECT "
	for i, view := range views {
		if i > 0 {
			q += ", "
		}
		hidden := ""
		if view.Hides() {
			hidden = notHidden
		}
		q += "(" + listCount(listSources(v, view, false), " AND c.last_seq > 0 AND "+viewWhere[view]+filter+hidden, "$3") + ")"
	}
	counts := make([]int, len(views))
	dest := make([]any, len(views))
	for i := range counts {
		dest[i] = &counts[i]
	}
	if err := db.pool.QueryRow(ctx, q, args...).Scan(dest...); err != nil {
		return nil, fmt.Errorf("store: inbox counts for user %d: %w", v.UserID, err)
	}
	out := make(chat.InboxCounts, len(views))
	for i, view := range views {
		out[view] = counts[i]
	}
	return out, nil
}
