package handlers

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/live"
	"github.com/kefu-im/kefu/metrics"
	"github.com/kefu-im/kefu/views/thread"
	"github.com/kefu-im/kefu/views/widget"
)

// widgetSocket is one widget's socket: a visitor's, aimed at customer
// service or at one person, showing one conversation. Its state has one
// owner each: aim belongs to the reader goroutine (onFrame), which keeps
// what the browser's last resume said for the sends that follow; the screen
// belongs to the writer goroutine (the jobs), which gets its copy of the
// aim inside the resume job.
type widgetSocket struct {
	socket
	userAgent string // the browser's, from the handshake
	addr      string // the client's address, from the handshake
	frames    frameHandlers

	// aim is what the widget is for, as the browser's last resume said.
	// Reader goroutine only.
	aim   aim
	typed typingGate // reader goroutine only

	// screen is what the browser has been sent. Writer goroutine only.
	screen widgetScreen
}

// widgetScreen is what one widget shows, as far as the server has told it.
type widgetScreen struct {
	threads threadSeq
	// openID is the conversation the widget shows; 0 until it has one.
	openID int64
	// aim is the widget's aim as of its last resume.
	aim aim
	// wait is the queue status the widget shows now; anyone, whether it
	// knew anyone to be available; prechat, its pre-chat fields; closed, why
	// it shows that chat is unavailable ("": it does not).
	wait    *widget.Wait
	anyone  bool
	viewAt  time.Time // when the queue view behind wait and anyone was loaded
	prechat *chat.Prechat
	closed  *string
	// outside is whether the widget's site is outside its business hours,
	// as it was told at the last resume or opening or closing, and back
	// when the team is back, which the widget then says (widget_hours.go).
	outside bool
	back    string
	// blocked is whether an agent blocked the visitor (or their address),
	// as the store said at the last resume or a refused send.
	blocked bool
	// rating is whether the widget shows the rating form of its chat, or the thanks for it.
	rating bool
	// transcript is whether the widget offers its chat's transcript by email (widget_transcript.go).
	transcript bool
	// home is whether the browser has its home, which then is kept live (widget_home.go).
	home   bool
	typist int64 // who the thread shows typing (0: nobody)
	seen   int64 // how far the thread shows customer service has read it
}

// widgetLive is the widget's socket, authenticated by the visitor token.
func (h *Handler) widgetLive(w http.ResponseWriter, r *http.Request) {
	var token string
	for _, p := range strings.Split(r.Header.Get("Sec-WebSocket-Protocol"), ",") {
		if t, ok := strings.CutPrefix(strings.TrimSpace(p), tokenProtocol); ok {
			token = t
		}
	}
	v, err := h.visitor(r, token)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// The socket speaks the language its page asked for, else the browser's.
	r = r.WithContext(thread.FetchedByScript(i18n.With(r.Context(), widgetLanguage(r, chat.Site{}))))
	h.hub.serve(w, r, func(conn *live.Conn) (func(context.Context, []byte), func()) {
		s := newWidgetSocket(h, conn, v, r.UserAgent())
		s.addr = clientAddr(r)
		h.hub.widgets.Add(s.user.ID, s)
		counted := h.Metrics.SocketOpened(metrics.Widget)
		unseen := s.keepWidgetSeen(i18n.From(r.Context()).Lang())
		return s.onFrame, func() {
			h.hub.widgets.Remove(s.user.ID, s)
			unseen()
			counted()
		}
	})
}

func newWidgetSocket(h *Handler, conn *live.Conn, visitor chat.User, userAgent string) *widgetSocket {
	s := &widgetSocket{
		socket: socket{h: h, conn: conn, user: visitor, deliveries: h.Metrics.Deliveries(metrics.Widget)}, userAgent: userAgent,
		screen: widgetScreen{threads: newThreadSeq(h.hub.db, visitor.ID, chat.ReaderVisitor, widgetHistoryURL)},
	}
	s.frames = frameHandlers{"send": s.send, "read": s.readFrame, "resume": s.onResume, "rate": s.rate, "home": s.onHome, "typing": s.typingFrame,
		"revoke": s.revokeFrame, "transcript": s.transcriptFrame}
	s.typed = typingGate{}
	return s
}

// onFrame handles one frame on the reader goroutine. Sends are stored here,
// in arrival order; what goes back to the browser goes through the queue.
func (s *widgetSocket) onFrame(ctx context.Context, data []byte) {
	f, err := s.frames.handle(ctx, data)
	if err == nil {
		return
	}
	loc := i18n.From(ctx)
	comps := s.refusal(loc, f, err)
	if errors.Is(err, chat.ErrChatUnavailable) {
		s.conn.Enqueue(s.showBlocked())
	}
	var needed *fieldsNeeded
	var field *chat.ValidationError
	switch {
	case comps == nil:
	case errors.As(err, &needed) && errors.As(needed.err, &field):
		// The reason goes beside its field, not under the composer.
		_, _, reason := publicError(loc, needed.err)
		comps = []templ.Component{thread.Refused(f.ClientMsgID, "")}
		if f.ClientMsgID != "" {
			comps = append(comps, thread.Ack(f.ClientMsgID))
		}
		s.conn.Enqueue(s.showPrechat(needed.rules, comps, widget.FieldError(field.Field, reason)))
	default:
		s.conn.Enqueue(frameJob(comps...))
	}
}

func (s *widgetSocket) viewer() chat.Viewer { return chat.Viewer{UserID: s.user.ID} }

func (s *widgetSocket) readFrame(ctx context.Context, f inFrame) error {
	return s.read(ctx, f, s.viewer())
}

