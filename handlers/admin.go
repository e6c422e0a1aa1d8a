package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
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

// Limits on what admins type.
const (
	minPasswordLen = 8
	maxPasswordLen = 1000
	maxNameLen     = 100
	auditPageSize  = 100
)

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
	r.Get("/audit", h.adminAuditShow)
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
// survives the change; fallback when there is none.
func adminBack(r *http.Request, fallback string) string {
	ref, err := url.Parse(r.Referer())
	if err != nil || ref.Host != r.Host || !strings.HasPrefix(ref.Path, "/admin/") {
		return fallback
	}
	return (&url.URL{Path: ref.Path, RawQuery: ref.RawQuery}).String()
}

// adminUsersShow lists the members, filtered by ?q= on name or email.
func (h *Handler) adminUsersShow(w http.ResponseWriter, r *http.Request) {
	h.renderUsers(w, r, http.StatusOK, admin.NewUser{})
}

// renderUsers renders the users page; form is the create form as it was sent.
func (h *Handler) renderUsers(w http.ResponseWriter, r *http.Request, status int, form admin.NewUser) {
	ctx := r.Context()
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	members, err := h.DB.Members(ctx, q)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	settings, err := h.DB.Settings(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := admin.UsersProps{
		Frame:          h.adminFrame(r),
		Query:          q,
		Unrestricted:   settings.Agents.Unrestricted,
		Form:           form,
		NewPassword:    h.Sessions.PopString(ctx, sessionNewPassword),
		NewPasswordFor: h.Sessions.PopString(ctx, sessionNewPasswordFor),
	}
	for _, m := range members {
		row := admin.UserRow{User: m.User, Agent: settings.Agents.Has(m.ID), Capacity: settings.DefaultCapacity}
		if m.Capacity != nil {
			row.Capacity = *m.Capacity
		}
		p.Users = append(p.Users, row)
	}
	h.render(w, r, status, admin.UsersPage(p))
}

// adminUserCreate adds a member, with the password given or a generated
// one shown once, and makes them an agent when the box is ticked.
func (h *Handler) adminUserCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	acct := accountFrom(ctx)
	form := admin.NewUser{
		Email: strings.TrimSpace(r.PostFormValue("email")),
		Name:  strings.TrimSpace(r.PostFormValue("name")),
		Agent: r.PostFormValue("agent") != "",
	}
	refuse := func(err error) {
		status, _, msg := publicError(err)
		if errors.Is(err, chat.ErrConflict) {
			msg = "A user with that email already exists."
		}
		if status == http.StatusInternalServerError {
			h.fail(w, r, err)
			return
		}
		form.Error = msg
		h.renderUsers(w, r, status, form)
	}
	if err := validateNewUser(form.Email, form.Name); err != nil {
		refuse(err)
		return
	}
	password, err := chosenPassword(r.PostFormValue("password"))
	if err != nil {
		refuse(err)
		return
	}
	if form.Agent {
		// Refused before the member exists, so a refusal creates nobody.
		agents, err := h.DB.AgentList(ctx)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if agents.Unrestricted {
			refuse(chat.Invalid("agent", "customer_service_uids is false (no restriction), so nobody can be made an agent. Choose a customer service list in Settings first."))
			return
		}
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := h.DB.CreateMember(ctx, store.NewMember{Email: form.Email, Name: form.Name, PasswordHash: hash, ActorID: acct.ID})
	if err != nil {
		refuse(err)
		return
	}
	if form.Agent {
		if err := h.DB.SetAgent(ctx, acct.ID, u.ID, true); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if r.PostFormValue("password") == "" {
		h.Sessions.Put(ctx, sessionNewPassword, password)
		h.Sessions.Put(ctx, sessionNewPasswordFor, u.DisplayName())
	}
	h.adminDone(w, r, "Added "+u.DisplayName()+".", "/admin/users")
}

func validateNewUser(email, name string) error {
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return chat.Invalid("email", "Enter an email address, such as sam@example.com.")
	}
	if utf8.RuneCountInString(name) > maxNameLen {
		return chat.Invalid("name", "The name is too long: 100 characters at most.")
	}
	return nil
}

// chosenPassword is the password an admin typed, or a generated one when they left it blank.
func chosenPassword(typed string) (string, error) {
	if typed == "" {
		return auth.RandomPassword(), nil
	}
	if n := utf8.RuneCountInString(typed); n < minPasswordLen || len(typed) > maxPasswordLen {
		return "", chat.Invalid("password", "A password needs at least 8 characters (and at most 1000). Leave it blank to generate one.")
	}
	return typed, nil
}

// adminMember returns member {id}; anyone else is not found.
func (h *Handler) adminMember(r *http.Request) (chat.User, error) {
	id, err := pathID(r)
	if err != nil {
		return chat.User{}, err
	}
	u, err := h.DB.User(r.Context(), id)
	if err != nil {
		return u, err
	}
	if u.Kind != chat.KindMember {
		return u, chat.ErrNotFound
	}
	return u, nil
}

// adminUserDisable disables a member: their sockets close and their sessions stop working.
func (h *Handler) adminUserDisable(w http.ResponseWriter, r *http.Request) {
	h.setDisabled(w, r, true)
}

// adminUserEnable lets a disabled member sign in again.
func (h *Handler) adminUserEnable(w http.ResponseWriter, r *http.Request) {
	h.setDisabled(w, r, false)
}

func (h *Handler) setDisabled(w http.ResponseWriter, r *http.Request, disabled bool) {
	ctx := r.Context()
	acct := accountFrom(ctx)
	u, err := h.adminMember(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if disabled && u.ID == acct.ID {
		h.fail(w, r, chat.Invalid("user", "You cannot disable your own account. Another admin can."))
		return
	}
	if err := h.DB.SetDisabled(ctx, acct.ID, u.ID, disabled); err != nil {
		h.fail(w, r, err)
		return
	}
	notice := u.DisplayName() + " is enabled."
	if disabled {
		notice = u.DisplayName() + " is disabled and signed out everywhere."
	}
	h.adminDone(w, r, notice, "/admin/users")
}

// adminPasswordUpdate resets a member's password to the one given, or to a
// generated one shown once. Their other sessions stop working.
func (h *Handler) adminPasswordUpdate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	acct := accountFrom(ctx)
	u, err := h.adminMember(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	typed := r.PostFormValue("password")
	password, err := chosenPassword(typed)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.DB.ResetPassword(ctx, acct.ID, u.ID, hash); err != nil {
		h.fail(w, r, err)
		return
	}
	if u.ID == acct.ID {
		// An admin resetting their own password stays signed in here, and only here.
		if err := h.renewEpoch(ctx, u.ID); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if typed == "" {
		h.Sessions.Put(ctx, sessionNewPassword, password)
		h.Sessions.Put(ctx, sessionNewPasswordFor, u.DisplayName())
	}
	h.adminDone(w, r, u.DisplayName()+"'s password is reset; their other sessions are signed out.", "/admin/users")
}

// renewEpoch moves the session in ctx to the user's current session epoch, under a new token.
func (h *Handler) renewEpoch(ctx context.Context, userID int64) error {
	_, epoch, err := h.DB.SessionUser(ctx, userID)
	if err != nil {
		return err
	}
	if err := h.Sessions.RenewToken(ctx); err != nil {
		return err
	}
	h.Sessions.Put(ctx, sessionEpoch, epoch)
	return nil
}

// adminAgentUpdate makes a member customer service (agent=1) or takes them off the list (agent=0).
func (h *Handler) adminAgentUpdate(w http.ResponseWriter, r *http.Request) {
	acct := accountFrom(r.Context())
	u, err := h.adminMember(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var agent bool
	switch r.PostFormValue("agent") {
	case "1":
		agent = true
	case "0":
	default:
		h.fail(w, r, chat.Invalid("agent", "Choose whether they are an agent: agent=1 or agent=0."))
		return
	}
	if err := h.DB.SetAgent(r.Context(), acct.ID, u.ID, agent); err != nil {
		h.fail(w, r, err)
		return
	}
	notice := u.DisplayName() + " is no longer an agent."
	if agent {
		notice = u.DisplayName() + " is an agent."
	}
	h.adminDone(w, r, notice, "/admin/users")
}

// adminCapacityUpdate sets how many open chats an agent may have.
func (h *Handler) adminCapacityUpdate(w http.ResponseWriter, r *http.Request) {
	acct := accountFrom(r.Context())
	u, err := h.adminMember(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	capacity, err := parseCapacity(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.DB.SetAgentCapacity(r.Context(), acct.ID, u.ID, capacity); err != nil {
		h.fail(w, r, err)
		return
	}
	h.adminDone(w, r, u.DisplayName()+"'s capacity is "+strconv.Itoa(capacity)+".", "/admin/users")
}

func parseCapacity(r *http.Request) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("capacity")))
	if err != nil {
		return 0, chat.Invalid("capacity", "Capacity is a number of chats from 0 to 1000.")
	}
	return n, chat.ValidateCapacity(n)
}

// adminSettingsShow shows conversation_grade, customer_service_uids and the default capacity.
func (h *Handler) adminSettingsShow(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	settings, err := h.DB.Settings(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	members, err := h.DB.Members(ctx, "")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := admin.SettingsProps{Frame: h.adminFrame(r), Settings: settings}
	for _, m := range members {
		p.Members = append(p.Members, m.User)
	}
	h.render(w, r, http.StatusOK, admin.SettingsPage(p))
}

// adminGradeUpdate sets conversation_grade.
func (h *Handler) adminGradeUpdate(w http.ResponseWriter, r *http.Request) {
	grade, err := strconv.Atoi(r.PostFormValue("grade"))
	if err != nil {
		h.fail(w, r, chat.Invalid("grade", "Choose a conversation grade: 0, 100 or 200."))
		return
	}
	if err := h.DB.SetGrade(r.Context(), accountFrom(r.Context()).ID, grade); err != nil {
		h.fail(w, r, err)
		return
	}
	h.adminDone(w, r, "Saved.", "/admin/settings")
}

// adminAgentsUpdate sets customer_service_uids: the users ticked (mode=list), or false.
func (h *Handler) adminAgentsUpdate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var next chat.AgentList
	switch r.PostFormValue("mode") {
	case "false":
		next.Unrestricted = true
	case "list":
		picked := make([]int64, 0, len(r.PostForm["uid"]))
		for _, s := range r.PostForm["uid"] {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil || id < 1 {
				h.fail(w, r, chat.Invalid("uid", "Pick customer service from the list of users."))
				return
			}
			if !slices.Contains(picked, id) {
				picked = append(picked, id)
			}
		}
		cur, err := h.DB.AgentList(ctx)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		next.IDs = keepOrder(cur.IDs, picked)
	default:
		h.fail(w, r, chat.Invalid("mode", "Choose a list of customer service, or no restriction (false)."))
		return
	}
	if err := h.DB.SetAgentList(ctx, accountFrom(ctx).ID, next); err != nil {
		h.fail(w, r, err)
		return
	}
	h.adminDone(w, r, "Saved.", "/admin/settings")
}

// keepOrder is picked with the ids already listed in cur first, in cur's
// order, so saving the list unchanged changes nothing.
func keepOrder(cur, picked []int64) []int64 {
	out := make([]int64, 0, len(picked))
	for _, id := range cur {
		if slices.Contains(picked, id) {
			out = append(out, id)
		}
	}
	for _, id := range picked {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// adminDefaultCapacityUpdate sets the capacity new agents start with.
func (h *Handler) adminDefaultCapacityUpdate(w http.ResponseWriter, r *http.Request) {
	capacity, err := parseCapacity(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.DB.SetDefaultCapacity(r.Context(), accountFrom(r.Context()).ID, capacity); err != nil {
		h.fail(w, r, err)
		return
	}
	h.adminDone(w, r, "Saved.", "/admin/settings")
}

// adminAuditShow lists the audit log, newest first; ?before=<id> pages back.
func (h *Handler) adminAuditShow(w http.ResponseWriter, r *http.Request) {
	var before int64
	if s := r.URL.Query().Get("before"); s != "" {
		var err error
		if before, err = strconv.ParseInt(s, 10, 64); err != nil || before < 1 {
			h.fail(w, r, chat.Invalid("before", "before must be an entry number."))
			return
		}
	}
	entries, more, err := h.DB.AuditLog(r.Context(), before, auditPageSize)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := admin.AuditProps{Frame: h.adminFrame(r)}
	for _, e := range entries {
		p.Entries = append(p.Entries, auditRow(e))
	}
	if more {
		p.OlderURL = "/admin/audit?before=" + strconv.FormatInt(entries[len(entries)-1].ID, 10)
	}
	h.render(w, r, http.StatusOK, admin.AuditPage(p))
}

func auditRow(e store.AuditEntry) admin.AuditRow {
	row := admin.AuditRow{At: e.At, Actor: e.ActorName, Action: e.Action, Subject: e.Subject, Old: compactJSON(e.Old), New: compactJSON(e.New)}
	if e.ActorID == nil {
		row.Actor = "kefu"
	}
	if e.SubjectName != "" {
		row.Subject = e.SubjectName + " (" + e.Subject + ")"
	}
	return row
}

// compactJSON shows a stored value on one line; none is an empty string.
func compactJSON(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}
