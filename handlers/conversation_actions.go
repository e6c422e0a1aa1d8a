package handlers

// An open support chat's actions beyond take, resolve and transfer:
// reopening a resolved chat, snoozing it, and its labels. Each answers in
// place (fragments) for live_console.js, or with a redirect and a flash.

import (
	"errors"
	"net/http"
	"strconv"
	"time"
	_ "time/tzdata" // an agent's time zone, whatever the system has

	"github.com/go-chi/chi/v5"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/views/console"
)

// conversationReopen opens a resolved support chat again and gives it to
// the agent who reopens it, if they have room.
func (h *Handler) conversationReopen(w http.ResponseWriter, r *http.Request) {
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
	if err := h.DB.Reopen(r.Context(), id, acct.ID, h.Now()); err != nil {
		say := ""
		switch {
		case errors.Is(err, chat.ErrAtCapacity):
			say = "console.refusal.reopenAtCapacity"
		case errors.Is(err, chat.ErrConflict):
			say = "console.refusal.reopenOtherOpen"
		}
		h.refused(w, r, err, say, backTo(r))
		return
	}
	h.actedOn(w, r, id, i18n.T(r.Context(), "console.notice.reopened"),
		map[string]any{"conversation_id": id, "status": chat.Assigned, "agent_id": acct.ID}, console.StatusChanged)
}

// conversationSnooze sets an assigned support chat aside until the time
// the form chose, in the agent's time zone (tz; UTC when none is given),
// or until the visitor writes.
func (h *Handler) conversationSnooze(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	acct := accountFrom(ctx)
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	loc := time.UTC
	if tz := r.PostFormValue("tz"); tz != "" {
		if l, err := time.LoadLocation(tz); err == nil {
			loc = l
		}
	}
	now := h.Now()
	s, err := chat.SnoozeFor(r.PostFormValue("preset"), r.PostFormValue("until"), loc, now)
	if err == nil {
		err = h.DB.Snooze(ctx, id, acct.ID, acct.IsAdmin, s, now)
	}
	if err != nil {
		say := ""
		if errors.Is(err, chat.ErrNotAllowed) {
			say = "console.refusal.snoozeNotYours"
		}
		h.refused(w, r, err, say, backTo(r))
		return
	}
	notice := i18n.T(ctx, "console.notice.snoozedReply")
	v := map[string]any{"conversation_id": id, "snoozed_until": "infinity"}
	if !s.UntilReply {
		until := s.Until.In(loc)
		notice = i18n.T(ctx, "console.notice.snoozed", "Until", until.Format(i18n.T(ctx, "console.snoozed.localLayout")))
		v["snoozed_until"] = s.Until.UTC()
	}
	h.actedOn(w, r, id, notice, v, console.StatusChanged)
}

// conversationLabelAdd puts the chosen label on a support chat; putting it
// on again changes nothing.
func (h *Handler) conversationLabelAdd(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	label, err := strconv.ParseInt(r.PostFormValue("label"), 10, 64)
	if err != nil {
		h.refused(w, r, chat.Invalid("label", "error.label.unknown"), "", backTo(r))
		return
	}
	if _, err := h.DB.AddLabel(r.Context(), id, label, accountFrom(r.Context()).ID); err != nil {
		h.refused(w, r, err, "", backTo(r))
		return
	}
	h.labelsDone(w, r, id)
}

// conversationLabelRemove takes a label off a support chat; taking it off
// again changes nothing.
func (h *Handler) conversationLabelRemove(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	label, err := strconv.ParseInt(chi.URLParam(r, "label"), 10, 64)
	if err != nil {
		h.fail(w, r, chat.ErrNotFound)
		return
	}
	if _, err := h.DB.RemoveLabel(r.Context(), id, label); err != nil {
		h.refused(w, r, err, "", backTo(r))
		return
	}
	h.labelsDone(w, r, id)
}

// labelsDone answers a change of chat id's labels: the labels as they are
// now, in place; JSON callers get them; a plain form goes back to the chat.
func (h *Handler) labelsDone(w http.ResponseWriter, r *http.Request, id int64) {
	ctx := r.Context()
	p, err := h.chatLabels(ctx, id, true, h.csrfToken(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	names := []string{}
	for _, l := range p.On {
		names = append(names, l.Name)
	}
	h.acted(w, r, "/console/c/"+itoa(id), console.Flash{}, map[string]any{"conversation_id": id, "labels": names},
		console.LabelsChanged(*p))
}
