package store

// The mail outbox: what an agent's reply to a visitor adds in the transaction
// of the message, and how mail workers lease, finish and purge it. A row
// holds facts (which kind, which conversation, which replies, for whom); the
// words, the address and whether the recipient is still around are read
// when the email is sent. Transcripts (mail_transcript.go) and digests
// (mail_digest.go) are rows of the same outbox.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/outbox"
)

// Setting keys of email.
const (
	// SettingMailQuiet is how long, in milliseconds, a reply waits before it
	// is emailed. Set while email is on (package mail sets it); absent, no
	// email is enqueued.
	SettingMailQuiet = "mail_quiet"
	// SettingMailSecret signs the links emails carry (package mail makes it).
	SettingMailSecret = "mail_secret"
)

// MailKind is what an email is.
type MailKind string

// Kinds of email.
const (
	// MailReply tells a visitor who left the replies they did not read.
	MailReply MailKind = "reply"
	// MailTranscript is a support conversation, whole, asked for by its
	// visitor or an agent.
	MailTranscript MailKind = "transcript"
	// MailDigest lists the conversations a member left unread.
	MailDigest MailKind = "digest"
)

// replyMail is the statement enqueuing an email of message m of conversation
// conv to its visitor peer: a reply of a member in a support chat, to a
// visitor with an address that has not bounced for good, who has not
// unsubscribed, while email is on. A
// conversation with an email still pending has that one extended to m:
// the replies of one quiet period go out together.
func replyMail(m chat.Message, conv chat.Conversation, peer chat.User) statement {
	if !m.Type.Said() || m.SenderID == 0 || conv.Kind != chat.Support || peer.ID == 0 || peer.ID == m.SenderID || peer.Email == "" {
		return statement{}
	}
	const at = `now() + q.ms * interval '1 millisecond'`
	return statement{sql: `INSERT INTO mail_outbox AS o (conversation_id, visitor_id, from_seq, to_seq, not_before, next_attempt_at)
		SELECT c.id, v.id, $2, $2, ` + at + `, ` + at + `
		FROM conversations c JOIN users v ON v.id = c.visitor_id
			CROSS JOIN (SELECT (value #>> '{}')::bigint AS ms FROM settings WHERE key = '` + SettingMailQuiet + `') q
		WHERE c.id = $1 AND v.id <> $3 AND coalesce(v.email, '') <> '' AND v.mail_unsubscribed_at IS NULL AND v.disabled_at IS NULL
			AND v.mail_bounced IS DISTINCT FROM lower(v.email)
		ON CONFLICT (conversation_id) WHERE sent_at IS NULL AND cancelled_at IS NULL AND kind = 'reply' DO UPDATE SET
			to_seq = greatest(o.to_seq, excluded.to_seq), revision = o.revision + 1`,
		args: []any{conv.ID, m.Seq, m.SenderID}}
}

// Mail is an email in the outbox, as it stands.
type Mail struct {
	ID   int64
	Kind MailKind
	// ConversationID is the conversation the email is about, and VisitorID
	// its visitor (0: none, a digest).
	ConversationID int64
	VisitorID      int64
	// MemberID is the member the email is for (0: the visitor).
	MemberID int64
	// FromSeq and ToSeq bound the messages the email tells: a reply's
	// replies, a transcript's conversation up to when it was asked for.
	FromSeq, ToSeq int64
	NotBefore      time.Time
	Attempts       int
	NextAttemptAt  time.Time
	// Revision counts the updates the email had while pending.
	Revision    int
	SentAt      *time.Time
	CancelledAt *time.Time
	// Status is the SMTP reply code of the last answer (0: none came).
	Status    int
	Failed    bool
	LastError string
	CreatedAt time.Time
}

const mailColumns = `o.id, o.kind, coalesce(o.conversation_id, 0), coalesce(o.visitor_id, 0), coalesce(o.member_id, 0), o.from_seq, o.to_seq, o.not_before, o.attempts, o.next_attempt_at,
	o.revision, o.sent_at, o.cancelled_at, o.status, o.failed, o.last_error, o.created_at`

func mailFields(m *Mail) []any {
	return []any{&m.ID, &m.Kind, &m.ConversationID, &m.VisitorID, &m.MemberID, &m.FromSeq, &m.ToSeq, &m.NotBefore, &m.Attempts, &m.NextAttemptAt,
		&m.Revision, &m.SentAt, &m.CancelledAt, &m.Status, &m.Failed, &m.LastError, &m.CreatedAt}
}

// Mails returns the newest limit emails of conversationID, newest first.
func (db *DB) Mails(ctx context.Context, conversationID int64, limit int) ([]Mail, error) {
	rows, err := db.pool.Query(ctx, "SELECT "+mailColumns+" FROM mail_outbox o WHERE o.conversation_id = $1 ORDER BY o.id DESC LIMIT $2",
		conversationID, limit)
	mails, err := collectMails(rows, err)
	if err != nil {
		return nil, fmt.Errorf("store: emails of conversation %d: %w", conversationID, err)
	}
	return mails, nil
}

