package chat

import (
	"errors"
	"time"
)

// RevokeWindow is how long after sending a message its sender may revoke it.
const RevokeWindow = 2 * time.Minute

// Refusals of a revoke.
var (
	// ErrRevokeTooLate: the message is older than RevokeWindow.
	ErrRevokeTooLate = errors.New("too late to revoke")
	// ErrNotYours: the message is someone else's, and the one asking may
	// not revoke others' messages there.
	ErrNotYours = errors.New("not yours to revoke")
	// ErrAlreadyRevoked: the message was revoked before.
	ErrAlreadyRevoked = errors.New("already revoked")
)

// Revoker is who asks to revoke a message, and what they are where it is.
type Revoker struct {
	UserID int64
	// Admin: a kefu admin. Role: their role in the group the message is
	// in, if any. A kefu admin and a group's owner and admins may revoke
	// any message of the group at any time.
	Admin bool
	Role  Role
}

// moderates reports whether r may revoke others' messages in a
// conversation of kind.
func (r Revoker) moderates(kind ConversationKind) bool {
	return kind == Group && (r.Admin || r.Role.Manages())
}

// MayRevoke decides whether r may revoke message m of a conversation of
// kind at now: a sender their own text, note, file or merged message within
// RevokeWindow; in a group, a kefu admin, its owner or one of its admins
// any message at any time.
// A line kefu wrote is no one's.
func MayRevoke(m Message, kind ConversationKind, r Revoker, now time.Time) error {
	switch {
	case m.RevokedAt != nil:
		return ErrAlreadyRevoked
	case m.Type == System || m.SenderID == 0:
		return ErrNotYours
	case r.moderates(kind):
		return nil
	case m.SenderID != r.UserID:
		return ErrNotYours
	case now.Sub(m.CreatedAt) > RevokeWindow:
		return ErrRevokeTooLate
	}
	return nil
}

// RevokableUntil is when m's sender may no longer revoke it: a thread
// offers them Revoke until then.
func (m Message) RevokableUntil() time.Time { return m.CreatedAt.Add(RevokeWindow) }
