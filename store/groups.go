package store

// Groups: a conversation of kind 'group' with an owner, whose members are its
// conversation_members rows. The owner adds and removes members; any member
// renames the group or leaves it. Each change is a system line in the group.

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

// Group is a group conversation with its members, by name.
type Group struct {
	chat.Conversation
	OwnerID int64
	Members []chat.User
}

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
		if err := tx.QueryRow(ctx, `INSERT INTO conversations (kind, status, title, owner_id)
			VALUES ('group', 'assigned', $1, $2) RETURNING id`, title, ownerID).Scan(&id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO conversation_members (conversation_id, user_id) VALUES ($1, $2)", id, ownerID); err != nil {
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
// New members start with nothing unread.
func addMembers(ctx context.Context, tx *txn, id, actorID int64, actor string, ids []int64) error {
	var names []string
	for _, uid := range slices.Compact(slices.Sorted(slices.Values(ids))) {
		if uid == actorID {
			continue
		}
		if err := contactable(ctx, tx, actorID, uid); err != nil {
			return err
		}
		if err := notBlocked(ctx, tx, actorID, uid); err != nil {
			return err
		}
		name, err := displayName(ctx, tx, uid)
		if err != nil {
			return err
		}
		if err := mayStart(ctx, tx, actorID, uid); err != nil {
			if r, ok := err.(*chat.RefusedError); ok {
				return r.Adding(name)
			}
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO conversation_members (conversation_id, user_id, last_read_seq)
			SELECT $1, $2, last_seq FROM conversations WHERE id = $1 ON CONFLICT DO NOTHING`, id, uid)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	return systemLine(ctx, tx, id, chat.LineMembersAdded, append([]string{actor}, names...)...)
}

// lockGroup locks group id for a change by actorID, who must be a member
// (and its owner when ownerOnly). It returns the owner's id.
func lockGroup(ctx context.Context, tx *txn, id, actorID int64, ownerOnly bool) (int64, error) {
	var owner int64
	var member bool
	err := tx.QueryRow(ctx, `SELECT owner_id, EXISTS (SELECT 1 FROM conversation_members WHERE conversation_id = $1 AND user_id = $2)
		FROM conversations WHERE id = $1 AND kind = 'group' FOR UPDATE`, id, actorID).Scan(&owner, &member)
	switch {
	case err != nil:
		return 0, err
	case !member:
		return 0, chat.ErrNotFound
	case ownerOnly && owner != actorID:
		return 0, fmt.Errorf("only the owner manages members: %w", chat.ErrNotAllowed)
	}
	return owner, nil
}

// AddGroupMembers adds ids to group id; only its owner may.
func (db *DB) AddGroupMembers(ctx context.Context, id, actorID int64, ids []int64) error {
	err := db.inTx(ctx, func(tx *txn) error {
		if _, err := lockGroup(ctx, tx, id, actorID, true); err != nil {
			return err
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

// RemoveGroupMember takes userID out of group id; only its owner may, and
// not themselves (they leave instead).
func (db *DB) RemoveGroupMember(ctx context.Context, id, actorID, userID int64) error {
	if actorID == userID {
		return chat.Invalid("user", "error.group.removeSelf")
	}
	err := db.inTx(ctx, func(tx *txn) error {
		if _, err := lockGroup(ctx, tx, id, actorID, true); err != nil {
			return err
		}
		if err := dropMember(ctx, tx, id, userID); err != nil {
			return err
		}
		actor, err := displayName(ctx, tx, actorID)
		if err != nil {
			return err
		}
		name, err := displayName(ctx, tx, userID)
		if err != nil {
			return err
		}
		return systemLine(ctx, tx, id, chat.LineMemberRemoved, actor, name)
	})
	if err != nil {
		return fmt.Errorf("store: remove %d from group %d: %w", userID, id, mapErr(err))
	}
	return nil
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
// group to the member who joined first.
func (db *DB) LeaveGroup(ctx context.Context, id, userID int64) error {
	err := db.inTx(ctx, func(tx *txn) error {
		owner, err := lockGroup(ctx, tx, id, userID, false)
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
		if owner == userID {
			var next int64
			err := tx.QueryRow(ctx, `SELECT user_id FROM conversation_members WHERE conversation_id = $1
				ORDER BY joined_at, user_id LIMIT 1`, id).Scan(&next)
			if err == nil {
				if _, err := tx.Exec(ctx, "UPDATE conversations SET owner_id = $2 WHERE id = $1", id, next); err != nil {
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
		if _, err := lockGroup(ctx, tx, id, actorID, false); err != nil {
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
	c, err := scanConversation(db.pool.QueryRow(ctx, "SELECT "+conversationColumns+`, coalesce(c.owner_id, 0)
		FROM conversations c WHERE c.id = $1 AND c.kind = 'group'
		AND EXISTS (SELECT 1 FROM conversation_members WHERE conversation_id = c.id AND user_id = $2)`, id, viewerID), &g.OwnerID)
	if err != nil {
		return g, fmt.Errorf("store: group %d: %w", id, mapErr(err))
	}
	g.Conversation = c
	if g.Members, err = db.userList(ctx, "members of group", `SELECT `+userColumnsOf("u")+` FROM conversation_members m
		JOIN users u ON u.id = m.user_id WHERE m.conversation_id = $1 ORDER BY lower(u.name), u.id`, id); err != nil {
		return g, err
	}
	return g, nil
}
