package handlers

// A member's own marks on a conversation of their list: pinning it to the
// top, and hiding it until a new message. Each answers in place
// (fragments) for live_console.js, or with a redirect and a flash; the
// member's consoles follow through the bus (EventMarked).

import (
	"errors"
	"net/http"

	"github.com/a-h/templ"

	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/views/console"
)

// conversationPin pins (pin=1) conversation {id} to the top of the
// member's list, or unpins it (pin=0).
func (h *Handler) conversationPin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	acct := accountFrom(ctx)
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	pinned := r.PostFormValue("pin") == "1"
	if err := h.DB.SetPinned(ctx, acct.ID, id, pinned); err != nil {
		h.refused(w, r, err, "", backTo(r))
		return
	}
	notice := "console.notice.unpinned"
	if pinned {
		notice = "console.notice.pinned"
	}
	var frags []templ.Component
	if wantsFragment(r) && !wantsJSON(r) {
		frags = append(frags, console.PinChanged(id, pinned, h.csrfToken(r)))
	}
	h.acted(w, r, "/console/c/"+itoa(id), console.Flash{Text: i18n.T(ctx, notice)},
		map[string]any{"conversation_id": id, "pinned": pinned}, frags...)
}

// conversationHide takes direct or group conversation {id} out of the
// member's list until a new message comes; a support chat is refused.
func (h *Handler) conversationHide(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	acct := accountFrom(ctx)
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.DB.Hide(ctx, acct.ID, id); err != nil {
		say := ""
		if errors.Is(err, store.ErrHideSupport) {
			say = "console.refusal.hideSupport"
		}
		h.refused(w, r, err, say, backTo(r))
		return
	}
	var frags []templ.Component
	if wantsFragment(r) && !wantsJSON(r) {
		frags = append(frags, console.Gone(id))
	}
	h.acted(w, r, "/console", console.Flash{Text: i18n.T(ctx, "console.notice.hidden")},
		map[string]any{"conversation_id": id, "hidden": true}, frags...)
}
