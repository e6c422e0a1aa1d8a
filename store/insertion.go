package store

// Storing one message: the statement that takes its seq under the
// conversation's row lock and inserts it (with its mentions, the sender's
// read mark and draft), and what follows it in the same transaction.

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

// insertMessage stores s as the next message of its conversation, in one
// statement: it takes the next seq and moves the conversation's activity
// (conversation_activity), inserts the message unless its (sender,
// client message id) is stored already (errDuplicate, whose rollback also
// gives the seq back), notes it for the search indexer when it has text,
// marks the conversation read for the sender, drops
// the sender's draft there (what they typed is sent), and reads
// the sender's name and the conversation as it now stands. Then its webhook
// deliveries, pushes and event go in one round trip.
//
// The row lock taken on the conversation serialises senders in one
// conversation, which is what keeps seq gap-free: a rolled-back send also
// rolls back its seq. A reply from the assigned agent is the first response
// that keeps the chat theirs.
func insertMessage(ctx context.Context, tx *txn, s Send) (chat.Message, error) {
	return insertInto(ctx, tx, s, "id = $1", s.ConversationID)
}

// insertInto is insertMessage into the conversation where picks: a
// condition on conversations with $1 as key, and $11 as extra when given.
// No conversation picked is pgx.ErrNoRows; in a group, a message its
// sender may not write there now is chat.ErrSilenced or chat.ErrMentionAll.
func insertInto(ctx context.Context, tx *txn, s Send, where string, key any, extra ...any) (chat.Message, error) {
	in := newInsertion(s, where, key, extra...)
	if err := in.scan(tx.QueryRow(ctx, in.sql, in.args...)); err != nil {
		if errors.Is(err, pgx.ErrNoRows) && s.SenderID != 0 && s.ConversationID != 0 {
			return in.msg, whyRefused(ctx, tx, s)
		}
		return in.msg, err
	}
	rest, err := in.then(tx)
	if err != nil {
		return in.msg, err
	}
	return in.msg, execAll(ctx, tx, rest...)
}

// insertion is the statement of insertInto, and what it learns.
type insertion struct {
	statement
	msg      chat.Message
	conv     chat.Conversation
	by, peer chat.User
	// assignee and labels are the conversation's, for its delivery.
	assignee  string
	labels    []chat.Label
	id        *int64
	createdAt *time.Time
	// file is the upload a message carries, stored beside it.
	file *chat.Upload
	// The members the message mentions.
	mentionIDs   []int64
	mentionNames []string
	// noEmail is set when the statement holds the settings' version and
	// those settings have email off: then no email can be queued, and
	// then sends no statement for one.
	noEmail bool
}

// mentionedIn is the CTE men of the members a group's text ($6, by $2)
// mentions when it holds an @ ($9): at each @ the members with the
// longest name that follows it and ends there (chat.MentionEnds), the
// sender left out, as chat.Segments highlights them. ats is where each @
// is and the text after it.
var mentionedIn = `ats AS (
			SELECT substr($6, p + 1) AS rest FROM (
				SELECT (sum(length(s) + 1) OVER (ORDER BY k))::int AS p
				FROM regexp_split_to_table(CASE WHEN $9 THEN $6 ELSE '' END, '@') WITH ORDINALITY x(s, k)) q
			WHERE p <= length($6)),
		men AS (
			SELECT array_agg(user_id ORDER BY user_id) AS ids, array_agg(name ORDER BY user_id) AS names FROM (
				SELECT DISTINCT user_id, name FROM (
					SELECT g.user_id, n.name, rank() OVER (PARTITION BY a.rest ORDER BY length(n.name) DESC) AS r
					FROM c JOIN conversation_members g ON g.conversation_id = c.id JOIN users u ON u.id = g.user_id
						CROSS JOIN LATERAL (SELECT display_name(u) AS name) n JOIN ats a ON left(a.rest, length(n.name)) = n.name
					WHERE $9 AND c.kind = 'group' AND n.name <> ''
						AND (substr(a.rest, length(n.name) + 1, 1) ~ '^$|` + chat.MentionEndPattern + `' OR n.name ~ '` + chat.CJKPattern + `$')) named
				WHERE r = 1 AND user_id IS DISTINCT FROM $2) mentioned)`

func newInsertion(s Send, where string, key any, extra ...any) *insertion {
	return insertionOf(s, false, where, key, extra...)
}

// newAloneInsertion is newInsertion for a statement that is all its
// transaction does, committed in the same round trip (DB.inOneRoundTrip):
// for a text message in a support chat while email is off and no webhook
// listens for messages. The caller decides that by the settings it knows,
// and where must check settings_version, so that the statement stores
// nothing if they changed. It queues the message's pushes itself. It picks
// no conversation, and stores nothing, for a message whose (sender, client
// message id) is stored already, or for a snoozed chat, whose waking takes
// statements of its own: the whole way does those. A duplicate sent at the
// same moment on another connection fails it, which rolls back the seq it
// took.
func newAloneInsertion(s Send, where string, key any, extra ...any) *insertion {
	return insertionOf(s, true, where, key, extra...)
}

