package handlers

// The launcher's view of a closed chat: while the visitor browses the host
// site with the widget's iframe gone, widget.js asks how many replies wait
// and what the newest says. It holds no visitor token (a script of the host
// page could then act as the visitor), only a status token, which the
// iframe hands it and which reads that and nothing else.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
)

const (
	// statusTokenLife is how long a status token reads; the widget hands
	// its launcher a new one each time it is shown.
	statusTokenLife = 30 * 24 * time.Hour
	// previewRunes is how much of the newest unread message the launcher shows.
	previewRunes = 80
)

// errStatusRefused answers a status token that is forged, expired, for
// another site, or whose visitor kefu no longer knows.
var errStatusRefused = &saying{err: chat.ErrUnauthorized, say: "widget.status.refused"}

// statusToken is an auth signed link of the visitor, for the purpose
// "kefu widget status <site id>" under the site's identity secret:
// rotating the secret revokes every status token of the site.
func statusToken(siteID, visitorID int64, expires time.Time, secret string) string {
	return auth.SignLink(statusPurpose(siteID), visitorID, expires, secret)
}

func statusPurpose(siteID int64) string { return fmt.Sprintf("kefu widget status %d", siteID) }

// verifyStatusToken returns the visitor a status token of site siteID
// names, if it is genuine and has not expired at now.
func verifyStatusToken(token string, siteID int64, secret string, now time.Time) (int64, bool) {
	visitorID, err := auth.VerifyLink(token, statusPurpose(siteID), secret, now)
	return visitorID, err == nil
}

// statusSite reads ?site= and its identity secret; an unknown site refuses
// the token, as a forged one.
func (h *Handler) statusSite(r *http.Request) (chat.Site, string, error) {
	site, err := h.widgetSite(r)
	if errors.Is(err, chat.ErrNotFound) || errors.Is(err, errNoPage) {
		return site, "", errStatusRefused
	}
	if err != nil {
		return site, "", err
	}
	secret, err := h.DB.SiteSecret(r.Context(), site.ID)
	return site, secret, err
}

// statusReader is the site ?site= and the visitor whose status token the
// request holds (Authorization: Bearer <status token>); errStatusRefused
// when the token reads nothing.
func (h *Handler) statusReader(r *http.Request) (chat.Site, int64, error) {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	site, secret, err := h.statusSite(r)
	if err != nil {
		return site, 0, err
	}
	visitorID, ok := verifyStatusToken(token, site.ID, secret, h.Now())
	if !ok {
		return site, 0, errStatusRefused
	}
	return site, visitorID, nil
}

// widgetStatusTokenCreate gives the widget's iframe, for its visitor
// (Authorization: Bearer <visitor token>), the status token of site ?site=
// that it hands the launcher on the host page.
func (h *Handler) widgetStatusTokenCreate(w http.ResponseWriter, r *http.Request) {
	v, err := h.visitor(r, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	site, secret, err := h.statusSite(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"status_token": statusToken(site.ID, v.ID, h.Now().Add(statusTokenLife), secret)})
}

// widgetStatusPreflight lets host pages send the status token in a header.
func (h *Handler) widgetStatusPreflight(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
	w.Header().Set("Access-Control-Allow-Headers", "Authorization")
	w.Header().Set("Access-Control-Max-Age", "7200")
	w.WriteHeader(http.StatusNoContent)
}

// statusPreview is the newest unread message, cut short.
type statusPreview struct {
	From string    `json:"from"`
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

// widgetStatusShow answers the launcher (GET /widget/status?site=<id>,
// Authorization: Bearer <status token>): {"unread", "preview" (null when
// nothing is unread), "colour"}. It is polled, so an unchanged answer is a
// 304 to a browser revalidating its copy.
func (h *Handler) widgetStatusShow(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	site, visitorID, err := h.statusReader(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	st, err := h.DB.StatusOfVisitor(r.Context(), visitorID)
	if errors.Is(err, chat.ErrNotFound) {
		err = errStatusRefused // gone, or disabled
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := struct {
		Unread  int64          `json:"unread"`
		Preview *statusPreview `json:"preview"`
		Colour  string         `json:"colour"`
	}{Unread: st.Unread, Colour: site.Colour}
	if st.Unread > 0 {
		if st.Type == chat.Merged {
			st.Text = i18n.T(r.Context(), "thread.mergedPreview")
		}
		out.Preview = &statusPreview{From: st.From, Text: cut(st.Text, previewRunes), At: st.At.UTC()}
	}
	body, err := json.Marshal(out)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "private, no-cache")
	w.Header().Set("Vary", "Authorization")
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(bytes.TrimSpace(body))
}

// maxPage bounds the body of POST /widget/status/page: a page's address.
const maxPage = 2048

// widgetStatusPageCreate notes, for the agent's visitor panel, the page of
// site ?site= that the launcher of the status token's visitor loaded on
// (POST /widget/status/page, Authorization: Bearer <status token>, the
// address as the body): 204. A token that reads nothing is refused as by
// GET /widget/status; a page that is not a web address of one of the
// site's origins is refused (400), and nothing is recorded.
func (h *Handler) widgetStatusPageCreate(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	site, visitorID, err := h.statusReader(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPage+1))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	page := strings.TrimSpace(string(body))
	u, err := url.Parse(page)
	if err != nil || len(body) > maxPage || !site.Allows(u.Scheme+"://"+u.Host) {
		h.fail(w, r, chat.Invalid("page", "error.page.invalid"))
		return
	}
	if err := h.DB.RecordVisitorPage(r.Context(), visitorID, page); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// cut is s's first n characters, with an ellipsis when there were more.
func cut(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) <= n {
		return string(r)
	}
	return strings.TrimSpace(string(r[:n])) + "…"
}
