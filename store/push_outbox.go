package store

// The web push outbox: what enqueuePush adds in the transaction of a change,
// and how push workers lease, finish and purge it. A row holds facts: what
// happened, in which conversation, about which message, for whom. The words
// a person reads are package push's, written when the notification is sent.

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/outbox"
)

// pushNote is a change that may notify people: who is told is decided by
// its kind, in enqueuePush's one statement.
type pushNote struct {
	kind           string
	conversationID int64
	// seq is the message the note is about; 0 is the visitor's latest text
	// message, or none.
	seq int64
	// senderID is never told (0: none).
	senderID int64
}

// messagePush is the note for message m: text messages only.
func messagePush(m chat.Message) pushNote {
	if !m.Type.Said() || m.SenderID == 0 {
		return pushNote{}
	}
	return pushNote{kind: PushMessage, conversationID: m.ConversationID, seq: m.Seq, senderID: m.SenderID}
}

// pushRecipients selects, per kind, the users a note is for, from the
// note's row n (conv, kind, seq, sender): the assigned agent; the other
// members of a direct or group conversation, or the assigned agent of a
// support chat; the agents in customer_service_uids who asked to hear of
// the queue; whoever was notified of a message now revoked (n.seq) and of
// nothing newer in the conversation since: a browser shows one
// notification per conversation, and the revoke must not replace a newer
// one's.
var pushRecipients = map[string]string{
	PushAssigned: `SELECT c.assigned_agent_id FROM conversations c WHERE c.id = n.conv AND c.status = 'assigned'`,
	PushMessage: `SELECT cm.user_id FROM conversation_members cm JOIN conversations c ON c.id = cm.conversation_id
			WHERE cm.conversation_id = n.conv AND c.kind <> 'support'
		UNION ALL
		SELECT c.assigned_agent_id FROM conversations c WHERE c.id = n.conv AND c.kind = 'support' AND c.status = 'assigned'`,
	PushRevoked: `SELECT o.user_id FROM push_outbox o WHERE o.conversation_id = n.conv AND o.seq = n.seq AND o.kind = 'message'
		AND NOT EXISTS (SELECT 1 FROM push_outbox x WHERE x.user_id = o.user_id AND x.conversation_id = n.conv
			AND x.kind <> '` + PushRevoked + `' AND x.seq > n.seq)`,
	PushQueued: `SELECT a.user_id FROM agents a JOIN settings l ON l.key = 'customer_service_uids' AND jsonb_typeof(l.value) = 'array'
		WHERE a.push_queue AND a.user_id::text IN (SELECT jsonb_array_elements_text(l.value))`,
}

// enqueuePush enqueues note n for every subscribed browser of the users it
// is for, in q's transaction (see pushes).
func enqueuePush(ctx context.Context, q querier, n pushNote) error {
	if err := pushes(n).exec(ctx, q); err != nil {
		return fmt.Errorf("push notification of %s: %w", n.kind, err)
	}
	return nil
}

// pushes is the statement enqueuing note n for every subscribed browser of
// the users it is for (pushesFrom).
func pushes(n pushNote) statement {
	recipients, ok := pushRecipients[n.kind]
	if !ok {
		return statement{}
	}
	return statement{sql: pushesFrom(recipients, `(SELECT $1::bigint AS conv, $2::text AS kind, $3::bigint AS seq, $4::bigint AS sender) n`),
		args: []any{n.conversationID, n.kind, n.seq, n.senderID}}
}

// recipientsOf is a FROM item giving, once each, the users r.user_id that
// recipients selects for the note row n: a lateral join, so that the
// recipients' queries run with n's values as parameters and use their
// indexes, which an IN (…) naming n would not.
func recipientsOf(recipients string) string {
	return `LATERAL (SELECT DISTINCT r.user_id FROM (` + recipients + `) r (user_id)) r`
}

