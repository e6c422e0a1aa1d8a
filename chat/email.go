package chat

import "net/mail"

// MaxEmailLen is the longest email address, in bytes.
const MaxEmailLen = 254

// ValidEmail reports whether s is an email address and nothing else, such
// as sam@example.com: no name, no angle brackets, no space around it. It is
// kefu's one email rule, for members, visitors, host sites' users and the
// first admin alike.
func ValidEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && len(s) <= MaxEmailLen
}
