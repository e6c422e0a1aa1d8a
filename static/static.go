// Package static embeds kefu's browser files and serves them under
// content-hashed names, so they can be cached for a year and still change.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed *.css *.js *.svg
var files embed.FS

var (
	hashed   = map[string]string{} // "live.js" → "live.1a2b3c4d.js"
	unhashed = map[string]string{} // and back
)

func init() {
	entries, _ := fs.ReadDir(files, ".")
	for _, e := range entries {
		b, _ := fs.ReadFile(files, e.Name())
		sum := sha256.Sum256(b)
		ext := path.Ext(e.Name())
		h := strings.TrimSuffix(e.Name(), ext) + "." + hex.EncodeToString(sum[:4]) + ext
		hashed[e.Name()] = h
		unhashed[h] = e.Name()
	}
}

// Path returns the URL of the embedded file name, with its content hash.
// It panics on a name that is not embedded: that is a programming error.
func Path(name string) string {
	h, ok := hashed[name]
	if !ok {
		panic("static: no file " + name)
	}
	return "/static/" + h
}

// Handler serves /static/{hashed name} with a year-long immutable cache.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := unhashed[path.Base(r.URL.Path)]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		ServeFile(w, r, name)
	})
}

// File returns the content of the embedded file name.
func File(name string) ([]byte, error) { return files.ReadFile(name) }

// ServeFile writes the embedded file name; callers set caching.
func ServeFile(w http.ResponseWriter, r *http.Request, name string) {
	f, err := files.Open(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	// Every file embed.FS opens is an io.ReadSeeker.
	http.ServeContent(w, r, name, time.Time{}, f.(io.ReadSeeker))
}
