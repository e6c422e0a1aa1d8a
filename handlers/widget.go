package handlers

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/static"
	"github.com/kefu-im/kefu/views/thread"
	"github.com/kefu-im/kefu/views/widget"
)

// widgetShow renders the widget's iframe page. ?site=<id> names the site
// embedding it: only that site's origins may frame it, and it takes the
// site's greeting and colours. ?to=<user id> names the person a new chat is
// for ("contact the author").
func (h *Handler) widgetShow(w http.ResponseWriter, r *http.Request) {
	r, p, ok := h.widgetProps(w, r, true)
	if ok {
		h.render(w, r, http.StatusOK, widget.Page(p))
	}
}

// widgetAim answers the widget switching to another person (?to=) without
// reloading: the new title and pre-chat fields.
func (h *Handler) widgetAim(w http.ResponseWriter, r *http.Request) {
	r, p, ok := h.widgetProps(w, r, false)
	if ok {
		h.render(w, r, http.StatusOK, widget.Aimed(p))
	}
}

// widgetProps reads ?site= and ?to= into what the widget shows; framed
// requests are checked against the site's origins. It returns the request
// in the widget's language (widgetLanguage), and reports whether it has not
// answered the request already.
func (h *Handler) widgetProps(w http.ResponseWriter, r *http.Request, framed bool) (*http.Request, widget.Props, bool) {
	var p widget.Props
	var site chat.Site
	if v := r.URL.Query().Get("site"); v != "" && v != "0" {
		var err error
		if site, err = h.widgetSite(r); err != nil {
			h.fail(w, r, err)
			return r, p, false
		}
	}
	loc := widgetLanguage(r, site)
	// The socket's handshake carries the browser's Accept-Language, and its
	// URL any other language chosen here.
	p.Live = "/widget/live"
	if loc != i18n.From(r.Context()) {
		p.Live += "?" + url.Values{"lang": {loc.Lang()}}.Encode()
	}
	r = r.WithContext(i18n.With(r.Context(), loc))
	ctx := r.Context()
	if site.ID != 0 {
		if origin, ok := framedBy(r); framed && ok && !site.Allows(origin) {
			// Said in the frame, which anyone may show: it holds nothing.
			h.render(w, r, http.StatusForbidden, widget.Refused(origin))
			return r, p, false
		}
		// Browsers that send no Referer are held back by the CSP alone.
		w.Header().Set("Content-Security-Policy", cspWidgetPage+"; frame-ancestors "+frameAncestors(site.Origins))
		secret, err := h.DB.SiteSecret(ctx, site.ID)
		if err != nil {
			h.fail(w, r, err)
			return r, p, false
		}
		p.SiteID, p.SiteToken, p.Greeting, p.Team, p.Theme = site.ID, siteToken(site.ID, secret), site.Greeting, site.Name, themeURL(site)
		p.TypingPreview = site.TypingPreview
		view, err := h.loadWaitView(ctx, 0)
		if err != nil {
			h.fail(w, r, err)
			return r, p, false
		}
		back, outside, err := h.siteOutside(ctx, site.ID)
		if err != nil {
			h.fail(w, r, err)
			return r, p, false
		}
		p.Hours = back
		// As a new visitor sees it; a returning one's socket says otherwise.
		p.Prechat = site.PrechatFor(chat.User{}, h.away(view.anyone, outside))
	}
	direct := false
	if to, err := strconv.ParseInt(r.URL.Query().Get("to"), 10, 64); err == nil && to > 0 {
		u, err := h.DB.User(ctx, to)
		if err == nil && u.Kind == chat.KindMember && !u.Disabled() {
			p.To, p.ToName = u.ID, u.DisplayName()
		}
		if direct, err = h.directTarget(ctx, p.To); err != nil || direct {
			p.Prechat, p.Hours = chat.Prechat{}, "" // support chats only
		}
	}
	if !direct {
		settings, err := h.DB.Settings(ctx)
		if err != nil {
			h.fail(w, r, err)
			return r, p, false
		}
		p.Closed = closedReason(ctx, settings)
	}
	// An address an agent blocked is told so before its visitor writes.
	blocked, err := h.DB.VisitorBlocked(ctx, 0, clientAddr(r))
	if err != nil {
		h.fail(w, r, err)
		return r, p, false
	}
	if blocked {
		p.Closed = i18n.T(ctx, "widget.unavailable")
	}
	return r, p, true
}

