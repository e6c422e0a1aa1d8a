package auth

// Identity tokens: a host site's backend vouches for one of its users with an
// HS256 JSON Web Token signed with the site's identity secret.

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxIdentityLifetime is how far ahead an identity token's exp may be.
const MaxIdentityLifetime = 24 * time.Hour

// clockSkew forgives a host whose clock runs a little ahead of kefu's.
const clockSkew = time.Minute

// Identity is what a verified identity token says.
type Identity struct {
	Subject string // the user's id on the host site
	Name    string
	Email   string
	Avatar  string
	Expires time.Time
}

// IdentityError is a refused identity token; Reason says why in a sentence.
type IdentityError struct{ Reason string }

func (e *IdentityError) Error() string { return "identity token refused: " + e.Reason }

func refuse(reason string) error { return &IdentityError{Reason: reason} }

var b64url = base64.RawURLEncoding

// VerifyIdentity checks token against secret at now: the header must say
// HS256 (nothing else, "none" least of all), the signature must match, and
// exp must be present, in the future and at most MaxIdentityLifetime ahead.
func VerifyIdentity(token, secret string, now time.Time) (Identity, error) {
	var id Identity
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return id, refuse("The identity token is not a JSON Web Token.")
	}
	var header struct {
		Alg string `json:"alg"`
	}
	raw, err := b64url.DecodeString(parts[0])
	if err != nil || json.Unmarshal(raw, &header) != nil {
		return id, refuse("The identity token's header cannot be read.")
	}
	if header.Alg != "HS256" {
		return id, refuse("The identity token must be signed with HS256.")
	}
	sig, err := b64url.DecodeString(parts[2])
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if err != nil || secret == "" || !hmac.Equal(sig, mac.Sum(nil)) {
		return id, refuse("The identity token's signature does not match this site's secret.")
	}
	var claims struct {
		Sub    any          `json:"sub"`
		Name   string       `json:"name"`
		Email  string       `json:"email"`
		Avatar string       `json:"avatar"`
		Exp    *json.Number `json:"exp"`
	}
	if raw, err = b64url.DecodeString(parts[1]); err != nil {
		return id, refuse("The identity token's claims cannot be read.")
	}
	if !utf8.Valid(raw) {
		// encoding/json would store U+FFFD in their place.
		return id, refuse("The identity token's claims are not valid UTF-8 text.")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // a numeric sub, as many backends send it, keeps its digits
	if dec.Decode(&claims) != nil {
		return id, refuse("The identity token's claims cannot be read.")
	}
	switch sub := claims.Sub.(type) {
	case string:
		id.Subject = sub
	case json.Number:
		id.Subject = sub.String()
	}
	if id.Subject == "" {
		return id, refuse("The identity token has no sub (the user's id on your site).")
	}
	if claims.Exp == nil {
		return id, refuse("The identity token has no exp; it must expire within 24 hours.")
	}
	exp, err := claims.Exp.Float64()
	if err != nil {
		return id, refuse("The identity token's exp is not a time.")
	}
	id.Expires = time.Unix(int64(exp), 0)
	switch {
	case !id.Expires.After(now):
		return id, refuse("The identity token has expired.")
	case id.Expires.After(now.Add(MaxIdentityLifetime + clockSkew)):
		return id, refuse("The identity token's exp is more than 24 hours ahead.")
	}
	id.Name, id.Email, id.Avatar = claims.Name, claims.Email, claims.Avatar
	return id, nil
}

// SignIdentity makes an identity token: what a host site's backend does. kefu
// uses it in its tests and documentation examples.
func SignIdentity(claims map[string]any, secret string) string {
	header := b64url.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	body, _ := json.Marshal(claims)
	payload := header + "." + b64url.EncodeToString(body)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(payload))
	return payload + "." + b64url.EncodeToString(mac.Sum(nil))
}
