package handlers

import (
	"net/http"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/views/admin"
)

// Flash keys: what the next admin page says once. A generated password
// waits there until that page shows it.
const (
	sessionAdminNotice    = "admin_notice"
	sessionNewPassword    = "admin_new_password"
	sessionNewPasswordFor = "admin_new_password_for"
)

// auditPageSize is how many audit entries a page shows.
const auditPageSize = 100

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

// confirmed reports whether the admin confirmed a change that cannot be
// taken back: confirm=1, sent by admin.js once confirm() said yes, or by the
// page that asks. Otherwise it answers with that page, asking what ask
// says; its form posts the fields named in carry again, with confirm=1.
// JSON callers are told to send confirm=1.
func (h *Handler) confirmed(w http.ResponseWriter, r *http.Request, section, fallback string,
	ask func() (admin.Ask, error), carry ...string) bool {
	if r.PostFormValue("confirm") == "1" {
		return true
	}
	if wantsJSON(r) {
		h.fail(w, r, chat.Invalid("confirm", "admin.confirmRequired"))
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