func insertionOf(s Send, alone bool, where string, key any, extra ...any) *insertion {
	in := &insertion{msg: chat.Message{ConversationID: s.ConversationID, SenderID: s.SenderID, ClientMsgID: s.ClientMsgID,
		Type: s.Type, Body: s.Body, Code: s.Code, Args: s.Args, Forwarded: s.Forwarded}, file: s.File}
	m := &in.msg
	if f := s.File; f != nil {
		name := f.Name
		if s.Body != "" {
			name = s.Body // the name as the sensitive-word filter left it
		}
		m.Attachment = &chat.Attachment{Token: newFileToken(), Name: name, ContentType: f.ContentType,
			Size: int64(len(f.Data)), Width: f.Width, Height: f.Height}
	}
	if m.Type == "" {
		m.Type = chat.Text
	}
	var clientMsgID *string
	if s.ClientMsgID != "" {
		clientMsgID = &s.ClientMsgID
	}
	var sender *int64
	if s.SenderID != 0 {
		sender = &s.SenderID
	}
	var code *chat.SystemCode
	if m.Code != "" {
		code = &m.Code
	}
	if m.Args == nil {
		m.Args = []string{}
	}
	// Only a text that holds an @ is looked at for mentions, so that a
	// plain message's statement does no more than it did.
	at := m.Type == chat.Text && strings.Contains(m.Body, "@")
	all := at && chat.MentionsAll(m.Body) // the statement says "$9 AND $10", so that it always names $9
	in.args = append([]any{key, sender, m.Type.Said(), clientMsgID, m.Type, m.Body, code, m.Args, at, all}, extra...)
	in.sql = insertionSQL(where, alone, at)
	return in
}

// messageRecipientsOfC is pushRecipients[PushMessage] for the conversation
// as the statement's c left it: the assignee it read under the row lock,
// not the one its snapshot may still hold if a take committed meanwhile.
const messageRecipientsOfC = `SELECT cm.user_id FROM c JOIN conversation_members cm ON cm.conversation_id = c.id WHERE c.kind <> 'support'
		UNION ALL
		SELECT c.assigned_agent_id FROM c WHERE c.kind = 'support' AND c.status = 'assigned'`

// insertionShape is what an insertion's statement text depends on.
type insertionShape struct {
	where     string
	alone, at bool
}

// insertionSQLs holds each shape's statement text, built once: it is
// several kilobytes, and pgx finds its prepared statement by it.
var insertionSQLs sync.Map // insertionShape → string

