package store

// Group roles: the owner appoints admins; the owner and admins mute
// members (one, or all of them), remove them, let people in, set the
// group's notice and pin messages; the owner hands the group over. Who may
// do what is chat.MayInGroup's; each change is a system line in the group.

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

// mayWriteInGroup is the condition, on the conversations row a message
// goes into, that its sender ($2) may write there now: anyone in a
// conversation that is not a group; in a group, its owner; an admin the
// owner has not muted; a plain member who is not muted (nor everyone is)
// and whose message does not say @all ($10). It adds no round trip: it is
// part of the message's statement.
const mayWriteInGroup = `($2::bigint IS NULL OR kind <> 'group' OR EXISTS (SELECT 1 FROM conversation_members g
	WHERE g.conversation_id = conversations.id AND g.user_id = $2 AND (g.role = 'owner'
		OR (coalesce(g.silenced_until, '-infinity') <= now()
			AND (g.role = 'admin' OR (NOT conversations.all_silenced AND NOT $10))))))`

// whyRefused says why the message s found no conversation to go into: in a
// group, its sender is muted, or may not write @all, or is not a member.
func whyRefused(ctx context.Context, tx *txn, s Send) error {
	var kind chat.ConversationKind
	var role *chat.Role
	var allSilenced, silenced bool
	err := tx.QueryRow(ctx, `SELECT c.kind, g.role, c.all_silenced, coalesce(g.silenced_until > now(), false)
		FROM conversations c LEFT JOIN conversation_members g ON g.conversation_id = c.id AND g.user_id = $2
		WHERE c.id = $1`, s.ConversationID, s.SenderID).Scan(&kind, &role, &allSilenced, &silenced)
	switch {
	case err != nil:
		return err
	case kind != chat.Group:
		return pgx.ErrNoRows
	case role == nil:
		return chat.ErrNotFound
	case *role == chat.Owner:
		return pgx.ErrNoRows
	case silenced || allSilenced && *role == chat.Member:
		return chat.ErrSilenced
	}
	if err := chat.MayMention(*role, s.Body); err != nil {
		return err
	}
	return pgx.ErrNoRows
}

// lockGroupAs locks group id for a change by actorID, who must be one of
// its members, and returns the actor's role.
func lockGroupAs(ctx context.Context, tx *txn, id, actorID int64) (chat.Role, error) {
	var role *chat.Role
	err := tx.QueryRow(ctx, `SELECT (SELECT role FROM conversation_members WHERE conversation_id = $1 AND user_id = $2)
		FROM conversations WHERE id = $1 AND kind = 'group' FOR UPDATE`, id, actorID).Scan(&role)
	switch {
	case err != nil:
		return "", err
	case role == nil:
		return "", chat.ErrNotFound
	}
	return *role, nil
}

// roleIn is userID's role in group id (chat.ErrNotFound: not a member).
func roleIn(ctx context.Context, tx *txn, id, userID int64) (chat.Role, error) {
	var role chat.Role
	err := tx.QueryRow(ctx, "SELECT role FROM conversation_members WHERE conversation_id = $1 AND user_id = $2", id, userID).Scan(&role)
	return role, err
}

// groupAct runs change on group id, locked, when actorID may do act to
// targetID (0: act has no target); then writes the system line code with
// the actor's name, the target's (when there is one) and args.
func (db *DB) groupAct(ctx context.Context, id, actorID int64, act chat.GroupAction, targetID int64,
	change func(tx *txn, target chat.Role) (chat.SystemCode, []string, error)) error {
	err := db.inTx(ctx, func(tx *txn) error {
		role, err := lockGroupAs(ctx, tx, id, actorID)
		if err != nil {
			return err
		}
		var target chat.Role
		if targetID != 0 {
			if targetID == actorID {
				return chat.Invalid("user", "error.group.notYourself")
			}
			if target, err = roleIn(ctx, tx, id, targetID); err != nil {
				return err
			}
		}
		if !chat.MayInGroup(role, act, target) {
			return fmt.Errorf("%s as %s: %w", act, role, chat.ErrNotAllowed)
		}
		code, args, err := change(tx, target)
		if err != nil || code == "" {
			return err
		}
		names := []string{}
		for _, uid := range []int64{actorID, targetID} {
			if uid == 0 {
				continue
			}
			name, err := displayName(ctx, tx, uid)
			if err != nil {
				return err
			}
			names = append(names, name)
		}
		return systemLine(ctx, tx, id, code, append(names, args...)...)
	})
	if err != nil {
		return fmt.Errorf("store: %s in group %d: %w", act, id, mapErr(err))
	}
	return nil
}

