package store

// Blocks: a member's block list, and agents' blocks of abusive visitors.

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

// blockedBetween is true when a and b have blocked one another, either way.
const blockedBetween = `EXISTS (SELECT 1 FROM user_blocks WHERE (blocker_id = $1 AND blocked_id = $2) OR (blocker_id = $2 AND blocked_id = $1))`

// notBlocked refuses, with chat.ErrNotDelivered, anything between a and b
// when either has blocked the other.
func notBlocked(ctx context.Context, q querier, a, b int64) error {
	var blocked bool
	if err := q.QueryRow(ctx, "SELECT "+blockedBetween, a, b).Scan(&blocked); err != nil {
		return err
	}
	if blocked {
		return chat.ErrNotDelivered
	}
	return nil
}

// unblockedDirect keeps, in the statement that stores a message ($2: its
// sender), a conversation that is not a direct one between two members
// of whom one has blocked the other: the block is checked under the
// conversation's row lock, with no round trip of its own.
const unblockedDirect = ` AND NOT (kind = 'direct' AND EXISTS (SELECT 1 FROM conversation_members o
	JOIN user_blocks b ON (b.blocker_id = o.user_id AND b.blocked_id = $2) OR (b.blocker_id = $2 AND b.blocked_id = o.user_id)
	WHERE o.conversation_id = conversations.id AND o.user_id <> $2))`

// insertUnblocked is insertMessage, refused with chat.ErrNotDelivered in a
// direct conversation whose members have blocked one another.
func insertUnblocked(ctx context.Context, tx *txn, s Send) (chat.Message, error) {
	msg, err := insertInto(ctx, tx, s, "id = $1"+unblockedDirect, s.ConversationID)
	if !errors.Is(err, pgx.ErrNoRows) || s.SenderID == 0 {
		return msg, err
	}
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM conversations WHERE id = $1)", s.ConversationID).Scan(&exists); err != nil {
		return msg, err
	}
	if exists {
		return msg, chat.ErrNotDelivered
	}
	return msg, err
}

// Block adds blocked to blocker's block list; blocking twice changes
// nothing. Only a member may be blocked, and not oneself.
func (db *DB) Block(ctx context.Context, blocker, blocked int64) error {
	if blocker == blocked {
		return chat.Invalid("user", "error.block.self")
	}
	tag, err := db.pool.Exec(ctx, `INSERT INTO user_blocks (blocker_id, blocked_id)
		SELECT $1, id FROM users WHERE id = $2 AND kind = 'member' ON CONFLICT DO NOTHING`, blocker, blocked)
	if err != nil {
		return fmt.Errorf("store: %d blocks %d: %w", blocker, blocked, mapErr(err))
	}
	if tag.RowsAffected() == 0 {
		var member bool
		if err := db.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND kind = 'member')", blocked).Scan(&member); err != nil {
			return fmt.Errorf("store: %d blocks %d: %w", blocker, blocked, err)
		}
		if !member {
			return fmt.Errorf("store: %d blocks %d: %w", blocker, blocked, chat.ErrNotFound)
		}
	}
	return nil
}

// Unblock takes blocked off blocker's block list.
func (db *DB) Unblock(ctx context.Context, blocker, blocked int64) error {
	if _, err := db.pool.Exec(ctx, "DELETE FROM user_blocks WHERE blocker_id = $1 AND blocked_id = $2", blocker, blocked); err != nil {
		return fmt.Errorf("store: %d unblocks %d: %w", blocker, blocked, err)
	}
	return nil
}

