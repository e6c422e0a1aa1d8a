package auth

// Signed address tokens: a signed link short enough for the local part of
// an email address (reply+<token>@…, at most 64 characters) and unharmed by
// mail servers that lower-case it: "<id>-<expiry>-<MAC>", the id and the
// expiry (unix seconds) in base 36, the first 15 bytes of the link's
// HMAC-SHA256 in lower-case base 32. 120 bits of MAC are beyond guessing
// over SMTP, where every guess is a connection's command.

import (
	"crypto/hmac"
	"encoding/base32"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// addressMACLen is how many bytes of the MAC an address token keeps.
const addressMACLen = 15

// maxAddressToken bounds an address token's length: an id and an expiry
// of 13 and 7 base-36 digits, the MAC's 24 characters and two dashes.
const maxAddressToken = 46

var addressEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// SignAddress signs id for purpose under secret, until expires, as a token
// for an email address's local part.
func SignAddress(purpose string, id int64, expires time.Time, secret string) string {
	exp := expires.Unix()
	return strconv.FormatInt(id, 36) + "-" + strconv.FormatInt(exp, 36) + "-" + addressMAC(purpose, id, exp, secret)
}

func addressMAC(purpose string, id, exp int64, secret string) string {
	mac, _ := hex.DecodeString(linkMAC(purpose, id, exp, secret))
	return addressEncoding.EncodeToString(mac[:addressMACLen])
}

// VerifyAddress returns the id an address token signed for purpose under
// secret names, whatever the case it comes in: ErrLinkForged unless its
// signature matches, then ErrLinkExpired when it has expired at now. An
// empty secret verifies nothing.
func VerifyAddress(token, purpose, secret string, now time.Time) (int64, error) {
	token = strings.ToLower(token)
	parts := strings.Split(token, "-")
	if len(token) > maxAddressToken || len(parts) != 3 || secret == "" {
		return 0, ErrLinkForged
	}
	id, err1 := strconv.ParseInt(parts[0], 36, 64)
	exp, err2 := strconv.ParseInt(parts[1], 36, 64)
	if err1 != nil || err2 != nil || id < 1 || strings.HasPrefix(parts[0], "+") || strings.HasPrefix(parts[1], "+") {
		return 0, ErrLinkForged
	}
	if !hmac.Equal([]byte(parts[2]), []byte(addressMAC(purpose, id, exp, secret))) {
		return 0, ErrLinkForged
	}
	if now.Unix() >= exp {
		return 0, ErrLinkExpired
	}
	return id, nil
}
