package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/static"
)

// favicon answers the browsers that ask for /favicon.ico whatever a page
// links to (and pages that link to none, such as a JSON answer) with
// kefu's icon.
func favicon(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=86400")
	static.ServeFile(w, r, "favicon.svg")
}

// faviconBadged is kefu's icon with ?n=, the console's unread count, on
// it ("99+" from chat.UnreadCap); without n, the plain icon.
func (h *Handler) faviconBadged(w http.ResponseWriter, r *http.Request) {
	s := r.URL.Query().Get("n")
	if s == "" {
		favicon(w, r)
		return
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || len(s) > 6 {
		h.fail(w, r, chat.Invalid("n", "console.invalid.count"))
		return
	}
	icon, err := static.File("favicon.svg")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(badged(icon, n))
}

// badged draws count n on icon, an SVG of 32 × 32.
func badged(icon []byte, n int) []byte {
	if n <= 0 {
		return icon
	}
	text, size := strconv.Itoa(n), 14
	switch {
	case n >= chat.UnreadCap:
		text, size = "99+", 9
	case n > 9:
		size = 11
	}
	badge := fmt.Sprintf(`<circle cx="22" cy="10" r="10" fill="#dc2626"/>`+
		`<text x="22" y="10" dy=".35em" text-anchor="middle" font-family="sans-serif" font-weight="700" font-size="%d" fill="#fff">%s</text></svg>`, size, text)
	s := strings.TrimRight(string(icon), "\n")
	return []byte(strings.TrimSuffix(s, "</svg>") + badge)
}
