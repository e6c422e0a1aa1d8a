package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestVerifyIdentity(t *testing.T) {
	const secret, other = "site secret", "another site's secret"
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	in := func(d time.Duration) int64 { return now.Add(d).Unix() }
	good := map[string]any{"sub": "u-42", "name": "Lee", "email": "lee@example.com", "avatar": "https://example.com/a.png", "exp": in(time.Hour)}
	with := func(k string, v any) map[string]any {
		c := map[string]any{}
		for key, val := range good {
			c[key] = val
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	unsigned := func(header string, claims string) string {
		return base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString([]byte(claims)) + "."
	}
	tests := []struct {
		name, token, want string
	}{
		{"good", SignIdentity(good, secret), ""},
		{"numeric sub", SignIdentity(with("sub", 12345678901), secret), ""},
		{"forged signature", forge(SignIdentity(good, secret)), "signature"},
		{"claims changed after signing", strings.Replace(SignIdentity(good, secret), ".", "."+base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"admin","exp":9999999999}`))+"#", 1), "signature"},
		{"another site's secret", SignIdentity(good, other), "signature"},
		{"expired", SignIdentity(with("exp", in(-time.Second)), secret), "expired"},
		{"no exp", SignIdentity(with("exp", nil), secret), "no exp"},
		{"exp too far", SignIdentity(with("exp", in(25*time.Hour)), secret), "more than 24 hours"},
		{"no sub", SignIdentity(with("sub", nil), secret), "no sub"},
		{"alg none", unsigned(`{"alg":"none","typ":"JWT"}`, `{"sub":"u-42","exp":9999999999}`), "HS256"},
		{"alg RS256", unsigned(`{"alg":"RS256"}`, `{"sub":"u-42","exp":9999999999}`) + "c2ln", "HS256"},
		{"not a JWT", "hello", "not a JSON Web Token"},
		{"garbage header", "!!.e30.sig", "header"},
		{"claims not UTF-8", signRaw(`{"alg":"HS256"}`, "{\"sub\":\"u-42\",\"name\":\"L\xffe\",\"exp\":"+fmt.Sprint(in(time.Hour))+"}", secret), "UTF-8"},
	}
	for _, tt := range tests {
		id, err := VerifyIdentity(tt.token, secret, now)
		if tt.want == "" {
			if err != nil || id.Subject == "" {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		var ie *IdentityError
		if !errors.As(err, &ie) || !strings.Contains(ie.Reason, tt.want) {
			t.Errorf("%s: err = %v, want a refusal mentioning %q", tt.name, err, tt.want)
		}
	}
	id, _ := VerifyIdentity(SignIdentity(with("sub", 12345678901), secret), secret, now)
	if id.Subject != "12345678901" {
		t.Errorf("numeric sub read as %q", id.Subject)
	}
	id, _ = VerifyIdentity(SignIdentity(good, secret), secret, now)
	if id.Name != "Lee" || id.Email != "lee@example.com" || id.Avatar != "https://example.com/a.png" || id.Expires.Unix() != in(time.Hour) {
		t.Errorf("claims read as %+v", id)
	}
}

// signRaw signs header and claims as they are, bytes a JSON encoder would not write.
func signRaw(header, claims, secret string) string {
	enc := base64.RawURLEncoding
	signed := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(claims))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signed))
	return signed + "." + enc.EncodeToString(mac.Sum(nil))
}

// forge changes one character in the middle of token's signature.
func forge(token string) string {
	i := strings.LastIndex(token, ".") + 10
	c := byte('A')
	if token[i] == 'A' {
		c = 'B'
	}
	return token[:i] + string(c) + token[i+1:]
}