// MailsTo returns the newest limit emails for member memberID, newest first.
func (db *DB) MailsTo(ctx context.Context, memberID int64, limit int) ([]Mail, error) {
	mails, err := collectMails(db.pool.Query(ctx, "SELECT "+mailColumns+" FROM mail_outbox o WHERE o.member_id = $1 ORDER BY o.id DESC LIMIT $2",
		memberID, limit))
	if err != nil {
		return nil, fmt.Errorf("store: emails to member %d: %w", memberID, err)
	}
	return mails, nil
}

func collectMails(rows pgx.Rows, err error) ([]Mail, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Mail, error) {
		var m Mail
		return m, r.Scan(mailFields(&m)...)
	})
}

// DueMail is an email leased to a mail worker: the facts it tells as they
// stand when it was claimed, and what its recipient was doing then.
type DueMail struct {
	Mail
	// Email is the recipient's address now ("": none left).
	Email string
	// Name is the recipient's display name.
	Name string
	// Language is what the recipient reads: a member's choice; what a
	// visitor's widget last spoke, else their site's ("": none of these).
	Language string
	// Team is the name of the conversation's site ("": none).
	Team string
	// Zone is the time zone of the conversation's site's hours ("": none).
	Zone string
	// Read: a reply's visitor has read the replies in the widget.
	Read bool
	// Unsubscribed, Disabled: the recipient asked for no email, or was disabled.
	Unsubscribed, Disabled bool
	// Pushed: the recipient has a browser subscribed to push notifications.
	Pushed bool
	// Bounced: the recipient's address, as it stands, bounced for good (MailBounced).
	Bounced bool
}

// ClaimMails leases up to limit due emails (their quiet period and any retry
// wait over, not leased by a live worker) until now+lease and counts the
// attempt, in one statement that commits before anything is sent. Each comes
// with its recipient as they stand. A reply email whose visitor's widget was
// seen within the quiet period before now, and who has not read the replies,
// is not claimed: it waits, uncounted, until the quiet period after the
// widget was last seen, as the visitor may have left it unread.
func (db *DB) ClaimMails(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]DueMail, error) {
	rows, err := db.pool.Query(ctx, `WITH q AS (
			SELECT coalesce((SELECT (value #>> '{}')::bigint FROM settings WHERE key = '`+SettingMailQuiet+`'), 0)
				* interval '1 millisecond' AS quiet),
		due AS (
			SELECT x.id FROM mail_outbox x
			WHERE x.sent_at IS NULL AND x.cancelled_at IS NULL AND x.not_before <= $1 AND x.next_attempt_at <= $1
				AND (x.locked_until IS NULL OR x.locked_until <= $1)
			ORDER BY x.next_attempt_at, x.id LIMIT $3
			FOR UPDATE SKIP LOCKED),
		waiting AS (
			UPDATE mail_outbox o SET next_attempt_at = v.widget_seen_at + q.quiet
			FROM due, users v, q
			WHERE o.id = due.id AND o.kind = 'reply' AND v.id = o.visitor_id AND v.widget_seen_at > $1 - q.quiet
				AND coalesce(v.email, '') <> '' AND v.mail_unsubscribed_at IS NULL AND v.disabled_at IS NULL
				AND NOT EXISTS (SELECT 1 FROM conversation_members m WHERE m.conversation_id = o.conversation_id
					AND m.user_id = o.visitor_id AND m.last_read_seq >= o.to_seq)
			RETURNING o.id)
		UPDATE mail_outbox o SET attempts = o.attempts + 1, locked_until = $2
		FROM users v, due
		WHERE v.id = coalesce(o.member_id, o.visitor_id) AND o.id = due.id AND o.id NOT IN (SELECT id FROM waiting)
		RETURNING `+mailColumns+`, coalesce(v.email, ''), display_name(v),
			CASE WHEN o.member_id IS NOT NULL THEN coalesce(v.language, '')
				ELSE coalesce(v.widget_language, (SELECT s.language FROM conversations c JOIN sites s ON s.id = c.site_id
					WHERE c.id = o.conversation_id), '') END,
			coalesce((SELECT s.name FROM conversations c JOIN sites s ON s.id = c.site_id WHERE c.id = o.conversation_id), ''),
			coalesce((SELECT h.time_zone FROM conversations c JOIN site_hours h ON h.site_id = c.site_id WHERE c.id = o.conversation_id), ''),
			o.kind = 'reply' AND EXISTS (SELECT 1 FROM conversation_members m WHERE m.conversation_id = o.conversation_id
				AND m.user_id = o.visitor_id AND m.last_read_seq >= o.to_seq),
			v.mail_unsubscribed_at IS NOT NULL, v.disabled_at IS NOT NULL,
			EXISTS (SELECT 1 FROM push_subscriptions s WHERE s.user_id = v.id),
			coalesce(v.mail_bounced = lower(v.email), false)`,
		now, now.Add(lease), limit)
	if err != nil {
		return nil, fmt.Errorf("store: claim emails: %w", err)
	}
	due, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DueMail, error) {
		var d DueMail
		return d, r.Scan(append(mailFields(&d.Mail), &d.Email, &d.Name, &d.Language, &d.Team, &d.Zone,
			&d.Read, &d.Unsubscribed, &d.Disabled, &d.Pushed, &d.Bounced)...)
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim emails: %w", err)
	}
	return due, nil
}

