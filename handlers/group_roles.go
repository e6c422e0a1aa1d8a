package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/views/console"
)

// formUser reads the member a group change is about, from the posted
// form's user field.
func formUser(r *http.Request) (int64, error) {
	uid, err := strconv.ParseInt(r.PostFormValue("user"), 10, 64)
	if err != nil || uid < 1 {
		return 0, chat.Invalid("user", "error.group.removeWho")
	}
	return uid, nil
}

// formOn reads a yes-or-no field: "1" is yes.
func formOn(r *http.Request, name string) bool { return r.PostFormValue(name) == "1" }

// groupAdminUpdate makes the member in the form's user field an admin of
// group {id} (admin=1) or a plain member again; only its owner may.
func (h *Handler) groupAdminUpdate(w http.ResponseWriter, r *http.Request) {
	h.groupChange(w, r, func(id, actor int64) error {
		uid, err := formUser(r)
		if err != nil {
			return err
		}
		return h.DB.SetAdmin(r.Context(), id, actor, uid, formOn(r, "admin"))
	})
}

// groupOwnerUpdate hands group {id} over to the member in the form's user
// field; only its owner may.
func (h *Handler) groupOwnerUpdate(w http.ResponseWriter, r *http.Request) {
	h.groupChange(w, r, func(id, actor int64) error {
		uid, err := formUser(r)
		if err != nil {
			return err
		}
		return h.DB.HandOver(r.Context(), id, actor, uid)
	})
}

// groupSilenceUpdate mutes the member in the form's user field in group
// {id} for its minutes field (0: until let speak again), or lets them
// speak again (on=0).
func (h *Handler) groupSilenceUpdate(w http.ResponseWriter, r *http.Request) {
	h.groupChange(w, r, func(id, actor int64) error {
		uid, err := formUser(r)
		if err != nil {
			return err
		}
		if !formOn(r, "on") {
			return h.DB.Unsilence(r.Context(), id, actor, uid)
		}
		minutes, err := strconv.ParseInt(r.PostFormValue("minutes"), 10, 64)
		if err != nil {
			return chat.Invalid("duration", "error.group.silenceDuration")
		}
		until, err := chat.SilenceUntil(h.Now(), time.Duration(min(minutes, 1<<20))*time.Minute)
		if err != nil {
			return err
		}
		return h.DB.Silence(r.Context(), id, actor, uid, until)
	})
}

// groupSilenceAllUpdate mutes every plain member of group {id} (on=1), or
// lets them speak again.
func (h *Handler) groupSilenceAllUpdate(w http.ResponseWriter, r *http.Request) {
	h.groupChange(w, r, func(id, actor int64) error { return h.DB.SilenceAll(r.Context(), id, actor, formOn(r, "on")) })
}

// groupNoticeUpdate sets the notice of group {id}.
func (h *Handler) groupNoticeUpdate(w http.ResponseWriter, r *http.Request) {
	h.groupChange(w, r, func(id, actor int64) error { return h.DB.SetNotice(r.Context(), id, actor, r.PostFormValue("notice")) })
}

// groupPinUpdate pins the message in the form's message field to the top
// of group {id} (on=1), or unpins it.
func (h *Handler) groupPinUpdate(w http.ResponseWriter, r *http.Request) {
	h.groupChange(w, r, func(id, actor int64) error {
		mid, err := strconv.ParseInt(r.PostFormValue("message"), 10, 64)
		if err != nil || mid < 1 {
			return chat.ErrNotFound
		}
		if formOn(r, "on") {
			return h.DB.Pin(r.Context(), id, actor, mid)
		}
		return h.DB.Unpin(r.Context(), id, actor, mid)
	})
}

// groupRequestAnswer approves (approve=1) or refuses the request to join
// group {id} of the member in the form's user field.
func (h *Handler) groupRequestAnswer(w http.ResponseWriter, r *http.Request) {
	h.groupChange(w, r, func(id, actor int64) error {
		uid, err := formUser(r)
		if err != nil {
			return err
		}
		return h.DB.AnswerJoin(r.Context(), id, actor, uid, formOn(r, "approve"))
	})
}

// groupJoinShow is the page a group's link opens (/console/join/{token}):
// its name, and a button to ask to join it (or the way in, for a member).
func (h *Handler) groupJoinShow(w http.ResponseWriter, r *http.Request) {
	card, err := h.DB.GroupCardFor(r.Context(), chi.URLParam(r, "token"), accountFrom(r.Context()).ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	nav, err := h.nav(r, "groups")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, console.GroupJoin(console.GroupJoinProps{Nav: nav, ID: card.ID, Title: card.Title,
		Member: card.Member, Asked: card.Asked, URL: r.URL.Path}))
}

// groupJoinCreate asks to join the group of the link, for its owner or an
// admin to approve.
func (h *Handler) groupJoinCreate(w http.ResponseWriter, r *http.Request) {
	id, err := h.DB.AskToJoin(r.Context(), chi.URLParam(r, "token"), accountFrom(r.Context()).ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.done(w, r, r.URL.Path, map[string]any{"asked": id})
}
