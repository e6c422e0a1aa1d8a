package thread

import (
	"context"
	"strconv"

	"github.com/a-h/templ"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
)

type scriptedKey struct{}

// FetchedByScript marks ctx as the widget's: its frame is on host sites,
// where kefu's session cookie may not be sent, so its script fetches each
// file with the visitor's token and shows it from memory. The console's
// pages name files by their URL, which its session opens.
func FetchedByScript(ctx context.Context) context.Context {
	return context.WithValue(ctx, scriptedKey{}, true)
}

// IsFetchedByScript reports whether ctx is marked by FetchedByScript.
func IsFetchedByScript(ctx context.Context) bool {
	v, _ := ctx.Value(scriptedKey{}).(bool)
	return v
}

type filesAtKey struct{}

// FilesAt marks ctx as a page whose files are served under base (ending
// in "/") rather than /files/: the page an email's link opens has no
// session and no visitor token, and names its files under the link itself,
// which is what lets its reader fetch them.
func FilesAt(ctx context.Context, base string) context.Context {
	return context.WithValue(ctx, filesAtKey{}, base)
}

// filesBase is where the files of ctx's page are served.
func filesBase(ctx context.Context) string {
	if base, ok := ctx.Value(filesAtKey{}).(string); ok {
		return base
	}
	return "/files/"
}

// FileURL is where attachment a is served to the page of ctx.
func FileURL(ctx context.Context, a chat.Attachment) string {
	return filesBase(ctx) + a.Token
}

// ThumbURL is where attachment a's thumbnail is served to the page of ctx.
func ThumbURL(ctx context.Context, a chat.Attachment) string {
	return filesBase(ctx) + a.Token + "/thumb"
}

// source is the attribute that loads url into an img, audio or video: src,
// or data-src for the widget's script to fetch.
func source(ctx context.Context, url string) templ.Attributes {
	if IsFetchedByScript(ctx) {
		return templ.Attributes{"data-src": url}
	}
	return templ.Attributes{"src": url}
}

// thumbSize is the size attachment a's thumbnail is drawn at, so that the
// thread does not move when it loads.
func thumbSize(a chat.Attachment) (string, string) {
	w, h := a.Width, a.Height
	if w > chat.ThumbSide || h > chat.ThumbSide {
		if w >= h {
			w, h = chat.ThumbSide, max(1, h*chat.ThumbSide/w)
		} else {
			w, h = max(1, w*chat.ThumbSide/h), chat.ThumbSide
		}
	}
	return strconv.Itoa(w), strconv.Itoa(h)
}

// Size is n bytes in the words of the reader of ctx.
func Size(ctx context.Context, n int64) string {
	switch {
	case n < 1<<10:
		return i18n.T(ctx, "thread.file.bytes", "N", n)
	case n < 1<<20:
		return i18n.T(ctx, "thread.file.kb", "N", (n+1<<9)>>10)
	}
	return i18n.T(ctx, "thread.file.mb", "N", strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64))
}