// FinishMail records outcome o of the attempt at d that ClaimMails leased:
// done is sent, given up is cancelled, failed when failed says so (a
// server refused it, rather than it being no longer needed). It changes
// nothing when the lease was lost to a newer attempt. When newer replies
// came while the attempt was under way, the row stays pending for them alone.
func (db *DB) FinishMail(ctx context.Context, d DueMail, o outbox.Outcome, failed bool) error {
	var retry *time.Time
	if !o.Done && !o.GiveUp && !o.RetryAt.IsZero() {
		retry = &o.RetryAt
	}
	if _, err := db.pool.Exec(ctx, `UPDATE mail_outbox o SET locked_until = NULL, last_error = $6, status = $7,
			sent_at = CASE WHEN o.revision = $3 AND $4 THEN $8::timestamptz END,
			cancelled_at = CASE WHEN o.revision = $3 AND $5 THEN $8::timestamptz END,
			failed = o.revision = $3 AND $5 AND $10::bool,
			from_seq = CASE WHEN o.revision <> $3 AND $4 THEN $11::bigint + 1 ELSE o.from_seq END,
			next_attempt_at = greatest(o.next_attempt_at, $9::timestamptz)
		WHERE o.id = $1 AND o.attempts = $2 AND o.sent_at IS NULL AND o.cancelled_at IS NULL`,
		d.ID, d.Attempts, d.Revision, o.Done, o.GiveUp, clipError(o.Error), o.Status, o.At, retry, failed, d.ToSeq); err != nil {
		return fmt.Errorf("store: email %d attempt %d: %w", d.ID, d.Attempts, err)
	}
	return nil
}

// PurgeMails deletes emails sent or cancelled before before.
func (db *DB) PurgeMails(ctx context.Context, before time.Time) error {
	if _, err := db.pool.Exec(ctx, "DELETE FROM mail_outbox WHERE coalesce(sent_at, cancelled_at) < $1", before); err != nil {
		return fmt.Errorf("store: purge emails: %w", err)
	}
	return nil
}

// MailFailure is an email that failed for good, for the admin page.
type MailFailure struct {
	ID   int64
	Kind MailKind
	// ConversationID is the conversation it was about (0: none, a digest).
	ConversationID int64
	// Email is the recipient's address now.
	Email  string
	Status int
	Error  string
	At     time.Time
	// Bounced: a server took it, then reported that it failed (MailBounced).
	Bounced bool
}

