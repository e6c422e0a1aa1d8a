package store

// Groups: a conversation of kind 'group' with an owner, whose members are its
// conversation_members rows. The owner and admins add and remove members
// (group_roles.go has what else their roles let them do); any member
// renames the group or leaves it. Each change is a system line in the group.

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

// Group is a group conversation with its members, by name, and what its
// roles set: who is an admin or muted, its notice, its pinned messages.
type Group struct {
	chat.Conversation
	OwnerID int64
	Members []chat.User
	// Roles holds each member's role; Silenced, the members muted now,
	// until when (the zero time: until let speak again).
	Roles       map[int64]chat.Role
	Silenced    map[int64]time.Time
	AllSilenced bool
	Notice      string
	Pins        []chat.Message
	// JoinToken names the group in its link to ask to join.
	JoinToken string
}

// RoleOf is userID's role in the group ("" when not a member).
func (g Group) RoleOf(userID int64) chat.Role { return g.Roles[userID] }

// CreateGroup starts a group owned by ownerID with memberIDs. Adding a
// person is starting a conversation with them, so the conversation_grade
// policy decides it for each: any refusal refuses the whole group.
func (db *DB) CreateGroup(ctx context.Context, ownerID int64, title string, memberIDs []int64) (int64, error) {
	title, err := chat.ValidateGroupTitle(title)
	if err != nil {
		return 0, err
	}
	var id int64
	err = db.inTx(ctx, func(tx *txn) error {
		if err := tx.QueryRow(ctx, `INSERT INTO conversations (kind, status, title, owner_id, join_token)
			VALUES ('group', 'assigned', $1, $2, gen_random_uuid()) RETURNING id`, title, ownerID).Scan(&id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO conversation_members (conversation_id, user_id, role) VALUES ($1, $2, 'owner')", id, ownerID); err != nil {
			return err
		}
		owner, err := displayName(ctx, tx, ownerID)
		if err != nil {
			return err
		}
		if err := systemLine(ctx, tx, id, chat.LineGroupCreated, owner, title); err != nil {
			return err
		}
		return addMembers(ctx, tx, id, ownerID, owner, memberIDs)
	})
	if err != nil {
		return 0, fmt.Errorf("store: create group: %w", mapErr(err))
	}
	return id, nil
}

