package handlers

import (
	"context"
	"errors"
	"net/http"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/views/layout"
)

var (
	errNoPage = errors.New("no such page")
	errMethod = errors.New("method not allowed")
	// errCrossOrigin: a live socket was asked for by a page on another origin.
	errCrossOrigin = errors.New("cross-origin socket")
	// errBadCSRF: an unsafe request came without the session's token, or from another site.
	errBadCSRF = errors.New("csrf token mismatch")
	// errAdminOnly: a signed-in member who is not an admin asked for an admin page.
	errAdminOnly = errors.New("admin only")
)

// saying is a refusal with the sentence its reader is told instead of the
// general one: say is the id of a message of the catalog. The status and
// code stay err's.
type saying struct {
	err error
	say string
}

func (s *saying) Error() string { return s.err.Error() }
func (s *saying) Unwrap() error { return s.err }

// publicError is what a person reading loc's language is told about err,
// with the status and the code (an English identifier, the same in every
// language) that go with it. Internal detail stays in the log.
func publicError(loc *i18n.Localizer, err error) (int, string, string) {
	if s, ok := err.(*saying); ok {
		status, code, _ := publicError(loc, s.err)
		return status, code, loc.T(s.say)
	}
	var ve *chat.ValidationError
	var refused *chat.RefusedError
	var identity *auth.IdentityError
	switch {
	case errors.As(err, &ve) && ve.Say == "error.file.tooLarge":
		return http.StatusRequestEntityTooLarge, "too_large", loc.T(ve.Say, ve.Args...)
	case errors.As(err, &ve):
		return http.StatusBadRequest, "invalid", loc.T(ve.Say, ve.Args...)
	case errors.As(err, &refused):
		return http.StatusForbidden, "conversation_not_allowed", loc.T(refused.Say, refused.Args...)
	case errors.As(err, &identity):
		// Said to the developers of the host site, in English.
		return http.StatusUnauthorized, "identity_refused", identity.Reason
	case errors.Is(err, errBadCSRF):
		return http.StatusForbidden, "csrf", loc.T("error.csrf")
	case errors.Is(err, errCrossOrigin):
		return http.StatusForbidden, "cross_origin", loc.T("error.crossOrigin")
	case errors.Is(err, chat.ErrNotFound), errors.Is(err, errNoPage):
		return http.StatusNotFound, "not_found", loc.T("error.notFound")
	case errors.Is(err, chat.ErrUnauthorized):
		return http.StatusUnauthorized, "unauthenticated", loc.T("error.unauthenticated")
	case errors.Is(err, errAdminOnly):
		return http.StatusForbidden, "admin_only", loc.T("error.adminOnly")
	case errors.Is(err, chat.ErrSilenced):
		return http.StatusForbidden, "muted", loc.T("error.group.silenced")
	case errors.Is(err, chat.ErrMentionAll):
		return http.StatusForbidden, "mention_all_not_allowed", loc.T("error.group.mentionAll")
	case errors.Is(err, chat.ErrNotAllowed):
		return http.StatusForbidden, "not_allowed", loc.T("error.notAllowed")
	case errors.Is(err, chat.ErrAlreadyAssigned):
		return http.StatusConflict, "already_assigned", loc.T("error.alreadyAssigned")
	case errors.Is(err, chat.ErrAtCapacity):
		return http.StatusConflict, "at_capacity", loc.T("error.atCapacity")
	case errors.Is(err, chat.ErrAlreadyTheirs):
		return http.StatusConflict, "already_theirs", loc.T("error.alreadyTheirs")
	case errors.Is(err, chat.ErrResolved):
		return http.StatusConflict, "resolved", loc.T("error.resolved")
	case errors.Is(err, chat.ErrOffline):
		return http.StatusConflict, "offline", loc.T("error.offline")
	case errors.Is(err, chat.ErrOpen):
		return http.StatusConflict, "open", loc.T("error.open")
	case errors.Is(err, chat.ErrNotAssigned):
		return http.StatusConflict, "not_assigned", loc.T("error.notAssigned")
	case errors.Is(err, chat.ErrRevokeTooLate):
		return http.StatusConflict, "revoke_too_late", loc.T("error.revoke.tooLate", "Minutes", int(chat.RevokeWindow.Minutes()))
	case errors.Is(err, chat.ErrNotYours):
		return http.StatusForbidden, "not_yours", loc.T("error.revoke.notYours")
	case errors.Is(err, chat.ErrAlreadyRevoked):
		return http.StatusConflict, "already_revoked", loc.T("error.revoke.already")
	case errors.Is(err, errMethod):
		return http.StatusMethodNotAllowed, "method_not_allowed", loc.T("error.method")
	case errors.Is(err, chat.ErrMessageBlocked):
		return http.StatusUnprocessableEntity, "message_blocked", loc.T("error.messageBlocked")
	case errors.Is(err, chat.ErrNotDelivered):
		return http.StatusForbidden, "not_delivered", loc.T("error.notDelivered")
	case errors.Is(err, chat.ErrChatUnavailable):
		return http.StatusForbidden, "chat_unavailable", loc.T("widget.unavailable")
	case errors.Is(err, chat.ErrMailOff):
		return http.StatusConflict, "mail_off", loc.T("error.mail.off")
	case errors.Is(err, chat.ErrNoAddress):
		return http.StatusConflict, "no_address", loc.T("error.mail.noAddress")
	case errors.Is(err, chat.ErrUnsubscribed):
		return http.StatusConflict, "unsubscribed", loc.T("error.mail.unsubscribed")
	case errors.Is(err, chat.ErrBounced):
		return http.StatusConflict, "address_bounced", loc.T("error.mail.bounced")
	case errors.Is(err, chat.ErrConflict):
		return http.StatusConflict, "conflict", loc.T("error.conflict")
	case errors.Is(err, chat.ErrRateLimited):
		return http.StatusTooManyRequests, "rate_limited", loc.T("error.rateLimited")
	}
	return http.StatusInternalServerError, "internal", loc.T("error.internal")
}

// reason is what err says to a person reading loc's language: the words of
// a refused live frame, a flash or a form's error.
func reason(loc *i18n.Localizer, err error) string {
	_, _, msg := publicError(loc, err)
	return msg
}

// answer is the shape of a route's error replies, set by the route table.
type answer int

const (
	// answerPage: a page for people, or JSON for a caller that asks for it
	// (Accept: application/json, or an Authorization header). The default.
	answerPage answer = iota
	// answerJSON: JSON always, for endpoints that only scripts call.
	answerJSON
	// answerAPI: JSON always, naming the field at fault in bad input: the host API.
	answerAPI
)

// answers makes the routes it wraps reply to errors in shape a.
func answers(a answer) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), answerKey, a)))
		})
	}
}

// fail answers a request that went wrong, in its route's shape. A 500 is
// logged once here, with the request's attributes.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, code, msg := publicError(i18n.From(r.Context()), err)
	if status == http.StatusInternalServerError {
		h.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	var limited *store.LimitError
	if errors.As(err, &limited) {
		setRetryAfter(w, limited.RetryAfter)
	}
	shape, _ := r.Context().Value(answerKey).(answer)
	var ve *chat.ValidationError
	switch {
	case shape == answerAPI && errors.As(err, &ve):
		writeJSON(w, status, map[string]string{"error": code, "message": msg, "field": ve.Field})
	case shape != answerPage || wantsJSON(r):
		writeJSON(w, status, map[string]string{"error": code, "message": msg})
	default:
		h.render(w, r, status, layout.ErrorPage(status, msg))
	}
}

func isNotFound(err error) bool { return errors.Is(err, chat.ErrNotFound) }
