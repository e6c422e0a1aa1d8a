package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/store"
	viewauth "github.com/kefu-im/kefu/views/auth"
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
	// The attempt counts before the password is checked, so that attempts
	// sent at once are refused like attempts sent one after another.
	err := h.DB.ReserveLoginAttempt(ctx, email, limitKey(addr), loginLimits)
	var limited *store.LimitError
	switch {
	case errors.As(err, &limited):
		setRetryAfter(w, limited.RetryAfter)
		refuse(http.StatusTooManyRequests, i18n.N(ctx, "auth.tooManyAttempts", wholeMinutes(limited.RetryAfter)))
		return
	case err != nil:
		h.fail(w, r, err)
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
	ok, err := auth.CheckPassword(ctx, hash, password)
	if ctx.Err() != nil {
		return // the client gave up waiting: no one reads an answer
	}
	if err != nil && !errors.Is(err, auth.ErrMalformedHash) {
		h.fail(w, r, err)
		return
	}
	if !ok || u.ID == 0 || u.Disabled() {
		refuse(http.StatusUnauthorized, i18n.T(ctx, "auth.wrongPassword"))
		return
	}
	// Signed in: the account's attempts, this one included, no longer count.
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

// logout ends the session, and closes the live sockets it opened on every
// instance; the member's other sessions stay.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := h.DB.EndSession(ctx, h.Sessions.GetInt64(ctx, sessionUserID), h.Sessions.Token(ctx)); err != nil {
		h.fail(w, r, err)
		return
	}
	// The session is gone from the database already: this clears the cookie.
	if err := h.Sessions.Destroy(ctx); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
