package chat

import (
	"errors"
	"net/mail"
)

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

// Refusals of an email asked for.
var (
	// ErrMailOff: kefu sends no email (it has no SMTP server).
	ErrMailOff = errors.New("email is off")
	// ErrNoAddress: the person an email is for has no address on record.
	ErrNoAddress = errors.New("no email address")
	// ErrUnsubscribed: the person an email is for asked for no more.
	ErrUnsubscribed = errors.New("unsubscribed from email")
	// ErrBounced: email to the address on record bounced for good.
	ErrBounced = errors.New("email address bounced")
)