// pushesFrom is the insert enqueuing a note for every subscribed browser of
// the users recipients selects (pushRecipients), leaving out its sender, disabled users,
// agents who are away, and whoever muted the conversation, unless the
// message mentions them; note is a FROM item giving the note's row n (conv,
// kind, seq, sender), from parameters or from a message inserted in the
// same statement. A browser with a notification still pending for the
// conversation has that one updated: one notification per conversation,
// kept up to date. Whether anyone is subscribed is decided inside it: with
// no one, it inserts nothing.
func pushesFrom(recipients, note string) string {
	const at = `(SELECT now() + coalesce((SELECT (value #>> '{}')::bigint FROM settings WHERE key = '` + SettingPushQuiet + `'), ` +
		"5000) * interval '1 millisecond')"
	const lastVisitorText = `(SELECT m.seq FROM messages m JOIN conversations c ON c.id = m.conversation_id
		WHERE m.conversation_id = n.conv AND m.type = 'text' AND m.sender_id = c.visitor_id ORDER BY m.seq DESC LIMIT 1)`
	return `INSERT INTO push_outbox AS o (subscription_id, user_id, conversation_id, kind, seq, not_before, next_attempt_at)
		SELECT s.id, s.user_id, n.conv, n.kind, coalesce(nullif(n.seq, 0), ` + lastVisitorText + `, 0), ` + at + `, ` + at + `
		FROM ` + note + ` CROSS JOIN ` + recipientsOf(recipients) + `
			JOIN push_subscriptions s ON s.user_id = r.user_id AND s.user_id IS DISTINCT FROM n.sender
		WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = s.user_id AND u.disabled_at IS NOT NULL)
			AND NOT EXISTS (SELECT 1 FROM agents a WHERE a.user_id = s.user_id AND a.state = 'away')
			AND NOT EXISTS (SELECT 1 FROM conversation_members m WHERE m.conversation_id = n.conv AND m.user_id = s.user_id AND m.muted
				AND NOT (n.kind = '` + PushMessage + `' AND n.seq > 0 AND m.mention_seq = n.seq))
		ON CONFLICT (subscription_id, conversation_id) WHERE sent_at IS NULL AND cancelled_at IS NULL DO UPDATE SET
			kind = excluded.kind, seq = excluded.seq,
			not_before = excluded.not_before, next_attempt_at = greatest(o.next_attempt_at, excluded.next_attempt_at),
			revision = o.revision + 1`
}

// Push is a notification in the outbox, as it stands.
type Push struct {
	ID             int64
	SubscriptionID int64
	UserID         int64
	ConversationID int64
	// Kind is what happened: PushAssigned, PushMessage, PushQueued or PushRevoked.
	Kind string
	// Seq is the message the notification is about (0: none): for a
	// message, the message; for a chat assigned or queued, the visitor's
	// text it shows.
	Seq           int64
	NotBefore     time.Time
	Attempts      int
	NextAttemptAt time.Time
	// Revision counts the updates the notification had while pending.
	Revision    int
	SentAt      *time.Time
	CancelledAt *time.Time
	LastError   string
	CreatedAt   time.Time
}

const pushColumns = `o.id, o.subscription_id, o.user_id, o.conversation_id, o.kind, o.seq, o.not_before,
	o.attempts, o.next_attempt_at, o.revision, o.sent_at, o.cancelled_at, o.last_error, o.created_at`

func pushFields(p *Push) []any {
	return []any{&p.ID, &p.SubscriptionID, &p.UserID, &p.ConversationID, &p.Kind, &p.Seq, &p.NotBefore,
		&p.Attempts, &p.NextAttemptAt, &p.Revision, &p.SentAt, &p.CancelledAt, &p.LastError, &p.CreatedAt}
}

// Pushes returns the newest limit notifications for userID's browsers, newest first.
func (db *DB) Pushes(ctx context.Context, userID int64, limit int) ([]Push, error) {
	rows, err := db.pool.Query(ctx, "SELECT "+pushColumns+" FROM push_outbox o WHERE o.user_id = $1 ORDER BY o.id DESC LIMIT $2",
		userID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: notifications of user %d: %w", userID, err)
	}
	pushes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Push, error) {
		var p Push
		return p, r.Scan(pushFields(&p)...)
	})
	if err != nil {
		return nil, fmt.Errorf("store: notifications of user %d: %w", userID, err)
	}
	return pushes, nil
}

