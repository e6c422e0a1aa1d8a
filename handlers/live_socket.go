package handlers

// What the console's and the widget's sockets share: the handshake's
// subprotocols, the frames a browser sends, how a refused frame is answered
// and how fragments become a frame.

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/a-h/templ"
	"github.com/coder/websocket"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/live"
	"github.com/kefu-im/kefu/metrics"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/views/thread"
)

// Subprotocols: every live socket speaks kefu.v1; the widget also offers
// "kefu.token.<visitor token>", because a browser cannot set headers on a
// WebSocket handshake and a token in the URL would end up in access logs.
const (
	protocol      = "kefu.v1"
	tokenProtocol = "kefu.token."
)

// sameOriginOnly refuses a socket handshake from any page but kefu's own
// (403), before its credentials are looked at.
func (h *Handler) sameOriginOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.sameOrigin(r) {
			h.fail(w, r, errCrossOrigin)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// inFrame is a frame from the browser.
type inFrame struct {
	Type           string `json:"type"` // send, read, resume, typing, revoke; the console's draft; the widget's rate
	ConversationID int64  `json:"conversation_id"`
	ClientMsgID    string `json:"client_msg_id"`
	Body           string `json:"body"` // a send's message; a draft's text
	// Kind is, in a console's send, what is sent: "" a reply, "note" an
	// agent's private note.
	Kind string `json:"kind"`
	Seq  int64  `json:"seq"`
	// MessageID is the message a revoke frame revokes.
	MessageID int64 `json:"message_id"`
	To        int64 `json:"to"` // widget only: the person a new chat asks for
	// ChatState is, in a console's resume, where the open support chat
	// stands on its page (console.ChatState.Key).
	ChatState string `json:"chat_state"`
	// ChatLabels is, likewise, the open chat's labels as its page shows
	// them (console.LabelsProps.Key).
	ChatLabels string `json:"chat_labels"`

	// Widget only: the site embedding it, what a visitor starting a chat
	// gives (pre-chat fields, the page's context), and a rating.
	Site      int64             `json:"site"`
	SiteToken string            `json:"site_token"` // proves the page was served for Site
	Name      string            `json:"name"`
	Email     string            `json:"email"`
	Context   map[string]string `json:"context"`
	Rating    int               `json:"rating"`
	Comment   string            `json:"comment"`
	// Draft is what a visitor typing has typed so far, in a typing frame
	// from a site that shows it to agents.
	Draft string `json:"draft"`
}

// decodeFrame reads one frame from the browser.
func decodeFrame(data []byte) (inFrame, error) {
	var f inFrame
	if err := json.Unmarshal(data, &f); err != nil {
		return f, chat.Invalid("frame", "error.frame.unreadable")
	}
	return f, chat.ValidateUTF8(data)
}

// frameHandlers maps each frame type a socket takes to what handles it on
// the reader goroutine.
type frameHandlers map[string]func(context.Context, inFrame) error

// handle decodes one frame and hands it to its handler. It returns the
// frame and why it failed.
func (fh frameHandlers) handle(ctx context.Context, data []byte) (inFrame, error) {
	f, err := decodeFrame(data)
	if err != nil {
		return f, err
	}
	if run, ok := fh[f.Type]; ok {
		return f, run(ctx, f)
	}
	return f, chat.Invalid("type", "error.frame.type")
}

// socket is what a console socket and a widget socket share: who is on it
// and the connection. Its fields are set at the handshake and never change,
// so both of the socket's goroutines read them freely. What the browser
// says belongs to the reader goroutine (onFrame), what the browser has been
// sent to the writer goroutine (the connection's jobs); each socket type
// keeps the two apart, and the reader hands the writer what it needs inside
// jobs.
type socket struct {
	h          *Handler
	conn       *live.Conn
	user       chat.User
	deliveries metrics.Deliveries // counts the messages delivered here
}

func (s *socket) connection() *live.Conn { return s.conn }

// delivered returns frame, the frame of a job delivering msg, and, when it
// is not nil, counts msg as delivered once the frame is written.
func (s *socket) delivered(ctx context.Context, msg chat.Message, frame []byte) []byte {
	if frame != nil {
		created := msg.CreatedAt
		live.OnWritten(ctx, func() { s.deliveries.Written(created) })
	}
	return frame
}

// newSend checks a send frame and returns the message it asks to store.
func (s *socket) newSend(f inFrame) (store.Send, error) {
	if err := chat.ValidateClientMsgID(f.ClientMsgID); err != nil {
		return store.Send{}, err
	}
	body, err := chat.ValidateBody(f.Body)
	if err != nil {
		return store.Send{}, err
	}
	return store.Send{SenderID: s.user.ID, ClientMsgID: f.ClientMsgID, Body: body}, nil
}

// acknowledge answers a stored send. The bubble itself reaches every
// screen, this one included, as an event (this instance's own through its
// live.Loopback, the others' through the bus); a resent frame's message may
// never have reached this one, so redeliver shows it here.
func (s *socket) acknowledge(f inFrame, created bool, redeliver live.Job) {
	if !created {
		s.conn.Enqueue(redeliver)
	}
	s.conn.Enqueue(frameJob(thread.Ack(f.ClientMsgID)))
}

// read records how far v has read the conversation a read frame names.
func (s *socket) read(ctx context.Context, f inFrame, v chat.Viewer) error {
	conv, err := s.h.DB.ConversationFor(ctx, f.ConversationID, v)
	if err != nil {
		return err
	}
	return s.h.DB.MarkRead(ctx, conv.ID, s.user.ID, f.Seq)
}

// sayNotStored is what the sender of a message is told when storing it
// failed in a way that trying again would not mend (a message id).
const sayNotStored = "error.notStored"

// refusal answers a frame that failed, and returns what the browser is to
// be shown, or nil when it has been answered. A frame refused for good is
// acknowledged with the reason, in loc's language (the socket's reader's).
// When the fault is ours and passing (the database unreachable or
// restarting, a timeout: store.Transient), a message is not acknowledged
// but handed back to be sent again with the same client_msg_id; any other
// failure to store it is refused for good, or the browser would send it
// again forever. A resume that fails is
// answered by closing the socket, so that the browser reconnects and
// resumes. Internal errors are logged, not shown.
func (s *socket) refusal(loc *i18n.Localizer, f inFrame, err error) []templ.Component {
	status, _, msg := publicError(loc, err)
	if status == http.StatusInternalServerError {
		s.h.Logger.Error("live frame failed", "user_id", s.user.ID, "type", f.Type, "err", err)
		switch {
		case f.Type == "send" && f.ClientMsgID != "" && store.Transient(err):
			s.conn.Enqueue(frameJob(thread.Retry(f.ClientMsgID)))
			return nil
		case f.Type == "send":
			msg = loc.T(sayNotStored)
		case f.Type == "resume":
			s.conn.Close(websocket.StatusInternalError, "server error: reconnect and resume")
			return nil
		case f.Type == "read":
			return nil // the next read says it again
		case f.Type == "draft":
			return nil // the next keystroke saves it again
		}
	}
	// A refused send is acknowledged so that it is not retried: the browser
	// keeps its text in the composer, with the reason beside it.
	comps := []templ.Component{thread.Refused(f.ClientMsgID, msg)}
	if f.ClientMsgID != "" {
		comps = append(comps, thread.Ack(f.ClientMsgID))
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
