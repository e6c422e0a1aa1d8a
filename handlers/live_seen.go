package handlers

// "Seen": how far the other side has read a thread, shown under the
// reader's own last message; in a group, "Read by N" under each of one's
// own messages, with who. It comes from the stored read positions when a
// thread is shown (a resume), and from read events while it is.

import (
	"bytes"
	"context"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/live"
	"github.com/kefu-im/kefu/views/thread"
)

// onSeen shows a read to the others on this instance who see the conversation.
func (hb *hub) onSeen(ctx context.Context, ev chat.Event) error {
	conv, local, err := hb.others(ctx, ev)
	if err != nil || len(local) == 0 {
		return err
	}
	marks, err := hb.db.ReadMarks(ctx, conv) // once for every socket: a group's
	if err != nil {
		return err
	}
	for _, c := range local {
		c.connection().Enqueue(c.seen(conv, ev, marks))
	}
	return nil
}

// seenJob shows that ev's reader has read conv up to ev.Seq, on a screen
// that shows conv as open, to viewerID, who last showed it read up to *seen;
// in a group, with every member's mark.
func seenJob(conv chat.Conversation, ev chat.Event, marks []chat.ReadMark, viewerID int64, openID func() int64, seen *int64) live.Job {
	return func(ctx context.Context) ([]byte, error) {
		if openID() != conv.ID || !conv.SeenBy(viewerID, ev.UserID) || (ev.Seq <= *seen && marks == nil) {
			return nil, nil
		}
		*seen = max(*seen, ev.Seq)
		return render(ctx, thread.Seen(conv.ID, *seen, marks, viewerID))
	}
}

func (s *consoleSocket) seen(conv chat.Conversation, ev chat.Event, marks []chat.ReadMark) live.Job {
	sc := &s.screen
	return seenJob(conv, ev, marks, s.user.ID, func() int64 { return sc.openID }, &sc.seen)
}

func (s *widgetSocket) seen(conv chat.Conversation, ev chat.Event, marks []chat.ReadMark) live.Job {
	sc := &s.screen
	return seenJob(conv, ev, marks, s.user.ID, func() int64 { return sc.openID }, &sc.seen)
}

// renderSeenOf writes how far the other side has read conv, as stored, for
// a thread just shown, and keeps it in *seen. Writer goroutine.
func (s *socket) renderSeenOf(ctx context.Context, buf *bytes.Buffer, conv chat.Conversation, seen *int64) error {
	if conv.ID == 0 {
		return nil
	}
	seq, err := s.h.DB.SeenUpTo(ctx, conv, s.user.ID)
	if err != nil {
		return err
	}
	marks, err := s.h.DB.ReadMarks(ctx, conv)
	if err != nil {
		return err
	}
	*seen = seq
	return thread.Seen(conv.ID, seq, marks, s.user.ID).Render(ctx, buf)
}

// renderSeen writes how far the other side has read conv, the thread just shown.
func (s *consoleSocket) renderSeen(ctx context.Context, buf *bytes.Buffer, conv chat.Conversation) error {
	return s.renderSeenOf(ctx, buf, conv, &s.screen.seen)
}

// renderSeen writes how far customer service has read conv, the thread just shown.
func (s *widgetSocket) renderSeen(ctx context.Context, buf *bytes.Buffer, conv chat.Conversation) error {
	return s.renderSeenOf(ctx, buf, conv, &s.screen.seen)
}

// resyncSeen writes how far the other side has read the open thread (id;
// 0: none), after the bus may have missed a read.
func (s *socket) resyncSeen(ctx context.Context, buf *bytes.Buffer, id int64, seen *int64) error {
	if id == 0 {
		return nil
	}
	conv, err := s.h.DB.Conversation(ctx, id)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.renderSeenOf(ctx, buf, conv, seen)
}
