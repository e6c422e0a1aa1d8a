package handlers

// The admin's labels page: the labels agents put on support chats.

import (
	"net/http"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/views/admin"
)

func (h *Handler) adminLabelsShow(w http.ResponseWriter, r *http.Request) {
	labels, err := h.DB.Labels(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, admin.LabelsPage(admin.LabelsProps{Frame: h.adminFrame(r), Labels: labels, Max: store.MaxLabels}))
}

func labelFromForm(r *http.Request) chat.Label {
	return chat.Label{Name: r.PostFormValue("name"), Color: r.PostFormValue("color")}
}

func (h *Handler) adminLabelCreate(w http.ResponseWriter, r *http.Request) {
	l, err := h.DB.CreateLabel(r.Context(), accountFrom(r.Context()).ID, labelFromForm(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.adminDone(w, r, i18n.T(r.Context(), "labels.added", "Name", l.Name), "/admin/labels")
}

func (h *Handler) adminLabelUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	l := labelFromForm(r)
	l.ID = id
	if l, err = h.DB.UpdateLabel(r.Context(), accountFrom(r.Context()).ID, l); err != nil {
		h.fail(w, r, err)
		return
	}
	h.adminDone(w, r, i18n.T(r.Context(), "labels.saved", "Name", l.Name), "/admin/labels")
}

func (h *Handler) adminLabelRemove(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !h.confirmed(w, r, admin.SectionLabels, "/admin/labels", func() (admin.Ask, error) {
		name := ""
		labels, err := h.DB.Labels(r.Context())
		for _, l := range labels {
			if l.ID == id {
				name = l.Name
			}
		}
		if err == nil && name == "" {
			err = chat.ErrNotFound
		}
		return admin.AskDeleteLabel(r.Context(), name), err
	}) {
		return
	}
	l, err := h.DB.DeleteLabel(r.Context(), accountFrom(r.Context()).ID, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.adminDone(w, r, i18n.T(r.Context(), "labels.deleted", "Name", l.Name), "/admin/labels")
}
