package handlers

// Forwarding: the messages picked in a console's thread go to another
// conversation as one merged message.

import (
	"net/http"
	"strconv"

	"github.com/kefu-im/kefu/chat"
)

// forwardCreate forwards the messages picked (message=…, repeated) from
// conversation {id}'s thread to conversation to, and opens it. The form
// carries the client message id it was rendered with, so that posting it
// twice stores one forward; a post without one is refused.
func (h *Handler) forwardCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	back := "/console/c/" + itoa(id)
	if err := r.ParseForm(); err != nil {
		h.refused(w, r, chat.Invalid("messages", "error.forward.none"), "", back)
		return
	}
	to, err := strconv.ParseInt(r.PostForm.Get("to"), 10, 64)
	if err != nil || to < 1 {
		h.refused(w, r, chat.ErrNotFound, "", back)
		return
	}
	clientMsgID := r.PostForm.Get("client_msg_id")
	if err := chat.RequireClientMsgID(clientMsgID); err != nil {
		h.refused(w, r, err, "", back)
		return
	}
	var ids []int64
	for _, v := range r.PostForm["message"] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			h.refused(w, r, chat.Invalid("messages", "error.forward.none"), "", back)
			return
		}
		ids = append(ids, n)
	}
	msg, _, err := h.stored(h.DB.Forward(ctx, accountFrom(ctx).viewer(), to, ids, clientMsgID))
	if err != nil {
		h.refused(w, r, err, "", back)
		return
	}
	h.done(w, r, "/console/c/"+itoa(to), map[string]any{"conversation_id": to, "message_id": msg.ID})
}
