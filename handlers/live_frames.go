package handlers

import (
	"bytes"
	"context"
	"time"

	"github.com/a-h/templ"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/live"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/views/console"
	"github.com/kefu-im/kefu/views/thread"
)

// replayLimit is the most messages replayed after a reconnect; a larger gap
// replaces the thread with its newest page.
const replayLimit = 200

// send validates and stores a message, then acknowledges it. The bubble
// itself reaches every screen, this one included, through the bus.
func (c *client) send(ctx context.Context, f inFrame) error {
	if err := chat.ValidateClientMsgID(f.ClientMsgID); err != nil {
		return err
	}
	body, err := chat.ValidateBody(f.Body)
	if err != nil {
		return err
	}
	s := store.Send{SenderID: c.user.ID, ClientMsgID: f.ClientMsgID, Body: body}
	var msg chat.Message
	var created bool
	if c.widget {
		msg, created, err = c.sendFromWidget(ctx, f, s)
	} else {
		msg, created, err = c.sendFromConsole(ctx, f, s)
	}
	if err != nil {
		return err
	}
	if !created {
		// A resent frame: the message may never have reached this screen.
		c.conn.Enqueue(c.deliver(msg, nil))
	}
	c.conn.Enqueue(frameJob(thread.Ack(f.ClientMsgID)))
	return nil
}

func (c *client) sendFromConsole(ctx context.Context, f inFrame, s store.Send) (chat.Message, bool, error) {
	v, err := c.viewer(ctx)
	if err != nil {
		return chat.Message{}, false, err
	}
	conv, err := c.h.DB.ConversationFor(ctx, f.ConversationID, v)
	if err != nil {
		return chat.Message{}, false, err
	}
	s.ConversationID = conv.ID
	return c.h.DB.SendMessage(ctx, s)
}

func (c *client) read(ctx context.Context, f inFrame) error {
	v, err := c.viewer(ctx)
	if err != nil {
		return err
	}
	conv, err := c.h.DB.ConversationFor(ctx, f.ConversationID, v)
	if err != nil {
		return err
	}
	return c.h.DB.MarkRead(ctx, conv.ID, c.user.ID, f.Seq)
}

// deliver shows msg (and any messages this screen missed before it) if the
// browser shows its thread, then moves the conversation up the console's list.
func (c *client) deliver(msg chat.Message, sum *chat.Summary) live.Job {
	return func(ctx context.Context) ([]byte, error) {
		var buf bytes.Buffer
		sc := &c.screen
		if c.widget && !sc.wants(msg.ConversationID, sum) {
			return nil, nil
		}
		if c.widget && sc.openID == 0 {
			sc.openID = msg.ConversationID // the widget's first message started it
		}
		// Agents' private notes never reach a visitor; the gap they leave in
		// seq is filled from the database without them.
		if !(c.widget && msg.Type == chat.Note) {
			if err := c.catchUp(ctx, &buf, msg.ConversationID, msg.Seq, &msg); err != nil {
				return nil, err
			}
		}
		if sum != nil && !c.widget {
			if err := console.Moved(*sum, sum.ID == sc.openID).Render(ctx, &buf); err != nil {
				return nil, err
			}
		}
		return frameBytes(&buf), nil
	}
}

// catchUp writes the messages of conversation id up to upTo that this
// screen has not been sent, in order, each once. known is message upTo when
// the caller has it already.
func (c *client) catchUp(ctx context.Context, buf *bytes.Buffer, id, upTo int64, known *chat.Message) error {
	sc := &c.screen
	sent, ok := sc.followed[id]
	if !sc.resumed || (!ok && !c.widget) {
		return nil // not yet told what the browser shows; the console shows only its open thread
	}
	if upTo <= sent {
		return nil
	}
	var msgs []chat.Message
	if known != nil && upTo == sent+1 {
		msgs = []chat.Message{*known}
	} else {
		var err error
		if msgs, err = c.h.DB.MessagesAfter(ctx, id, sent, replayLimit+1, !c.widget); err != nil {
			return err
		}
		if len(msgs) > replayLimit {
			return c.replace(ctx, buf, id)
		}
	}
	for _, m := range msgs {
		if err := thread.Appended(m, m.SenderID == c.user.ID).Render(ctx, buf); err != nil {
			return err
		}
		sc.followed[id] = m.Seq
	}
	return nil
}

