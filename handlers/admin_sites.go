package handlers

// The admin's sites page: the websites that embed the widget.

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/views/admin"
)

func (h *Handler) adminSitesShow(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sites, err := h.DB.Sites(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := admin.SitesProps{Frame: h.adminFrame(r), Mail: h.Mail.On}
	for _, s := range sites {
		secret, err := h.DB.SiteSecret(ctx, s.ID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		hours, err := h.DB.SiteHours(ctx, s.ID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		p.Sites = append(p.Sites, admin.SiteRow{Site: s, Secret: secret, Embed: h.embedLine(s), Hours: hours})
	}
	h.render(w, r, http.StatusOK, admin.SitesPage(p))
}

// embedLine is the script tag that embeds site s's widget; a site that
// fixes its language, or has a colour of its own, says it there too, for the
// launcher, which shows before kefu is asked anything.
func (h *Handler) embedLine(s chat.Site) string {
	lang := ""
	if s.Language != "" {
		lang = fmt.Sprintf(` data-lang="%s"`, s.Language)
	}
	if s.Colour != "" && s.Colour != chat.DefaultColour {
		lang += fmt.Sprintf(` data-colour="%s"`, s.Colour)
	}
	return fmt.Sprintf(`<script src="%s/widget.js" data-site="%d"%s async></script>`, h.BaseURL.String(), s.ID, lang)
}

// siteFromForm reads the site form.
func siteFromForm(r *http.Request) (chat.Site, error) {
	s := chat.Site{
		Name:           r.PostFormValue("name"),
		Origins:        strings.Fields(r.PostFormValue("origins")),
		Greeting:       strings.TrimSpace(r.PostFormValue("greeting")),
		Colour:         r.PostFormValue("colour"),
		OfflineMessage: strings.TrimSpace(r.PostFormValue("offline_message")),
		Language:       r.PostFormValue("language"),
		TypingPreview:  r.PostFormValue("typing_preview") == "1",
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
	h.adminDone(w, r, i18n.T(r.Context(), "sites.added", "Name", s.Name), "/admin/sites")
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
	h.adminDone(w, r, i18n.T(r.Context(), "sites.saved", "Name", s.Name), "/admin/sites")
}

func (h *Handler) adminSiteSecretRotate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !h.confirmed(w, r, admin.SectionSites, "/admin/sites", func() (admin.Ask, error) {
		s, err := h.DB.Site(r.Context(), id)
		return admin.AskRotateSiteSecret(r.Context(), s.Name), err
	}) {
		return
	}
	if err := h.DB.RotateSiteSecret(r.Context(), accountFrom(r.Context()).ID, id, auth.NewToken()); err != nil {
		h.fail(w, r, err)
		return
	}
	h.adminDone(w, r, i18n.T(r.Context(), "sites.rotated"), "/admin/sites")
}