// widgetLanguage is the language a widget speaks to its visitor: the one
// its site fixes, else the one its embed line asks for (data-lang, which
// widget.js passes as ?lang=), else the reader's (their browser's, else
// the instance's).
func widgetLanguage(r *http.Request, site chat.Site) *i18n.Localizer {
	if i18n.Supported(site.Language) {
		return i18n.For(site.Language)
	}
	if lang := i18n.Match(r.URL.Query().Get("lang"), ""); lang != "" {
		return i18n.For(lang)
	}
	return i18n.From(r.Context())
}

// widgetSite returns the site named by ?site=.
func (h *Handler) widgetSite(r *http.Request) (chat.Site, error) {
	id, err := strconv.ParseInt(r.URL.Query().Get("site"), 10, 64)
	if err != nil || id < 1 {
		return chat.Site{}, errNoPage
	}
	return h.DB.Site(r.Context(), id)
}

// framedBy returns the origin of the page framing the widget, when the
// browser says it: a frame's request carries the embedding page's origin as
// its Referer.
func framedBy(r *http.Request) (string, bool) {
	if r.Header.Get("Sec-Fetch-Dest") != "iframe" {
		return "", false
	}
	ref, err := url.Parse(r.Referer())
	if err != nil || ref.Host == "" {
		return "", false
	}
	return ref.Scheme + "://" + ref.Host, true
}

func frameAncestors(origins []string) string {
	if len(origins) == 0 {
		return "'none'"
	}
	return strings.Join(origins, " ")
}

func themeURL(s chat.Site) string {
	return "/widget/sites/" + itoa(s.ID) + "/theme.css?c=" + strings.TrimPrefix(s.Colour, "#")
}

