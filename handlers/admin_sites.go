package handlers

// The admin's sites page: the websites that embed the widget.

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/views/admin"
)

func (h *Handler) adminSitesShow(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sites, err := h.DB.Sites(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := admin.SitesProps{Frame: h.adminFrame(r)}
	for _, s := range sites {
		secret, err := h.DB.SiteSecret(ctx, s.ID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		p.Sites = append(p.Sites, admin.SiteRow{Site: s, Secret: secret,
			Embed: fmt.Sprintf(`<script src="%s/widget.js" data-site="%d" async></script>`, h.BaseURL.String(), s.ID)})
	}
	h.render(w, r, http.StatusOK, admin.SitesPage(p))
}

// siteFromForm reads the site form.
func siteFromForm(r *http.Request) (chat.Site, error) {
	s := chat.Site{
		Name:           r.PostFormValue("name"),
		Origins:        strings.Fields(r.PostFormValue("origins")),
		Greeting:       strings.TrimSpace(r.PostFormValue("greeting")),
		Colour:         r.PostFormValue("colour"),
		OfflineMessage: strings.TrimSpace(r.PostFormValue("offline_message")),
	}
	var err error
	if s.PrechatName, err = chat.ParseFieldRule(r.PostFormValue("prechat_name")); err != nil {
		return s, err
	}
	s.PrechatEmail, err = chat.ParseFieldRule(r.PostFormValue("prechat_email"))
	return s, err
}

func (h *Handler) adminSiteCreate(w http.ResponseWriter, r *http.Request) {
	s, err := siteFromForm(r)
	if err == nil {
		s, err = h.DB.CreateSite(r.Context(), accountFrom(r.Context()).ID, s, auth.NewToken())
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.adminDone(w, r, s.Name+" is added. Paste its line into the site's pages.", "/admin/sites")
}

func (h *Handler) adminSiteUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	s, err := siteFromForm(r)
	s.ID = id
	if err == nil {
		s, err = h.DB.UpdateSite(r.Context(), accountFrom(r.Context()).ID, s)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.adminDone(w, r, s.Name+" is saved.", "/admin/sites")
}

func (h *Handler) adminSiteSecretRotate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !h.confirmed(w, r, admin.SectionSites, "/admin/sites", func() (admin.Ask, error) {
		s, err := h.DB.Site(r.Context(), id)
		return admin.AskRotateSiteSecret(s.Name), err
	}) {
		return
	}
	if err := h.DB.RotateSiteSecret(r.Context(), accountFrom(r.Context()).ID, id, auth.NewToken()); err != nil {
		h.fail(w, r, err)
		return
	}
	h.adminDone(w, r, "The identity secret is rotated: tokens signed with the old one are refused from now on.", "/admin/sites")
}