// SetAdmin makes userID an admin of group id, or a plain member again;
// only its owner may.
func (db *DB) SetAdmin(ctx context.Context, id, actorID, userID int64, admin bool) error {
	return db.groupAct(ctx, id, actorID, chat.ActAppoint, userID, func(tx *txn, target chat.Role) (chat.SystemCode, []string, error) {
		role, code := chat.Member, chat.LineAdminDismissed
		if admin {
			role, code = chat.Admin, chat.LineAdminAppointed
		}
		if target == role {
			return "", nil, nil
		}
		_, err := tx.Exec(ctx, "UPDATE conversation_members SET role = $3 WHERE conversation_id = $1 AND user_id = $2", id, userID, role)
		return code, nil, err
	})
}

// HandOver makes userID the owner of group id; its owner becomes a plain
// member. Only the owner may.
func (db *DB) HandOver(ctx context.Context, id, actorID, userID int64) error {
	return db.groupAct(ctx, id, actorID, chat.ActHandOver, userID, func(tx *txn, _ chat.Role) (chat.SystemCode, []string, error) {
		return chat.LineHandedOver, nil, setOwner(ctx, tx, id, actorID, userID)
	})
}

// setOwner moves group id's ownership from oldID (0: none left) to newID.
func setOwner(ctx context.Context, tx *txn, id, oldID, newID int64) error {
	_, err := tx.Exec(ctx, `WITH o AS (UPDATE conversations SET owner_id = $3 WHERE id = $1)
		UPDATE conversation_members SET role = CASE WHEN user_id = $3 THEN 'owner' ELSE 'member' END
		WHERE conversation_id = $1 AND user_id IN ($2, $3)`, id, oldID, newID)
	return err
}

// Silence mutes userID in group id until until (zero: until they are let
// speak again); owners mute admins and members, admins mute members.
func (db *DB) Silence(ctx context.Context, id, actorID, userID int64, until time.Time) error {
	return db.groupAct(ctx, id, actorID, chat.ActSilence, userID, func(tx *txn, _ chat.Role) (chat.SystemCode, []string, error) {
		var at *time.Time
		if !until.IsZero() {
			at = &until
		}
		_, err := tx.Exec(ctx, `UPDATE conversation_members SET silenced_until = coalesce($3::timestamptz, 'infinity')
			WHERE conversation_id = $1 AND user_id = $2`, id, userID, at)
		if until.IsZero() {
			return chat.LineSilencedOpen, nil, err
		}
		return chat.LineSilenced, []string{until.UTC().Format("2006-01-02 15:04")}, err
	})
}

// Unsilence lets userID speak again in group id.
func (db *DB) Unsilence(ctx context.Context, id, actorID, userID int64) error {
	return db.groupAct(ctx, id, actorID, chat.ActSilence, userID, func(tx *txn, _ chat.Role) (chat.SystemCode, []string, error) {
		tag, err := tx.Exec(ctx, `UPDATE conversation_members SET silenced_until = NULL
			WHERE conversation_id = $1 AND user_id = $2 AND silenced_until > now()`, id, userID)
		if err != nil || tag.RowsAffected() == 0 {
			return "", nil, err
		}
		return chat.LineUnsilenced, nil, nil
	})
}

