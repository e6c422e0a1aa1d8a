package handlers

// The console's inboxes: which view and filter a list shows (from the
// URL of the page, of its next page, or of its socket), the list's next
// page, and the labels' colours.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/views/console"
)

// parseInbox reads a list's view (none: Mine), filter and cursor from q,
// and checks that v may look at it: a bad value is refused as invalid, a
// member asking for customer service's views or filters as not allowed.
func parseInbox(q url.Values, v chat.Viewer) (chat.Inbox, error) {
	var in chat.Inbox
	var err error
	if in.View, err = chat.ParseView(q.Get("view")); err != nil {
		return in, err
	}
	for _, f := range []struct {
		name string
		to   *int64
	}{{"site", &in.Filter.SiteID}, {"label", &in.Filter.LabelID}, {"agent", &in.Filter.AgentID}} {
		s := q.Get(f.name)
		if s == "" {
			continue
		}
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id < 1 {
			return in, chat.Invalid(f.name, "console.invalid.filter")
		}
		*f.to = id
	}
	if in.Before, err = chat.ParseCursor(q.Get("before")); err != nil {
		return in, err
	}
	return in, in.Validate(v)
}

// inboxFor is the list v asked for in q, with the sites, labels and
// agents customer service filters by; a filter that names none of them
// is refused.
func (h *Handler) inboxFor(ctx context.Context, q url.Values, v chat.Viewer) (console.Inbox, error) {
	in, err := parseInbox(q, v)
	out := console.Inbox{Listing: console.Listing{View: in.View, Filter: in.Filter}, Agent: v.IsAgent, Before: in.Before}
	if err != nil || !v.IsAgent {
		return out, err
	}
	if out.Sites, err = h.DB.Sites(ctx); err != nil {
		return out, err
	}
	if out.Labels, err = h.DB.Labels(ctx); err != nil {
		return out, err
	}
	if out.Agents, err = h.agentUsers(ctx); err != nil {
		return out, err
	}
	f := in.Filter
	switch {
	case f.SiteID != 0 && !slices.ContainsFunc(out.Sites, func(s chat.Site) bool { return s.ID == f.SiteID }):
		return out, chat.Invalid("site", "console.invalid.filter")
	case f.LabelID != 0 && !slices.ContainsFunc(out.Labels, func(l chat.Label) bool { return l.ID == f.LabelID }):
		return out, chat.Invalid("label", "console.invalid.filter")
	case f.AgentID != 0 && !slices.ContainsFunc(out.Agents, func(u chat.User) bool { return u.ID == f.AgentID }):
		return out, chat.Invalid("agent", "console.invalid.filter")
	}
	return out, nil
}

// inbox is the store's question for the list in.
func inbox(in console.Inbox) chat.Inbox {
	return chat.Inbox{View: in.View, Filter: in.Filter, Before: in.Before}
}

// listShow answers "Show more" with the list's next page, as fragments
// that live_console.js adds to the list.
func (h *Handler) listShow(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := accountFrom(ctx).viewer()
	in, err := h.inboxFor(ctx, r.URL.Query(), v)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if in.Before.IsZero() {
		h.fail(w, r, chat.Invalid("before", "console.invalid.cursor"))
		return
	}
	items, next, err := h.DB.Inbox(ctx, v, inbox(in), listLimit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	in.Next = next
	h.render(w, r, http.StatusOK, console.MorePage(items, 0, in))
}

// labelsURL is the stylesheet of labels' colours, named by what it holds
// so that a browser may keep it until a label changes.
func labelsURL(labels []chat.Label) string {
	if len(labels) == 0 {
		return ""
	}
	sum := sha256.New()
	for _, l := range labels {
		fmt.Fprintf(sum, "%d %s\n", l.ID, l.Color)
	}
	return "/console/labels.css?v=" + hex.EncodeToString(sum.Sum(nil)[:8])
}

// labelsCSS colours each label's chips, as a site's theme.css colours its
// widget: the CSP allows no style attributes. Each colour is #rrggbb, as
// the database checks; the text on it is dark or light, whichever reads.
func (h *Handler) labelsCSS(w http.ResponseWriter, r *http.Request) {
	labels, err := h.DB.Labels(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var b strings.Builder
	for _, l := range labels {
		fmt.Fprintf(&b, ".chip.label-%d { background: %s; color: %s; }\n.swatch.label-%d { background: %s; }\n", l.ID, l.Color, inkOn(l.Color), l.ID, l.Color)
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	if r.URL.Query().Get("v") != "" {
		w.Header().Set("Cache-Control", "private, max-age=86400")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	_, _ = w.Write([]byte(b.String()))
}

// inkOn is the text colour that reads on background #rrggbb.
func inkOn(color string) string {
	c, err := strconv.ParseUint(strings.TrimPrefix(color, "#"), 16, 32)
	if err != nil {
		return "#111"
	}
	r, g, b := float64(c>>16&0xff), float64(c>>8&0xff), float64(c&0xff)
	if 0.299*r+0.587*g+0.114*b > 150 {
		return "#111"
	}
	return "#fff"
}
