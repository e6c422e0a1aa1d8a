package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/views/console"
)

// groupNew is the form that starts a group: a name and people to add.
func (h *Handler) groupNew(w http.ResponseWriter, r *http.Request) {
	h.renderGroupNew(w, r, http.StatusOK, "")
}

func (h *Handler) renderGroupNew(w http.ResponseWriter, r *http.Request, status int, refusal string) {
	nav, q, people, err := h.peopleFor(r, "groups")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, status, console.GroupNew(console.GroupNewProps{
		Nav: nav, Query: q, People: people, Title: r.PostFormValue("title"),
		Chosen: formIDs(r, "member"), Refusal: refusal}))
}

// groupCreate starts a group owned by the member, with the people chosen.
func (h *Handler) groupCreate(w http.ResponseWriter, r *http.Request) {
	acct := accountFrom(r.Context())
	id, err := h.DB.CreateGroup(r.Context(), acct.ID, r.PostFormValue("title"), formIDs(r, "member"))
	if h.refusedIn(w, r, err, h.renderGroupNew) {
		return
	}
	h.done(w, r, "/console/c/"+itoa(id), map[string]any{"conversation_id": id})
}

// groupMembersAdd adds people to group {id}; its owner and admins may.
func (h *Handler) groupMembersAdd(w http.ResponseWriter, r *http.Request) {
	h.groupChange(w, r, func(id, actor int64) error { return h.DB.AddGroupMembers(r.Context(), id, actor, formIDs(r, "member")) })
}

// groupMemberRemove takes member ?user= out of group {id}: the owner
// removes admins and members, an admin plain members.
func (h *Handler) groupMemberRemove(w http.ResponseWriter, r *http.Request) {
	h.groupChange(w, r, func(id, actor int64) error {
		uid, err := strconv.ParseInt(r.PostFormValue("user"), 10, 64)
		if err != nil {
			return chat.Invalid("user", "error.group.removeWho")
		}
		return h.DB.RemoveGroupMember(r.Context(), id, actor, uid)
	})
}

// groupRename renames group {id}; any member may.
func (h *Handler) groupRename(w http.ResponseWriter, r *http.Request) {
	h.groupChange(w, r, func(id, actor int64) error { return h.DB.RenameGroup(r.Context(), id, actor, r.PostFormValue("title")) })
}

// groupLeave takes the member out of group {id}.
func (h *Handler) groupLeave(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.DB.LeaveGroup(r.Context(), id, accountFrom(r.Context()).ID); err != nil {
		h.fail(w, r, err)
		return
	}
	h.done(w, r, "/console", map[string]any{"left": id})
}

// groupChange runs change on group {id} for the member, then goes back to the group.
func (h *Handler) groupChange(w http.ResponseWriter, r *http.Request, change func(id, actor int64) error) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := change(id, accountFrom(r.Context()).ID); err != nil {
		h.fail(w, r, err)
		return
	}
	h.done(w, r, "/console/c/"+itoa(id), map[string]any{"conversation_id": id})
}

// done answers a successful form: JSON callers get v, people go to location.
func (h *Handler) done(w http.ResponseWriter, r *http.Request, location string, v any) {
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, v)
		return
	}
	http.Redirect(w, r, location, http.StatusSeeOther)
}

// refusedIn answers err, if any: a conversation_grade refusal is shown to
// people in the page they came from (rendered by page with status 403).
// It reports whether it answered.
func (h *Handler) refusedIn(w http.ResponseWriter, r *http.Request, err error,
	page func(http.ResponseWriter, *http.Request, int, string)) bool {
	var refused *chat.RefusedError
	switch {
	case err == nil:
		return false
	case errors.As(err, &refused) && !wantsJSON(r):
		page(w, r, http.StatusForbidden, reason(i18n.From(r.Context()), refused))
	default:
		h.fail(w, r, err)
	}
	return true
}