// replace fills the browser's thread with conversation id's newest page.
func (c *client) replace(ctx context.Context, buf *bytes.Buffer, id int64) error {
	msgs, more, err := c.h.DB.History(ctx, id, 0, chat.PageSize, !c.widget)
	if err != nil {
		return err
	}
	url := historyURL(id)
	if c.widget {
		url = "/widget/c/" + itoa(id) + "/history"
	}
	sc := &c.screen
	clear(sc.followed)
	sc.followed[id] = 0
	if n := len(msgs); n > 0 {
		sc.followed[id] = msgs[n-1].Seq
	}
	return thread.Replaced(thread.PageProps{Messages: msgs, More: more, ViewerID: c.user.ID, OlderURL: url}).Render(ctx, buf)
}

// resume rebuilds what the browser shows after it (re)connects: the thread
// of conversation f.ConversationID from f.Seq on and the console's list. The
// widget, with no conversation id, gets its conversation from the start: the
// direct one with the person it is aimed at when that person is not customer
// service, else its newest support chat; and what goes with it (pre-chat
// fields, a rating). a is the widget's aim, which the reader resolved.
func (c *client) resume(f inFrame, a aim) live.Job {
	id, afterSeq := f.ConversationID, f.Seq
	return func(ctx context.Context) ([]byte, error) {
		var buf bytes.Buffer
		v, err := c.viewer(ctx)
		if err != nil {
			return nil, err
		}
		sc := &c.screen
		clear(sc.followed)
		sc.openID = 0
		sc.resumed = true
		sc.aim = a
		sc.rating = false
		var conv chat.Conversation
		switch {
		case id != 0:
			conv, err = c.h.DB.ConversationFor(ctx, id, v)
		case c.widget:
			conv, err = c.widgetConversation(ctx)
		}
		switch {
		case err == nil && conv.ID != 0 && id == 0:
			sc.openID = conv.ID
			err = c.replace(ctx, &buf, conv.ID)
		case err == nil && conv.ID != 0:
			sc.openID = conv.ID
			sc.followed[conv.ID] = afterSeq
			err = c.catchUp(ctx, &buf, conv.ID, conv.LastSeq, nil)
		}
		if err != nil && !isNotFound(err) {
			return nil, err
		}
		if err := c.renderList(ctx, &buf, v); err != nil {
			return nil, err
		}
		if err := c.renderQueue(ctx, &buf, v); err != nil {
			return nil, err
		}
		if err := c.renderMissedNotices(ctx, &buf, v); err != nil {
			return nil, err
		}
		if c.widget {
			if err := c.renderWidgetState(ctx, &buf, conv); err != nil {
				return nil, err
			}
		}
		return frameBytes(&buf), nil
	}
}

// listUpdate re-renders the console's list item for conversation id.
func (c *client) listUpdate(id int64) live.Job {
	return func(ctx context.Context) ([]byte, error) {
		if c.widget {
			return nil, nil
		}
		v, err := c.viewer(ctx)
		if err != nil {
			return nil, err
		}
		s, err := c.h.DB.Summary(ctx, id, v)
		if isNotFound(err) {
			// No longer theirs to see: they left or were removed from a group.
			delete(c.screen.followed, id)
			return render(ctx, console.Gone(id))
		}
		if err != nil {
			return nil, err
		}
		return render(ctx, console.Updated(s, s.ID == c.screen.openID))
	}
}