// onResume keeps what the resume frame says the widget is aimed at, for the
// sends that follow, and hands the writer its copy with the resume.
func (s *widgetSocket) onResume(ctx context.Context, f inFrame) error {
	a, err := s.resolveAim(ctx, f)
	if err != nil {
		return err
	}
	s.aim = a
	s.conn.Enqueue(s.resume(f, a))
	return nil
}

// send stores a visitor's message: see storeMessage.
func (s *widgetSocket) send(ctx context.Context, f inFrame) error {
	snd, err := s.newSend(f)
	if err != nil {
		return err
	}
	snd.Address = s.addr
	msg, created, err := s.storeMessage(ctx, f, snd)
	if err != nil {
		return err
	}
	s.acknowledge(f, created, s.deliver(msg, nil))
	return nil
}

// resume rebuilds what the widget shows after it (re)connects or is aimed
// anew: the thread of conversation f.ConversationID from f.Seq on; with no
// conversation id, its conversation from the start (the direct one with the
// person it is aimed at when that person is not customer service, else its
// newest support chat); and what goes with it (queue status, pre-chat
// fields, a rating). a is the aim the reader resolved.
func (s *widgetSocket) resume(f inFrame, a aim) live.Job {
	id, afterSeq := f.ConversationID, f.Seq
	return func(ctx context.Context) ([]byte, error) {
		var buf bytes.Buffer
		sc := &s.screen
		sc.threads.resume()
		sc.openID = 0
		sc.aim = a
		sc.rating, sc.transcript, sc.typist, sc.seen = false, false, 0, 0
		conv, err := s.resumeThread(ctx, &buf, id, afterSeq)
		if err == nil {
			err = s.renderSeen(ctx, &buf, conv)
		}
		if err != nil && !isNotFound(err) {
			return nil, err
		}
		if err := s.renderState(ctx, &buf, conv); err != nil {
			return nil, err
		}
		if err := s.renderAimed(ctx, &buf); err != nil {
			return nil, err
		}
		return frameBytes(&buf), nil
	}
}

// resumeThread shows the widget's thread as the resume asks: conversation
// id from afterSeq on, or with id 0 the widget's conversation, if any, from
// its newest page. It returns the conversation shown (zero: none).
func (s *widgetSocket) resumeThread(ctx context.Context, buf *bytes.Buffer, id, afterSeq int64) (chat.Conversation, error) {
	sc := &s.screen
	if id != 0 {
		conv, err := s.h.DB.ConversationFor(ctx, id, s.viewer())
		if err != nil {
			return chat.Conversation{}, err
		}
		sc.openID = conv.ID
		return conv, sc.threads.open(ctx, buf, conv, afterSeq)
	}
	conv, err := s.conversation(ctx)
	if err != nil {
		return chat.Conversation{}, err
	}
	sc.openID = conv.ID
	return conv, sc.threads.replace(ctx, buf, conv.ID)
}

// deliver shows msg, and any messages the widget missed before it, when it
// belongs in the widget's one conversation; and its row on the home.
func (s *widgetSocket) deliver(msg chat.Message, sum *chat.Summary) live.Job {
	return func(ctx context.Context) ([]byte, error) {
		sc := &s.screen
		id := msg.ConversationID
		if !sc.wants(id, sum) {
			var buf bytes.Buffer
			if err := s.homeChanged(ctx, &buf, sum, false); err != nil {
				return nil, err
			}
			return frameBytes(&buf), nil
		}
		if sc.openID == 0 {
			sc.openID = id // the widget's first message started it
		}
		// Agents' private notes, and the lines about how the team shares
		// chats out, never reach a visitor; the gap they leave in seq is
		// filled from the database without them.
		if !chat.ReaderVisitor.Sees(msg) {
			return nil, nil
		}
		// The widget shows its conversation whole, from its first message.
		if !sc.threads.follows(id) {
			sc.threads.follow(id, 0)
		}
		var buf bytes.Buffer
		if err := sc.threads.catchUp(ctx, &buf, id, msg.Seq, &msg); err != nil {
			return nil, err
		}
		if err := s.homeChanged(ctx, &buf, sum, true); err != nil {
			return nil, err
		}
		if err := typedSent(ctx, &sc.typist, &buf, msg); err != nil {
			return nil, err
		}
		return s.delivered(ctx, msg, frameBytes(&buf)), nil
	}
}

// resync catches the widget up after the bus may have missed events: its
// thread, or a newer conversation of its visitor.
func (s *widgetSocket) resync() live.Job {
	return func(ctx context.Context) ([]byte, error) {
		sc := &s.screen
		if sc.threads.resumed {
			conv, err := s.conversation(ctx)
			if err != nil && !isNotFound(err) {
				return nil, err
			}
			if err == nil && !sc.threads.follows(conv.ID) {
				sc.threads.follow(conv.ID, 0)
			}
		}
		var buf bytes.Buffer
		if err := sc.threads.catchUpAll(ctx, &buf, s.viewer()); err != nil {
			return nil, err
		}
		if err := s.resyncSeen(ctx, &buf, sc.openID, &sc.seen); err != nil {
			return nil, err
		}
		return frameBytes(&buf), nil
	}
}

// rate stores the visitor's rating of their resolved chat and thanks them.
func (s *widgetSocket) rate(ctx context.Context, f inFrame) error {
	if err := s.h.DB.RateConversation(ctx, s.user.ID, f.ConversationID, f.Rating, f.Comment); err != nil {
		return err
	}
	s.conn.Enqueue(func(ctx context.Context) ([]byte, error) {
		s.screen.rating = true // the thanks, until the chat reopens
		return render(ctx, widget.Rated())
	})
	return nil
}
