package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/live"
	"github.com/kefu-im/kefu/views/thread"
	"github.com/kefu-im/kefu/views/widget"
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
	c.screen.followed = make(map[int64]int64)
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

// client is one live socket and what its browser shows. Its state has one
// owner each: the fields set at the handshake never change; aim belongs to
// the reader goroutine (onFrame), which stores what the browser sends; the
// screen belongs to the writer goroutine (the jobs), which renders what the
// browser is sent. The reader hands the writer what it needs inside jobs.
type client struct {
	h         *Handler
	conn      *live.Conn
	user      chat.User
	widget    bool
	agent     bool   // customer service when the socket opened: keeps the agent online
	csrf      string // the session's CSRF token, for forms in pushed fragments
	session   string // the console's session token: the socket closes when that session ends
	userAgent string // widget only: the browser's, from the handshake

	// aim is what the widget is for, as the browser's last resume said.
	// Reader goroutine only.
	aim aim

	// screen is what the browser has been sent. Writer goroutine only.
	screen screen
}

// aim is what a widget is for: the site embedding it (zero: none), the
// person it is aimed at (0: customer service) and whether that is a direct
// conversation rather than a support chat.
type aim struct {
	site   chat.Site
	to     int64
	direct bool
}

// screen is what one browser shows, as far as the server has told it.
type screen struct {
	// followed maps each conversation whose thread the browser shows to the
	// newest seq sent to it.
	followed map[int64]int64
	// resumed is set by the browser's first resume frame, which says what it
	// shows. Until then no thread message is sent: an event handled before it
	// would be sent again by the resume's catch-up.
	resumed bool
	// openID is the conversation open in the console's pane, or the widget's.
	openID int64
	// aim is the widget's aim as of its last resume.
	aim aim
	// wait is the queue status the widget shows now; anyone, whether it
	// knew anyone to be available; prechat, its pre-chat fields; closed, why
	// it shows that chat is unavailable ("": it does not).
	wait    *widget.Wait
	anyone  bool
	prechat *chat.Prechat
	closed  *string
	// rating is whether the widget shows the rating form of its chat, or the thanks for it.
	rating bool
}

// onFrame handles one frame on the reader goroutine. Sends are stored here,
// in arrival order; what goes back to the browser goes through the queue.
func (c *client) onFrame(ctx context.Context, data []byte) {
	var f inFrame
	if err := json.Unmarshal(data, &f); err != nil {
		c.refuse(f, chat.Invalid("frame", "That message could not be read. Reload the page."))
		return
	}
	if err := chat.ValidateUTF8(data); err != nil {
		c.refuse(f, err)
		return
	}
	var err error
	switch f.Type {
	case "send":
		err = c.send(ctx, f)
	case "read":
		err = c.read(ctx, f)
	case "resume":
		err = c.onResume(ctx, f)
	case "rate":
		err = c.rate(ctx, f)
	default:
		err = chat.Invalid("type", "Unknown frame type.")
	}
	if err != nil {
		c.refuse(f, err)
	}
}

// onResume hands the writer what the browser says it shows; for the widget,
// with what it is aimed at, which the reader keeps for the sends that follow.
func (c *client) onResume(ctx context.Context, f inFrame) error {
	if c.widget {
		a, err := c.resolveAim(ctx, f)
		if err != nil {
			return err
		}
		c.aim = a
	}
	c.conn.Enqueue(c.resume(f, c.aim))
	return nil
}

// refuse answers a frame that failed. A frame refused for good is
// acknowledged with the reason. When the fault is ours (the database is
// unavailable, say), a message is not acknowledged but handed back to be
// sent again with the same client_msg_id, and a resume is answered by
// closing the socket, so that the browser reconnects and resumes; internal
// errors are logged, not shown.
func (c *client) refuse(f inFrame, err error) {
	status, _, msg := publicError(err)
	if status == http.StatusInternalServerError {
		c.h.Logger.Error("live frame failed", "user_id", c.user.ID, "type", f.Type, "err", err)
		switch {
		case f.Type == "send" && f.ClientMsgID != "":
			c.conn.Enqueue(frameJob(thread.Retry(f.ClientMsgID)))
			return
		case f.Type == "resume":
			c.conn.Close(websocket.StatusInternalError, "server error: reconnect and resume")
			return
		case f.Type == "read":
			return // the next read says it again
		}
	}
	comps := c.refused(f.ClientMsgID, msg)
	var needed *fieldsNeeded
	if errors.As(err, &needed) {
		c.conn.Enqueue(c.showPrechat(needed.rules, comps...))
		return
	}
	c.conn.Enqueue(frameJob(comps...))
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
	cfg := h.Routing
	socketID := auth.NewToken()
	touch := func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(h.Base), 5*time.Second)
		defer cancel()
		if err := h.DB.TouchPresence(ctx, socketID, c.user.ID, h.Now()); err != nil {
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
		if err := h.DB.ClosePresence(ctx, socketID, h.Now()); err != nil {
			h.Logger.Warn("agent presence failed", "user_id", c.user.ID, "err", err)
		}
	}
}
