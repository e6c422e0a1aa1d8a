package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/live"
	"github.com/kefu-im/kefu/views/widget"
)

// Subprotocols: every live socket speaks kefu.v1; the widget also offers
// "kefu.token.<visitor token>", because a browser cannot set headers on a
// WebSocket handshake and a token in the URL would end up in access logs.
const (
	protocol      = "kefu.v1"
	tokenProtocol = "kefu.token."
)

// consoleLive is the console's socket, authenticated by the session cookie.
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
	h.serveSocket(w, r, &client{user: acct.User, agent: acct.Agent, csrf: h.Sessions.GetString(ctx, sessionCSRF), session: cookie.Value})
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
	h.serveSocket(w, r, &client{user: v, widget: true, userAgent: r.UserAgent()})
}

// serveSocket upgrades the request, registers c and runs it until it ends.
func (h *Handler) serveSocket(w http.ResponseWriter, r *http.Request, c *client) {
	// The server's read and write timeouts are for requests, not for a socket
	// that lives for hours; live.Conn bounds every write itself.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	if !h.sameOrigin(r) {
		h.fail(w, r, errCrossOrigin)
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols: []string{protocol},
		// sameOrigin has checked scheme, host and port; Accept's own check compares hosts only.
		InsecureSkipVerify: true,
	})
	if err != nil {
		return // Accept has answered the request.
	}
	h.mu.Lock()
	if h.closing {
		h.mu.Unlock()
		ws.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	h.sockets.Add(1)
	h.mu.Unlock()
	defer h.sockets.Done()
	c.h = h
	c.conn = live.NewConn(ws, h.Live)
	c.followed = make(map[int64]int64)
	h.clients.Add(c.user.ID, c)
	defer h.clients.Remove(c.user.ID, c)
	if !c.widget {
		// An agent's presence keeps them online for routing; anyone's open
		// console holds back their web push notifications.
		defer h.keepPresence(c)()
	}
	// The socket outlives the request: it ends with the server's base context.
	_ = c.conn.Run(h.Base, c.onFrame)
}

// inFrame is a frame from the browser.
type inFrame struct {
	Type           string `json:"type"` // send, read, resume
	ConversationID int64  `json:"conversation_id"`
	ClientMsgID    string `json:"client_msg_id"`
	Body           string `json:"body"`
	Seq            int64  `json:"seq"`
	To             int64  `json:"to"` // widget only: the person a new chat asks for

	// Widget only: the site embedding it, what a visitor starting a chat
	// gives (pre-chat fields, the page's context), and a rating.
	Site      int64             `json:"site"`
	SiteToken string            `json:"site_token"` // proves the page was served for Site
	Name      string            `json:"name"`
	Email     string            `json:"email"`
	Context   map[string]string `json:"context"`
	Rating    int               `json:"rating"`
	Comment   string            `json:"comment"`
}

// client is one live socket and what its browser shows.
type client struct {
	h      *Handler
	conn   *live.Conn
	user   chat.User
	widget bool
	agent  bool   // customer service when the socket opened: keeps the agent online
	csrf   string // the session's CSRF token, for forms in pushed fragments
	// session is the console's session token: the socket closes when that session ends.
	session string

	// followed maps each conversation whose thread the browser shows to the
	// newest seq sent to it. Only jobs touch it, on the writer goroutine.
	followed map[int64]int64
	// resumed is set by the browser's first resume frame, which says what it
	// shows. Until then no thread message is sent: an event handled before it
	// would be sent again by the resume's catch-up.
	resumed bool
	// openID is the conversation open in the console's pane.
	openID int64
	// wait is the queue status the widget shows now.
	wait *widget.Wait

	// Widget only, set by resume: the site embedding it (zero: none), the
	// person it is aimed at (0: customer service) and whether that is a
	// direct conversation; userAgent is the browser's, from the handshake.
	site      chat.Site
	to        int64
	direct    bool
	userAgent string
}

// onFrame handles one frame on the reader goroutine. Sends are stored here,
// in arrival order; what goes back to the browser goes through the queue.
func (c *client) onFrame(ctx context.Context, data []byte) {
	var f inFrame
	if err := json.Unmarshal(data, &f); err != nil {
		c.refuse("", chat.Invalid("frame", "That message could not be read. Reload the page."))
		return
	}
	if err := chat.ValidateUTF8(data); err != nil {
		c.refuse(f.ClientMsgID, err)
		return
	}
	var err error
	switch f.Type {
	case "send":
		err = c.send(ctx, f)
	case "read":
		err = c.read(ctx, f)
	case "resume":
		c.conn.Enqueue(c.resume(f))
	case "rate":
		err = c.rate(ctx, f)
	default:
		err = chat.Invalid("type", "Unknown frame type.")
	}
	if err != nil {
		c.refuse(f.ClientMsgID, err)
	}
}

// refuse tells the browser why a frame was refused; internal errors are logged, not shown.
func (c *client) refuse(clientMsgID string, err error) {
	status, _, msg := publicError(err)
	if status == http.StatusInternalServerError {
		c.h.Logger.Error("live frame failed", "user_id", c.user.ID, "err", err)
	}
	c.conn.Enqueue(c.refused(clientMsgID, msg))
}

func (c *client) viewer(ctx context.Context) (chat.Viewer, error) {
	if c.widget {
		return chat.Viewer{UserID: c.user.ID}, nil
	}
	agents, err := c.h.DB.AgentList(ctx)
	return chat.Viewer{UserID: c.user.ID, IsAgent: agents.Has(c.user.ID)}, err
}

// keepPresence records c's console socket while it lives: the presence row
// is refreshed three times per grace period and marked closed at the end,
// which starts an agent's grace period. It returns the function that ends it.
func (h *Handler) keepPresence(c *client) (stop func()) {
	cfg := h.Dispatcher.Config()
	socketID := auth.NewToken()
	touch := func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(h.Base), 5*time.Second)
		defer cancel()
		if err := h.DB.TouchPresence(ctx, socketID, c.user.ID, cfg.Now()); err != nil {
			h.Logger.Warn("agent presence failed", "user_id", c.user.ID, "err", err)
		}
	}
	// A routing profile first: presence without one would not make an agent eligible.
	if c.agent {
		if err := h.DB.EnsureAgent(h.Base, c.user.ID, cfg.Capacity); err != nil {
			h.Logger.Warn("agent profile failed", "user_id", c.user.ID, "err", err)
		}
	}
	touch()
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(cfg.Grace / 3)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				touch()
				h.closeIfSessionEnded(c)
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
		// The grace period starts now; the socket no longer holds back pushes.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(h.Base), 5*time.Second)
		defer cancel()
		if err := h.DB.ClosePresence(ctx, socketID, cfg.Now()); err != nil {
			h.Logger.Warn("agent presence failed", "user_id", c.user.ID, "err", err)
		}
	}
}
