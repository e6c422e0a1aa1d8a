package handlers

// An agent emails a support chat's transcript: to its visitor, at the
// address on record, or to themselves. Only agents reach the route, and the
// store asks whether they may see the chat.

import (
	"net/http"

	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/views/console"
)

// conversationTranscript queues the transcript of the support chat in the
// path, for its visitor (to=visitor) or the agent who asks (to=me).
func (h *Handler) conversationTranscript(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	queued, err := h.DB.RequestTranscript(ctx, store.Transcript{ConversationID: id, By: accountFrom(ctx).viewer(),
		ToMe: r.PostFormValue("to") == "me"})
	if err != nil {
		h.refused(w, r, err, "", backTo(r))
		return
	}
	notice := i18n.T(ctx, "console.transcript.sent")
	if !queued {
		notice = i18n.T(ctx, "console.transcript.again")
	}
	h.acted(w, r, "/console/c/"+itoa(id), console.Flash{Text: notice}, map[string]any{"conversation_id": id, "queued": queued})
}
