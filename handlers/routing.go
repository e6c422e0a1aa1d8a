package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/views/console"
)

// Flash keys: what the console says once, on the next page, after an action
// posted without JavaScript.
const (
	sessionConsoleNotice  = "console_notice"
	sessionConsoleRefusal = "console_refusal"
)

// stateUpdate lets an agent switch between available and away.
func (h *Handler) stateUpdate(w http.ResponseWriter, r *http.Request) {
	acct := accountFrom(r.Context())
	if err := h.DB.EnsureAgent(r.Context(), acct.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.DB.SetAgentState(r.Context(), acct.ID, chat.AgentState(r.PostFormValue("state"))); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, backTo(r), http.StatusSeeOther)
}

// queueTake gives a queued chat to the agent who clicked Take, unless someone
// was first or the agent is at capacity.
func (h *Handler) queueTake(w http.ResponseWriter, r *http.Request) {
	acct := accountFrom(r.Context())
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.DB.EnsureAgent(r.Context(), acct.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.DB.Take(r.Context(), id, acct.ID, h.Now()); err != nil {
		say := ""
		if errors.Is(err, chat.ErrAtCapacity) {
			say = "console.refusal.takeAtCapacity"
		}
		h.refused(w, r, err, say, backTo(r))
		return
	}
	h.Metrics.Taken()
	open := backTo(r) == "/console/c/"+itoa(id)
	h.actedOn(w, r, id, "", map[string]any{"conversation_id": id, "status": chat.Assigned},
		func(s console.ChatState) templ.Component { return console.Taken(s, open) })
}

// conversationResolve marks a support chat resolved.
func (h *Handler) conversationResolve(w http.ResponseWriter, r *http.Request) {
	acct := accountFrom(r.Context())
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.DB.Resolve(r.Context(), id, acct.ID, h.Now()); err != nil {
		h.refused(w, r, err, "", backTo(r))
		return
	}
	h.actedOn(w, r, id, i18n.T(r.Context(), "console.notice.resolved"), map[string]any{"conversation_id": id, "status": chat.Resolved}, console.StatusChanged)
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
		h.refused(w, r, chat.Invalid("to", "error.transferTo"), "", backTo(r))
		return
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	if note != "" {
		if note, err = chat.ValidateBody(note); err != nil {
			h.refused(w, r, err, "", backTo(r))
			return
		}
	}
	if err := h.DB.TransferOnline(ctx, id, acct.ID, to, note, h.Now(), h.Routing.Grace); err != nil {
		say := ""
		switch {
		case errors.Is(err, chat.ErrAtCapacity):
			say = "console.refusal.transferAtCapacity"
		case errors.Is(err, chat.ErrOffline):
			say = "console.refusal.transferOffline"
		}
		h.refused(w, r, err, say, backTo(r))
		return
	}
	agent, err := h.DB.User(ctx, to)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.actedOn(w, r, id, i18n.T(ctx, "console.notice.transferred", "Agent", agent.DisplayName()),
		map[string]any{"conversation_id": id, "status": chat.Assigned, "agent_id": to}, console.StatusChanged)
}

// actedOn answers a change the agent made to support chat id, as acted
// does. In place, show gives the fragments for where the chat stands now,
// with what the agent can do with it, and the notice says what was done
// until the chat moves on.
func (h *Handler) actedOn(w http.ResponseWriter, r *http.Request, id int64, notice string, v any, show func(console.ChatState) templ.Component) {
	flash := console.Flash{Text: notice}
	var frags []templ.Component
	if wantsFragment(r) && !wantsJSON(r) {
		state, err := h.chatState(r.Context(), id, accountFrom(r.Context()).User, h.csrfToken(r))
		if err != nil {
			h.fail(w, r, err)
			return
		}
		flash.About = &state
		frags = append(frags, show(state))
	}
	h.acted(w, r, "/console/c/"+itoa(id), flash, v, frags...)
}

// acted answers a console action that was done: JSON callers get v, live.js
// the fragments and the notice to apply in place, and a plain form goes to
// location, where the notice is said once.
func (h *Handler) acted(w http.ResponseWriter, r *http.Request, location string, notice console.Flash, v any, frags ...templ.Component) {
	switch {
	case wantsJSON(r):
		writeJSON(w, http.StatusOK, v)
	case wantsFragment(r):
		if notice.Text != "" {
			frags = append(frags, console.FlashChanged(notice))
		}
		h.render(w, r, http.StatusOK, templ.Join(frags...))
	default:
		if notice.Text != "" {
			h.Sessions.Put(r.Context(), sessionConsoleNotice, notice.Text)
		}
		http.Redirect(w, r, location, http.StatusSeeOther)
	}
}

// refused answers a console action that was refused, with say (a message
// id) as its reason when given: JSON callers get the error, live.js the reason to show in place
// (with the refusal's status), and a plain form goes back to the console page
// back, which says the reason once. The agent never lands on an error page.
func (h *Handler) refused(w http.ResponseWriter, r *http.Request, err error, say, back string) {
	if say != "" {
		err = &saying{err: err, say: say}
	}
	status, _, msg := publicError(i18n.From(r.Context()), err)
	if status == http.StatusInternalServerError || wantsJSON(r) {
		h.fail(w, r, err)
		return
	}
	if errors.Is(err, chat.ErrNotFound) {
		back = "/console" // the page it was posted from shows nothing now
	}
	switch {
	case wantsFragment(r):
		h.render(w, r, status, console.FlashChanged(console.Flash{Text: msg, Refused: true}))
	default:
		h.Sessions.Put(r.Context(), sessionConsoleRefusal, msg)
		http.Redirect(w, r, back, http.StatusSeeOther)
	}
}

// consoleFlash is what the last action posted without JavaScript left for
// this page to say, once.
func (h *Handler) consoleFlash(r *http.Request) console.Flash {
	if msg := h.Sessions.PopString(r.Context(), sessionConsoleRefusal); msg != "" {
		return console.Flash{Text: msg, Refused: true}
	}
	return console.Flash{Text: h.Sessions.PopString(r.Context(), sessionConsoleNotice)}
}
