package handlers

// The admin's settings page (conversation_grade, customer_service_uids, the
// default capacity) and the audit log.

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/push"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/views/admin"
)

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
	if p.HidePushText, err = h.DB.PushHideText(ctx); err != nil {
		h.fail(w, r, err)
		return
	}
	for _, m := range members {
		p.Members = append(p.Members, m.User)
	}
	h.render(w, r, http.StatusOK, admin.SettingsPage(p))
}

// adminPushUpdate sets whether notifications leave message text out.
func (h *Handler) adminPushUpdate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	hide := r.PostFormValue("hide") == "1"
	if err := h.DB.SetPushHideText(ctx, accountFrom(ctx).ID, hide); err != nil {
		h.fail(w, r, err)
		return
	}
	notice := i18n.T(ctx, "admin.settings.previewOn")
	if hide {
		notice = i18n.T(ctx, "admin.settings.previewOff")
	}
	h.adminDone(w, r, notice, "/admin/settings")
}

// adminVAPIDRotate replaces the push keys; every device must subscribe again.
func (h *Handler) adminVAPIDRotate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !h.confirmed(w, r, admin.SectionSettings, "/admin/settings", asking(admin.AskRotatePushKeys(ctx))) {
		return
	}
	if _, err := push.RotateKeys(ctx, h.DB, accountFrom(ctx).ID); err != nil {
		h.fail(w, r, err)
		return
	}
	h.adminDone(w, r, i18n.T(ctx, "admin.settings.vapidRotated"), "/admin/settings")
}

// adminGradeUpdate sets conversation_grade.
func (h *Handler) adminGradeUpdate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	grade, err := strconv.Atoi(r.PostFormValue("grade"))
	if err != nil {
		h.fail(w, r, chat.Invalid("grade", "admin.settings.badGrade"))
		return
	}
	if err := h.DB.SetGrade(ctx, accountFrom(ctx).ID, grade); err != nil {
		h.fail(w, r, err)
		return
	}
	h.adminDone(w, r, i18n.T(ctx, "admin.settings.saved"), "/admin/settings")
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
				h.fail(w, r, chat.Invalid("uid", "admin.settings.badPick"))
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
		h.fail(w, r, chat.Invalid("mode", "admin.settings.badMode"))
		return
	}
	if err := h.DB.SetAgentList(ctx, accountFrom(ctx).ID, next); err != nil {
		h.fail(w, r, err)
		return
	}
	h.adminDone(w, r, i18n.T(ctx, "admin.settings.saved"), "/admin/settings")
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
	ctx := r.Context()
	capacity, err := parseCapacity(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.DB.SetDefaultCapacity(ctx, accountFrom(ctx).ID, capacity); err != nil {
		h.fail(w, r, err)
		return
	}
	h.adminDone(w, r, i18n.T(ctx, "admin.settings.saved"), "/admin/settings")
}

// adminAuditShow lists the audit log, newest first; ?before=<id> pages back.
func (h *Handler) adminAuditShow(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var before int64
	if s := r.URL.Query().Get("before"); s != "" {
		var err error
		if before, err = strconv.ParseInt(s, 10, 64); err != nil || before < 1 {
			h.fail(w, r, chat.Invalid("before", "admin.audit.badBefore"))
			return
		}
	}
	entries, more, err := h.DB.AuditLog(ctx, before, auditPageSize)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := admin.AuditProps{Frame: h.adminFrame(r)}
	for _, e := range entries {
		p.Entries = append(p.Entries, auditRow(ctx, e))
	}
	if more {
		p.OlderURL = "/admin/audit?before=" + strconv.FormatInt(entries[len(entries)-1].ID, 10)
	}
	h.render(w, r, http.StatusOK, admin.AuditPage(p))
}

func auditRow(ctx context.Context, e store.AuditEntry) admin.AuditRow {
	row := admin.AuditRow{At: e.At, Actor: e.ActorName, Action: e.Action, Subject: auditSubject(ctx, e.Subject),
		Old: compactJSON(e.Old), New: compactJSON(e.New)}
	if e.ActorID == nil {
		row.Actor = "kefu"
	}
	if e.SubjectName != "" {
		row.Subject = e.SubjectName + " (" + row.Subject + ")"
	}
	return row
}

// auditSubject is what an audit entry changed, in the reader's words: a
// record ("user 7") by its kind and number; a setting by its key.
func auditSubject(ctx context.Context, subject string) string {
	kind, id, ok := strings.Cut(subject, " ")
	if !ok {
		return subject
	}
	switch kind {
	case "user":
		return i18n.T(ctx, "admin.audit.subject.user", "ID", id)
	case "site":
		return i18n.T(ctx, "admin.audit.subject.site", "ID", id)
	case "webhook":
		return i18n.T(ctx, "admin.audit.subject.webhook", "ID", id)
	case "api_key":
		return i18n.T(ctx, "admin.audit.subject.apiKey", "ID", id)
	}
	return subject
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
