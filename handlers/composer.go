package handlers

// The console's composer: private notes, drafts kept on the server, and
// canned responses filled in for the conversation they go to.

import (
	"context"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/kefu-im/kefu/chat"
)

// composedType is the type of a message composed as kind ("" or "text": a
// reply, "note": a private note) in conv: a note is an agent's, in a
// support chat, and only agents read it.
func composedType(kind string, agent bool, conv chat.Conversation) (chat.MessageType, error) {
	switch {
	case kind == "" || kind == string(chat.Text):
		return chat.Text, nil
	case kind != string(chat.Note):
		return "", chat.Invalid("type", "console.invalid.messageType")
	case !agent || conv.Kind != chat.Support:
		return "", &saying{err: chat.ErrNotAllowed, say: "console.refusal.noteAgentsOnly"}
	}
	return chat.Note, nil
}

// draftFrame keeps what the member has typed in the composer of a
// conversation they may see, for every device they open it on; an empty
// body drops the draft. Drafts are read only by the member who wrote them.
func (s *consoleSocket) draftFrame(ctx context.Context, f inFrame) error {
	body, err := chat.ValidateDraft(f.Body)
	if err != nil {
		return err
	}
	v, err := s.viewer(ctx)
	if err != nil {
		return err
	}
	conv, err := s.h.DB.ConversationFor(ctx, f.ConversationID, v)
	if err != nil {
		return err
	}
	return s.h.DB.SaveDraft(ctx, conv.ID, s.user.ID, body)
}

// cannedFill answers an agent's pick of canned response {canned} in
// conversation {id}: its text with the placeholders filled in from that
// conversation, as plain text, so that no visitor's details are in the
// page before they are used. The agent must see the conversation, and the
// response must be shared or theirs.
func (h *Handler) cannedFill(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	acct := accountFrom(ctx)
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	cannedID, err := strconv.ParseInt(chi.URLParam(r, "canned"), 10, 64)
	if err != nil || cannedID < 1 {
		h.fail(w, r, chat.ErrNotFound)
		return
	}
	conv, err := h.DB.ConversationFor(ctx, id, acct.viewer())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.DB.CannedOf(ctx, cannedID, acct.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	values, err := h.DB.FillValues(ctx, conv.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	values.AgentName = acct.DisplayName()
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]string{"shortcut": c.Shortcut, "text": c.Fill(values)})
}
