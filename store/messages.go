package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

// errDuplicate rolls back a send whose client message id was already stored.
var errDuplicate = errors.New("duplicate client message id")

const messageColumns = `m.id, m.conversation_id, m.seq, coalesce(m.sender_id, 0), coalesce(m.client_msg_id, ''), m.type, m.body, coalesce(m.code, ''), m.args, m.created_at,
	coalesce(u.kind, 'member'), coalesce(u.name, ''), coalesce(u.email, ''), m.revoked_at, coalesce(m.revoked_by, 0), m.forwarded,
	m.mention_all, ` + mentionsOf + `, ` + attachmentColumns

// mentionsOf is the members message m mentions, as ids and names in the
// same order; nothing is looked up for a message that mentions no one.
const mentionsOf = `coalesce(m.mentions, '{}'), CASE WHEN m.mentions IS NULL THEN '{}'::text[] ELSE
	ARRAY(SELECT display_name(x) FROM unnest(m.mentions) WITH ORDINALITY k(id, n) JOIN users x ON x.id = k.id ORDER BY k.n) END`

// messageFrom joins a message's sender and attachment: the attachment's
// row is found by its primary key, and its bytes are not read.
const messageFrom = " FROM messages m LEFT JOIN users u ON u.id = m.sender_id LEFT JOIN attachments a ON a.message_id = m.id "

// scanMessage reads messageColumns, then into extra what the query adds.
func scanMessage(row pgx.Row, extra ...any) (chat.Message, error) {
	var m chat.Message
	var sender chat.User
	var a attachmentRow
	var ids []int64
	var names []string
	err := row.Scan(append([]any{&m.ID, &m.ConversationID, &m.Seq, &m.SenderID, &m.ClientMsgID, &m.Type, &m.Body, &m.Code, &m.Args, &m.CreatedAt,
		&sender.Kind, &sender.Name, &sender.Email, &m.RevokedAt, &m.RevokedBy, &m.Forwarded, &m.MentionAll, &ids, &names,
		&a.token, &a.name, &a.contentType, &a.size, &a.width, &a.height}, extra...)...)
	m.Attachment = a.attachment()
	m.Mentions = mentionList(ids, names)
	if m.SenderID != 0 {
		sender.ID = m.SenderID
		m.SenderName = sender.DisplayName()
	}
	return m, err
}

// mentionList pairs the ids and names of the members a message mentions.
func mentionList(ids []int64, names []string) []chat.Mention {
	var out []chat.Mention
	for i, id := range ids {
		m := chat.Mention{UserID: id}
		if i < len(names) {
			m.Name = names[i]
		}
		out = append(out, m)
	}
	return out
}

func collectMessages(rows pgx.Rows, err error) ([]chat.Message, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (chat.Message, error) { return scanMessage(r) })
}

// Send is a message to store. The body must already be validated.
type Send struct {
	ConversationID int64
	SenderID       int64
	ClientMsgID    string
	Type           chat.MessageType
	Body           string
	// Code and Args are a line kefu writes (a system line, or a note such
	// as a rating), instead of a body.
	Code chat.SystemCode
	Args []string
	// TargetID names the agent a visitor's new chat asks for ("contact the
	// author"), who has it to themselves until TargetUntil.
	TargetID    int64
	TargetUntil time.Time
	// A visitor's new chat: the site it came from (0: none) and what the
	// visitor's browser said of itself (page, referrer, language, …).
	SiteID  int64
	Context map[string]string
	// VisitorName and VisitorEmail are what an anonymous visitor gave in the
	// pre-chat form; they are kept with the visitor, so that they are never
	// asked twice.
	VisitorName  string
	VisitorEmail string
	// File is what an image or file message carries (Type says which),
	// checked by chat.PrepareUpload; it is stored with the message, or not at all.
	File *chat.Upload
	// Forwarded is a merged message's content (Type chat.Merged).
	Forwarded []chat.Forwarded
	// Address is where a visitor writes from ("": unknown), for the
	// blocks by address, and kept when it starts a chat.
	Address string
}

// SendMessage stores a message in one transaction: it takes the next seq,
// marks the conversation read for the sender and announces the message on
// the bus at commit. A send whose (sender, client message id) is already
// stored returns the stored message and created == false.
//
// In a one-to-one conversation the conversation_grade policy is applied to
// every message, so a removed friend or a raised grade takes effect at once:
// a refusal is a *chat.RefusedError and stores nothing. A text message is
// screened for the sensitive words (chat.Words), and one in a direct
// conversation whose members have blocked one another either way is
// refused with chat.ErrNotDelivered.
func (db *DB) SendMessage(ctx context.Context, s Send) (msg chat.Message, created bool, err error) {
	err = db.inTx(ctx, func(tx *txn) error {
		s := s // its body may be masked
		if err := db.maySend(ctx, tx, &s); err != nil {
			return err
		}
		msg, err = insertUnblocked(ctx, tx, s)
		return err
	})
	return db.sent(ctx, s, msg, err)
}

