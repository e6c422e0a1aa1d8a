package handlers

// The console socket's list: where a conversation stands in the view the
// page shows, its item placed, moved or taken out, the views' counts and
// the total unread badge.

import (
	"bytes"
	"context"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/live"
	"github.com/kefu-im/kefu/views/console"
)

// placeDelivered places conversation sum, whose message was just
// delivered, in the list: where its activity puts it when the list's view
// holds it, nowhere when not. The delivery says all the list needs, so no
// query is made, unless the list is of one site, which it does not say.
// Who looks is who opened the socket: a member who joins or leaves
// customer service has their sockets closed, to open again as they are now.
func (s *consoleSocket) placeDelivered(ctx context.Context, buf *bytes.Buffer, sum chat.Summary) error {
	v := chat.Viewer{UserID: s.user.ID, IsAgent: s.agent}
	if at, ok := s.screen.marks.Pinned[sum.ID]; ok && sum.PinnedAt == nil {
		sum.PinnedAt = &at
	}
	sum.Muted = sum.Muted || s.screen.marks.Muted[sum.ID]
	holds, known := inbox(s.inbox).Holds(v, sum.Conversation, sum.Labels)
	var err error
	switch {
	case !known:
		_, err = s.place(ctx, buf, sum.ID, false, &sum.Conversation)
	case holds:
		err = console.Placed(sum, sum.ID == s.screen.openID, s.inbox.Listing).Render(ctx, buf)
	default:
		err = console.Gone(sum.ID).Render(ctx, buf)
	}
	return err
}

// countDelivered adds msg to the total unread badge when it counts there:
// another's message, said, in a conversation of the member's own list
// (Mine) that they did not mute and do not have open, and that the last
// count did not have already: a count made between the message's commit and
// its delivery has it. A hidden one is shown again by the message. A read
// counts again (listUpdate), unless there is nothing to take away.
func (s *consoleSocket) countDelivered(ctx context.Context, buf *bytes.Buffer, msg chat.Message, conv chat.Conversation) error {
	v := chat.Viewer{UserID: s.user.ID, IsAgent: s.agent}
	if msg.SenderID == s.user.ID || !msg.Type.Said() || s.screen.marks.Muted[conv.ID] || s.screen.total >= chat.UnreadCap ||
		conv.ID == s.screen.openID { // read as it shows, as its list item says
		return nil
	}
	if mine, _ := (chat.Inbox{View: chat.ViewMine}).Holds(v, conv, nil); !mine {
		return nil
	}
	if msg.Seq <= s.screen.counted[conv.ID] { // the last count had it
		return nil
	}
	s.screen.total++
	return console.UnreadChanged(s.screen.total).Render(ctx, buf)
}

// renderTotal counts the member's total unread, and their pins and mutes,
// again, and writes the badge.
func (s *consoleSocket) renderTotal(ctx context.Context, buf *bytes.Buffer, v chat.Viewer) error {
	marks, err := s.h.DB.Marks(ctx, s.user.ID)
	if err != nil {
		return err
	}
	s.screen.marks = marks
	return s.recount(ctx, buf, v)
}

// recount counts the member's total unread again and writes the badge.
func (s *consoleSocket) recount(ctx context.Context, buf *bytes.Buffer, v chat.Viewer) error {
	n, counted, err := s.h.DB.UnreadCounted(ctx, v)
	if err != nil {
		return err
	}
	s.screen.total, s.screen.counted = n, counted
	return console.UnreadChanged(n).Render(ctx, buf)
}

// marked shows conversation id as the member now marks it: pinned in its
// place or hidden from the list, the pin form of an open thread, and the
// total unread, which a mute or a hide changes.
func (s *consoleSocket) marked(id int64) live.Job {
	return func(ctx context.Context) ([]byte, error) {
		v, err := s.viewer(ctx)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := s.renderTotal(ctx, &buf, v); err != nil {
			return nil, err
		}
		if _, err := s.place(ctx, &buf, id, true, nil); err != nil {
			return nil, err
		}
		if id == s.screen.openID {
			_, pinned := s.screen.marks.Pinned[id]
			if err := console.PinChanged(id, pinned, s.csrf).Render(ctx, &buf); err != nil {
				return nil, err
			}
		}
		return frameBytes(&buf), nil
	}
}

