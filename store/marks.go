package store

// A member's own marks on the conversations of their list: pinned to its
// top, hidden from it until a new message, and the total of what they have
// not read there. Each is theirs alone; the conversation is unchanged for
// everyone else.

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

// ErrTooManyPinned: the member has chat.MaxPinned conversations pinned already.
var ErrTooManyPinned = chat.Invalid("conversation", "error.conversation.tooManyPinned", "Max", chat.MaxPinned)

// ErrHideSupport: a support chat is not hidden; it leaves an agent's list
// when it is resolved, and the Resolved view keeps the record.
var ErrHideSupport = fmt.Errorf("hide a support chat: %w", chat.ErrNotAllowed)

// markable returns the kind of conversation id if userID may see it, as
// they are now (an agent sees every support chat): the rule of every mark.
func markable(ctx context.Context, tx *txn, userID, id int64) (chat.ConversationKind, error) {
	agents, _, err := agentList(ctx, tx)
	if err != nil {
		return "", err
	}
	var kind chat.ConversationKind
	err = tx.QueryRow(ctx, "SELECT c.kind FROM conversations c WHERE "+visibleTo+" AND c.id = $3",
		userID, agents.Has(userID), id).Scan(&kind)
	return kind, err
}

// SetPinned pins conversation id to the top of userID's list, or unpins
// it. Only a conversation they may see is pinned (an agent may pin a
// support chat they have no member row in: it gets one, as muting does);
// any other is chat.ErrNotFound. A member has at most chat.MaxPinned pins:
// one more is ErrTooManyPinned, and pinning a pinned one again changes
// nothing. Pinning shows a hidden conversation again.
func (db *DB) SetPinned(ctx context.Context, userID, id int64, pinned bool) error {
	err := db.inTx(ctx, func(tx *txn) error {
		if _, err := markable(ctx, tx, userID, id); err != nil {
			return err
		}
		if !pinned {
			tag, err := tx.Exec(ctx, `UPDATE conversation_members SET pinned_at = NULL
				WHERE conversation_id = $1 AND user_id = $2 AND pinned_at IS NOT NULL`, id, userID)
			if err != nil || tag.RowsAffected() == 0 {
				return err
			}
			return notify(ctx, tx, chat.Event{Type: chat.EventMarked, UserID: userID, ConversationID: id})
		}
		// The member's row orders concurrent pins, so that the cap holds.
		if _, err := tx.Exec(ctx, "SELECT 1 FROM users WHERE id = $1 FOR UPDATE", userID); err != nil {
			return err
		}
		var n int
		var already bool
		if err := tx.QueryRow(ctx, `SELECT count(*), coalesce(bool_or(conversation_id = $2), false)
			FROM conversation_members WHERE user_id = $1 AND pinned_at IS NOT NULL`, userID, id).Scan(&n, &already); err != nil {
			return err
		}
		switch {
		case already:
			return nil
		case n >= chat.MaxPinned:
			return ErrTooManyPinned
		}
		if _, err := tx.Exec(ctx, `INSERT INTO conversation_members (conversation_id, user_id, pinned_at) VALUES ($1, $2, now())
			ON CONFLICT (conversation_id, user_id) DO UPDATE SET pinned_at = now(), hidden_at = NULL`, id, userID); err != nil {
			return err
		}
		return notify(ctx, tx, chat.Event{Type: chat.EventMarked, UserID: userID, ConversationID: id})
	})
	if err != nil {
		return fmt.Errorf("store: pin conversation %d for user %d: %w", id, userID, mapErr(err))
	}
	return nil
}

// Hide takes direct or group conversation id out of member userID's list
// until a message comes after this moment, and unpins it. A support chat
// is ErrHideSupport: hiding an open one would lose work, and a resolved
// one is left for the Resolved view. A conversation userID may not see is
// chat.ErrNotFound.
func (db *DB) Hide(ctx context.Context, userID, id int64) error {
	err := db.inTx(ctx, func(tx *txn) error {
		kind, err := markable(ctx, tx, userID, id)
		if err != nil {
			return err
		}
		if kind == chat.Support {
			return ErrHideSupport
		}
		if _, err := tx.Exec(ctx, `UPDATE conversation_members SET hidden_at = now(), pinned_at = NULL
			WHERE conversation_id = $1 AND user_id = $2`, id, userID); err != nil {
			return err
		}
		return notify(ctx, tx, chat.Event{Type: chat.EventMarked, UserID: userID, ConversationID: id})
	})
	if err != nil {
		return fmt.Errorf("store: hide conversation %d for user %d: %w", id, userID, mapErr(err))
	}
	return nil
}

