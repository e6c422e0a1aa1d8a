package handlers

// The admin's users page: members and agents, created, disabled, their
// passwords reset and their capacity set.

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/views/admin"
)

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
		status, _, msg := publicError(i18n.From(ctx), err)
		if errors.Is(err, chat.ErrConflict) {
			msg = i18n.T(ctx, "admin.users.emailTaken")
		}
		if status == http.StatusInternalServerError {
			h.fail(w, r, err)
			return
		}
		form.Error = msg
		h.renderUsers(w, r, status, form)
	}
	if err := validateNewUser(ctx, form.Email, form.Name); err != nil {
		refuse(err)
		return
	}
	password, err := chosenPassword(ctx, r.PostFormValue("password"))
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
			refuse(chat.Invalid("agent", "admin.users.agentsUnrestricted"))
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
	h.adminDone(w, r, i18n.T(ctx, "admin.users.added", "Name", u.DisplayName()), "/admin/users")
}

func validateNewUser(ctx context.Context, email, name string) error {
	if !chat.ValidEmail(email) {
		return chat.Invalid("email", "admin.users.badEmail")
	}
	if utf8.RuneCountInString(name) > chat.MaxNameChars {
		return chat.Invalid("name", "admin.users.nameTooLong", "Max", chat.MaxNameChars)
	}
	if !chat.ValidName(name) {
		return chat.Invalid("name", "admin.users.badName")
	}
	return nil
}

// chosenPassword is the password an admin typed, or a generated one when they left it blank.
func chosenPassword(ctx context.Context, typed string) (string, error) {
	if typed == "" {
		return auth.RandomPassword(), nil
	}
	if !chat.ValidPassword(typed) {
		return "", chat.Invalid("password", "admin.users.badPassword", "Min", chat.MinPasswordChars, "Max", chat.MaxPasswordBytes)
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
		h.fail(w, r, chat.Invalid("user", "admin.users.disableSelf"))
		return
	}
	if disabled && !h.confirmed(w, r, admin.SectionUsers, "/admin/users", asking(admin.AskDisable(ctx, u.DisplayName()))) {
		return
	}
	if err := h.DB.SetDisabled(ctx, acct.ID, u.ID, disabled); err != nil {
		h.fail(w, r, err)
		return
	}
	notice := i18n.T(ctx, "admin.users.enabled", "Name", u.DisplayName())
	if disabled {
		notice = i18n.T(ctx, "admin.users.disabled", "Name", u.DisplayName())
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
	password, err := chosenPassword(ctx, typed)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !h.confirmed(w, r, admin.SectionUsers, "/admin/users", asking(admin.AskResetPassword(ctx, u.DisplayName())), "password") {
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
	h.adminDone(w, r, i18n.T(ctx, "admin.users.passwordReset", "Name", u.DisplayName()), "/admin/users")
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
	ctx := r.Context()
	acct := accountFrom(ctx)
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
		h.fail(w, r, chat.Invalid("agent", "admin.users.badAgent"))
		return
	}
	if !agent && !h.confirmed(w, r, admin.SectionUsers, "/admin/users", asking(admin.AskRemoveAgent(ctx, u.DisplayName())), "agent") {
		return
	}
	if err := h.DB.SetAgent(ctx, acct.ID, u.ID, agent); err != nil {
		h.fail(w, r, err)
		return
	}
	notice := i18n.T(ctx, "admin.users.agentOff", "Name", u.DisplayName())
	if agent {
		notice = i18n.T(ctx, "admin.users.agentOn", "Name", u.DisplayName())
	}
	h.adminDone(w, r, notice, "/admin/users")
}

// adminCapacityUpdate sets how many open chats an agent may have.
func (h *Handler) adminCapacityUpdate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	acct := accountFrom(ctx)
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
	if err := h.DB.SetAgentCapacity(ctx, acct.ID, u.ID, capacity); err != nil {
		h.fail(w, r, err)
		return
	}
	h.adminDone(w, r, i18n.T(ctx, "admin.users.capacitySet", "Name", u.DisplayName(), "Capacity", capacity), "/admin/users")
}

func parseCapacity(r *http.Request) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("capacity")))
	if err != nil {
		return 0, chat.Invalid("capacity", "admin.badCapacity")
	}
	return n, chat.ValidateCapacity(n)
}