// SendFromVisitor stores a visitor's message in their open support
// conversation, starting one (queued) if they have none. Customer service
// must be open to visitors (chat.Settings.SupportOpen), and the
// conversation_grade policy decides whether the visitor may write to
// customer service (or to the agent named by s.TargetID) at all.
func (db *DB) SendFromVisitor(ctx context.Context, s Send) (msg chat.Message, created bool, err error) {
	if msg, created, ok, err := db.SendToOpenChat(ctx, s); ok || err != nil {
		return msg, created, err
	}
	return db.sendFromVisitor(ctx, s)
}

// SendToOpenChat is SendFromVisitor's way for a message that goes on in the
// visitor's open support chat, taken in one statement: ok is false, and
// nothing is stored, when they have none, or when the message names an
// agent, gives pre-chat details, is not a visitor's plain text (a file, a
// line kefu writes) or would be refused, which
// SendFromVisitor's whole way decides. The settings it decides by are the
// ones this instance knows, and the statement stores nothing if they have
// changed since.
func (db *DB) SendToOpenChat(ctx context.Context, s Send) (msg chat.Message, created, ok bool, err error) {
	if s.TargetID != 0 || s.VisitorName != "" || s.VisitorEmail != "" || s.SenderID == 0 || (s.Type != "" && s.Type != chat.Text) || s.File != nil ||
		s.Code != "" || len(s.Args) > 0 {
		return msg, false, false, nil
	}
	settings, version, err := db.known.get(ctx, db.pool)
	if err != nil {
		return msg, false, false, fmt.Errorf("store: send to the open chat of %d: %w", s.SenderID, err)
	}
	if settings.SupportOpen() != nil || settings.MayStart(s.SenderID, chat.Team, chat.Ties{}) != nil {
		return msg, false, false, nil
	}
	if s.Body, err = settings.Words.Screen(s.Body); err != nil {
		// Refused by the words this instance knows, which may be older than
		// the database's: the whole way decides under the settings it reads.
		return msg, false, false, nil
	}
	const where = `kind = 'support' AND visitor_id = $1 AND status <> 'resolved'
		AND (SELECT version FROM settings_version) = $11` + unblockedVisitor
	// The statement checks that these are still the settings.
	if db.publisher != nil && !settings.Email && !settings.MessageHooks {
		in := newAloneInsertion(s, where, s.SenderID, version)
		err = db.inOneRoundTrip(ctx, in, version, func(tx *txn) { announce(tx, deliveredEvent(in)) })
		msg = in.msg
	} else {
		in := newInsertion(s, where, s.SenderID, version)
		in.noEmail = !settings.Email
		err = db.inTwoRoundTrips(ctx, in.statement, in.scan, in.then)
		msg = in.msg
	}
	if errors.Is(err, pgx.ErrNoRows) {
		// None open, the settings changed, or (one round trip) a resend or a
		// snoozed chat: the whole way reads the settings again, and does it.
		db.known.forget()
		return msg, false, false, nil
	}
	s.ConversationID = 0 // a resend is answered from whichever conversation has it
	msg, created, err = db.sent(ctx, s, msg, err)
	return msg, created, true, err
}

func (db *DB) sendFromVisitor(ctx context.Context, s Send) (msg chat.Message, created bool, err error) {
	err = db.inTx(ctx, func(tx *txn) error {
		s := s // the conversation found here is not what sent checks a resend against
		settings, version, err := loadSettingsAt(ctx, tx)
		if err != nil {
			return err
		}
		to := chat.Team
		if s.TargetID != 0 {
			to = s.TargetID
		} else if err := settings.SupportOpen(); err != nil {
			return err
		}
		if err := mayStartUnder(ctx, tx, settings, s.SenderID, to, false); err != nil {
			return err
		}
		if err := checkVisitor(ctx, tx, s.SenderID, s.Address); err != nil {
			return err
		}
		words, err := db.known.words(ctx, tx, version)
		if err != nil {
			return err
		}
		if s.Body, err = words.Screen(s.Body); err != nil {
			return err
		}
		if err := setVisitorDetails(ctx, tx, s.SenderID, s.VisitorName, s.VisitorEmail, s.Address); err != nil {
			return err
		}
		var joined bool
		if s.ConversationID, joined, err = openSupportConversation(ctx, tx, s); err != nil {
			return err
		}
		if msg, err = insertMessage(ctx, tx, s); err != nil {
			return err
		}
		if joined {
			if err := enqueuePush(ctx, tx, pushNote{kind: PushQueued, conversationID: s.ConversationID, seq: msg.Seq}); err != nil {
				return err
			}
			return notify(ctx, tx, chat.Event{Type: chat.EventQueue, ConversationID: s.ConversationID})
		}
		return nil
	})
	return db.sent(ctx, s, msg, err)
}