// listUpdate re-renders the list item of conversation id after a read
// (in place), or after its members changed (in its place, if it joined the
// list, with the views' counts).
func (s *consoleSocket) listUpdate(id int64, members bool) live.Job {
	return func(ctx context.Context) ([]byte, error) {
		v, err := s.viewer(ctx)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		var listed bool
		if members {
			listed, err = s.place(ctx, &buf, id, true, nil)
		} else {
			listed, err = s.updated(ctx, &buf, v, id)
		}
		if err != nil {
			return nil, err
		}
		if members || s.screen.total > 0 { // a read takes away, if anything
			if err := s.recount(ctx, &buf, v); err != nil {
				return nil, err
			}
		}
		if !listed {
			if _, err := s.h.DB.ConversationFor(ctx, id, v); isNotFound(err) {
				// No longer theirs to see: they left or were removed from a group.
				s.screen.threads.forget(id)
			} else if err != nil {
				return nil, err
			}
		}
		return frameBytes(&buf), nil
	}
}

// updated re-renders conversation id's list item where it is, if the list
// shows it, and reports whether the list's view holds the chat.
func (s *consoleSocket) updated(ctx context.Context, buf *bytes.Buffer, v chat.Viewer, id int64) (bool, error) {
	sum, err := s.h.hub.db.InboxItem(ctx, v, inbox(s.inbox), id)
	if isNotFound(err) {
		return false, console.Gone(id).Render(ctx, buf)
	}
	if err != nil {
		return false, err
	}
	return true, console.Updated(sum, sum.ID == s.screen.openID, s.inbox.Listing).Render(ctx, buf)
}

// place puts conversation id where it belongs in the list the page shows,
// or takes it out when it is not (or no longer) in its view; with counts,
// the views' counts follow. The rest of the list stays as it is, and so
// does where the person has scrolled it to. A chat whose state (conv, when
// known) keeps it out of the view costs no query: most of an agent's Mine
// is not the chat that changed.
// It reports whether the view holds the chat.
func (s *consoleSocket) place(ctx context.Context, buf *bytes.Buffer, id int64, counts bool, conv *chat.Conversation) (bool, error) {
	v, err := s.viewer(ctx)
	if err != nil {
		return false, err
	}
	var sum chat.Summary
	if conv != nil && inbox(s.inbox).Excludes(v, *conv) {
		err = chat.ErrNotFound
	} else {
		sum, err = s.h.hub.db.InboxItem(ctx, v, inbox(s.inbox), id)
	}
	listed := err == nil
	switch {
	case isNotFound(err):
		err = console.Gone(id).Render(ctx, buf)
	case err == nil:
		err = console.Placed(sum, sum.ID == s.screen.openID, s.inbox.Listing).Render(ctx, buf)
	}
	if err != nil || !counts || !v.IsAgent {
		return listed, err
	}
	n, err := s.h.hub.db.InboxCounts(ctx, v, s.inbox.Filter)
	if err != nil {
		return listed, err
	}
	return listed, console.Counts(n).Render(ctx, buf)
}

// renderLists writes the conversation list as v sees it and, for an agent,
// the queue panel: a console that (re)connects may have missed their changes.
func (s *consoleSocket) renderLists(ctx context.Context, buf *bytes.Buffer, v chat.Viewer) error {
	l, err := s.h.loadConsoleLists(ctx, v, s.inbox)
	if err != nil {
		return err
	}
	if err := console.List(l.conversations, s.screen.openID, l.inbox).Render(ctx, buf); err != nil {
		return err
	}
	if !v.IsAgent {
		return nil
	}
	s.screen.queueAt = l.queueAt
	return console.Queue(l.queue, s.csrf, l.load).Render(ctx, buf)
}
