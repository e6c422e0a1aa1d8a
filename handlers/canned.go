package handlers

// Canned responses' pages: the shared ones on /admin/canned (admins), each
// agent's own on /console/canned (agents). Both lists are edited with the
// same forms; the store keeps each owner to their own.

import (
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/views/admin"
	"github.com/kefu-im/kefu/views/console"
)

const (
	cannedMine   = "/console/canned"
	cannedShared = "/admin/canned"
)

// cannedPlace is one of the two lists: whose responses it holds (0: the
// shared ones), its page and how a change ends.
type cannedPlace struct {
	owner func(*http.Request) int64
	page  func(w http.ResponseWriter, r *http.Request, status int, e console.CannedEditor)
	done  func(w http.ResponseWriter, r *http.Request, notice string)
	// confirmed, when set, reports whether a delete of response id was
	// confirmed, else asks (and answers the request).
	confirmed func(w http.ResponseWriter, r *http.Request, id int64) bool
}

func (h *Handler) mineCanned() cannedPlace {
	return cannedPlace{
		owner: func(r *http.Request) int64 { return accountFrom(r.Context()).ID },
		page:  h.renderMyCanned,
		done: func(w http.ResponseWriter, r *http.Request, notice string) {
			h.Sessions.Put(r.Context(), sessionConsoleNotice, notice)
			http.Redirect(w, r, cannedMine, http.StatusSeeOther)
		},
	}
}

func (h *Handler) sharedCanned() cannedPlace {
	return cannedPlace{
		owner: func(*http.Request) int64 { return 0 },
		page:  h.renderSharedCanned,
		done: func(w http.ResponseWriter, r *http.Request, notice string) {
			h.adminDone(w, r, notice, cannedShared)
		},
		confirmed: func(w http.ResponseWriter, r *http.Request, id int64) bool {
			return h.confirmed(w, r, admin.SectionCanned, cannedShared, func() (admin.Ask, error) {
				c, err := h.DB.CannedOf(r.Context(), id, 0) // a shared one
				return admin.AskDeleteCanned(r.Context(), c.Shortcut), err
			})
		},
	}
}

func (h *Handler) cannedShow(w http.ResponseWriter, r *http.Request) {
	h.renderMyCanned(w, r, http.StatusOK, console.CannedEditor{})
}

func (h *Handler) renderMyCanned(w http.ResponseWriter, r *http.Request, status int, e console.CannedEditor) {
	ctx := r.Context()
	nav, err := h.nav(r, "canned")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if e.Items, err = h.DB.Canned(ctx, nav.User.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	e.CSRF, e.Base = nav.CSRF, cannedMine
	notice := h.Sessions.PopString(ctx, sessionConsoleNotice)
	h.render(w, r, status, console.CannedPage(console.CannedProps{Nav: nav, Notice: notice, Editor: e}))
}

func (h *Handler) adminCannedShow(w http.ResponseWriter, r *http.Request) {
	h.renderSharedCanned(w, r, http.StatusOK, console.CannedEditor{})
}

func (h *Handler) renderSharedCanned(w http.ResponseWriter, r *http.Request, status int, e console.CannedEditor) {
	f := h.adminFrame(r)
	var err error
	if e.Items, err = h.DB.Canned(r.Context(), 0); err != nil {
		h.fail(w, r, err)
		return
	}
	e.CSRF, e.Base = f.CSRF, cannedShared
	e.DeletePrompt = func(shortcut string) string { return admin.AskDeleteCanned(r.Context(), shortcut).Prompt() }
	h.render(w, r, status, admin.CannedPage(admin.CannedProps{Frame: f, Editor: e}))
}

func (h *Handler) cannedSave(w http.ResponseWriter, r *http.Request) {
	h.saveCanned(w, r, h.mineCanned())
}
func (h *Handler) cannedRemove(w http.ResponseWriter, r *http.Request) {
	h.removeCanned(w, r, h.mineCanned())
}
func (h *Handler) adminCannedSave(w http.ResponseWriter, r *http.Request) {
	h.saveCanned(w, r, h.sharedCanned())
}
func (h *Handler) adminCannedRemove(w http.ResponseWriter, r *http.Request) {
	h.removeCanned(w, r, h.sharedCanned())
}

// saveCanned creates a canned response in place's list, or changes its
// response {id}. Bad input gives the page back with the form as it was
// and why it was refused.
func (h *Handler) saveCanned(w http.ResponseWriter, r *http.Request, place cannedPlace) {
	ctx := r.Context()
	c := chat.Canned{OwnerID: place.owner(r), Shortcut: r.PostFormValue("shortcut"), Body: r.PostFormValue("body")}
	if chi.URLParam(r, "id") != "" {
		id, err := pathID(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		c.ID = id
	}
	saved, err := h.DB.SaveCanned(ctx, accountFrom(ctx).ID, c)
	var ve *chat.ValidationError
	if errors.As(err, &ve) && !wantsJSON(r) {
		place.page(w, r, http.StatusBadRequest, console.CannedEditor{Refusal: reason(i18n.From(ctx), err), Form: c})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	place.done(w, r, i18n.T(ctx, "canned.saved", "Shortcut", "/"+saved.Shortcut))
}

// removeCanned deletes response {id} of place's list, once confirmed
// where the place asks (the shared ones, as admin changes that cannot be
// taken back).
func (h *Handler) removeCanned(w http.ResponseWriter, r *http.Request, place cannedPlace) {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if place.confirmed != nil && !place.confirmed(w, r, id) {
		return
	}
	if err := h.DB.RemoveCanned(ctx, accountFrom(ctx).ID, id, place.owner(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	place.done(w, r, i18n.T(ctx, "canned.deleted"))
}
