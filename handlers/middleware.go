package handlers

import (
	"context"
	"crypto/subtle"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
)

// The CSP allows no inline script and no third-party anything. Pages are not
// framed, except the widget, which is framed by host sites. Images, sound
// and video may be blob: URLs: the widget shows files it fetched itself.
const (
	cspBase    = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; base-uri 'none'; form-action 'self'; object-src 'none'"
	cspConsole = cspBase + "; frame-ancestors 'none'"
	cspWidget  = cspBase + "; frame-ancestors *"
)

func (h *Handler) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", cspConsole)
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if h.BaseURL.Scheme == "https" {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// framable lets host sites frame the widget.
func (h *Handler) framable(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", cspWidget)
		w.Header().Del("X-Frame-Options")
		next.ServeHTTP(w, r)
	})
}

const (
	sessionUserID = "user_id"
	sessionCSRF   = "csrf"
	// sessionEpoch is the user's session epoch at sign-in; a password reset bumps theirs.
	sessionEpoch = "epoch"
)

// sameOrigin reports whether r comes from a page on kefu's own origin:
// BaseURL's, or the origin r itself was sent to (kefu reached directly, at
// an address other than BaseURL's), each compared by scheme, host and port
// exactly. A request with no Origin is not from a browser, which always
// sends one with a WebSocket handshake, and so cannot be riding a visitor's
// or a member's credentials.
func (h *Handler) sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Opaque != "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
		return false // "null", or not an origin at all
	}
	self := &url.URL{Scheme: "http", Host: r.Host}
	if r.TLS != nil {
		self.Scheme = "https"
	}
	return equalOrigins(u, h.BaseURL) || equalOrigins(u, self)
}

// equalOrigins reports whether a and b have the same scheme, host and port.
func equalOrigins(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

// port is u's port, or its scheme's default.
func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}

// csrf guards cookie-authenticated unsafe requests twice: the browser's own
// cross-origin signals (Sec-Fetch-Site, Origin) and a per-session token that
// every form carries. A multipart body (an upload, which live_files.js
// sends) must carry the token in its X-CSRF-Token header: finding it in the
// form would read the whole file here, under the read timeout of forms,
// before the upload's own longer one is set.
func (h *Handler) csrf(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	check := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		want := h.Sessions.GetString(r.Context(), sessionCSRF)
		if want == "" && wantsJSON(r) {
			// No session at all: a script is told to sign in, not that its form expired.
			h.fail(w, r, chat.ErrUnauthorized)
			return
		}
		got := r.Header.Get("X-CSRF-Token")
		if got == "" && !isMultipart(r) {
			got = r.PostFormValue("_csrf")
		}
		if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			h.fail(w, r, errBadCSRF)
			return
		}
		next.ServeHTTP(w, r)
	})
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.fail(w, r, errBadCSRF) }))
	return cop.Handler(check)
}

// isMultipart says whether r's body is a multipart form.
func isMultipart(r *http.Request) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct == "multipart/form-data"
}

// csrfToken returns the session's CSRF token, creating it on first use.
func (h *Handler) csrfToken(r *http.Request) string {
	t := h.Sessions.GetString(r.Context(), sessionCSRF)
	if t == "" {
		t = auth.NewToken()
		h.Sessions.Put(r.Context(), sessionCSRF, t)
	}
	return t
}

type ctxKey int

const (
	// viewerKey holds the signed-in member's account.
	viewerKey ctxKey = iota
	// answerKey holds the shape of the route's error replies.
	answerKey
)

// account is the signed-in member and whether they are customer service.
type account struct {
	chat.User
	Agent bool
}

func (a account) viewer() chat.Viewer { return chat.Viewer{UserID: a.ID, IsAgent: a.Agent} }

// language gives the request the words of its reader's browser
// (Accept-Language), else the instance's; a signed-in member's own choice
// replaces them (signedIn), and a widget's the site's or the embed line's.
func (h *Handler) language(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := i18n.For(i18n.Match(r.Header.Get("Accept-Language"), h.Language))
		w.Header().Add("Vary", "Accept-Language") // what a cache keeps for one browser is not another's
		next.ServeHTTP(w, r.WithContext(i18n.With(r.Context(), l)))
	})
}

// memberLanguage gives a request outside the members' routes the language
// of the member signed in to its session, when they chose one.
func (h *Handler) memberLanguage(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if acct, err := h.account(r.Context()); err == nil && acct.Language != "" {
			r = r.WithContext(i18n.With(r.Context(), i18n.For(acct.Language)))
		}
		next(w, r)
	})
}

// signedIn lets through members with a live session; the session of a
// disabled member, or one from before their password was reset, is
// destroyed on their next request. Without one, a browser is sent to sign
// in and a JSON caller is answered 401.
func (h *Handler) signedIn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		acct, err := h.account(r.Context())
		if errors.Is(err, chat.ErrUnauthorized) {
			_ = h.Sessions.Destroy(r.Context())
			if wantsJSON(r) {
				h.fail(w, r, chat.ErrUnauthorized)
				return
			}
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		ctx := context.WithValue(r.Context(), viewerKey, acct)
		if acct.Language != "" { // their own choice, over their browser's
			ctx = i18n.With(ctx, i18n.For(acct.Language))
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// account loads the member signed in to the session in ctx, refusing a
// missing, disabled or non-member one, and a session signed in before the
// member's password was last reset.
func (h *Handler) account(ctx context.Context) (account, error) {
	id := h.Sessions.GetInt64(ctx, sessionUserID)
	if id == 0 {
		return account{}, chat.ErrUnauthorized
	}
	u, epoch, err := h.DB.SessionUser(ctx, id)
	if errors.Is(err, chat.ErrNotFound) {
		return account{}, chat.ErrUnauthorized
	}
	if err != nil {
		return account{}, err
	}
	if u.Disabled() || u.Kind != chat.KindMember || epoch != h.Sessions.GetInt(ctx, sessionEpoch) {
		return account{}, chat.ErrUnauthorized
	}
	agents, err := h.DB.AgentList(ctx)
	if err != nil {
		return account{}, err
	}
	return account{User: u, Agent: agents.Has(u.ID)}, nil
}

func accountFrom(ctx context.Context) account {
	a, _ := ctx.Value(viewerKey).(account)
	return a
}

// agentOnly lets through agents only. Someone taken off customer service
// while their console was open goes back to the console, told why.
func (h *Handler) agentOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !accountFrom(r.Context()).Agent {
			h.refused(w, r, chat.ErrNotAllowed, "console.refusal.notAgent", "/console")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// adminOnly lets through admins only, on every method.
func (h *Handler) adminOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !accountFrom(r.Context()).IsAdmin {
			h.fail(w, r, errAdminOnly)
			return
		}
		next.ServeHTTP(w, r)
	})
}
