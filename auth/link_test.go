package auth

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSignedLinks(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	link := SignLink("kefu mail conversation", 42, now.Add(time.Hour), "secret")
	if id, err := VerifyLink(link, "kefu mail conversation", "secret", now); err != nil || id != 42 {
		t.Fatalf("VerifyLink = %d, %v; want 42", id, err)
	}
	for name, c := range map[string]struct {
		link, purpose, secret string
		at                    time.Time
		want                  error
	}{
		"expired":         {link, "kefu mail conversation", "secret", now.Add(time.Hour), ErrLinkExpired},
		"another purpose": {link, "kefu mail unsubscribe", "secret", now, ErrLinkForged},
		"another secret":  {link, "kefu mail conversation", "other", now, ErrLinkForged},
		"no secret":       {SignLink("p", 42, now.Add(time.Hour), ""), "p", "", now, ErrLinkForged},
		"another id":      {strings.Replace(link, "42.", "43.", 1), "kefu mail conversation", "secret", now, ErrLinkForged},
		"a later expiry":  {strings.Replace(link, ".1800003600.", ".1900003600.", 1), "kefu mail conversation", "secret", now, ErrLinkForged},
		"forged, expired": {strings.Replace(link, "42.", "43.", 1), "kefu mail conversation", "secret", now.Add(2 * time.Hour), ErrLinkForged},
		"not a link":      {"hello", "p", "secret", now, ErrLinkForged},
		"too long":        {link + strings.Repeat("0", 200), "kefu mail conversation", "secret", now, ErrLinkForged},
		"a negative id":   {SignLink("p", -1, now.Add(time.Hour), "secret"), "p", "secret", now, ErrLinkForged},
	} {
		if _, err := VerifyLink(c.link, c.purpose, c.secret, c.at); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}
