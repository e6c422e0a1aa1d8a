package handlers

// A member's digests of unread conversations: the page a digest's
// unsubscribe link opens stops them, with one click from a mail reader
// (RFC 8058) or a button on the page; the console's notifications page
// turns them off and on again.

import (
	"net/http"

	"github.com/kefu-im/kefu/mail"
	views "github.com/kefu-im/kefu/views/mail"
)

// mailDigestShow asks a member whether to stop their digests of unread
// conversations.
func (h *Handler) mailDigestShow(w http.ResponseWriter, r *http.Request) {
	id, ok := h.mailLink(w, r, mail.DigestPurpose)
	if !ok {
		return
	}
	off, err := h.DB.Unsubscribed(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, views.UnsubscribePage(views.UnsubscribeProps{Action: r.URL.Path, Done: off, Digest: true}))
}

// mailDigestRemove stops a member's digests: the page's button, or a mail
// reader's one click (List-Unsubscribe-Post).
func (h *Handler) mailDigestRemove(w http.ResponseWriter, r *http.Request) {
	id, ok := h.mailLink(w, r, mail.DigestPurpose)
	if !ok {
		return
	}
	if err := h.DB.Unsubscribe(r.Context(), id); err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, views.UnsubscribePage(views.UnsubscribeProps{Done: true, Digest: true}))
}

// digestUpdate turns the member's digests on (digest=1) or off.
func (h *Handler) digestUpdate(w http.ResponseWriter, r *http.Request) {
	acct := accountFrom(r.Context())
	on := r.PostFormValue("digest") == "1"
	var err error
	if on {
		err = h.DB.Resubscribe(r.Context(), acct.ID)
	} else {
		err = h.DB.Unsubscribe(r.Context(), acct.ID)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.done(w, r, "/console/notifications", map[string]any{"digest": on})
}