// SilenceAll mutes every plain member of group id (on), or lets them speak
// again; its owner and admins still write.
func (db *DB) SilenceAll(ctx context.Context, id, actorID int64, on bool) error {
	return db.groupAct(ctx, id, actorID, chat.ActSilenceAll, 0, func(tx *txn, _ chat.Role) (chat.SystemCode, []string, error) {
		tag, err := tx.Exec(ctx, "UPDATE conversations SET all_silenced = $2 WHERE id = $1 AND all_silenced <> $2", id, on)
		switch {
		case err != nil || tag.RowsAffected() == 0:
			return "", nil, err
		case on:
			return chat.LineAllSilenced, nil, nil
		}
		return chat.LineAllUnsilenced, nil, nil
	})
}

// SetNotice sets group id's notice ("" clears it).
func (db *DB) SetNotice(ctx context.Context, id, actorID int64, notice string) error {
	notice, err := chat.ValidateNotice(notice)
	if err != nil {
		return err
	}
	return db.groupAct(ctx, id, actorID, chat.ActNotice, 0, func(tx *txn, _ chat.Role) (chat.SystemCode, []string, error) {
		tag, err := tx.Exec(ctx, "UPDATE conversations SET notice = $2 WHERE id = $1 AND notice <> $2", id, notice)
		switch {
		case err != nil || tag.RowsAffected() == 0:
			return "", nil, err
		case notice == "":
			return chat.LineNoticeCleared, nil, nil
		}
		return chat.LineNoticeSet, nil, nil
	})
}

// ErrTooManyPins: a group has chat.MaxPins messages pinned already.
var ErrTooManyPins = chat.Invalid("message", "error.group.tooManyPins", "Max", chat.MaxPins)

// Pin pins message messageID of group id to its top, up to chat.MaxPins.
// A revoked message is chat.ErrNotFound: it has nothing left to show.
func (db *DB) Pin(ctx context.Context, id, actorID, messageID int64) error {
	return db.groupAct(ctx, id, actorID, chat.ActPin, 0, func(tx *txn, _ chat.Role) (chat.SystemCode, []string, error) {
		var n int
		var inGroup bool
		err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM pinned_messages WHERE conversation_id = $1),
			EXISTS (SELECT 1 FROM messages WHERE id = $2 AND conversation_id = $1 AND type = 'text' AND revoked_at IS NULL)`, id, messageID).Scan(&n, &inGroup)
		switch {
		case err != nil:
			return "", nil, err
		case !inGroup:
			return "", nil, chat.ErrNotFound
		case n >= chat.MaxPins:
			return "", nil, ErrTooManyPins
		}
		tag, err := tx.Exec(ctx, `INSERT INTO pinned_messages (conversation_id, message_id, pinned_by) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, id, messageID, actorID)
		if err != nil || tag.RowsAffected() == 0 {
			return "", nil, err
		}
		return chat.LinePinned, nil, nil
	})
}

// Unpin takes message messageID off the top of group id.
func (db *DB) Unpin(ctx context.Context, id, actorID, messageID int64) error {
	return db.groupAct(ctx, id, actorID, chat.ActPin, 0, func(tx *txn, _ chat.Role) (chat.SystemCode, []string, error) {
		tag, err := tx.Exec(ctx, "DELETE FROM pinned_messages WHERE conversation_id = $1 AND message_id = $2", id, messageID)
		if err != nil || tag.RowsAffected() == 0 {
			return "", nil, err
		}
		return chat.LineUnpinned, nil, nil
	})
}

// GroupCard is what someone who is not in a group is shown of it when they
// follow its link to ask to join: its name, and whether they asked already.
type GroupCard struct {
	ID     int64
	Title  string
	Member bool
	Asked  bool
}

// GroupCardFor returns the group whose link holds token as userID, who
// followed it, sees it. A token that is no group's is chat.ErrNotFound.
func (db *DB) GroupCardFor(ctx context.Context, token string, userID int64) (GroupCard, error) {
	var c GroupCard
	if !validUUID(token) {
		return c, fmt.Errorf("store: group card: %w", chat.ErrNotFound)
	}
	err := db.pool.QueryRow(ctx, `SELECT c.id, c.title,
		EXISTS (SELECT 1 FROM conversation_members WHERE conversation_id = c.id AND user_id = $2),
		EXISTS (SELECT 1 FROM group_join_requests WHERE conversation_id = c.id AND user_id = $2)
		FROM conversations c WHERE c.join_token = $1::uuid AND c.kind = 'group'`, token, userID).Scan(&c.ID, &c.Title, &c.Member, &c.Asked)
	if err != nil {
		return c, fmt.Errorf("store: group card: %w", mapErr(err))
	}
	return c, nil
}

