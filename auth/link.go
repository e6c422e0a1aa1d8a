package auth

// Signed links: "<id>.<expiry, unix seconds>.<HMAC-SHA256 of a purpose, the
// id and the expiry under a secret>". The widget's status tokens and the
// links emails carry are made this one way; each purpose names what the
// link is for, so that a link of one purpose reads nothing of another.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// maxLink bounds a signed link's length: one is some 90 characters.
const maxLink = 200

var (
	// ErrLinkForged is a link that is malformed or whose signature does not
	// match: made by someone else, for another purpose, or under a secret since replaced.
	ErrLinkForged = errors.New("auth: link not signed by kefu")
	// ErrLinkExpired is a genuine link past its expiry.
	ErrLinkExpired = errors.New("auth: link expired")
)

// SignLink signs id for purpose under secret, until expires.
func SignLink(purpose string, id int64, expires time.Time, secret string) string {
	exp := expires.Unix()
	return fmt.Sprintf("%d.%d.%s", id, exp, linkMAC(purpose, id, exp, secret))
}

func linkMAC(purpose string, id, exp int64, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%s %d %d", purpose, id, exp)
	return hex.EncodeToString(mac.Sum(nil))
}

// VerifyLink returns the id a link signed for purpose under secret names:
// ErrLinkForged unless its signature matches, then ErrLinkExpired when it
// has expired at now. An empty secret verifies nothing.
func VerifyLink(token, purpose, secret string, now time.Time) (int64, error) {
	parts := strings.Split(token, ".")
	if len(token) > maxLink || len(parts) != 3 || secret == "" {
		return 0, ErrLinkForged
	}
	id, err1 := strconv.ParseInt(parts[0], 10, 64)
	exp, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil || id < 1 {
		return 0, ErrLinkForged
	}
	if !hmac.Equal([]byte(parts[2]), []byte(linkMAC(purpose, id, exp, secret))) {
		return 0, ErrLinkForged
	}
	if now.Unix() >= exp {
		return 0, ErrLinkExpired
	}
	return id, nil
}