// DuePush is a notification leased to a push worker: where to send it, the
// facts it tells as they stand when it was claimed, and what its recipient
// was doing then.
type DuePush struct {
	Push
	Endpoint, P256dh, Auth string
	// Sender is the display name of who wrote message Seq ("": nobody).
	Sender string
	// Visitor is the display name of the visitor of a support chat ("": none).
	Visitor string
	// Text is the body of message Seq.
	Text string
	// HideText: notifications leave message text out (SettingPushHideText).
	HideText bool
	// Language is the recipient's choice of language ("": none).
	Language string
	// Live: a console socket of the recipient is open (not closed, and seen
	// within the grace period).
	Live bool
	// Read: a message notification whose message the recipient has read.
	Read bool
	// Muted, Away, Disabled: the recipient muted the conversation (and the
	// message does not mention them), is an agent set away, or was disabled.
	Muted, Away, Disabled bool
	// Stale: the conversation moved on: an assigned chat is no longer the
	// recipient's, or a queued one no longer waits.
	Stale bool
	// VAPIDPublic is the public VAPID key stored when the notification was
	// claimed ("": none), so that a worker reads the pair again only when
	// it was rotated.
	VAPIDPublic string
}

// ClaimPushes leases up to limit due notifications (their quiet period and
// any retry wait over, not leased by a live worker) until now+lease and
// counts the attempt, in one statement that commits before anything is
// sent. Workers skip rows another is claiming; a worker that dies mid-send
// leaves a lease that expires, and the notification is claimed again. Each
// comes with its recipient's state; grace is how long a console socket
// counts as open after it was last seen; the public VAPID key comes too.
func (db *DB) ClaimPushes(ctx context.Context, now time.Time, grace, lease time.Duration, limit int) ([]DuePush, error) {
	rows, err := db.pool.Query(ctx, `UPDATE push_outbox o SET attempts = o.attempts + 1, locked_until = $2
		FROM push_subscriptions s
		WHERE s.id = o.subscription_id AND o.id IN (
			SELECT x.id FROM push_outbox x
			WHERE x.sent_at IS NULL AND x.cancelled_at IS NULL AND x.not_before <= $1 AND x.next_attempt_at <= $1
				AND (x.locked_until IS NULL OR x.locked_until <= $1)
			ORDER BY x.next_attempt_at, x.id LIMIT $3
			FOR UPDATE SKIP LOCKED)
		RETURNING `+pushColumns+`, s.endpoint, s.p256dh, s.auth,
			coalesce((SELECT display_name(u) FROM messages m JOIN users u ON u.id = m.sender_id
				WHERE m.conversation_id = o.conversation_id AND m.seq = o.seq), ''),
			coalesce((SELECT display_name(u) FROM conversations c JOIN users u ON u.id = c.visitor_id
				WHERE c.id = o.conversation_id), ''),
			coalesce((SELECT m.body FROM messages m WHERE m.conversation_id = o.conversation_id AND m.seq = o.seq), ''),
			coalesce((SELECT value = 'true' FROM settings WHERE key = '`+SettingPushHideText+`'), false),
			coalesce((SELECT u.language FROM users u WHERE u.id = o.user_id), ''),
			EXISTS (SELECT 1 FROM agent_presence p WHERE p.agent_id = o.user_id AND p.closed_at IS NULL AND p.seen_at > $4),
			o.kind = 'message' AND EXISTS (SELECT 1 FROM conversation_members m
				WHERE m.conversation_id = o.conversation_id AND m.user_id = o.user_id AND m.last_read_seq >= o.seq),
			EXISTS (SELECT 1 FROM conversation_members m WHERE m.conversation_id = o.conversation_id AND m.user_id = o.user_id AND m.muted
				AND NOT (o.kind = 'message' AND o.seq > 0 AND m.mention_seq = o.seq)),
			EXISTS (SELECT 1 FROM agents a WHERE a.user_id = o.user_id AND a.state = 'away'),
			EXISTS (SELECT 1 FROM users u WHERE u.id = o.user_id AND u.disabled_at IS NOT NULL),
			CASE o.kind
				WHEN 'assigned' THEN NOT EXISTS (SELECT 1 FROM conversations c
					WHERE c.id = o.conversation_id AND c.status = 'assigned' AND c.assigned_agent_id = o.user_id)
				WHEN 'queued' THEN NOT EXISTS (SELECT 1 FROM conversations c WHERE c.id = o.conversation_id AND c.status = 'queued')
				ELSE false END,
			coalesce((SELECT value ->> 'public' FROM settings WHERE key = '`+SettingVAPID+`'), '')`,
		now, now.Add(lease), limit, now.Add(-grace))
	if err != nil {
		return nil, fmt.Errorf("store: claim notifications: %w", err)
	}
	due, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DuePush, error) {
		var d DuePush
		return d, r.Scan(append(pushFields(&d.Push), &d.Endpoint, &d.P256dh, &d.Auth, &d.Sender, &d.Visitor, &d.Text, &d.HideText, &d.Language,
			&d.Live, &d.Read, &d.Muted, &d.Away, &d.Disabled, &d.Stale, &d.VAPIDPublic)...)
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim notifications: %w", err)
	}
	return due, nil
}

