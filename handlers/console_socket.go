package handlers

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/a-h/templ"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/live"
	"github.com/kefu-im/kefu/metrics"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/views/console"
)

// consoleSocket is one console tab's socket: it stores what the agent or
// member writes and reads, and keeps their list, open thread and queue
// panel current. Besides what the handshake set, its only state is the
// screen, which belongs to the writer goroutine; the reader goroutine
// (onFrame) keeps nothing of its own.
type consoleSocket struct {
	socket
	agent   bool   // customer service when the socket opened: keeps the agent online
	csrf    string // the session's CSRF token, for forms in pushed fragments
	session string // the session's token: the socket closes when that session ends
	// inbox is the list the page shows (its view, filter and first
	// item), as the socket's URL says: live changes keep to it.
	inbox console.Inbox

	frames frameHandlers
	typed  typingGate // reader goroutine only

	// screen is what the browser has been sent. Writer goroutine only.
	screen consoleScreen
}

// consoleScreen is what one console tab shows, as far as the server has told it.
type consoleScreen struct {
	threads    threadSeq // the open conversation's thread
	openID     int64     // the conversation open in the pane
	chatState  string    // where the open support chat stands on the page (console.ChatState.Key)
	chatLabels string    // the open chat's labels on the page (console.LabelsProps.Key)
	queueAt    time.Time // when the queue view the panel shows was loaded (see queueView.loaded)
	typist     int64     // who the open thread shows typing (0: nobody)
	seen       int64     // how far the open thread shows the other side has read it
	// marks are the member's pins and mutes, and total the unread badge
	// as last sent: a delivered message, whose summary is everyone's,
	// takes its pin and mute from marks, and adds to total, without a query,
	// unless counted says the last count had it already (store.DB.UnreadCounted).
	marks   store.ListMarks
	total   int64
	counted map[int64]int64
}

