package handlers

// What the hub shows of an open support chat's labels and snooze.

import (
	"bytes"
	"context"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/live"
	"github.com/kefu-im/kefu/views/console"
)

// onLabels shows the changed labels of ev's conversation (of every open
// chat, when a label itself changed) in the agents' consoles that show it.
func (hb *hub) onLabels(ev chat.Event) {
	for _, c := range hb.consoles.All() {
		if c.agent {
			// The open chat's header, and the list: the item's chips, and
			// a list of one label gains or loses the chat.
			c.conn.Enqueue(c.labelsChanged(ev.ConversationID))
			c.conn.Enqueue(c.listUpdate(ev.ConversationID, true))
		}
	}
}

// labelsChanged re-renders the open chat's labels, if it is chat id (0: any).
func (s *consoleSocket) labelsChanged(id int64) live.Job {
	return func(ctx context.Context) ([]byte, error) {
		open := s.screen.openID
		if open == 0 || (id != 0 && id != open) {
			return nil, nil
		}
		p, err := s.h.chatLabels(ctx, open, true, s.csrf)
		if err != nil {
			return nil, err
		}
		// Always drawn: the page may have changed in place since it said.
		s.screen.chatLabels = p.Key()
		return render(ctx, console.LabelsChanged(*p))
	}
}

// onWoke shows the line of a chat that woke in the consoles that show its
// thread, and tells its agent, with a sound. Where the chat stands now
// comes with the queue event announced beside it.
func (hb *hub) onWoke(ctx context.Context, ev chat.Event) error {
	consoles := hb.consoles.All()
	if len(consoles) == 0 {
		return nil
	}
	title := ""
	if len(hb.consoles.ForUser(ev.UserID)) > 0 {
		sum, err := hb.h.DB.SummaryOf(ctx, ev.ConversationID)
		if err != nil {
			return err
		}
		title = sum.Title
	}
	for _, c := range consoles {
		if c.agent {
			c.conn.Enqueue(c.woke(ev, title))
		}
	}
	return nil
}

// woke catches the chat's thread up to its wake line, where this console
// follows it, and tells the chat's agent.
func (s *consoleSocket) woke(ev chat.Event, title string) live.Job {
	return func(ctx context.Context) ([]byte, error) {
		var buf bytes.Buffer
		if s.screen.threads.follows(ev.ConversationID) {
			if err := s.screen.threads.catchUp(ctx, &buf, ev.ConversationID, ev.Seq, nil); err != nil {
				return nil, err
			}
		}
		if ev.UserID == s.user.ID {
			if err := console.Woke(ev.ConversationID, title).Render(ctx, &buf); err != nil {
				return nil, err
			}
		}
		return frameBytes(&buf), nil
	}
}

// renderLabels writes the open support chat's labels as they are now, for
// an agent's console that (re)connects: it may have missed their changes.
func (s *consoleSocket) renderLabels(ctx context.Context, buf *bytes.Buffer, v chat.Viewer) error {
	if s.screen.openID == 0 || !v.IsAgent {
		return nil
	}
	p, err := s.h.chatLabels(ctx, s.screen.openID, true, s.csrf)
	if err != nil || p.Key() == s.screen.chatLabels {
		return err // unchanged: a label being chosen stays chosen
	}
	s.screen.chatLabels = p.Key()
	return console.LabelsChanged(*p).Render(ctx, buf)
}