// TotalUnread counts what viewer v has not read in their own list (Mine:
// their direct and group conversations and, for an agent, the support
// chats assigned to them and not snoozed), leaving out what they muted or
// hid: the console's badge on every page. It stops at chat.UnreadCap, so a
// long unread history costs no more than a short one.
func (db *DB) TotalUnread(ctx context.Context, v chat.Viewer) (int64, error) {
	n, _, err := db.UnreadCounted(ctx, v)
	return n, err
}

// UnreadCounted is TotalUnread, with the last seq the count saw in each
// conversation it counted in: a message delivered after the count is in it
// if its seq is no later, and a live badge adds only the others. A
// conversation not in the map had nothing unread when counted.
func (db *DB) UnreadCounted(ctx context.Context, v chat.Viewer) (int64, map[int64]int64, error) {
	var n int64
	var ids, seqs []int64
	err := db.pool.QueryRow(ctx, `WITH unread AS MATERIALIZED (
			SELECT c.id, c.last_seq, coalesce(cm.last_read_seq, 0) AS read_seq FROM conversations c
			LEFT JOIN conversation_members cm ON cm.conversation_id = c.id AND cm.user_id = $1
			WHERE c.id IN (SELECT conversation_id FROM conversation_members WHERE user_id = $1
				UNION ALL SELECT id FROM conversations WHERE $2 AND status = 'assigned' AND assigned_agent_id = $1)
			AND `+visibleTo+` AND c.last_seq > coalesce(cm.last_read_seq, 0) AND `+viewWhere[chat.ViewMine]+
		notHiddenJoined+` AND NOT coalesce(cm.muted, false))
		SELECT (SELECT count(*) FROM (SELECT 1 FROM unread
				JOIN messages um ON um.conversation_id = unread.id AND um.seq > unread.read_seq
					AND um.type IN ('text', 'image', 'file') AND um.sender_id IS DISTINCT FROM $1
				LIMIT `+strconv.Itoa(chat.UnreadCap)+`) n),
			coalesce((SELECT array_agg(id ORDER BY id) FROM unread), '{}'),
			coalesce((SELECT array_agg(last_seq ORDER BY id) FROM unread), '{}')`, v.UserID, v.IsAgent).Scan(&n, &ids, &seqs)
	if err != nil {
		return 0, nil, fmt.Errorf("store: total unread of user %d: %w", v.UserID, err)
	}
	counted := make(map[int64]int64, len(ids))
	for i, id := range ids {
		counted[id] = seqs[i]
	}
	return n, counted, nil
}

// ListMarks is what a member marked in their list: the conversations they
// pinned (when) and muted.
type ListMarks struct {
	Pinned map[int64]time.Time
	Muted  map[int64]bool
}

// Marks returns userID's pins and mutes, at most chat.MaxPinned pins and
// markCap mutes (the newest joined): what a live list keeps to place and
// count a delivered message without asking again.
func (db *DB) Marks(ctx context.Context, userID int64) (ListMarks, error) {
	m := ListMarks{Pinned: map[int64]time.Time{}, Muted: map[int64]bool{}}
	rows, err := db.pool.Query(ctx, `(SELECT conversation_id, pinned_at, muted FROM conversation_members
			WHERE user_id = $1 AND pinned_at IS NOT NULL LIMIT $2)
		UNION (SELECT conversation_id, pinned_at, muted FROM conversation_members
			WHERE user_id = $1 AND muted ORDER BY joined_at DESC LIMIT $3)`, userID, chat.MaxPinned, markCap)
	if err != nil {
		return m, fmt.Errorf("store: list marks of user %d: %w", userID, err)
	}
	var id int64
	var at *time.Time
	var muted bool
	_, err = pgx.ForEachRow(rows, []any{&id, &at, &muted}, func() error {
		if at != nil {
			m.Pinned[id] = *at
		}
		if muted {
			m.Muted[id] = true
		}
		return nil
	})
	if err != nil {
		return m, fmt.Errorf("store: list marks of user %d: %w", userID, err)
	}
	return m, nil
}

// markCap bounds the mutes a live list keeps.
const markCap = 1000