// addMembers adds ids to group id on behalf of actorID, after the policy.
func addMembers(ctx context.Context, tx *txn, id, actorID int64, actor string, ids []int64) error {
	var names []string
	for _, uid := range slices.Compact(slices.Sorted(slices.Values(ids))) {
		if uid == actorID {
			continue
		}
		name, err := displayName(ctx, tx, uid)
		if err != nil {
			return err
		}
		added, err := admit(ctx, tx, id, actorID, uid, name)
		if err != nil {
			return err
		}
		if added {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	return systemLine(ctx, tx, id, chat.LineMembersAdded, append([]string{actor}, names...)...)
}

// admit lets uid (called name) into group id on behalf of actorID, as a
// plain member: adding a person is starting a conversation with them, so
// a block between them refuses it and the conversation_grade policy
// decides it, on every way in. New members
// start with nothing unread; one who was in already is not added again.
func admit(ctx context.Context, tx *txn, id, actorID, uid int64, name string) (bool, error) {
	if err := contactable(ctx, tx, actorID, uid); err != nil {
		return false, err
	}
	if err := notBlocked(ctx, tx, actorID, uid); err != nil {
		return false, err
	}
	if err := mayStart(ctx, tx, actorID, uid); err != nil {
		if r, ok := err.(*chat.RefusedError); ok {
			return false, r.Adding(name)
		}
		return false, err
	}
	tag, err := tx.Exec(ctx, `WITH ask AS (DELETE FROM group_join_requests WHERE conversation_id = $1 AND user_id = $2)
		INSERT INTO conversation_members (conversation_id, user_id, last_read_seq)
		SELECT $1, $2, last_seq FROM conversations WHERE id = $1 ON CONFLICT DO NOTHING`, id, uid)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

// AddGroupMembers adds ids to group id; its owner and admins may (their
// invitation is taken as accepted).
func (db *DB) AddGroupMembers(ctx context.Context, id, actorID int64, ids []int64) error {
	err := db.inTx(ctx, func(tx *txn) error {
		role, err := lockGroupAs(ctx, tx, id, actorID)
		if err != nil {
			return err
		}
		if !chat.MayInGroup(role, chat.ActAdd, "") {
			return fmt.Errorf("add members as %s: %w", role, chat.ErrNotAllowed)
		}
		actor, err := displayName(ctx, tx, actorID)
		if err != nil {
			return err
		}
		return addMembers(ctx, tx, id, actorID, actor, ids)
	})
	if err != nil {
		return fmt.Errorf("store: add members to group %d: %w", id, mapErr(err))
	}
	return nil
}

// RemoveGroupMember takes userID out of group id: its owner removes
// admins and members, an admin plain members; no one themselves (they
// leave instead).
func (db *DB) RemoveGroupMember(ctx context.Context, id, actorID, userID int64) error {
	if actorID == userID {
		return chat.Invalid("user", "error.group.removeSelf")
	}
	return db.groupAct(ctx, id, actorID, chat.ActRemove, userID, func(tx *txn, _ chat.Role) (chat.SystemCode, []string, error) {
		return chat.LineMemberRemoved, nil, dropMember(ctx, tx, id, userID)
	})
}

func dropMember(ctx context.Context, tx *txn, id, userID int64) error {
	tag, err := tx.Exec(ctx, "DELETE FROM conversation_members WHERE conversation_id = $1 AND user_id = $2", id, userID)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return chat.ErrNotFound
	}
	return notify(ctx, tx, chat.Event{Type: chat.EventMembers, ConversationID: id, UserID: userID})
}

// LeaveGroup takes userID out of group id. An owner who leaves hands the
// group to the admin who joined first, or else the member who did.
func (db *DB) LeaveGroup(ctx context.Context, id, userID int64) error {
	err := db.inTx(ctx, func(tx *txn) error {
		role, err := lockGroupAs(ctx, tx, id, userID)
		if err != nil {
			return err
		}
		if err := dropMember(ctx, tx, id, userID); err != nil {
			return err
		}
		name, err := displayName(ctx, tx, userID)
		if err != nil {
			return err
		}
		code, args := chat.LineMemberLeft, []string{name}
		if role == chat.Owner {
			var next int64
			err := tx.QueryRow(ctx, `SELECT user_id FROM conversation_members WHERE conversation_id = $1
				ORDER BY role = 'admin' DESC, joined_at, user_id LIMIT 1`, id).Scan(&next)
			if err == nil {
				if err := setOwner(ctx, tx, id, 0, next); err != nil {
					return err
				}
				nextName, err := displayName(ctx, tx, next)
				if err != nil {
					return err
				}
				code, args = chat.LineOwnerLeft, []string{name, nextName}
			} else if err != pgx.ErrNoRows {
				return err
			}
		}
		return systemLine(ctx, tx, id, code, args...)
	})
	if err != nil {
		return fmt.Errorf("store: %d leaves group %d: %w", userID, id, mapErr(err))
	}
	return nil
}

// RenameGroup gives group id a new name; any member may.
func (db *DB) RenameGroup(ctx context.Context, id, actorID int64, title string) error {
	title, err := chat.ValidateGroupTitle(title)
	if err != nil {
		return err
	}
	err = db.inTx(ctx, func(tx *txn) error {
		if _, err := lockGroupAs(ctx, tx, id, actorID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE conversations SET title = $2 WHERE id = $1", id, title); err != nil {
			return err
		}
		actor, err := displayName(ctx, tx, actorID)
		if err != nil {
			return err
		}
		return systemLine(ctx, tx, id, chat.LineGroupRenamed, actor, title)
	})
	if err != nil {
		return fmt.Errorf("store: rename group %d: %w", id, mapErr(err))
	}
	return nil
}

// GroupOf returns group id with its members, if viewerID is one of them.
func (db *DB) GroupOf(ctx context.Context, id, viewerID int64) (Group, error) {
	var g Group
	c, err := scanConversation(db.pool.QueryRow(ctx, "SELECT "+conversationColumns+`, coalesce(c.owner_id, 0), c.all_silenced, c.notice, coalesce(c.join_token::text, '')
		FROM conversations c WHERE c.id = $1 AND c.kind = 'group'
		AND EXISTS (SELECT 1 FROM conversation_members WHERE conversation_id = c.id AND user_id = $2)`, id, viewerID),
		&g.OwnerID, &g.AllSilenced, &g.Notice, &g.JoinToken)
	if err != nil {
		return g, fmt.Errorf("store: group %d: %w", id, mapErr(err))
	}
	g.Conversation = c
	if g.Members, err = db.userList(ctx, "members of group", `SELECT `+userColumnsOf("u")+` FROM conversation_members m
		JOIN users u ON u.id = m.user_id WHERE m.conversation_id = $1 ORDER BY lower(u.name), u.id`, id); err != nil {
		return g, err
	}
	g.Roles, g.Silenced = map[int64]chat.Role{}, map[int64]time.Time{}
	rows, err := db.pool.Query(ctx, `SELECT user_id, role, CASE WHEN silenced_until > now() AND silenced_until <> 'infinity' THEN silenced_until END,
		coalesce(silenced_until = 'infinity', false) FROM conversation_members WHERE conversation_id = $1`, id)
	if err != nil {
		return g, fmt.Errorf("store: roles in group %d: %w", id, err)
	}
	var uid int64
	var role chat.Role
	var until *time.Time
	var open bool
	if _, err := pgx.ForEachRow(rows, []any{&uid, &role, &until, &open}, func() error {
		g.Roles[uid] = role
		switch {
		case open:
			g.Silenced[uid] = time.Time{}
		case until != nil:
			g.Silenced[uid] = *until
		}
		return nil
	}); err != nil {
		return g, fmt.Errorf("store: roles in group %d: %w", id, err)
	}
	if g.Pins, err = collectMessages(db.pool.Query(ctx, "SELECT "+messageColumns+messageFrom+
		"JOIN pinned_messages p ON p.message_id = m.id WHERE p.conversation_id = $1 ORDER BY p.pinned_at DESC, m.id", id)); err != nil {
		return g, fmt.Errorf("store: pins of group %d: %w", id, err)
	}
	return g, nil
}