// sent finishes a send. A send whose (sender, client message id) is stored
// already becomes the stored message: a resent frame is answered with what
// was stored, whatever changed since, so a send refused now (or failed) looks
// for it before it reports the refusal. A send that stored nothing rolled
// back whatever it did.
func (db *DB) sent(ctx context.Context, s Send, msg chat.Message, err error) (chat.Message, bool, error) {
	if err == nil {
		return msg, true, nil
	}
	if s.ClientMsgID != "" && s.SenderID != 0 && ctx.Err() == nil {
		stored, lookErr := scanMessage(db.pool.QueryRow(ctx, "SELECT "+messageColumns+messageFrom+
			"WHERE m.sender_id = $1 AND m.client_msg_id = $2", s.SenderID, s.ClientMsgID))
		switch {
		case lookErr == nil:
			return db.resent(s, stored)
		case errors.Is(err, errDuplicate) || !errors.Is(lookErr, pgx.ErrNoRows):
			return msg, false, fmt.Errorf("store: send to conversation %d: resend: %w", s.ConversationID, mapErr(lookErr))
		}
	}
	return msg, false, fmt.Errorf("store: send to conversation %d: %w", s.ConversationID, mapErr(err))
}

// resent answers a resend of s with msg, as stored.
func (db *DB) resent(s Send, msg chat.Message) (chat.Message, bool, error) {
	if s.ConversationID != 0 && msg.ConversationID != s.ConversationID {
		return msg, false, fmt.Errorf("store: send to conversation %d: client message id used in another conversation: %w",
			s.ConversationID, chat.ErrConflict)
	}
	if db.publisher != nil {
		// A Publisher sends after commit, so an instance that stopped
		// between the two stored the message without announcing it, and
		// without acknowledging it: the sender resends, and the resend
		// announces it. A socket that has it already drops the repeat.
		db.publisher.Publish(encodeEvent(messageEvent(msg)))
	}
	return msg, false, nil
}

// Message returns the message with id.
func (db *DB) Message(ctx context.Context, id int64) (chat.Message, error) {
	m, err := scanMessage(db.pool.QueryRow(ctx, "SELECT "+messageColumns+messageFrom+"WHERE m.id = $1", id))
	if err != nil {
		return m, fmt.Errorf("store: message %d: %w", id, mapErr(err))
	}
	return m, nil
}

// readerFilter keeps the messages a reader sees, as chat.Reader.Sees
// decides: $4, whether they see notes; $5, whether they see every system
// line, else only those in $6 (visitorLines).
const readerFilter = "($4 OR m.type <> 'note') AND ($5 OR m.type <> 'system' OR m.code = ANY($6))"

// visitorLines are the codes of the system lines a visitor is shown.
var visitorLines = chat.VisitorLines()

// History returns up to limit messages of a conversation older than
// beforeSeq (0: the newest), oldest first, and whether older ones remain.
// Only the messages reader sees are counted and returned (chat.Reader).
func (db *DB) History(ctx context.Context, conversationID, beforeSeq int64, limit int, reader chat.Reader) ([]chat.Message, bool, error) {
	msgs, err := collectMessages(db.pool.Query(ctx, "SELECT "+messageColumns+messageFrom+
		"WHERE m.conversation_id = $1 AND ($2 = 0 OR m.seq < $2) AND "+readerFilter+" ORDER BY m.seq DESC LIMIT $3",
		conversationID, beforeSeq, limit+1, reader.Notes(), reader.AllLines(), visitorLines))
	if err != nil {
		return nil, false, fmt.Errorf("store: history of conversation %d: %w", conversationID, err)
	}
	more := len(msgs) > limit
	if more {
		msgs = msgs[:limit]
	}
	slices.Reverse(msgs)
	return msgs, more, nil
}

// MessagesAfter returns up to limit messages of a conversation newer than
// afterSeq, oldest first: those reader sees (chat.Reader).
func (db *DB) MessagesAfter(ctx context.Context, conversationID, afterSeq int64, limit int, reader chat.Reader) ([]chat.Message, error) {
	msgs, err := collectMessages(db.pool.Query(ctx, "SELECT "+messageColumns+messageFrom+
		"WHERE m.conversation_id = $1 AND m.seq > $2 AND "+readerFilter+" ORDER BY m.seq LIMIT $3",
		conversationID, afterSeq, limit, reader.Notes(), reader.AllLines(), visitorLines))
	if err != nil {
		return nil, fmt.Errorf("store: messages of conversation %d after %d: %w", conversationID, afterSeq, err)
	}
	return msgs, nil
}
