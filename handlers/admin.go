package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/views/admin"
)

// errAdminOnly: a signed-in member who is not an admin asked for an admin page.
var errAdminOnly = errors.New("admin only")

// Flash keys: what the next admin page says once. A generated password
// waits there until that page shows it.
const (
	sessionAdminNotice    = "admin_notice"
	sessionNewPassword    = "admin_new_password"
	sessionNewPasswordFor = "admin_new_password_for"
)

// auditPageSize is how many audit entries a page shows.
const auditPageSize = 100

// adminRoutes are the admin pages: members, settings and the audit log.
func (h *Handler) adminRoutes(r chi.Router) {
	r.Use(h.adminOnly)
	r.Get("/", http.RedirectHandler("/admin/users", http.StatusSeeOther).ServeHTTP)
	r.Get("/users", h.adminUsersShow)
	r.Post("/users", h.adminUserCreate)
	r.Post("/users/{id}/disable", h.adminUserDisable)
	r.Post("/users/{id}/enable", h.adminUserEnable)
	r.Post("/users/{id}/password", h.adminPasswordUpdate)
	r.Post("/users/{id}/agent", h.adminAgentUpdate)
	r.Post("/users/{id}/capacity", h.adminCapacityUpdate)
	r.Get("/settings", h.adminSettingsShow)
	r.Post("/settings/grade", h.adminGradeUpdate)
	r.Post("/settings/agents", h.adminAgentsUpdate)
	r.Post("/settings/capacity", h.adminDefaultCapacityUpdate)
	r.Post("/settings/push", h.adminPushUpdate)
	r.Post("/settings/vapid", h.adminVAPIDRotate)
	r.Get("/audit", h.adminAuditShow)
	h.adminSiteRoutes(r)
	h.adminAPIRoutes(r)
}

// adminOnly lets through admins only, on every method.
func (h *Handler) adminOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !accountFrom(r.Context()).IsAdmin {
			h.fail(w, r, errAdminOnly)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// adminFrame is what every admin page shows around its content, with the
// notice left by the change before, which it shows only once.
func (h *Handler) adminFrame(r *http.Request) admin.Frame {
	return admin.Frame{
		CSRF:   h.csrfToken(r),
		Me:     accountFrom(r.Context()).User,
		Notice: h.Sessions.PopString(r.Context(), sessionAdminNotice),
	}
}

// adminDone ends a change: the notice for the next page, then back to where the form was.
func (h *Handler) adminDone(w http.ResponseWriter, r *http.Request, notice, fallback string) {
	h.Sessions.Put(r.Context(), sessionAdminNotice, notice)
	http.Redirect(w, r, adminBack(r, fallback), http.StatusSeeOther)
}

// adminBack is the admin page the form was posted from, so that a filter
// survives the change; fallback when there is none. A confirmation page
// names it in the form field back, since the page itself is no place to
// return to.
func adminBack(r *http.Request, fallback string) string {
	if back, err := url.Parse(r.PostFormValue("back")); err == nil && back.Scheme == "" && back.Host == "" &&
		strings.HasPrefix(path.Clean(back.Path), "/admin/") {
		return (&url.URL{Path: path.Clean(back.Path), RawQuery: back.RawQuery}).String()
	}
	ref, err := url.Parse(r.Referer())
	if err != nil || ref.Host != r.Host || !strings.HasPrefix(ref.Path, "/admin/") {
		return fallback
	}
	return (&url.URL{Path: ref.Path, RawQuery: ref.RawQuery}).String()
}

// confirmed reports whether the admin confirmed a change that cannot be
// taken back: confirm=1, sent by live.js once confirm() said yes, or by the
// page that asks. Otherwise it answers with that page, asking what ask
// says; its form posts the fields named in carry again, with confirm=1.
// JSON callers are told to send confirm=1.
func (h *Handler) confirmed(w http.ResponseWriter, r *http.Request, section, fallback string,
	ask func() (admin.Ask, error), carry ...string) bool {
	if r.PostFormValue("confirm") == "1" {
		return true
	}
	if wantsJSON(r) {
		h.fail(w, r, chat.Invalid("confirm", "This change cannot be taken back: send confirm=1 to make it."))
		return false
	}
	a, err := ask()
	if err != nil {
		h.fail(w, r, err)
		return false
	}
	// The page may carry a typed password: no cache keeps it.
	w.Header().Set("Cache-Control", "no-store")
	p := admin.ConfirmProps{Frame: h.adminFrame(r), Section: section, Ask: a, Action: r.URL.Path, Back: adminBack(r, fallback)}
	for _, name := range carry {
		if v := r.PostFormValue(name); v != "" {
			p.Fields = append(p.Fields, admin.Field{Name: name, Value: v})
		}
	}
	h.render(w, r, http.StatusOK, admin.ConfirmPage(p))
	return false
}

// asking is an ask that needs nothing loaded.
func asking(a admin.Ask) func() (admin.Ask, error) {
	return func() (admin.Ask, error) { return a, nil }
}
