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
	"github.com/kefu-im/kefu/views/widget"
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
		// "Contact the author": an agent named by the page gets a support
		// chat first; anyone else, a direct conversation. Either way the
		// conversation_grade policy decides, in the store's transaction.
		direct, err := c.h.directTarget(ctx, f.To)
		if err != nil {
			return err
		}
		switch {
		case direct:
			msg, created, err = c.h.DB.SendDirect(ctx, s, f.To)
		default:
			if f.To != 0 {
				s.TargetID, s.TargetUntil = f.To, c.h.now().Add(c.h.Dispatcher.Config().TargetWait)
			}
			msg, created, err = c.h.DB.SendFromVisitor(ctx, s)
		}
		if err != nil {
			return err
		}
	} else {
		v, verr := c.viewer(ctx)
		if verr != nil {
			return verr
		}
		conv, cerr := c.h.DB.ConversationFor(ctx, f.ConversationID, v)
		if cerr != nil {
			return cerr
		}
		s.ConversationID = conv.ID
		msg, created, err = c.h.DB.SendMessage(ctx, s)
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
		// Agents' private notes never reach a visitor; the gap they leave in
		// seq is filled from the database without them.
		if !(c.widget && msg.Type == chat.Note) {
			if err := c.catchUp(ctx, &buf, msg.ConversationID, msg.Seq, &msg); err != nil {
				return nil, err
			}
		}
		if sum != nil && !c.widget {
			if err := console.Moved(*sum, sum.ID == c.openID).Render(ctx, &buf); err != nil {
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
	sent, ok := c.followed[id]
	if !c.resumed || (!ok && !c.widget) {
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
		c.followed[id] = m.Seq
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
	clear(c.followed)
	c.followed[id] = 0
	if n := len(msgs); n > 0 {
		c.followed[id] = msgs[n-1].Seq
	}
	return thread.Replaced(thread.PageProps{Messages: msgs, More: more, ViewerID: c.user.ID, OlderURL: url}).Render(ctx, buf)
}

// directTarget reports whether a widget chat aimed at to (0: nobody) is a
// direct conversation with that person, rather than a support chat.
func (h *Handler) directTarget(ctx context.Context, to int64) (bool, error) {
	if to == 0 {
		return false, nil
	}
	agents, err := h.DB.AgentList(ctx)
	return !agents.Has(to), err
}

// resume rebuilds what the browser shows after it (re)connects: the thread
// of conversation id from afterSeq on (the widget with id 0: its newest
// conversation from the start, or its conversation with to) and the console's list.
func (c *client) resume(id, afterSeq, to int64) live.Job {
	return func(ctx context.Context) ([]byte, error) {
		var buf bytes.Buffer
		v, err := c.viewer(ctx)
		if err != nil {
			return nil, err
		}
		clear(c.followed)
		c.openID = 0
		c.resumed = true
		var conv chat.Conversation
		switch {
		case id != 0:
			conv, err = c.h.DB.ConversationFor(ctx, id, v)
		case c.widget:
			var direct bool
			if direct, err = c.h.directTarget(ctx, to); err == nil && direct {
				conv, err = c.h.DB.DirectConversation(ctx, c.user.ID, to)
			} else if err == nil {
				conv, err = c.h.DB.VisitorConversation(ctx, c.user.ID)
			}
		}
		switch {
		case err == nil && conv.ID != 0 && id == 0:
			err = c.replace(ctx, &buf, conv.ID)
		case err == nil && conv.ID != 0:
			c.openID = conv.ID
			c.followed[conv.ID] = afterSeq
			err = c.catchUp(ctx, &buf, conv.ID, conv.LastSeq, nil)
		}
		if err != nil && !isNotFound(err) {
			return nil, err
		}
		if err := c.renderList(ctx, &buf, v); err != nil {
			return nil, err
		}
		if err := c.renderMissedNotices(ctx, &buf, v); err != nil {
			return nil, err
		}
		if c.widget {
			view, err := c.h.loadQueueView(ctx)
			if err != nil {
				return nil, err
			}
			w := view.waitFor(c.user.ID)
			c.wait = &w
			if err := widget.WaitStatus(w).Render(ctx, &buf); err != nil {
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
			return render(ctx, console.Gone(id))
		}
		if err != nil {
			return nil, err
		}
		return render(ctx, console.Updated(s, s.ID == c.openID))
	}
}

// refused tells the browser why a frame was refused, and acknowledges a
// refused send so that it is not retried.
func (c *client) refused(clientMsgID, reason string) live.Job {
	comps := []templ.Component{thread.Refused(clientMsgID, reason)}
	if clientMsgID != "" {
		comps = append(comps, thread.Ack(clientMsgID))
	}
	return frameJob(comps...)
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

// waitUpdate shows the visitor their place in the queue, when it changed.
func (c *client) waitUpdate(w widget.Wait) live.Job {
	return func(ctx context.Context) ([]byte, error) {
		if c.wait != nil && *c.wait == w {
			return nil, nil
		}
		c.wait = &w
		return render(ctx, widget.WaitStatus(w))
	}
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
		ids := make([]int64, 0, len(c.followed)+1)
		for id := range c.followed {
			ids = append(ids, id)
		}
		if c.widget {
			conv, err := c.h.DB.VisitorConversation(ctx, c.user.ID)
			if err != nil && !isNotFound(err) {
				return nil, err
			}
			if _, ok := c.followed[conv.ID]; err == nil && !ok {
				ids = append(ids, conv.ID)
			}
		}
		for _, id := range ids {
			conv, err := c.h.DB.Conversation(ctx, id)
			if err != nil {
				return nil, err
			}
			if err := c.catchUp(ctx, &buf, id, conv.LastSeq, nil); err != nil {
				return nil, err
			}
		}
		v, err := c.viewer(ctx)
		if err != nil {
			return nil, err
		}
		if err := c.renderList(ctx, &buf, v); err != nil {
			return nil, err
		}
		return frameBytes(&buf), nil
	}
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
	return console.List(list, c.openID).Render(ctx, buf)
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
	ids, err := c.h.DB.NewlyAssigned(ctx, c.user.ID, c.h.now().Add(-noticeWindow))
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