// refused tells the browser why a frame was refused, and acknowledges a
// refused send so that it is not retried: the browser keeps its text in the
// composer, with the reason beside it.
func (c *client) refused(clientMsgID, reason string) []templ.Component {
	comps := []templ.Component{thread.Refused(clientMsgID, reason)}
	if clientMsgID != "" {
		comps = append(comps, thread.Ack(clientMsgID))
	}
	return comps
}

func frameJob(comps ...templ.Component) live.Job {
	return func(ctx context.Context) ([]byte, error) { return render(ctx, comps...) }
}

// render writes comps into one frame; nil when they wrote nothing.
func render(ctx context.Context, comps ...templ.Component) ([]byte, error) {
	var buf bytes.Buffer
	for _, comp := range comps {
		if err := comp.Render(ctx, &buf); err != nil {
			return nil, err
		}
	}
	return frameBytes(&buf), nil
}

func frameBytes(buf *bytes.Buffer) []byte {
	if buf.Len() == 0 {
		return nil
	}
	return buf.Bytes()
}

// resync catches the browser up after the bus may have missed events: every
// thread it shows, a newer conversation of a widget visitor, and the console's list.
func (c *client) resync() live.Job {
	return func(ctx context.Context) ([]byte, error) {
		var buf bytes.Buffer
		sc := &c.screen
		ids := make([]int64, 0, len(sc.followed)+1)
		for id := range sc.followed {
			ids = append(ids, id)
		}
		if c.widget && sc.resumed {
			conv, err := c.widgetConversation(ctx)
			if err != nil && !isNotFound(err) {
				return nil, err
			}
			if _, ok := sc.followed[conv.ID]; err == nil && !ok {
				ids = append(ids, conv.ID)
			}
		}
		v, err := c.viewer(ctx)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			conv, err := c.h.DB.ConversationFor(ctx, id, v)
			if isNotFound(err) {
				delete(sc.followed, id) // no longer theirs to see
				continue
			}
			if err != nil {
				return nil, err
			}
			if err := c.catchUp(ctx, &buf, id, conv.LastSeq, nil); err != nil {
				return nil, err
			}
		}
		if err := c.renderList(ctx, &buf, v); err != nil {
			return nil, err
		}
		if err := c.renderQueue(ctx, &buf, v); err != nil {
			return nil, err
		}
		return frameBytes(&buf), nil
	}
}

// renderQueue writes an agent's queue panel as it is now: a console that
// (re)connects may have missed its changes.
func (c *client) renderQueue(ctx context.Context, buf *bytes.Buffer, v chat.Viewer) error {
	if c.widget || !v.IsAgent {
		return nil
	}
	view, err := c.h.loadQueueView(ctx)
	if err != nil {
		return err
	}
	return console.Queue(view.entries, c.csrf, view.loads[c.user.ID]).Render(ctx, buf)
}

// renderList writes the console's whole conversation list, as v sees it.
func (c *client) renderList(ctx context.Context, buf *bytes.Buffer, v chat.Viewer) error {
	if c.widget {
		return nil
	}
	list, err := c.h.DB.Summaries(ctx, v, listLimit)
	if err != nil {
		return err
	}
	return console.List(list, c.screen.openID).Render(ctx, buf)
}

// noticeWindow is how far back a (re)connecting console looks for
// assignment notices it may have missed, such as one made while its page
// reloaded after the agent set themselves available.
const noticeWindow = 15 * time.Second

// renderMissedNotices writes the notices for chats newly assigned to an agent and not yet answered.
func (c *client) renderMissedNotices(ctx context.Context, buf *bytes.Buffer, v chat.Viewer) error {
	if c.widget || !v.IsAgent {
		return nil
	}
	ids, err := c.h.DB.NewlyAssigned(ctx, c.user.ID, c.h.Now().Add(-noticeWindow))
	if err != nil {
		return err
	}
	for _, id := range ids {
		s, err := c.h.DB.SummaryOf(ctx, id)
		if err != nil {
			return err
		}
		if err := console.Assigned(id, s.Title).Render(ctx, buf); err != nil {
			return err
		}
	}
	return nil
}