// Blocked returns the members on userID's block list, newest first.
func (db *DB) Blocked(ctx context.Context, userID int64) ([]chat.User, error) {
	rows, err := db.pool.Query(ctx, "SELECT "+userColumns+` FROM user_blocks b JOIN users ON users.id = b.blocked_id
		WHERE b.blocker_id = $1 ORDER BY b.created_at DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: block list of %d: %w", userID, err)
	}
	us, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (chat.User, error) { return scanUser(r) })
	if err != nil {
		return nil, fmt.Errorf("store: block list of %d: %w", userID, err)
	}
	return us, nil
}

// HasBlocked reports whether blocker has blocked blocked.
func (db *DB) HasBlocked(ctx context.Context, blocker, blocked int64) (bool, error) {
	var b bool
	err := db.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM user_blocks WHERE blocker_id = $1 AND blocked_id = $2)", blocker, blocked).Scan(&b)
	if err != nil {
		return false, fmt.Errorf("store: has %d blocked %d: %w", blocker, blocked, err)
	}
	return b, nil
}

// visitorBlocked is true when visitor $1 is blocked, or (when $2 is not
// NULL) the address $2 is, now.
const visitorBlocked = `EXISTS (SELECT 1 FROM visitor_blocks
	WHERE (visitor_id = $1 OR address = $2::inet) AND (until IS NULL OR until > now()))`

// unblockedVisitor keeps, in the statement that stores a visitor's
// message ($2: the visitor), a conversation whose visitor is not blocked.
const unblockedVisitor = ` AND NOT EXISTS (SELECT 1 FROM visitor_blocks vb
	WHERE vb.visitor_id = $2 AND (vb.until IS NULL OR vb.until > now()))`

// addressArg is addr as a statement's inet argument: nil when it is none.
func addressArg(addr string) any {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return nil
	}
	return ip.Unmap().WithZone("").String()
}

// checkVisitor refuses, with chat.ErrChatUnavailable, a visitor who is
// blocked, or who writes from a blocked address.
func checkVisitor(ctx context.Context, q querier, visitorID int64, addr string) error {
	var blocked bool
	if err := q.QueryRow(ctx, "SELECT "+visitorBlocked, visitorID, addressArg(addr)).Scan(&blocked); err != nil {
		return err
	}
	if blocked {
		return chat.ErrChatUnavailable
	}
	return nil
}

// VisitorBlocked reports whether visitorID (0: nobody yet) or the address
// addr ("": unknown) is blocked now: their widget says chat is unavailable.
func (db *DB) VisitorBlocked(ctx context.Context, visitorID int64, addr string) (bool, error) {
	err := checkVisitor(ctx, db.pool, visitorID, addr)
	if errors.Is(err, chat.ErrChatUnavailable) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: is visitor %d blocked: %w", visitorID, err)
	}
	return false, nil
}

func visitorBlockSubject(id int64) string { return "visitor " + strconv.FormatInt(id, 10) }

// BlockVisitor blocks visitorID, on agentID's word, until lifted, and, for
// a duration other than 0, the address they last started a chat from for
// that long (when kefu knows it). An address that many visitors may share
// as kefu sees it (chat.AddressBlockable) is not blocked: the visitor is,
// and the *chat.ValidationError returned says why their address is not.
// Recorded in the audit log, and announced
// (chat.EventVisitorBlocked), so that the visitor's open widgets say at
// once, on every instance, that chat is unavailable.
func (db *DB) BlockVisitor(ctx context.Context, agentID, visitorID int64, address time.Duration) error {
	var notAddress error
	err := db.inTx(ctx, func(tx *txn) error {
		notAddress = nil
		var addr *netip.Addr
		err := tx.QueryRow(ctx, "SELECT last_address FROM users WHERE id = $1 AND kind = 'visitor'", visitorID).Scan(&addr)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO visitor_blocks (visitor_id, blocked_by) VALUES ($1, $2)
			ON CONFLICT (visitor_id) WHERE visitor_id IS NOT NULL DO NOTHING`, visitorID, agentID); err != nil {
			return err
		}
		what := map[string]any{"visitor": visitorID}
		if address > 0 && addr != nil {
			notAddress = chat.AddressBlockable(*addr)
		}
		if address > 0 && addr != nil && notAddress == nil {
			if _, err := tx.Exec(ctx, `INSERT INTO visitor_blocks (address, until, blocked_by) VALUES ($1, now() + $2::interval, $3)`,
				addr.String(), address.String(), agentID); err != nil {
				return err
			}
			what["address"], what["for"] = addr.String(), address.String()
		}
		if err := audit(ctx, tx, actorRef(agentID), "visitor.block", visitorBlockSubject(visitorID), nil, what); err != nil {
			return err
		}
		return execAll(ctx, tx, announce(tx, chat.Event{Type: chat.EventVisitorBlocked, UserID: visitorID}))
	})
	if err != nil {
		return fmt.Errorf("store: block visitor %d: %w", visitorID, mapErr(err))
	}
	return notAddress
}

// VisitorBlocks returns the blocks in force, newest first.
func (db *DB) VisitorBlocks(ctx context.Context) ([]chat.VisitorBlock, error) {
	rows, err := db.pool.Query(ctx, `SELECT b.id, coalesce(b.visitor_id, 0), CASE WHEN v.id IS NULL THEN '' ELSE display_name(v) END,
			coalesce(host(b.address), ''), coalesce(b.until, 'epoch'), CASE WHEN a.id IS NULL THEN '' ELSE display_name(a) END, b.created_at
		FROM visitor_blocks b LEFT JOIN users v ON v.id = b.visitor_id LEFT JOIN users a ON a.id = b.blocked_by
		WHERE b.until IS NULL OR b.until > now() ORDER BY b.created_at DESC, b.id DESC LIMIT 500`)
	if err != nil {
		return nil, fmt.Errorf("store: visitor blocks: %w", err)
	}
	bs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (chat.VisitorBlock, error) {
		var b chat.VisitorBlock
		err := r.Scan(&b.ID, &b.VisitorID, &b.Visitor, &b.Address, &b.Until, &b.By, &b.CreatedAt)
		if b.Until.Equal(time.Unix(0, 0)) {
			b.Until = time.Time{}
		}
		return b, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: visitor blocks: %w", err)
	}
	return bs, nil
}

// LiftVisitorBlock removes block id, on agentID's word, recorded in the
// audit log.
func (db *DB) LiftVisitorBlock(ctx context.Context, agentID, id int64) error {
	err := db.inTx(ctx, func(tx *txn) error {
		var visitor *int64
		var addr *string
		err := tx.QueryRow(ctx, "DELETE FROM visitor_blocks WHERE id = $1 RETURNING visitor_id, host(address)", id).Scan(&visitor, &addr)
		if err != nil {
			return err
		}
		return audit(ctx, tx, actorRef(agentID), "visitor.unblock", "visitor block "+strconv.FormatInt(id, 10), map[string]any{"visitor": visitor, "address": addr}, nil)
	})
	if err != nil {
		return fmt.Errorf("store: lift visitor block %d: %w", id, mapErr(err))
	}
	return nil
}
