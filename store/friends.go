package store

// Friends: invitations with a message, accepted or declined by the invitee,
// and friendships either side can end.

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

// Invite is a pending friend invitation.
type Invite struct {
	ID        int64
	From, To  chat.User
	Message   string
	CreatedAt time.Time
}

// InviteFriend invites to to be from's friend, with a message. An invitation
// to someone who has already invited from is an acceptance. It returns
// whether they are now friends.
func (db *DB) InviteFriend(ctx context.Context, from, to int64, message string) (friends bool, err error) {
	if err := chat.ValidateInviteMessage(message); err != nil {
		return false, err
	}
	err = db.inTx(ctx, func(tx *txn) error {
		if err := contactable(ctx, tx, from, to); err != nil {
			return err
		}
		t, err := ties(ctx, tx, from, to)
		if err != nil {
			return err
		}
		if t.Friends {
			return chat.Invalid("to", "error.friends.already")
		}
		tag, err := tx.Exec(ctx, "DELETE FROM friend_invites WHERE from_id = $1 AND to_id = $2", to, from)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			friends = true
			return befriend(ctx, tx, from, to)
		}
		_, err = tx.Exec(ctx, `INSERT INTO friend_invites (from_id, to_id, message) VALUES ($1, $2, $3)
			ON CONFLICT (from_id, to_id) DO UPDATE SET message = excluded.message, created_at = now()`, from, to, message)
		if err != nil {
			return err
		}
		return notify(ctx, tx, chat.Event{Type: chat.EventFriends, UserID: to})
	})
	if err != nil {
		return false, fmt.Errorf("store: invite %d to be %d's friend: %w", to, from, mapErr(err))
	}
	return friends, nil
}

func befriend(ctx context.Context, tx *txn, a, b int64) error {
	if _, err := tx.Exec(ctx, `INSERT INTO friendships (user_id, friend_id) VALUES ($1, $2), ($2, $1)
		ON CONFLICT DO NOTHING`, a, b); err != nil {
		return err
	}
	if err := notify(ctx, tx, chat.Event{Type: chat.EventFriends, UserID: a}); err != nil {
		return err
	}
	return notify(ctx, tx, chat.Event{Type: chat.EventFriends, UserID: b})
}

// AnswerInvite accepts or declines invitation id, which must be to userID.
func (db *DB) AnswerInvite(ctx context.Context, userID, id int64, accept bool) error {
	err := db.inTx(ctx, func(tx *txn) error {
		var from int64
		if err := tx.QueryRow(ctx, "DELETE FROM friend_invites WHERE id = $1 AND to_id = $2 RETURNING from_id",
			id, userID).Scan(&from); err != nil {
			return err
		}
		if !accept {
			if err := notify(ctx, tx, chat.Event{Type: chat.EventFriends, UserID: userID}); err != nil {
				return err
			}
			return notify(ctx, tx, chat.Event{Type: chat.EventFriends, UserID: from})
		}
		return befriend(ctx, tx, userID, from)
	})
	if err != nil {
		return fmt.Errorf("store: answer invitation %d: %w", id, mapErr(err))
	}
	return nil
}

// CancelInvite withdraws invitation id, which userID sent.
func (db *DB) CancelInvite(ctx context.Context, userID, id int64) error {
	err := db.inTx(ctx, func(tx *txn) error {
		var to int64
		if err := tx.QueryRow(ctx, "DELETE FROM friend_invites WHERE id = $1 AND from_id = $2 RETURNING to_id",
			id, userID).Scan(&to); err != nil {
			return err
		}
		return notify(ctx, tx, chat.Event{Type: chat.EventFriends, UserID: to})
	})
	if err != nil {
		return fmt.Errorf("store: cancel invitation %d: %w", id, mapErr(err))
	}
	return nil
}

// RemoveFriend ends the friendship of userID and friendID, both ways.
func (db *DB) RemoveFriend(ctx context.Context, userID, friendID int64) error {
	err := db.inTx(ctx, func(tx *txn) error {
		tag, err := tx.Exec(ctx, `DELETE FROM friendships WHERE (user_id, friend_id) IN (($1, $2), ($2, $1))`, userID, friendID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return chat.ErrNotFound
		}
		if err := notify(ctx, tx, chat.Event{Type: chat.EventFriends, UserID: userID}); err != nil {
			return err
		}
		return notify(ctx, tx, chat.Event{Type: chat.EventFriends, UserID: friendID})
	})
	if err != nil {
		return fmt.Errorf("store: remove friend %d of %d: %w", friendID, userID, mapErr(err))
	}
	return nil
}

// Friends returns userID's friends, by name.
func (db *DB) Friends(ctx context.Context, userID int64) ([]chat.User, error) {
	return db.userList(ctx, "friends of "+fmt.Sprint(userID), `SELECT `+userColumnsOf("u")+` FROM friendships f
		JOIN users u ON u.id = f.friend_id WHERE f.user_id = $1 ORDER BY lower(u.name), u.id`, userID)
}

// Invites returns the invitations userID has received and sent, newest first.
func (db *DB) Invites(ctx context.Context, userID int64) (received, sent []Invite, err error) {
	rows, err := db.pool.Query(ctx, `SELECT i.id, i.message, i.created_at, `+userColumnsOf("f")+`, `+userColumnsOf("t")+`
		FROM friend_invites i JOIN users f ON f.id = i.from_id JOIN users t ON t.id = i.to_id
		WHERE i.to_id = $1 OR i.from_id = $1 ORDER BY i.id DESC`, userID)
	if err != nil {
		return nil, nil, fmt.Errorf("store: invitations of %d: %w", userID, err)
	}
	var in Invite
	fields := append(append([]any{&in.ID, &in.Message, &in.CreatedAt}, userFields(&in.From)...), userFields(&in.To)...)
	_, err = pgx.ForEachRow(rows, fields, func() error {
		if in.To.ID == userID {
			received = append(received, in)
		} else {
			sent = append(sent, in)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store: invitations of %d: %w", userID, err)
	}
	return received, sent, nil
}

// InviteCount returns how many invitations wait for userID's answer.
func (db *DB) InviteCount(ctx context.Context, userID int64) (int, error) {
	var n int
	if err := db.pool.QueryRow(ctx, "SELECT count(*) FROM friend_invites WHERE to_id = $1", userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: invitations for %d: %w", userID, err)
	}
	return n, nil
}

// People returns up to limit members other than viewerID whose name or email
// contains q (all of them for an empty q), by name: who can be contacted,
// invited or added to a group. Disabled members are left out.
func (db *DB) People(ctx context.Context, viewerID int64, q string, limit int) ([]chat.User, error) {
	return db.userList(ctx, "people", `SELECT `+userColumns+` FROM users
		WHERE kind = 'member' AND disabled_at IS NULL AND id <> $1
		AND ($2 = '' OR strpos(lower(name), lower($2)) > 0 OR strpos(lower(email), lower($2)) > 0)
		ORDER BY lower(name), id LIMIT $3`, viewerID, q, limit)
}

func (db *DB) userList(ctx context.Context, what, sql string, args ...any) ([]chat.User, error) {
	rows, err := db.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	users, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (chat.User, error) { return scanUser(r) })
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return users, nil
}