// consoleLive is the console's socket, authenticated by the session cookie.
// It speaks the member's language: their own choice, else their browser's
// (the language middleware's), as their pages do; every frame is rendered
// in it.
func (h *Handler) consoleLive(w http.ResponseWriter, r *http.Request) {
	cookie, err := r.Cookie(h.Sessions.Cookie.Name)
	if err != nil {
		h.fail(w, r, chat.ErrUnauthorized)
		return
	}
	ctx, err := h.Sessions.Load(r.Context(), cookie.Value)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	acct, err := h.account(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if acct.Language != "" {
		r = r.WithContext(i18n.With(r.Context(), i18n.For(acct.Language)))
	}
	// The page says which list it shows; the socket keeps to it.
	in, err := h.inboxFor(r.Context(), r.URL.Query(), acct.viewer())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	in.Sites, in.Labels, in.Agents = nil, nil, nil
	csrf := h.Sessions.GetString(ctx, sessionCSRF)
	h.hub.serve(w, r, func(conn *live.Conn) (func(context.Context, []byte), func()) {
		s := newConsoleSocket(h, conn, acct, csrf, cookie.Value)
		s.inbox = in
		h.hub.consoles.Add(s.user.ID, s)
		counted := h.Metrics.SocketOpened(metrics.Console)
		// An agent's presence keeps them online for routing; anyone's open
		// console holds back their web push notifications.
		stop := s.keepPresence()
		return s.onFrame, func() {
			stop()
			h.hub.consoles.Remove(s.user.ID, s)
			counted()
		}
	})
}

func newConsoleSocket(h *Handler, conn *live.Conn, acct account, csrf, session string) *consoleSocket {
	s := &consoleSocket{
		socket: socket{h: h, conn: conn, user: acct.User, deliveries: h.Metrics.Deliveries(metrics.Console)}, agent: acct.Agent, csrf: csrf, session: session,
		screen: consoleScreen{threads: newThreadSeq(h.hub.db, acct.ID, chat.ReaderAgent, historyURL)},
	}
	s.frames = frameHandlers{"send": s.send, "read": s.readFrame, "resume": s.onResume, "typing": s.typingFrame, "draft": s.draftFrame,
		"revoke": s.revokeFrame}
	s.typed = typingGate{}
	return s
}

// onFrame handles one frame on the reader goroutine. Sends and reads are
// stored here, in arrival order; what goes back to the browser goes through
// the queue.
func (s *consoleSocket) onFrame(ctx context.Context, data []byte) {
	f, err := s.frames.handle(ctx, data)
	if err == nil {
		return
	}
	if comps := s.refusal(i18n.From(ctx), f, err); comps != nil {
		s.conn.Enqueue(frameJob(comps...))
	}
}

func (s *consoleSocket) viewer(ctx context.Context) (chat.Viewer, error) {
	agents, err := s.h.DB.AgentList(ctx)
	return chat.Viewer{UserID: s.user.ID, IsAgent: agents.Has(s.user.ID)}, err
}

// send stores a message in a conversation the member may write in: a
// reply, or an agent's private note (kind "note").
func (s *consoleSocket) send(ctx context.Context, f inFrame) error {
	snd, err := s.newSend(f)
	if err != nil {
		return err
	}
	v, err := s.viewer(ctx)
	if err != nil {
		return err
	}
	conv, err := s.h.DB.ConversationFor(ctx, f.ConversationID, v)
	if err != nil {
		return err
	}
	snd.ConversationID = conv.ID
	if snd.Type, err = composedType(f.Kind, v.IsAgent, conv); err != nil {
		return err
	}
	msg, created, err := s.h.stored(s.h.DB.SendMessage(ctx, snd))
	if err != nil {
		return err
	}
	s.acknowledge(f, created, s.deliver(msg, nil))
	return nil
}

// onResume hands the writer what the browser says it shows.
func (s *consoleSocket) onResume(ctx context.Context, f inFrame) error {
	s.conn.Enqueue(s.resume(f))
	return nil
}

func (s *consoleSocket) readFrame(ctx context.Context, f inFrame) error {
	v, err := s.viewer(ctx)
	if err != nil {
		return err
	}
	return s.read(ctx, f, v)
}

// resume rebuilds what the browser shows after it (re)connects: the thread
// of conversation f.ConversationID from f.Seq on, the list, and for agents
// the queue and the notices of chats assigned while it was away.
func (s *consoleSocket) resume(f inFrame) live.Job {
	id, afterSeq := f.ConversationID, f.Seq
	return func(ctx context.Context) ([]byte, error) {
		var buf bytes.Buffer
		v, err := s.viewer(ctx)
		if err != nil {
			return nil, err
		}
		sc := &s.screen
		sc.threads.resume()
		sc.openID, sc.chatState, sc.chatLabels, sc.typist, sc.seen = 0, f.ChatState, f.ChatLabels, 0, 0
		if id != 0 {
			conv, err := s.h.DB.ConversationFor(ctx, id, v)
			if err == nil {
				sc.openID = conv.ID
				err = s.moderate(ctx, conv)
			}
			if err == nil {
				err = sc.threads.open(ctx, &buf, conv, afterSeq)
			}
			if err == nil {
				err = s.renderSeen(ctx, &buf, conv)
			}
			if err != nil && !isNotFound(err) {
				return nil, err
			}
		}
		if err := s.renderChatState(ctx, &buf, v); err != nil {
			return nil, err
		}
		if err := s.renderLabels(ctx, &buf, v); err != nil {
			return nil, err
		}
		if err := s.renderLists(ctx, &buf, v); err != nil {
			return nil, err
		}
		if err := s.renderTotal(ctx, &buf, v); err != nil {
			return nil, err
		}
		if err := s.renderMissedNotices(ctx, &buf, v); err != nil {
			return nil, err
		}
		return frameBytes(&buf), nil
	}
}

// moderate learns, when conv is a group, what the member may do to its
// messages (its owner and admins pin and revoke them), for the bubbles
// this socket sends of it: once, as the thread is opened.
func (s *consoleSocket) moderate(ctx context.Context, conv chat.Conversation) error {
	if conv.Kind != chat.Group {
		return nil
	}
	g, err := s.h.DB.GroupOf(ctx, conv.ID, s.user.ID)
	if err != nil {
		return err
	}
	if mod := moderation(conv.ID, g.RoleOf(s.user.ID), g.Pins); mod != nil {
		mod.CSRF = s.csrf
		s.screen.threads.moderate(conv.ID, mod)
	}
	return nil
}

// deliver shows msg (and any messages this screen missed before it) if the
// browser shows its thread, then moves the conversation up the list.
func (s *consoleSocket) deliver(msg chat.Message, sum *chat.Summary) live.Job {
	return func(ctx context.Context) ([]byte, error) {
		var buf bytes.Buffer
		sc := &s.screen
		if err := sc.threads.catchUp(ctx, &buf, msg.ConversationID, msg.Seq, &msg); err != nil {
			return nil, err
		}
		if msg.ConversationID == sc.openID {
			if err := typedSent(ctx, &sc.typist, &buf, msg); err != nil {
				return nil, err
			}
			if msg.Type == chat.System && msg.Code.ChangesGroupTop() {
				if err := s.groupTop(ctx, &buf, msg.ConversationID); err != nil {
					return nil, err
				}
			}
		}
		if sum != nil {
			if err := s.placeDelivered(ctx, &buf, *sum); err != nil {
				return nil, err
			}
			if err := s.countDelivered(ctx, &buf, msg, sum.Conversation); err != nil {
				return nil, err
			}
		}
		return s.delivered(ctx, msg, frameBytes(&buf)), nil
	}
}

// groupTop renders the top of group id as it now stands: its notice,
// pins and whether everyone is muted. A group the member has left shows
// nothing new.
func (s *consoleSocket) groupTop(ctx context.Context, buf *bytes.Buffer, id int64) error {
	g, err := s.h.DB.GroupOf(ctx, id, s.user.ID)
	if errors.Is(err, chat.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	panel := &console.GroupPanel{Viewer: g.RoleOf(s.user.ID), Notice: g.Notice, Pins: g.Pins, AllSilenced: g.AllSilenced}
	if s.screen.threads.follows(id) {
		// Bubbles sent from now on offer Pin or Unpin as the pins now stand.
		mod := moderation(id, panel.Viewer, g.Pins)
		if mod != nil {
			mod.CSRF = s.csrf
		}
		s.screen.threads.moderate(id, mod)
	}
	return console.GroupTopChanged(id, panel, s.csrf).Render(ctx, buf)
}

// resync catches the browser up after the bus may have missed events: the
// thread it shows, the list and the queue.
func (s *consoleSocket) resync() live.Job {
	return func(ctx context.Context) ([]byte, error) {
		var buf bytes.Buffer
		v, err := s.viewer(ctx)
		if err != nil {
			return nil, err
		}
		if err := s.screen.threads.catchUpAll(ctx, &buf, v); err != nil {
			return nil, err
		}
		if err := s.resyncSeen(ctx, &buf, s.screen.openID, &s.screen.seen); err != nil {
			return nil, err
		}
		if err := s.renderChatState(ctx, &buf, v); err != nil {
			return nil, err
		}
		if err := s.renderLabels(ctx, &buf, v); err != nil {
			return nil, err
		}
		if err := s.renderLists(ctx, &buf, v); err != nil {
			return nil, err
		}
		if err := s.renderTotal(ctx, &buf, v); err != nil {
			return nil, err
		}
		return frameBytes(&buf), nil
	}
}

// queueChanged shows an agent the changed queue, the cue for a chat that
// became theirs (unless they took it themselves), and where the changed
// chat stands now, with what they can do with it, when it is the one open.
func (s *consoleSocket) queueChanged(c queueChange) live.Job {
	return func(ctx context.Context) ([]byte, error) {
		ev := c.event
		var comps []templ.Component
		if !c.view.loaded.Before(s.screen.queueAt) { // else a later view is shown already
			s.screen.queueAt = c.view.loaded
			comps = append(comps, console.Queue(c.view.entries, s.csrf, c.view.loads[s.user.ID]))
		}
		if ev.Type == chat.EventAssigned && ev.UserID == s.user.ID && ev.By != s.user.ID {
			comps = append(comps, console.Assigned(ev.ConversationID, c.assignedTitle))
		}
		if c.state != nil {
			state := *c.state
			state.Agents, state.CSRF = transferTargets(c.agents, c.loads, s.user.ID, c.conv), s.csrf
			state.MaySnooze = mayDo(s.user.ID, s.user.IsAdmin, c.conv)
			if ev.ConversationID == s.screen.openID {
				s.screen.chatState = state.Key()
				comps = append(comps, console.StatusChanged(state))
			} else {
				comps = append(comps, console.NoticeOutdated(state))
			}
		}
		var buf bytes.Buffer
		for _, comp := range comps {
			if err := comp.Render(ctx, &buf); err != nil {
				return nil, err
			}
		}
		if ev.ConversationID != 0 {
			// The chat may have joined or left the list's view.
			if _, err := s.place(ctx, &buf, ev.ConversationID, true, &c.conv); err != nil {
				return nil, err
			}
			// And the agent's own list, with its unread.
			if c.conv.AssignedAgentID == s.user.ID || ev.UserID == s.user.ID || ev.By == s.user.ID {
				v, err := s.viewer(ctx)
				if err != nil {
					return nil, err
				}
				if err := s.recount(ctx, &buf, v); err != nil {
					return nil, err
				}
			}
		}
		return frameBytes(&buf), nil
	}
}

// renderChatState writes where the open support chat stands now, with what
// v can do with it, when the page shows it standing elsewhere: the page was
// read a moment before its socket opened, and the chat may have been
// assigned, taken or resolved in between, or while the socket was away.
func (s *consoleSocket) renderChatState(ctx context.Context, buf *bytes.Buffer, v chat.Viewer) error {
	if s.screen.openID == 0 {
		return nil
	}
	conv, err := s.h.DB.ConversationFor(ctx, s.screen.openID, v)
	if isNotFound(err) || (err == nil && conv.Kind != chat.Support) {
		return nil
	}
	if err != nil {
		return err
	}
	state, err := s.h.chatState(ctx, conv.ID, s.user, s.csrf)
	if err != nil || state.Key() == s.screen.chatState {
		return err // unchanged: a form being filled in stays as it is
	}
	state.Actions = v.IsAgent
	s.screen.chatState = state.Key()
	return console.StatusChanged(state).Render(ctx, buf)
}

// noticeWindow is how far back a (re)connecting console looks for
// assignment notices it may have missed, such as one made while its page
// reloaded after the agent set themselves available.
const noticeWindow = 15 * time.Second

// renderMissedNotices writes the notices for chats newly assigned to an agent and not yet answered.
func (s *consoleSocket) renderMissedNotices(ctx context.Context, buf *bytes.Buffer, v chat.Viewer) error {
	if !v.IsAgent {
		return nil
	}
	ids, err := s.h.DB.NewlyAssigned(ctx, s.user.ID, s.h.Now().Add(-noticeWindow))
	if err != nil {
		return err
	}
	for _, id := range ids {
		if id == s.screen.openID {
			continue // the chat is on screen already
		}
		sum, err := s.h.DB.SummaryOf(ctx, id)
		if err != nil {
			return err
		}
		if err := console.Assigned(id, sum.Title).Render(ctx, buf); err != nil {
			return err
		}
	}
	return nil
}