// FinishPushes records outcomes[i] of the attempt at due[i] that
// ClaimPushes leased, all in one statement: done is sent, given up is
// cancelled. It changes nothing of a notification whose lease was lost to a
// newer attempt. When a notification was updated while its attempt was
// under way, the row stays pending with its new facts, which go out when
// due; a failure still pushes its next attempt back.
func (db *DB) FinishPushes(ctx context.Context, due []DuePush, outcomes []outbox.Outcome) error {
	if len(due) != len(outcomes) {
		return fmt.Errorf("store: %d notifications with %d outcomes", len(due), len(outcomes))
	}
	n := len(due)
	if n == 0 {
		return nil
	}
	ids, attempts, revisions := make([]int64, n), make([]int32, n), make([]int32, n)
	done, giveUp, errs := make([]bool, n), make([]bool, n), make([]string, n)
	at, retry := make([]time.Time, n), make([]*time.Time, n)
	for i, d := range due {
		o := outcomes[i]
		ids[i], attempts[i], revisions[i] = d.ID, int32(d.Attempts), int32(d.Revision)
		done[i], giveUp[i], errs[i], at[i] = o.Done, o.GiveUp, clipError(o.Error), o.At
		if !o.Done && !o.GiveUp && !o.RetryAt.IsZero() {
			retry[i] = &outcomes[i].RetryAt
		}
	}
	if _, err := db.pool.Exec(ctx, `WITH f AS (
			SELECT * FROM unnest($1::bigint[], $2::int[], $3::int[], $4::bool[], $5::bool[], $6::text[],
				$7::timestamptz[], $8::timestamptz[]) AS f(id, attempts, revision, done, give_up, error, at, retry_at)),
		finished AS (
			UPDATE push_outbox o SET locked_until = NULL, last_error = f.error,
				sent_at = CASE WHEN o.revision = f.revision AND f.done THEN f.at END,
				cancelled_at = CASE WHEN o.revision = f.revision AND f.give_up THEN f.at END,
				next_attempt_at = greatest(o.next_attempt_at, f.retry_at)
			FROM f
			WHERE o.id = f.id AND o.attempts = f.attempts AND o.sent_at IS NULL AND o.cancelled_at IS NULL
			RETURNING o.subscription_id, f.at, f.done)
		UPDATE push_subscriptions s SET last_sent_at = sent.at
		FROM (SELECT subscription_id, max(at) AS at FROM finished WHERE done GROUP BY subscription_id) sent
		WHERE s.id = sent.subscription_id`,
		ids, attempts, revisions, done, giveUp, errs, at, retry); err != nil {
		if n == 1 {
			return fmt.Errorf("store: notification %d attempt %d: %w", ids[0], attempts[0], err)
		}
		return fmt.Errorf("store: %d notifications' attempts: %w", n, err)
	}
	return nil
}

// PurgePushes deletes notifications sent or cancelled before before.
func (db *DB) PurgePushes(ctx context.Context, before time.Time) error {
	if _, err := db.pool.Exec(ctx, "DELETE FROM push_outbox WHERE coalesce(sent_at, cancelled_at) < $1", before); err != nil {
		return fmt.Errorf("store: purge notifications: %w", err)
	}
	return nil
}