// MailFailures returns the newest limit emails that failed for good:
// refused, given up or bounced.
func (db *DB) MailFailures(ctx context.Context, limit int) ([]MailFailure, error) {
	rows, err := db.pool.Query(ctx, `SELECT o.id, o.kind, coalesce(o.conversation_id, 0), coalesce(v.email, ''), o.status, o.last_error,
			coalesce(o.bounced_at, o.cancelled_at), o.bounced_at IS NOT NULL
		FROM mail_outbox o JOIN users v ON v.id = coalesce(o.member_id, o.visitor_id)
		WHERE o.failed ORDER BY coalesce(o.bounced_at, o.cancelled_at) DESC, o.id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: failed emails: %w", err)
	}
	failures, err := pgx.CollectRows(rows, pgx.RowToStructByPos[MailFailure])
	if err != nil {
		return nil, fmt.Errorf("store: failed emails: %w", err)
	}
	return failures, nil
}

// SetMailQuiet turns email on, with the quiet period every instance
// applies when it enqueues.
func (db *DB) SetMailQuiet(ctx context.Context, quiet time.Duration) error {
	return db.setQuiet(ctx, SettingMailQuiet, quiet)
}

// DisableMail turns email off: nothing more is enqueued. With email off
// already it writes nothing, so that starting an instance does not count
// as a change of the settings.
func (db *DB) DisableMail(ctx context.Context) error {
	var on bool
	err := db.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM settings WHERE key = $1)", SettingMailQuiet).Scan(&on)
	if err == nil && on {
		_, err = db.pool.Exec(ctx, "DELETE FROM settings WHERE key = $1", SettingMailQuiet)
	}
	if err != nil {
		return fmt.Errorf("store: turn email off: %w", err)
	}
	return nil
}

// SeedMailSecret stores secret as the key that signs emails' links, unless
// one is stored already, and returns the one stored.
func (db *DB) SeedMailSecret(ctx context.Context, secret string) (string, error) {
	if stored, err := db.MailSecret(ctx); !errors.Is(err, chat.ErrNotFound) {
		return stored, err
	}
	if _, err := db.pool.Exec(ctx, `INSERT INTO settings (key, value) VALUES ($1, to_jsonb($2::text)) ON CONFLICT (key) DO NOTHING`,
		SettingMailSecret, secret); err != nil {
		return "", fmt.Errorf("store: seed mail secret: %w", err)
	}
	return db.MailSecret(ctx)
}

// MailSecret returns the key that signs emails' links; chat.ErrNotFound
// before one was made.
func (db *DB) MailSecret(ctx context.Context) (string, error) {
	var s string
	if err := db.pool.QueryRow(ctx, "SELECT value #>> '{}' FROM settings WHERE key = $1", SettingMailSecret).Scan(&s); err != nil {
		return "", fmt.Errorf("store: mail secret: %w", mapErr(err))
	}
	return s, nil
}

// Unsubscribe records that userID wants no more email, and cancels what
// waits for them: a visitor's every email, a member's digest. A transcript
// a member asked for themselves still goes.
func (db *DB) Unsubscribe(ctx context.Context, userID int64) error {
	err := db.inTx(ctx, func(tx *txn) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET mail_unsubscribed_at = coalesce(mail_unsubscribed_at, now())
			WHERE id = $1`, userID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return chat.ErrNotFound
		}
		_, err = tx.Exec(ctx, `UPDATE mail_outbox SET cancelled_at = now(), last_error = 'the recipient unsubscribed'
			WHERE sent_at IS NULL AND cancelled_at IS NULL
				AND ((member_id IS NULL AND visitor_id = $1) OR (member_id = $1 AND kind = 'digest'))`, userID)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: unsubscribe user %d: %w", userID, err)
	}
	return nil
}

// Resubscribe undoes Unsubscribe: memberID's digests come again.
func (db *DB) Resubscribe(ctx context.Context, memberID int64) error {
	tag, err := db.pool.Exec(ctx, "UPDATE users SET mail_unsubscribed_at = NULL WHERE id = $1 AND kind = 'member'", memberID)
	if err == nil && tag.RowsAffected() == 0 {
		err = chat.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store: resubscribe member %d: %w", memberID, err)
	}
	return nil
}

// Unsubscribed reports whether userID asked for no email.
func (db *DB) Unsubscribed(ctx context.Context, userID int64) (bool, error) {
	var off bool
	if err := db.pool.QueryRow(ctx, "SELECT mail_unsubscribed_at IS NOT NULL FROM users WHERE id = $1",
		userID).Scan(&off); err != nil {
		return false, fmt.Errorf("store: user %d unsubscribed: %w", userID, mapErr(err))
	}
	return off, nil
}

// Bounced reports whether userID's address, as it stands, bounced for good
// (MailBounced): email to it is not sent until they give another.
func (db *DB) Bounced(ctx context.Context, userID int64) (bool, error) {
	var bounced bool
	if err := db.pool.QueryRow(ctx, "SELECT coalesce(mail_bounced = lower(email), false) FROM users WHERE id = $1",
		userID).Scan(&bounced); err != nil {
		return false, fmt.Errorf("store: user %d bounced: %w", userID, mapErr(err))
	}
	return bounced, nil
}

// TouchWidget records that visitorID's widget, speaking language ("": keep
// the one recorded), was seen at at.
func (db *DB) TouchWidget(ctx context.Context, visitorID int64, language string, at time.Time) error {
	if _, err := db.pool.Exec(ctx, `UPDATE users SET widget_seen_at = greatest(widget_seen_at, $2),
			widget_language = coalesce(nullif($3, ''), widget_language) WHERE id = $1`,
		visitorID, at, language); err != nil {
		return fmt.Errorf("store: widget of visitor %d seen: %w", visitorID, err)
	}
	return nil
}

// MailTeam returns the name of conversation id's site, which its emails and
// their link's page speak for ("": it has none).
func (db *DB) MailTeam(ctx context.Context, id int64) (string, error) {
	var name string
	if err := db.pool.QueryRow(ctx, `SELECT coalesce(s.name, '') FROM conversations c LEFT JOIN sites s ON s.id = c.site_id
		WHERE c.id = $1`, id).Scan(&name); err != nil {
		return "", fmt.Errorf("store: site name of conversation %d: %w", id, mapErr(err))
	}
	return name, nil
}
