package handlers

// Reading requests: ids from the URL, form fields, JSON bodies, what the
// caller wants back, where it came from.

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"path"
	"reflect"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/kefu-im/kefu/chat"
)

// fragmentHeader marks a form that live.js posted: it wants the outcome as
// fragments to apply in place, not a page.
const fragmentHeader = "X-Kefu-Fragment"

// pathID is the {id} in the path: a positive number, or there is no such page.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id < 1 {
		return 0, errNoPage
	}
	return id, nil
}

// externalID is the {external_id} in the path, decoded once.
func externalID(r *http.Request) string {
	id := chi.URLParam(r, "external_id")
	if r.URL.RawPath != "" { // the path held escapes (such as %2F), so chi matched it raw
		if un, err := url.PathUnescape(id); err == nil {
			id = un
		}
	}
	return id
}

// formIDs returns the positive ids in form field name, which may repeat.
func formIDs(r *http.Request, name string) []int64 {
	_ = r.ParseForm()
	var ids []int64
	for _, v := range r.Form[name] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
			ids = append(ids, id)
		}
	}
	return ids
}

// optionalFormID reads the optional id in form field name: 0 for none.
func optionalFormID(r *http.Request, name string) (int64, error) {
	s := strings.TrimSpace(r.PostFormValue(name))
	if s == "" || s == "0" {
		return 0, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 {
		return 0, chat.Invalid(name, "error.request.choose")
	}
	return id, nil
}

// readJSON decodes the request's body, one JSON object of UTF-8 text, of
// at most maxAPIBody bytes, with only the fields of dst, into dst.
func readJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	raw, err := readBody(w, r, maxAPIBody)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err = dec.Decode(dst)
	if err == nil {
		if _, err = dec.Token(); err == io.EOF {
			return nil
		}
		if err == nil {
			err = errors.New("more than one value")
		}
	}
	var wrongType *json.UnmarshalTypeError
	switch {
	case errors.As(err, &wrongType) && wrongType.Field != "":
		return chat.Invalid(wrongType.Field, "error.request.jsonType", "Field", strconv.Quote(wrongType.Field), "Type", jsonType(wrongType.Type))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return chat.Invalid(field, "error.request.unknownField", "Field", strconv.Quote(field))
	case err == io.EOF:
		return chat.Invalid("request", "error.request.empty")
	}
	return chat.Invalid("request", "error.request.invalidJSON")
}

// readBody reads a JSON request's body of at most limit bytes, refusing
// one that is not UTF-8 before it is decoded.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, chat.Invalid("request", "error.request.tooLarge", "KiB", limit>>10)
	case err != nil:
		return nil, chat.Invalid("request", "error.request.unreadable")
	}
	if err := chat.ValidateUTF8(raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// jsonType names the JSON type that decodes into t.
func jsonType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Float32, reflect.Float64:
		return "number"
	}
	return "value"
}

// clientAddr is the peer's IP. kefu does not trust forwarding headers unless
// a proxy in front of it is configured to overwrite RemoteAddr.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// wantsFragment reports whether live.js posted the form.
func wantsFragment(r *http.Request) bool { return r.Header.Get(fragmentHeader) == "1" }

// backTo is where a form returns to: the console page it was posted from.
func backTo(r *http.Request) string {
	if ref := r.Referer(); strings.HasPrefix(ref, "http") {
		if i := strings.Index(ref, "/console"); i >= 0 {
			return ref[i:]
		}
	}
	return "/console"
}

// adminBack is the admin page the form was posted from, so that a filter
// survives the change; fallback when there is none. A confirmation page
// names it in the form field back, since the page itself is no place to
// return to.
func adminBack(r *http.Request, fallback string) string {
	if back, err := url.Parse(r.PostFormValue("back")); err == nil && back.Scheme == "" && back.Host == "" &&
		strings.HasPrefix(path.Clean(back.Path), "/admin/") {
		return (&url.URL{Path: path.Clean(back.Path), RawQuery: back.RawQuery}).String()
	}
	ref, err := url.Parse(r.Referer())
	if err != nil || ref.Host != r.Host || !strings.HasPrefix(ref.Path, "/admin/") {
		return fallback
	}
	return (&url.URL{Path: ref.Path, RawQuery: ref.RawQuery}).String()
}

// wantsJSON reports whether the caller is a script that reads JSON.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json") || r.Header.Get("Authorization") != ""
}
