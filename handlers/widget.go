package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/static"
	"github.com/kefu-im/kefu/views/widget"
)

// widgetShow renders the widget's iframe page.
// ?to=<user id> names the agent a new chat asks for ("contact the author").
func (h *Handler) widgetShow(w http.ResponseWriter, r *http.Request) {
	to, _ := strconv.ParseInt(r.URL.Query().Get("to"), 10, 64)
	h.render(w, r, http.StatusOK, widget.Page(max(to, 0)))
}

// widgetScript serves the one-line embed at a stable URL; host pages are
// not asked to change it, so it is cached briefly.
func (h *Handler) widgetScript(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	static.ServeFile(w, r, "widget.js")
}

// visitorCreate gives a new widget visitor their token. Only its hash is stored.
func (h *Handler) visitorCreate(w http.ResponseWriter, r *http.Request) {
	token := auth.NewToken()
	u, err := h.DB.CreateVisitor(r.Context(), auth.TokenHash(token))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": token, "visitor_id": u.ID})
}

// widgetHistoryShow answers the widget's "load earlier messages".
func (h *Handler) widgetHistoryShow(w http.ResponseWriter, r *http.Request) {
	v, err := h.visitor(r, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.olderPage(w, r, chat.Viewer{UserID: v.ID}, func(id int64) string { return "/widget/c/" + strconv.FormatInt(id, 10) + "/history" })
}

// visitor returns the visitor holding token.
func (h *Handler) visitor(r *http.Request, token string) (chat.User, error) {
	if token == "" {
		return chat.User{}, chat.ErrUnauthorized
	}
	u, err := h.DB.VisitorByToken(r.Context(), auth.TokenHash(token))
	if errors.Is(err, chat.ErrNotFound) || (err == nil && u.Disabled()) {
		return u, chat.ErrUnauthorized
	}
	return u, err
}
