package store

// A commit group's messages, stored in one set-based statement: what
// newAloneInsertion's statement does for one message, done for all of
// them at once, with one start, one plan and one pass through each table.

import "github.com/jackc/pgx/v5"

// groupSendSQL stores the visitors' text messages $1 … $4 (sender, client
// message id, body, and the settings' version each was decided under), in
// the order given, each in its sender's open support chat, as
// newAloneInsertion's statement with SendToOpenChat's condition does: a
// message is left out, and stores nothing, when the settings have changed
// since, its sender is blocked, or its sender has no open chat or a
// snoozed one. Two messages of one chat take consecutive seqs, in their
// order; the chat's row is updated once, and its push, read mark and draft
// see its last message. Each sender's open chat is found by its index, and
// the chats are locked in the order of their senders, which drive the
// update, as the groups' order needs; the update checks on the row it
// locks that the chat is still the sender's open chat, so that one
// resolved, or moved to another visitor (DB.Identify), while the statement
// waited for it takes no message.
//
// A message whose (sender, client message id) is stored already fails the
// statement (messages_sender_client_key), and with it the group, which
// then looks for its resends (DB.withoutResends): a resend is rare, and a
// check that found it first would cost every message of every group.
//
// Each row is a message stored: its place in $1 … $4 and its seq, then the
// columns insertion.scan reads. The conversation's columns are those of
// the chat after the whole group; the seq says which of its messages this
// is.
var groupSendSQL = `WITH s AS (
			SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[]) WITH ORDINALITY AS s (sender, client_msg_id, body, version, n)),
		ok AS (
			SELECT s.* FROM s
			WHERE s.version = (SELECT version FROM settings_version)
				AND NOT EXISTS (SELECT 1 FROM visitor_blocks vb WHERE vb.visitor_id = s.sender AND (vb.until IS NULL OR vb.until > now()))),
		chats AS (
			SELECT k.sender, k.sends, open.id FROM (SELECT sender, count(*) AS sends FROM ok GROUP BY sender ORDER BY sender) k
				CROSS JOIN LATERAL (SELECT id FROM conversations
					WHERE kind = 'support' AND visitor_id = k.sender AND status <> 'resolved' LIMIT 1) open),
		c AS (
			UPDATE conversations SET last_seq = last_seq + chats.sends, last_message_at = now()
			FROM chats WHERE conversations.id = chats.id AND kind = 'support' AND visitor_id = chats.sender AND status <> 'resolved'
				AND snoozed_until IS NULL
			RETURNING conversations.*, chats.sends),
		activity AS (` + movesActivity("c") + `),
		placed AS (
			SELECT ok.n, ok.sender, ok.client_msg_id, ok.body, c.id AS conv,
				c.last_seq - c.sends + row_number() OVER (PARTITION BY c.id ORDER BY ok.n) AS seq
			FROM ok JOIN chats ON chats.sender = ok.sender JOIN c ON c.id = chats.id),
		m AS (
			INSERT INTO messages (conversation_id, seq, sender_id, client_msg_id, type, body, args, mention_all)
			SELECT conv, seq, sender, client_msg_id, 'text', body, '{}', false FROM placed ORDER BY n
			RETURNING id, conversation_id, seq, created_at),
		push AS (` + pushesFrom(`SELECT c.assigned_agent_id FROM c WHERE c.id = n.conv AND c.status = 'assigned'`,
	`(SELECT c.id AS conv, '`+PushMessage+`'::text AS kind, c.last_seq AS seq, c.visitor_id AS sender FROM c) n`) + `),
		pending AS (
			INSERT INTO search_pending (message_id)
			SELECT m.id FROM m JOIN placed p ON p.conv = m.conversation_id AND p.seq = m.seq WHERE p.body <> ''),
		read AS (
			INSERT INTO conversation_members AS cm (conversation_id, user_id, last_read_seq)
			SELECT c.id, c.visitor_id, c.last_seq FROM c
			ON CONFLICT (conversation_id, user_id) DO UPDATE SET last_read_seq = greatest(cm.last_read_seq, excluded.last_read_seq)),
		undraft AS (DELETE FROM drafts d USING c WHERE d.conversation_id = c.id AND d.user_id = c.visitor_id)
		SELECT p.n, p.seq, ` + conversationColumns + `, m.id, m.created_at, coalesce(u.kind, 'member'), coalesce(u.name, ''), coalesce(u.email, ''),
			coalesce(vu.id, 0), coalesce(vu.kind, 'visitor'), coalesce(vu.name, ''), coalesce(vu.email, ''),
			CASE WHEN au.id IS NULL THEN '' ELSE display_name(au) END, ` + labelsOf + `,
			false, '{}'::bigint[], '{}'::text[]
		FROM placed p JOIN c ON c.id = p.conv JOIN m ON m.conversation_id = p.conv AND m.seq = p.seq
			LEFT JOIN users u ON u.id = p.sender LEFT JOIN users vu ON vu.id = c.visitor_id
			LEFT JOIN users au ON au.id = c.assigned_agent_id
		ORDER BY p.n`

// groupSend is the statement storing the messages of group, and its
// reader, which gives each round trip its outcome: the message stored, or
// pgx.ErrNoRows for one left out, as its statement alone would.
func groupSend(group []*roundTrip) (statement, func(pgx.Rows) error) {
	senders := make([]int64, len(group))
	ids := make([]*string, len(group))
	bodies := make([]string, len(group))
	versions := make([]int64, len(group))
	for i, rt := range group {
		m := rt.in.msg
		senders[i], bodies[i], versions[i] = m.SenderID, m.Body, rt.version
		if m.ClientMsgID != "" {
			ids[i] = &m.ClientMsgID
		}
		rt.err = pgx.ErrNoRows
	}
	read := func(rows pgx.Rows) error {
		for rows.Next() {
			var n, seq int64
			head := make([]any, len(rows.FieldDescriptions()))
			head[0], head[1] = &n, &seq
			if err := rows.Scan(head...); err != nil {
				return err
			}
			if n < 1 || n > int64(len(group)) {
				continue
			}
			rt := group[n-1]
			if rt.err = rt.in.scan(skipColumns{rows, 2}); rt.err == nil {
				rt.in.conv.LastSeq, rt.in.msg.Seq = seq, seq
			}
		}
		return nil
	}
	return statement{sql: groupSendSQL, args: []any{senders, ids, bodies, versions}}, read
}

// skipColumns is a row read without its first columns.
type skipColumns struct {
	rows pgx.Rows
	skip int
}

func (r skipColumns) Scan(dest ...any) error {
	return r.rows.Scan(append(make([]any, r.skip, r.skip+len(dest)), dest...)...)
}