// validUUID reports whether s is a UUID in its usual text form.
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if r != '-' {
				return false
			}
		case !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F'):
			return false
		}
	}
	return true
}

// AskToJoin records that userID asks to join the group whose link holds
// token, for its owner or an admin to approve, and returns the group's id.
// Asking is starting a conversation with its owner, so the
// conversation_grade policy decides it.
func (db *DB) AskToJoin(ctx context.Context, token string, userID int64) (int64, error) {
	var id int64
	if !validUUID(token) {
		return 0, fmt.Errorf("store: ask to join a group: %w", chat.ErrNotFound)
	}
	err := db.inTx(ctx, func(tx *txn) error {
		var owner int64
		var member bool
		err := tx.QueryRow(ctx, `SELECT id, owner_id, EXISTS (SELECT 1 FROM conversation_members WHERE conversation_id = c.id AND user_id = $2)
			FROM conversations c WHERE join_token = $1::uuid AND kind = 'group' FOR UPDATE`, token, userID).Scan(&id, &owner, &member)
		switch {
		case err != nil:
			return err
		case member:
			return chat.ErrConflict
		}
		if err := mayStart(ctx, tx, userID, owner); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, "INSERT INTO group_join_requests (conversation_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", id, userID)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		name, err := displayName(ctx, tx, userID)
		if err != nil {
			return err
		}
		return systemLine(ctx, tx, id, chat.LineJoinAsked, name)
	})
	if err != nil {
		return 0, fmt.Errorf("store: %d asks to join group %d: %w", userID, id, mapErr(err))
	}
	return id, nil
}

// AnswerJoin approves (adding them, after the conversation_grade policy)
// or refuses userID's request to join group id.
func (db *DB) AnswerJoin(ctx context.Context, id, actorID, userID int64, approve bool) error {
	err := db.inTx(ctx, func(tx *txn) error {
		role, err := lockGroupAs(ctx, tx, id, actorID)
		if err != nil {
			return err
		}
		if !chat.MayInGroup(role, chat.ActApprove, "") {
			return fmt.Errorf("answer a request as %s: %w", role, chat.ErrNotAllowed)
		}
		tag, err := tx.Exec(ctx, "DELETE FROM group_join_requests WHERE conversation_id = $1 AND user_id = $2", id, userID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return chat.ErrNotFound
		}
		actor, err := displayName(ctx, tx, actorID)
		if err != nil {
			return err
		}
		name, err := displayName(ctx, tx, userID)
		if err != nil {
			return err
		}
		if !approve {
			return systemLine(ctx, tx, id, chat.LineJoinRefused, actor, name)
		}
		if _, err := admit(ctx, tx, id, actorID, userID, name); err != nil {
			return err
		}
		return systemLine(ctx, tx, id, chat.LineJoinApproved, actor, name)
	})
	if err != nil {
		return fmt.Errorf("store: answer %d's request to join group %d: %w", userID, id, mapErr(err))
	}
	return nil
}

// JoinRequests returns who asks to join group id, oldest first, if viewerID
// is its owner or an admin (else none).
func (db *DB) JoinRequests(ctx context.Context, id, viewerID int64) ([]chat.User, error) {
	return db.userList(ctx, "requests to join group", `SELECT `+userColumnsOf("u")+` FROM group_join_requests r
		JOIN users u ON u.id = r.user_id WHERE r.conversation_id = $1
		AND EXISTS (SELECT 1 FROM conversation_members g WHERE g.conversation_id = $1 AND g.user_id = $2 AND g.role <> 'member')
		ORDER BY r.asked_at, u.id`, id, viewerID)
}
