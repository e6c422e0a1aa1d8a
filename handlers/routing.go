package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/kefu-im/kefu/chat"
)

// stateUpdate lets an agent switch between available and away.
func (h *Handler) stateUpdate(w http.ResponseWriter, r *http.Request) {
	acct := accountFrom(r.Context())
	if err := h.DB.EnsureAgent(r.Context(), acct.ID, h.Dispatcher.Config().Capacity); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.DB.SetAgentState(r.Context(), acct.ID, chat.AgentState(r.PostFormValue("state"))); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, backTo(r), http.StatusSeeOther)
}

// queueTake gives a queued chat to the agent who clicked Take, unless someone was first.
func (h *Handler) queueTake(w http.ResponseWriter, r *http.Request) {
	acct := accountFrom(r.Context())
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.DB.EnsureAgent(r.Context(), acct.ID, h.Dispatcher.Config().Capacity); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.DB.Take(r.Context(), id, acct.ID, h.now()); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/console/c/"+itoa(id), http.StatusSeeOther)
}

// conversationResolve marks a support chat resolved.
func (h *Handler) conversationResolve(w http.ResponseWriter, r *http.Request) {
	acct := accountFrom(r.Context())
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.DB.Resolve(r.Context(), id, acct.ID, h.now()); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/console/c/"+itoa(id), http.StatusSeeOther)
}

// conversationTransfer hands a chat to another agent, with an optional private note.
func (h *Handler) conversationTransfer(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	acct := accountFrom(ctx)
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	to, err := strconv.ParseInt(r.PostFormValue("to"), 10, 64)
	if err != nil {
		h.fail(w, r, chat.Invalid("to", "Choose the agent to transfer the chat to."))
		return
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	if note != "" {
		if note, err = chat.ValidateBody(note); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if err := h.DB.Transfer(ctx, id, acct.ID, to, note, h.now()); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/console/c/"+itoa(id), http.StatusSeeOther)
}

// backTo is where a form returns to: the console page it was posted from.
func backTo(r *http.Request) string {
	if ref := r.Referer(); strings.HasPrefix(ref, "http") {
		if i := strings.Index(ref, "/console"); i >= 0 {
			return ref[i:]
		}
	}
	return "/console"
}

// agentOnly lets through agents only.
func (h *Handler) agentOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !accountFrom(r.Context()).Agent {
			h.fail(w, r, chat.ErrNotAllowed)
			return
		}
		next.ServeHTTP(w, r)
	})
}
