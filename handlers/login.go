package handlers

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	viewauth "github.com/kefu-im/kefu/views/auth"
)

// Sign-in limits: failures counted over loginWindow, per account and per address.
const (
	loginWindow      = 15 * time.Minute
	maxEmailFailures = 5
	maxAddrFailures  = 30
)

// dummyHash is checked when no account matches, so that a missing account
// takes as long to refuse as a wrong password.
var dummyHash, _ = auth.HashPassword("kefu dummy password")

func (h *Handler) loginShow(w http.ResponseWriter, r *http.Request) {
	if h.Sessions.GetInt64(r.Context(), sessionUserID) != 0 {
		http.Redirect(w, r, "/console", http.StatusSeeOther)
		return
	}
	h.render(w, r, http.StatusOK, viewauth.Login(viewauth.LoginProps{CSRF: h.csrfToken(r)}))
}

func (h *Handler) loginCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	email := strings.TrimSpace(r.PostFormValue("email"))
	password := r.PostFormValue("password")
	addr := clientAddr(r)
	refuse := func(status int, msg string) {
		h.render(w, r, status, viewauth.Login(viewauth.LoginProps{CSRF: h.csrfToken(r), Email: email, Error: msg}))
	}
	byEmail, byAddr, err := h.DB.LoginFailures(ctx, email, addr, time.Now().Add(-loginWindow))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if byEmail >= maxEmailFailures || byAddr >= maxAddrFailures {
		refuse(http.StatusTooManyRequests, "Too many failed sign-ins. Wait 15 minutes and try again.")
		return
	}
	cred, err := h.DB.CredentialsByEmail(ctx, email)
	u, hash := cred.User, cred.PasswordHash
	if errors.Is(err, chat.ErrNotFound) {
		hash = dummyHash
	} else if err != nil {
		h.fail(w, r, err)
		return
	}
	ok, err := auth.CheckPassword(hash, password)
	if err != nil && !errors.Is(err, auth.ErrMalformedHash) {
		h.fail(w, r, err)
		return
	}
	if !ok || u.ID == 0 || u.Disabled() {
		if err := h.DB.RecordLoginFailure(ctx, email, addr); err != nil {
			h.fail(w, r, err)
			return
		}
		refuse(http.StatusUnauthorized, "That email and password do not match an active account.")
		return
	}
	if err := h.DB.ClearLoginFailures(ctx, email); err != nil {
		h.fail(w, r, err)
		return
	}
	// A new token at sign-in: a token planted before it is worth nothing after.
	if err := h.Sessions.RenewToken(ctx); err != nil {
		h.fail(w, r, err)
		return
	}
	h.Sessions.Put(ctx, sessionUserID, u.ID)
	h.Sessions.Put(ctx, sessionEpoch, cred.SessionEpoch)
	h.Sessions.Put(ctx, sessionCSRF, auth.NewToken())
	http.Redirect(w, r, "/console", http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if err := h.Sessions.Destroy(r.Context()); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// clientAddr is the peer's IP. kefu does not trust forwarding headers unless
// a proxy in front of it is configured to overwrite RemoteAddr.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
