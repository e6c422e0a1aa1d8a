package handlers

import (
	"net/http"

	"github.com/kefu-im/kefu/static"
)

// favicon answers the browsers that ask for /favicon.ico whatever a page
// links to (and pages that link to none, such as a JSON answer) with
// kefu's icon.
func favicon(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=86400")
	static.ServeFile(w, r, "favicon.svg")
}
