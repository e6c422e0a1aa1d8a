package chat

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kefu-im/kefu/i18n"
)

// Message body limits, in characters after trimming.
const (
	MaxBodyChars = 4000
	// MaxClientMsgIDLen bounds the id a client picks for a message it sends.
	MaxClientMsgIDLen = 64
	// PageSize is how many messages a history page holds.
	PageSize = 50
)

// errNotUTF8 refuses text that is not UTF-8, whichever way it came.
func errNotUTF8() error { return Invalid("body", "error.body.notUTF8") }

// ValidateBody trims body and checks it is UTF-8 text of 1 to MaxBodyChars
// characters. It returns the trimmed body.
func ValidateBody(body string) (string, error) {
	if !utf8.ValidString(body) {
		return "", errNotUTF8()
	}
	if strings.ContainsRune(body, 0) {
		return "", Invalid("body", "error.body.nul")
	}
	body = strings.TrimSpace(body)
	n := utf8.RuneCountInString(body)
	switch {
	case n == 0:
		return "", Invalid("body", "error.body.empty")
	case n > MaxBodyChars:
		return "", Invalid("body", "error.body.tooLong", "Length", n, "Max", MaxBodyChars)
	}
	return body, nil
}

// ValidateUTF8 refuses raw input that is not UTF-8, such as a JSON body or
// a socket frame, with ValidateBody's error. It must be checked before the
// input is decoded: encoding/json quietly turns invalid bytes into U+FFFD.
func ValidateUTF8(raw []byte) error {
	if !utf8.Valid(raw) {
		return errNotUTF8()
	}
	return nil
}

// NewClientMsgID returns a random client message id, as a form rendered
// by kefu carries so that posting it twice stores one message.
func NewClientMsgID() string {
	b := make([]byte, 16)
	rand.Read(b) // crypto/rand.Read never fails on supported platforms.
	return base64.RawURLEncoding.EncodeToString(b)
}

// RequireClientMsgID is ValidateClientMsgID for a form that must carry
// one: an empty id is refused too.
func RequireClientMsgID(id string) error {
	if id == "" {
		return Invalid("client_msg_id", "error.clientMsgID.missing")
	}
	return ValidateClientMsgID(id)
}

// ValidateClientMsgID checks the id a client gave a message so that a resend
// can be recognised. It may be empty (no idempotency asked for).
func ValidateClientMsgID(id string) error {
	if len(id) > MaxClientMsgIDLen {
		return Invalid("client_msg_id", "error.clientMsgID.tooLong", "Max", MaxClientMsgIDLen)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return Invalid("client_msg_id", "error.clientMsgID.chars")
		}
	}
	return nil
}

// VisitorName is the name shown for a visitor who has not given one.
func VisitorName(id int64) string { return fmt.Sprintf("Visitor #%d", id) }

// VisitorNumber is the number in a name that VisitorName made, and whether
// name is one: views show such a name in their reader's words.
func VisitorNumber(name string) (int64, bool) {
	rest, ok := strings.CutPrefix(name, "Visitor #")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	return n, err == nil && n > 0
}

// NameIn is name as loc's reader sees it: a visitor who gave none is
// "Visitor #12" in English and "访客 #12" in Chinese.
func NameIn(loc *i18n.Localizer, name string) string {
	if n, ok := VisitorNumber(name); ok {
		return loc.T("visitor.name", "Number", n)
	}
	return name
}
