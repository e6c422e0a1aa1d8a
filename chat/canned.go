package chat

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Limits of a canned response.
const (
	MaxShortcutChars = 32
	MaxCannedChars   = 2000
)

// Canned is a canned response: a text an agent inserts in the composer by
// typing "/" and its shortcut. A shared one (OwnerID 0) is kept by admins
// and offered to every agent; a personal one only to its owner.
type Canned struct {
	ID       int64
	OwnerID  int64
	Shortcut string
	Body     string
}

var (
	shortcutRule = regexp.MustCompile(`^[a-z0-9_-]+$`)
	placeholder  = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)
)

// Placeholders are the names a canned response may hold as {{name}}, each
// filled in from the conversation it is used in.
var Placeholders = []string{"visitor.name", "visitor.email", "agent.name", "site.name"}

// Validate checks c as a person wrote it and returns it tidied: the
// shortcut 1 to MaxShortcutChars of a-z, 0-9, "_" and "-" (a leading "/"
// is dropped), the text 1 to MaxCannedChars characters holding only the
// known placeholders.
func (c Canned) Validate() (Canned, error) {
	c.Shortcut = strings.TrimPrefix(strings.TrimSpace(c.Shortcut), "/")
	switch n := utf8.RuneCountInString(c.Shortcut); {
	case n == 0:
		return c, Invalid("shortcut", "canned.invalid.shortcutEmpty")
	case n > MaxShortcutChars:
		return c, Invalid("shortcut", "canned.invalid.shortcutLong", "Max", MaxShortcutChars)
	case !shortcutRule.MatchString(c.Shortcut):
		return c, Invalid("shortcut", "canned.invalid.shortcutChars")
	}
	if !utf8.ValidString(c.Body) {
		return c, errNotUTF8()
	}
	if strings.ContainsRune(c.Body, 0) {
		return c, Invalid("body", "error.body.nul")
	}
	c.Body = strings.TrimSpace(c.Body)
	switch n := utf8.RuneCountInString(c.Body); {
	case n == 0:
		return c, Invalid("body", "canned.invalid.bodyEmpty")
	case n > MaxCannedChars:
		return c, Invalid("body", "canned.invalid.bodyLong", "Length", n, "Max", MaxCannedChars)
	}
	for _, m := range placeholder.FindAllStringSubmatch(c.Body, -1) {
		if _, ok := (FillValues{}).value(m[1]); !ok {
			return c, Invalid("body", "canned.invalid.placeholder", "Name", m[0], "Known", "{{"+strings.Join(Placeholders, "}}, {{")+"}}")
		}
	}
	return c, nil
}

// FillValues are what a canned response's placeholders stand for in one
// conversation; "" where there is nothing to say (a visitor who gave no
// email, a chat from no site).
type FillValues struct {
	VisitorName, VisitorEmail, AgentName, SiteName string
}

func (v FillValues) value(name string) (string, bool) {
	switch name {
	case "visitor.name":
		return v.VisitorName, true
	case "visitor.email":
		return v.VisitorEmail, true
	case "agent.name":
		return v.AgentName, true
	case "site.name":
		return v.SiteName, true
	}
	return "", false
}

// Fill returns c's text with its placeholders replaced by v's values, as
// plain text: the result is a message body, which is escaped where it is
// shown. A value is never read again for placeholders.
func (c Canned) Fill(v FillValues) string {
	return placeholder.ReplaceAllStringFunc(c.Body, func(m string) string {
		val, ok := v.value(placeholder.FindStringSubmatch(m)[1])
		if !ok {
			return m
		}
		return val
	})
}

// ValidateDraft checks a draft of a message: UTF-8 text of at most
// MaxBodyChars characters once trimmed. "" (nothing but spaces) is no draft.
func ValidateDraft(body string) (string, error) {
	if !utf8.ValidString(body) {
		return "", errNotUTF8()
	}
	if strings.ContainsRune(body, 0) {
		return "", Invalid("body", "error.body.nul")
	}
	body = strings.TrimSpace(body)
	if n := utf8.RuneCountInString(body); n > MaxBodyChars {
		return "", Invalid("body", "error.body.tooLong", "Length", n, "Max", MaxBodyChars)
	}
	return body, nil
}