// widgetTheme serves a site's colours as a stylesheet: the CSP allows no inline style.
func (h *Handler) widgetTheme(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	site, err := h.DB.Site(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	// The colour is #rrggbb: checked when stored, and by the database.
	fmt.Fprintf(w, ":root { --accent: %[1]s; --mine: %[1]s; }\n", site.Colour)
}

// widgetScript serves the one-line embed at a stable URL; host pages are
// not asked to change it, so it is cached briefly. It carries the
// launcher's words in every language, since it runs before kefu knows
// its visitor's.
func (h *Handler) widgetScript(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	http.ServeContent(w, r, "widget.js", time.Time{}, bytes.NewReader(widgetScriptFor(i18n.For(h.Language).Lang())))
}

// launcherWords is the line of widget.js that kefu fills in with the
// launcher's words.
const launcherWords = `var words = {}, fallback = "en";`

// widgetScripts holds widget.js as served, by the instance's language.
var widgetScripts sync.Map

// widgetScriptFor returns widget.js with the launcher's words of every
// language kefu speaks, falling back to the language fallback.
func widgetScriptFor(fallback string) []byte {
	if b, ok := widgetScripts.Load(fallback); ok {
		return b.([]byte)
	}
	src, err := static.File("widget.js")
	if err != nil || !bytes.Contains(src, []byte(launcherWords)) {
		panic("widget.js lacks the line for the launcher's words") // caught by the tests
	}
	words := map[string]json.RawMessage{}
	for _, l := range i18n.Languages {
		words[l.Code] = json.RawMessage(i18n.For(l.Code).Strings("widget.launcher."))
	}
	js, _ := json.Marshal(words)
	fb, _ := json.Marshal(fallback)
	b := bytes.Replace(src, []byte(launcherWords), []byte("var words = "+string(js)+", fallback = "+string(fb)+";"), 1)
	b = lean(b)
	widgetScripts.Store(fallback, b)
	return b
}

// lean drops the comments that fill a line, and every line's indentation,
// from a script: every visitor of every host page downloads widget.js, and
// its comments are for whoever reads its source.
func lean(src []byte) []byte {
	var out []byte
	for line := range bytes.Lines(src) {
		line = bytes.TrimLeft(line, " \t")
		if !bytes.HasPrefix(line, []byte("//")) && len(bytes.TrimSpace(line)) > 0 {
			out = append(out, line...)
		}
	}
	return out
}

// widgetSessionShow tells the widget whether its visitor token still holds:
// 204; 401 when kefu does not know it (a visitor who never wrote is
// forgotten after a week), so the widget starts afresh; 403 when the
// visitor was disabled. A socket handshake cannot say which.
func (h *Handler) widgetSessionShow(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		h.fail(w, r, chat.ErrUnauthorized)
		return
	}
	u, err := h.DB.VisitorByToken(r.Context(), auth.TokenHash(token))
	switch {
	case errors.Is(err, chat.ErrNotFound):
		h.fail(w, r, chat.ErrUnauthorized)
	case err != nil:
		h.fail(w, r, err)
	case u.Disabled():
		h.fail(w, r, chat.ErrNotAllowed)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// visitorCreate gives a new widget visitor their token. Only its hash is
// stored. Each client address may create visitorBudget's number of them per
// window; past it, 429 with Retry-After.
func (h *Handler) visitorCreate(w http.ResponseWriter, r *http.Request) {
	token := auth.NewToken()
	u, err := h.DB.CreateVisitorWithin(r.Context(), auth.TokenHash(token), visitorBudget, limitKey(clientAddr(r)))
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
	r = r.WithContext(thread.FetchedByScript(r.Context()))
	h.olderPage(w, r, chat.Viewer{UserID: v.ID}, chat.ReaderVisitor, widgetHistoryURL)
}

func widgetHistoryURL(id int64) string { return "/widget/c/" + itoa(id) + "/history" }

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

// identifyCreate exchanges a host site's identity token for a widget session
// of the verified visitor, carrying the anonymous visitor's conversation over.
// Body: {"site": id, "token": "<JWT>", "visitor_token": "<the anonymous token, if any>"}.
// Every request, refused or not, spends from its address's identifyBudget.
func (h *Handler) identifyCreate(w http.ResponseWriter, r *http.Request) {
	if err := h.DB.SpendBudget(r.Context(), identifyBudget, limitKey(clientAddr(r))); err != nil {
		h.fail(w, r, err)
		return
	}
	var in struct {
		Site         int64  `json:"site"`
		Token        string `json:"token"`
		VisitorToken string `json:"visitor_token"`
	}
	raw, err := readBody(w, r, 16<<10)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		h.fail(w, r, chat.Invalid("body", "widget.identify.badBody"))
		return
	}
	secret, err := h.DB.SiteSecret(r.Context(), in.Site)
	if errors.Is(err, chat.ErrNotFound) {
		h.fail(w, r, chat.Invalid("site", "widget.identify.noSite"))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id, err := auth.VerifyIdentity(in.Token, secret, h.Now())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var anonID int64
	if in.VisitorToken != "" {
		if anon, err := h.visitor(r, in.VisitorToken); err == nil && anon.ExternalID == "" {
			anonID = anon.ID
		}
	}
	token := auth.NewToken()
	u, err := h.DB.Identify(r.Context(), chat.ExternalUser{SiteID: in.Site, ExternalID: id.Subject, Name: id.Name, Email: id.Email, Avatar: id.Avatar},
		auth.TokenHash(token), id.Expires, anonID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": token, "visitor_id": u.ID, "name": u.DisplayName()})
}

// siteToken is what the widget's page carries to prove, on its socket, which
// site it was served for: an HMAC of the site's id under its identity secret.
func siteToken(siteID int64, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "kefu widget site %d", siteID)
	return hex.EncodeToString(mac.Sum(nil))
}
