package handlers

// A member's digests of unread conversations: a digest's unsubscribe link
// stops them (mailUnsubscribeCreate, with the digest's link purpose); the
// console's notifications page turns them off and on again.

import "net/http"

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
