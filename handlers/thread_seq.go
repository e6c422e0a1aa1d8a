package handlers

import (
	"bytes"
	"context"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/views/thread"
)

// replayLimit is the most messages replayed after a reconnect; a larger gap
// replaces the thread with its newest page.
const replayLimit = 200

// threadSeq tracks, for one socket, the newest seq sent for each thread its
// browser shows, so that every message is shown there once and in order: a
// live message that would leave a gap is preceded by the missing ones from
// the database, and one already sent is dropped. A conversation's seq is
// assigned under its row lock, so seqs commit in order, which message ids
// do not. It belongs to the socket's writer goroutine: only jobs touch it.
type threadSeq struct {
	db       *store.DB
	viewerID int64                 // whose bubbles are "mine"
	reader   chat.Reader           // which lines kefu wrote are shown
	olderURL func(id int64) string // where a thread loads its earlier messages

	// sent maps each conversation whose thread the browser shows to the
	// newest seq sent to it.
	sent map[int64]int64
	// mods is what the viewer may do to every message of a thread they
	// moderate (a group's owner and admins): learnt when the thread is
	// opened, its pins again when they change.
	mods map[int64]*thread.Moderation
	// resumed is set by the browser's first resume frame, which says what it
	// shows. Until then no thread message is sent: an event handled before it
	// would be sent again by the resume's catch-up.
	resumed bool
}

func newThreadSeq(db *store.DB, viewerID int64, reader chat.Reader, olderURL func(int64) string) threadSeq {
	return threadSeq{db: db, viewerID: viewerID, reader: reader, olderURL: olderURL, sent: make(map[int64]int64),
		mods: make(map[int64]*thread.Moderation)}
}

// resume forgets every thread: the browser's resume frame says what it shows now.
func (t *threadSeq) resume() {
	clear(t.sent)
	clear(t.mods)
	t.resumed = true
}

// follow records that the browser shows conversation id's thread up to seq.
func (t *threadSeq) follow(id, seq int64) { t.sent[id] = seq }

// follows reports whether the browser shows conversation id's thread.
func (t *threadSeq) follows(id int64) bool {
	_, ok := t.sent[id]
	return ok
}

// forget stops following conversation id: it is no longer the viewer's to see.
func (t *threadSeq) forget(id int64) {
	delete(t.sent, id)
	delete(t.mods, id)
}

// moderate gives the bubbles of conversation id's thread what mod allows.
func (t *threadSeq) moderate(id int64, mod *thread.Moderation) {
	if mod == nil {
		delete(t.mods, id)
		return
	}
	t.mods[id] = mod
}

// open follows conversation c's thread, which the browser shows up to
// afterSeq, and catches it up to c's newest message.
func (t *threadSeq) open(ctx context.Context, buf *bytes.Buffer, c chat.Conversation, afterSeq int64) error {
	t.follow(c.ID, afterSeq)
	return t.catchUp(ctx, buf, c.ID, c.LastSeq, nil)
}

// catchUp writes the messages of conversation id up to upTo that the
// browser has not been sent, in order, each once. known is message upTo
// when the caller has it already.
func (t *threadSeq) catchUp(ctx context.Context, buf *bytes.Buffer, id, upTo int64, known *chat.Message) error {
	sent, ok := t.sent[id]
	if !t.resumed || !ok || upTo <= sent {
		return nil
	}
	var msgs []chat.Message
	if known != nil && upTo == sent+1 {
		msgs = []chat.Message{*known}
	} else {
		var err error
		if msgs, err = t.db.MessagesAfter(ctx, id, sent, replayLimit+1, t.reader); err != nil {
			return err
		}
		if len(msgs) > replayLimit {
			return t.replace(ctx, buf, id)
		}
	}
	for _, m := range msgs {
		if err := thread.Appended(m, m.SenderID == t.viewerID, t.mods[id]).Render(ctx, buf); err != nil {
			return err
		}
		t.sent[id] = m.Seq
	}
	return nil
}

// catchUpAll catches up every thread the browser shows, as v may see it
// now, after the bus may have missed events.
func (t *threadSeq) catchUpAll(ctx context.Context, buf *bytes.Buffer, v chat.Viewer) error {
	ids := make([]int64, 0, len(t.sent))
	for id := range t.sent {
		ids = append(ids, id)
	}
	for _, id := range ids {
		conv, err := t.db.ConversationFor(ctx, id, v)
		if isNotFound(err) {
			t.forget(id) // no longer theirs to see
			continue
		}
		if err != nil {
			return err
		}
		if err := t.catchUp(ctx, buf, id, conv.LastSeq, nil); err != nil {
			return err
		}
	}
	return nil
}

// replace fills the browser's thread with conversation id's newest page.
func (t *threadSeq) replace(ctx context.Context, buf *bytes.Buffer, id int64) error {
	msgs, more, err := t.db.History(ctx, id, 0, chat.PageSize, t.reader)
	if err != nil {
		return err
	}
	mod := t.mods[id]
	clear(t.sent)
	clear(t.mods)
	t.sent[id] = 0
	if mod != nil {
		t.mods[id] = mod
	}
	if n := len(msgs); n > 0 {
		t.sent[id] = msgs[n-1].Seq
	}
	return thread.Replaced(thread.PageProps{Messages: msgs, More: more, ViewerID: t.viewerID, OlderURL: t.olderURL(id),
		Moderation: mod}).Render(ctx, buf)
}
