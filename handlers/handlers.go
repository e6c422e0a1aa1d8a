// Package handlers is kefu's HTTP edge: routes, middleware, pages, the
// WebSocket endpoints, and the turning of bus events into HTML fragments for
// each local connection.
package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/live"
	"github.com/kefu-im/kefu/metrics"
	"github.com/kefu-im/kefu/store"
)

// Deps is what the handlers need.
type Deps struct {
	DB       *store.DB
	Sessions *scs.SessionManager
	Logger   *slog.Logger
	// BaseURL is where browsers reach kefu; WebSocket handshakes must come from its origin.
	BaseURL *url.URL
	// Base is the server's base context: long-lived sockets end when it does.
	Base context.Context
	// Live tunes every WebSocket; zero means live.DefaultOptions.
	Live live.Options
	// Now is the clock (time.Now when nil); the dispatcher is given the same one.
	Now func() time.Time
	// Routing is what pages and sockets must know of routing.
	Routing Routing
	// Metrics counts messages stored and delivered, sockets and takes (nil: nothing).
	Metrics *metrics.Metrics
	// Language is what kefu speaks to a reader whose own choice and browser
	// name no language it speaks ("": i18n.Default).
	Language string
	// MaxUpload is the largest file a person may send, in bytes (0: chat.DefaultMaxUpload).
	MaxUpload int64
	// Files prepares the files people send, against MaxUpload; the
	// instance's replies by email share it (nil: one of the handlers' own).
	Files *chat.Preparer
	// Mail says whether replies reach visitors who left by email.
	Mail Mail
}

// Mail is what pages say of email: whether it is on, its sender, and the
// domain replies by email come back to ("": they do not).
type Mail struct {
	On          bool
	From        string
	ReplyDomain string
}

// Routing is what the handlers must know of routing: values the dispatcher
// is given too, so that what an agent is shown agrees with what it decides.
type Routing struct {
	// Grace is how long an agent without a live console stays online; a
	// console socket refreshes its presence three times per grace period.
	Grace time.Duration
	// TargetWait is how long a chat waits for the agent it names.
	TargetWait time.Duration
}

// Handler serves kefu over HTTP.
type Handler struct {
	Deps
	hub *hub // this instance's live sockets
}

// New returns kefu's handler.
func New(d Deps) *Handler {
	if d.Live == (live.Options{}) {
		d.Live = live.DefaultOptions
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Language == "" {
		d.Language = i18n.Default
	}
	if d.MaxUpload == 0 {
		d.MaxUpload = chat.DefaultMaxUpload
	}
	if d.Files == nil {
		d.Files = chat.NewPreparer(d.MaxUpload)
	}
	h := &Handler{Deps: d}
	h.hub = newHub(h)
	return h
}

// stored passes on what a store send returned, counting the message when
// it was stored now: h.stored(h.DB.SendMessage(ctx, s)).
func (h *Handler) stored(msg chat.Message, created bool, err error) (chat.Message, bool, error) {
	if err == nil && created {
		h.Metrics.MessageStored()
	}
	return msg, created, err
}

// NewSessions returns the session manager kefu uses: sessions in PostgreSQL,
// an HttpOnly SameSite=Lax cookie, Secure when kefu is served over https.
// Expired sessions are purged by store.DB.PurgeExpired, not by pgxstore's
// own clean-up goroutine, whose stop races with its start.
func NewSessions(db *store.DB, secure bool) *scs.SessionManager {
	m := scs.New()
	m.Store = pgxstore.NewWithCleanupInterval(db.Pool(), 0)
	m.Lifetime = 7 * 24 * time.Hour
	m.IdleTimeout = 24 * time.Hour
	m.Cookie.Name = "kefu_session"
	m.Cookie.HttpOnly = true
	m.Cookie.SameSite = http.SameSiteLaxMode
	m.Cookie.Secure = secure
	return m
}
