package store

// Digests by email: for a member (or agent) with no browser subscribed to
// push notifications, one email listing the conversations they left unread
// for a while. As a push notification is, a digest is enqueued in the
// transaction of the message that may make one needed, and waits: until
// the message has been unread for the digest's delay, and a period after
// the member's last digest. When it falls due, the conversations still
// unread are read and listed; if none are left, nothing is sent.

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

// Setting keys of digests, in milliseconds, set while email is on
// (package mail sets them).
const (
	// SettingMailDigestAfter is how long a message stays unread before a
	// digest tells of it.
	SettingMailDigestAfter = "mail_digest_after"
	// SettingMailDigestEvery is the least time between two digests to one member.
	SettingMailDigestEvery = "mail_digest_every"
)

// SetMailDigest stores how long a message waits unread before a digest
// tells of it, and the least time between one member's digests.
func (db *DB) SetMailDigest(ctx context.Context, after, every time.Duration) error {
	if err := db.setQuiet(ctx, SettingMailDigestAfter, after); err != nil {
		return err
	}
	return db.setQuiet(ctx, SettingMailDigestEvery, every)
}

// digestMail is the statement enqueuing a digest for each member that
// message m would notify by push (pushRecipients), who has no browser
// subscribed, an address, has not unsubscribed or muted the conversation,
// is not disabled, and has no digest pending already, while email is on.
// It waits until after the delay, and a period after the member's last digest.
func digestMail(m chat.Message) statement {
	if !m.Type.Said() || m.SenderID == 0 {
		return statement{}
	}
	const ms = `(SELECT (value #>> '{}')::bigint FROM settings WHERE key = '%s') * interval '1 millisecond'`
	after, every := fmt.Sprintf(ms, SettingMailDigestAfter), fmt.Sprintf(ms, SettingMailDigestEvery)
	return statement{sql: `INSERT INTO mail_outbox (kind, member_id, from_seq, to_seq, not_before, next_attempt_at)
		SELECT 'digest', u.id, 0, 0, t.at, t.at
		FROM (SELECT $1::bigint AS conv) n CROSS JOIN ` + recipientsOf(pushRecipients[PushMessage]) + `
			JOIN users u ON u.id = r.user_id CROSS JOIN LATERAL (SELECT greatest(now() + ` + after + `,
			(SELECT max(x.sent_at) FROM mail_outbox x WHERE x.kind = 'digest' AND x.member_id = u.id AND x.sent_at IS NOT NULL)
				+ ` + every + `) AS at) t
		WHERE u.id <> $2 AND u.kind = 'member'
			AND EXISTS (SELECT 1 FROM settings WHERE key = '` + SettingMailQuiet + `') AND t.at IS NOT NULL
			AND coalesce(u.email, '') <> '' AND u.disabled_at IS NULL AND u.mail_unsubscribed_at IS NULL
			AND u.mail_bounced IS DISTINCT FROM lower(u.email)
			AND NOT EXISTS (SELECT 1 FROM push_subscriptions s WHERE s.user_id = u.id)
			AND NOT EXISTS (SELECT 1 FROM conversation_members cm WHERE cm.conversation_id = $1 AND cm.user_id = u.id AND cm.muted)
			AND NOT EXISTS (SELECT 1 FROM mail_outbox p WHERE p.kind = 'digest' AND p.member_id = u.id
				AND p.sent_at IS NULL AND p.cancelled_at IS NULL)
		ON CONFLICT (member_id) WHERE sent_at IS NULL AND cancelled_at IS NULL AND kind = 'digest' DO NOTHING`,
		args: []any{m.ConversationID, m.SenderID}}
}

// MissedConversations returns, newest activity first and at most limit,
// the conversations memberID has not read a message of that is older than
// before (and not muted), as their list shows them: with the unread count
// and the last message.
func (db *DB) MissedConversations(ctx context.Context, memberID int64, before time.Time, limit int) ([]chat.Summary, error) {
	rows, err := db.pool.Query(ctx, summaryQuery+" AND c.last_seq > 0 AND "+viewWhere[chat.ViewMine]+` AND NOT coalesce(cm.muted, false)
		AND EXISTS (SELECT 1 FROM messages um WHERE um.conversation_id = c.id AND um.seq > coalesce(cm.last_read_seq, 0)
			AND um.type IN ('text', 'image', 'file', 'merged') AND um.sender_id IS DISTINCT FROM $1 AND um.created_at <= $4)
		ORDER BY c.last_message_at DESC NULLS LAST, c.id DESC LIMIT $5`, memberID, true, false, before, limit)
	if err != nil {
		return nil, fmt.Errorf("store: missed conversations of member %d: %w", memberID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (chat.Summary, error) { return scanSummary(r) })
	if err != nil {
		return nil, fmt.Errorf("store: missed conversations of member %d: %w", memberID, err)
	}
	return out, nil
}
