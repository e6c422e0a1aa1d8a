package handlers

// Typing, both ways: a typing frame is relayed to the conversation's other
// side on every instance as an online-only signal (chat.SignalTyping, see
// live_signal.go), stored nowhere. A thread shows "… is typing" until
// live.js lets it lapse or the typist's message comes.

import (
	"bytes"
	"context"
	"time"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/live"
	"github.com/kefu-im/kefu/views/thread"
)

// typingEvery is how often a socket's typing in one conversation is relayed
// at most; frames in between are dropped, as typing is ephemeral and the
// browser sends a little less often than this.
const typingEvery = 2 * time.Second

// typingGate is when a socket last relayed typing in each conversation.
// Reader goroutine only.
type typingGate map[int64]time.Time

// pass reports whether typing in conversation id may be relayed at now, and
// if so counts it.
func (g typingGate) pass(id int64, now time.Time) bool {
	if last, ok := g[id]; ok && now.Sub(last) < typingEvery {
		return false
	}
	if len(g) >= 16 { // a console moves between conversations: forget the old ones
		for k, last := range g {
			if now.Sub(last) >= typingEvery {
				delete(g, k)
			}
		}
	}
	g[id] = now
	return true
}

// relayTyping tells the other side of conv, on every instance, that the
// socket's user is typing, with draft when it is to be shown ("": none).
// What the frame said of the conversation was checked by the caller.
func (s *socket) relayTyping(ctx context.Context, conv chat.Conversation, draft string) error {
	// The name as it is now: a visitor may have given theirs since the socket opened.
	u, err := s.h.DB.User(ctx, s.user.ID)
	if err != nil {
		return err
	}
	return s.h.DB.Announce(ctx, chat.Event{Type: chat.EventSignal, ConversationID: conv.ID, UserID: s.user.ID,
		Signal: &chat.Signal{Kind: chat.SignalTyping, Typing: &chat.Typing{Name: u.DisplayName(), Draft: draft}}})
}

// typingFrame handles a console's typing frame: a member typing in a
// conversation they may read.
func (s *consoleSocket) typingFrame(ctx context.Context, f inFrame) error {
	if !s.typed.pass(f.ConversationID, s.h.Now()) { // before any read: a flood costs nothing
		return nil
	}
	v, err := s.viewer(ctx)
	if err != nil {
		return err
	}
	conv, err := s.h.DB.ConversationFor(ctx, f.ConversationID, v)
	if err != nil {
		return err
	}
	return s.relayTyping(ctx, conv, "") // drafts are shown to agents, of visitors only
}

// typingFrame handles a widget's typing frame: the visitor typing in their
// own conversation, the one the widget is aimed at when the frame names
// none (before their first message there is none, and nobody to tell). Its
// draft goes along only when the chat's site shows drafts to agents.
func (s *widgetSocket) typingFrame(ctx context.Context, f inFrame) error {
	if !s.typed.pass(f.ConversationID, s.h.Now()) { // 0: the widget's own, whichever it is
		return nil
	}
	var conv chat.Conversation
	var err error
	if f.ConversationID != 0 {
		conv, err = s.h.DB.ConversationFor(ctx, f.ConversationID, s.viewer())
	} else {
		conv, err = s.aimedConversation(ctx, s.aim)
		if isNotFound(err) {
			return nil
		}
	}
	if err != nil {
		return err
	}
	draft := chat.Draft(f.Draft)
	if draft != "" && conv.Kind == chat.Support {
		on, err := s.h.DB.TypingPreview(ctx, conv.ID)
		if err != nil {
			return err
		}
		if !on {
			draft = ""
		}
	} else {
		draft = ""
	}
	return s.relayTyping(ctx, conv, draft)
}

// others returns conversation ev.ConversationID and the sockets on this
// instance of those who may see it, but for ev.UserID's own.
func (hb *hub) others(ctx context.Context, ev chat.Event) (chat.Conversation, []liveSocket, error) {
	if !hb.anyoneOnline() {
		return chat.Conversation{}, nil, nil
	}
	conv, err := hb.db.Conversation(ctx, ev.ConversationID)
	if err != nil {
		return conv, nil, err
	}
	ids, err := hb.recipients(ctx, conv)
	if err != nil {
		return conv, nil, err
	}
	var local []liveSocket
	done := map[int64]bool{ev.UserID: true}
	for _, id := range ids {
		if !done[id] {
			done[id] = true
			local = append(local, hb.forUser(id)...)
		}
	}
	return conv, local, nil
}

// typing shows, in the open thread, that someone is typing there; with
// their draft, which only agents' consoles are sent.
func (s *consoleSocket) typing(conv chat.Conversation, ev chat.Event) live.Job {
	return func(ctx context.Context) ([]byte, error) {
		sc := &s.screen
		if !sc.threads.resumed || sc.openID != conv.ID {
			return nil, nil
		}
		sc.typist = ev.UserID
		return render(ctx, thread.Typing(conv.ID, ev.Signal.Typing.Name, ev.Signal.Typing.Draft))
	}
}

// typing shows, in the widget's thread, that someone is typing there.
func (s *widgetSocket) typing(conv chat.Conversation, ev chat.Event) live.Job {
	return func(ctx context.Context) ([]byte, error) {
		sc := &s.screen
		if !sc.threads.resumed || sc.openID != conv.ID {
			return nil, nil
		}
		sc.typist = ev.UserID
		return render(ctx, thread.Typing(conv.ID, ev.Signal.Typing.Name, ""))
	}
}

// typedSent takes the typing line away when msg, just written to buf, is
// its typist's message: they stopped typing to send it. Writer goroutine.
func typedSent(ctx context.Context, typist *int64, buf *bytes.Buffer, msg chat.Message) error {
	if *typist == 0 || *typist != msg.SenderID || buf.Len() == 0 {
		return nil
	}
	*typist = 0
	return thread.NotTyping().Render(ctx, buf)
}
