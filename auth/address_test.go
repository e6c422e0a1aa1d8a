package auth

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSignedAddresses(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	const purpose = "kefu mail reply"
	token := SignAddress(purpose, 42, now.Add(time.Hour), "secret")
	if len(token) > 64-len("bounce+") || token != strings.ToLower(token) {
		t.Fatalf("token %q: too long for a local part, or not lower case", token)
	}
	for _, tok := range []string{token, strings.ToUpper(token)} {
		if id, err := VerifyAddress(tok, purpose, "secret", now); err != nil || id != 42 {
			t.Fatalf("VerifyAddress(%q) = %d, %v; want 42", tok, id, err)
		}
	}
	if long := SignAddress(purpose, 1<<62, now.Add(100*365*24*time.Hour), "secret"); len(long) > maxAddressToken {
		t.Errorf("the longest token is %d characters, more than %d", len(long), maxAddressToken)
	}
	parts := strings.Split(token, "-")
	exp, mac := parts[1], parts[2]
	for name, c := range map[string]struct {
		token, purpose, secret string
		at                     time.Time
		want                   error
	}{
		"expired":         {token, purpose, "secret", now.Add(time.Hour), ErrLinkExpired},
		"another purpose": {token, "kefu mail bounce", "secret", now, ErrLinkForged},
		"another secret":  {token, purpose, "other", now, ErrLinkForged},
		"no secret":       {SignAddress(purpose, 42, now.Add(time.Hour), ""), purpose, "", now, ErrLinkForged},
		"another id":      {"1b-" + exp + "-" + mac, purpose, "secret", now, ErrLinkForged},
		"a later expiry":  {"16-zzzzzz-" + mac, purpose, "secret", now, ErrLinkForged},
		"a signed id":     {"+16-" + exp + "-" + mac, purpose, "secret", now, ErrLinkForged},
		"a link":          {SignLink(purpose, 42, now.Add(time.Hour), "secret"), purpose, "secret", now, ErrLinkForged},
		"not a token":     {"hello", purpose, "secret", now, ErrLinkForged},
		"too long":        {token + strings.Repeat("a", 20), purpose, "secret", now, ErrLinkForged},
		"a negative id":   {SignAddress(purpose, -1, now.Add(time.Hour), "secret"), purpose, "secret", now, ErrLinkForged},
	} {
		if _, err := VerifyAddress(c.token, c.purpose, c.secret, c.at); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}
