package chat

import (
	"strings"
	"unicode/utf8"
)

// What people type that kefu keeps: checked here, before the store writes
// it, so that bad input changes nothing.

// plainText reports whether s is UTF-8 text of at most max characters,
// without NUL (which PostgreSQL's text refuses).
func plainText(s string, max int) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0) && utf8.RuneCountInString(s) <= max
}

// ValidName reports whether name is a name a person may give: plain text
// of at most MaxNameChars characters.
func ValidName(name string) bool { return plainText(name, MaxNameChars) }

// MaxGroupTitle is the longest group name, in characters.
const MaxGroupTitle = 100

// ValidateGroupTitle trims a group's name and checks it is 1 to
// MaxGroupTitle characters.
func ValidateGroupTitle(title string) (string, error) {
	title = strings.TrimSpace(title)
	if title == "" || !plainText(title, MaxGroupTitle) {
		return "", Invalid("title", "error.group.title", "Max", MaxGroupTitle)
	}
	return title, nil
}

// MaxInviteMessage is the longest message a friend invitation carries, in characters.
const MaxInviteMessage = 500

// ValidateInviteMessage checks the message of a friend invitation.
func ValidateInviteMessage(message string) error {
	switch {
	case utf8.RuneCountInString(message) > MaxInviteMessage:
		return Invalid("message", "error.invite.tooLong", "Max", MaxInviteMessage)
	case !plainText(message, MaxInviteMessage):
		return Invalid("message", "error.invite.chars")
	}
	return nil
}

// ValidateKeyName trims an API key's name and checks it is 1 to 100 characters.
func ValidateKeyName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || !plainText(name, 100) {
		return name, Invalid("name", "error.apiKey.name")
	}
	return name, nil
}

// ValidateRating checks a visitor's rating of their chat (1 to 5) and
// their comment, and returns the comment trimmed.
func ValidateRating(rating int, comment string) (string, error) {
	comment = strings.TrimSpace(comment)
	switch {
	case rating < 1 || rating > 5:
		return "", Invalid("rating", "error.rating.range")
	case !plainText(comment, 1000):
		return "", Invalid("comment", "error.rating.comment")
	}
	return comment, nil
}

// Bounds of a password someone chooses: at least MinPasswordChars
// characters and at most MaxPasswordBytes bytes.
const (
	MinPasswordChars = 8
	MaxPasswordBytes = 1000
)

// ValidPassword reports whether p is within the bounds of a password.
func ValidPassword(p string) bool {
	return utf8.RuneCountInString(p) >= MinPasswordChars && len(p) <= MaxPasswordBytes
}

// ExternalUser is what a host site says of one of its users.
type ExternalUser struct {
	SiteID     int64 // 0: no site (a host API key that names none)
	ExternalID string
	Name       string
	Email      string
	Avatar     string
}

// MaxExternalID is the longest id a host site may give its users, in bytes.
const MaxExternalID = 200

// Validate checks what a host site sent before it is stored.
func (e ExternalUser) Validate() error {
	switch {
	case strings.TrimSpace(e.ExternalID) == "" || len(e.ExternalID) > MaxExternalID || !plainText(e.ExternalID, MaxExternalID):
		return Invalid("sub", "error.external.id", "Max", MaxExternalID)
	case utf8.RuneCountInString(e.Name) > MaxNameChars || len(e.Email) > MaxEmailLen || len(e.Avatar) > 2000:
		return Invalid("name", "error.external.tooLong")
	case !ValidName(e.Name) || !plainText(e.Email, MaxEmailLen) || !plainText(e.Avatar, 2000):
		return Invalid("name", "error.external.chars")
	case e.Email != "" && !ValidEmail(e.Email):
		// A line break in an address would start headers of its own in an email.
		return Invalid("email", "error.external.email")
	case e.Avatar != "" && !strings.HasPrefix(e.Avatar, "https://") && !strings.HasPrefix(e.Avatar, "http://"):
		return Invalid("avatar", "error.external.avatar")
	}
	return nil
}

// Validate checks the state an agent chose.
func (s AgentState) Validate() error {
	if s != Available && s != Away {
		return Invalid("state", "error.agentState")
	}
	return nil
}

// MaxSearchQuery is the longest search, in characters.
const MaxSearchQuery = 200

// ValidateSearchQuery trims a search and checks it is 1 to MaxSearchQuery
// characters of plain text.
func ValidateSearchQuery(q string) (string, error) {
	q = strings.TrimSpace(q)
	switch {
	case q == "":
		return "", Invalid("q", "error.search.empty")
	case !plainText(q, MaxSearchQuery):
		return "", Invalid("q", "error.search.query", "Max", MaxSearchQuery)
	}
	return q, nil
}