// insertionSQL is the statement of an insertion into the conversation
// where picks (newInsertion), alone in its transaction or not
// (newAloneInsertion), for a text with an @ or not.
func insertionSQL(where string, alone, at bool) string {
	shape := insertionShape{where, alone, at}
	if sql, ok := insertionSQLs.Load(shape); ok {
		return sql.(string)
	}
	// A text without an @ (almost every message) has a statement of its
	// own, without the CTEs that find and mark mentions: planning and
	// starting them costs more than storing the message.
	mentions, ids, names := "NULL", "'{}'::bigint[]", "'{}'::text[]"
	if at {
		mentions, ids, names = "(SELECT ids FROM men)", "coalesce((SELECT ids FROM men), '{}')", "coalesce((SELECT names FROM men), '{}')"
	}
	onConflict := "ON CONFLICT (sender_id, client_msg_id) DO NOTHING"
	if alone {
		where += ` AND snoozed_until IS NULL
			AND NOT EXISTS (SELECT 1 FROM messages r WHERE r.sender_id = $2 AND r.client_msg_id = $4)`
		onConflict = ""
	}
	sql := `WITH c AS (
			UPDATE conversations SET last_seq = last_seq + 1, last_message_at = now(),
				first_response_at = CASE WHEN $3 AND assigned_agent_id = $2 AND first_response_at IS NULL THEN now() ELSE first_response_at END
			WHERE ` + where + ` AND ` + mayWriteInGroup + ` RETURNING *),
		activity AS (` + movesActivity("c") + `),`
	if at {
		sql += `
		` + mentionedIn + `,`
	}
	sql += `
		m AS (
			INSERT INTO messages (conversation_id, seq, sender_id, client_msg_id, type, body, code, args, mentions, mention_all)
			SELECT c.id, c.last_seq, $2, $4, $5, $6, $7, $8, ` + mentions + `, $9 AND $10 AND c.kind = 'group' FROM c
			` + onConflict + `
			RETURNING id, conversation_id, seq, created_at, mentions, mention_all),`
	if at {
		sql += `
		mark AS (
			UPDATE conversation_members g SET mention_seq = m.seq FROM m
			WHERE $9 AND g.conversation_id = m.conversation_id AND g.user_id IS DISTINCT FROM $2
				AND (m.mention_all OR g.user_id = ANY(m.mentions))),`
	}
	if alone {
		sql += `
		push AS (` + pushesFrom(messageRecipientsOfC, `(SELECT m.conversation_id AS conv, '`+PushMessage+`'::text AS kind, m.seq, $2::bigint AS sender FROM m) n`) + `),`
	}
	sql += `
		pending AS (INSERT INTO search_pending (message_id) SELECT m.id FROM m WHERE $6 <> ''),
		read AS (
			INSERT INTO conversation_members AS cm (conversation_id, user_id, last_read_seq)
			SELECT m.conversation_id, $2, m.seq FROM m WHERE $2::bigint IS NOT NULL
			ON CONFLICT (conversation_id, user_id) DO UPDATE SET last_read_seq = greatest(cm.last_read_seq, excluded.last_read_seq)),
		undraft AS (DELETE FROM drafts d USING m WHERE d.conversation_id = m.conversation_id AND d.user_id = $2)
		SELECT ` + conversationColumns + `, m.id, m.created_at, coalesce(u.kind, 'member'), coalesce(u.name, ''), coalesce(u.email, ''),
			coalesce(vu.id, 0), coalesce(vu.kind, 'visitor'), coalesce(vu.name, ''), coalesce(vu.email, ''),
			CASE WHEN au.id IS NULL THEN '' ELSE display_name(au) END, ` + labelsOf + `,
			coalesce(m.mention_all, false), ` + ids + `, ` + names + `
		FROM c LEFT JOIN m ON true LEFT JOIN users u ON u.id = $2 LEFT JOIN users vu ON vu.id = c.visitor_id
			LEFT JOIN users au ON au.id = c.assigned_agent_id`
	insertionSQLs.Store(shape, sql)
	return sql
}

// scan reads the statement's row: a stored message, or errDuplicate when
// its client message id was stored before.
func (in *insertion) scan(row pgx.Row) error {
	var err error
	in.conv, err = scanConversation(row, &in.id, &in.createdAt, &in.by.Kind, &in.by.Name, &in.by.Email,
		&in.peer.ID, &in.peer.Kind, &in.peer.Name, &in.peer.Email, &in.assignee, &in.labels,
		&in.msg.MentionAll, &in.mentionIDs, &in.mentionNames)
	if err != nil {
		return err
	}
	m := &in.msg
	m.Mentions = mentionList(in.mentionIDs, in.mentionNames)
	m.ConversationID, m.Seq = in.conv.ID, in.conv.LastSeq
	if in.id == nil {
		return errDuplicate
	}
	m.ID, m.CreatedAt = *in.id, *in.createdAt
	if m.SenderID != 0 {
		in.by.ID = m.SenderID
		m.SenderName = in.by.DisplayName()
	}
	return nil
}

// then is what follows a stored message in its transaction: its webhook
// deliveries, pushes, email and event, each nothing when no one is subscribed,
// decided inside its statement.
func (in *insertion) then(tx *txn) ([]statement, error) {
	webhooks, err := messageCreatedDeliveries(in.msg)
	if err != nil {
		return nil, err
	}
	wake := in.wakeOnReply(tx)
	mails := []statement{replyMail(in.msg, in.conv, in.peer), digestMail(in.msg)}
	if in.noEmail {
		mails = nil
	}
	return append(append([]statement{in.attachment(), webhooks, pushes(messagePush(in.msg))}, mails...),
		append([]statement{announce(tx, deliveredEvent(in))}, wake...)...), nil
}

// messageEvent announces that m is stored.
func messageEvent(m chat.Message) chat.Event {
	return chat.Event{Type: chat.EventMessage, ConversationID: m.ConversationID, MessageID: m.ID, Seq: m.Seq}
}

// deliveredEvent announces the message in stored, in its conversation,
// carrying both (and what lists show of the conversation) when they are
// the same for every recipient.
func deliveredEvent(in *insertion) chat.Event {
	m, conv, peer := in.msg, in.conv, in.peer
	ev := messageEvent(m)
	if !m.Type.Said() || conv.Kind == chat.Direct {
		return ev
	}
	d := &chat.Delivery{Message: m, Conversation: conv, Title: conv.Title, Assignee: in.assignee, Labels: in.labels}
	if conv.Kind == chat.Support && peer.ID != 0 {
		d.Title, d.PeerID = peer.DisplayName(), peer.ID
	}
	ev.Delivery = d // encodeEvent leaves it out when it does not fit
	return ev
}
