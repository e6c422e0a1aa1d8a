package push

// A web push request: its body encrypted for the browser (RFC 8291, in one
// aes128gcm record of RFC 8188) and its Authorization header signed with
// the VAPID key pair (RFC 8292).
//
// webpush-go signs a new token for every push, which costs more than the
// encryption. A token names the push service and no browser, so kefu signs
// one per push service and key pair, and sends it with every push to that
// service until it is near its expiry. The primitives are the standard
// library's; the token is signed by golang-jwt.

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/kefu-im/kefu/store"
)

// tokenLife is how long a VAPID token is valid (RFC 8292 allows up to 24
// hours); tokenReuse is how long one is sent before a new one is signed,
// so that no push service sees a token close to its expiry.
const (
	tokenLife  = 12 * time.Hour
	tokenReuse = 6 * time.Hour
)

// maxAudiences bounds the tokens a signer keeps: push services are few,
// but endpoints come from browsers, so their hosts are not kefu's to choose.
const maxAudiences = 256

// headerLen is the length of an aes128gcm header that carries the
// sender's key: salt (16), record size (4), key length (1), key (65).
const headerLen = 16 + 4 + 1 + 65

// errTooLong is a payload longer than the largest record holds.
var errTooLong = errors.New("the payload is longer than a push holds")

// signer makes the Authorization header of pushes signed with one key
// pair, a token per push service, reused until tokenReuse has passed.
type signer struct {
	keys Keys
	key  *ecdsa.PrivateKey
	sub  string // the token's sub claim: mailto: or https: contact
	now  func() time.Time

	mu     sync.Mutex
	tokens map[string]token // by audience: scheme://host[:port]
}

// token is a signed Authorization header and when it was signed.
type token struct {
	header string
	signed time.Time
}

// newSigner parses keys' private key; subscriber is an email address
// without "mailto:" or an https URL.
func newSigner(keys Keys, subscriber string, now func() time.Time) (*signer, error) {
	raw, err := base64.RawURLEncoding.DecodeString(keys.Private)
	if err != nil {
		return nil, fmt.Errorf("push: the VAPID private key is not base64url: %w", err)
	}
	key, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), raw)
	if err != nil {
		return nil, fmt.Errorf("push: the VAPID private key: %w", err)
	}
	if !strings.HasPrefix(subscriber, "https:") {
		subscriber = "mailto:" + subscriber
	}
	return &signer{keys: keys, key: key, sub: subscriber, now: now, tokens: map[string]token{}}, nil
}

// audience is the push service of endpoint, as a token names it.
func audience(endpoint *url.URL) string { return endpoint.Scheme + "://" + endpoint.Host }

// authorization is the Authorization header for a push to endpoint.
func (s *signer) authorization(endpoint *url.URL) (string, error) {
	aud := audience(endpoint)
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.tokens[aud]; ok && now.Sub(t.signed) < tokenReuse && !now.Before(t.signed) {
		return t.header, nil
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"aud": aud,
		"exp": now.Add(tokenLife).Unix(),
		"sub": s.sub,
	}).SignedString(s.key)
	if err != nil {
		return "", fmt.Errorf("sign the VAPID token: %w", err)
	}
	if len(s.tokens) >= maxAudiences {
		clear(s.tokens)
	}
	t := token{header: "vapid t=" + signed + ", k=" + s.keys.Public, signed: now}
	s.tokens[aud] = t
	return t.header, nil
}

// forget drops the token of endpoint's push service, which refused it: the
// next push there signs a new one.
func (s *signer) forget(endpoint string) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return
	}
	s.mu.Lock()
	delete(s.tokens, audience(u))
	s.mu.Unlock()
}

// pushRequest is what a push carries beside its payload.
type pushRequest struct {
	Endpoint string
	P256dh   string // the browser's public key, base64url
	Auth     string // the browser's authentication secret, base64url
	TTL      time.Duration
	Topic    string
	Urgency  string
}

// newRequest encrypts payload for the browser of r in a body of rs bytes,
// and returns the signed request that posts it to the browser's push service.
func (s *signer) newRequest(ctx context.Context, r pushRequest, payload []byte, rs int) (*http.Request, error) {
	endpoint, err := url.Parse(r.Endpoint)
	if err != nil {
		return nil, err
	}
	ua, err := store.DecodeKey(r.P256dh)
	if err != nil {
		return nil, fmt.Errorf("the browser's key: %w", err)
	}
	browser, err := ecdh.P256().NewPublicKey(ua)
	if err != nil {
		return nil, fmt.Errorf("the browser's key: %w", err)
	}
	secret, err := store.DecodeKey(r.Auth)
	if err != nil {
		return nil, fmt.Errorf("the browser's secret: %w", err)
	}
	local, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	body, err := encrypt(payload, browser, secret, local, salt, rs, rs)
	if err != nil {
		return nil, err
	}
	auth, err := s.authorization(endpoint)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.Endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Encoding", "aes128gcm")
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("TTL", strconv.Itoa(int(r.TTL.Seconds())))
	if r.Topic != "" {
		req.Header.Set("Topic", r.Topic)
	}
	if r.Urgency != "" {
		req.Header.Set("Urgency", r.Urgency)
	}
	return req, nil
}

// encrypt is RFC 8291's message encryption of plain for the browser's key
// ua and secret auth, with the sender's one-time key as and salt, in a body
// of size bytes: the aes128gcm header, whose record size is rs, then a
// single record, plain followed by the last-record delimiter and zeros.
// The record is the last, so it may be shorter than rs but not longer.
func encrypt(plain []byte, ua *ecdh.PublicKey, auth []byte, as *ecdh.PrivateKey, salt []byte, rs, size int) ([]byte, error) {
	if len(plain) > size-headerLen-16-1 || size > rs+headerLen {
		return nil, errTooLong
	}
	shared, err := as.ECDH(ua)
	if err != nil {
		return nil, err
	}
	asPublic := as.PublicKey().Bytes()
	// §3.3: IKM = HKDF(auth, ecdh_secret, "WebPush: info" 0x00 ua_public as_public, 32).
	info := append(append([]byte("WebPush: info\x00"), ua.Bytes()...), asPublic...)
	ikm, err := hkdf.Key(sha256.New, shared, auth, string(info), 32)
	if err != nil {
		return nil, err
	}
	// §3.4 and RFC 8188 §2.2–2.3: the content key and the nonce.
	cek, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	body := make([]byte, headerLen, size)
	copy(body, salt)
	binary.BigEndian.PutUint32(body[16:], uint32(rs))
	body[20] = byte(len(asPublic))
	copy(body[21:], asPublic)
	record := make([]byte, size-headerLen-gcm.Overhead())
	copy(record, plain)
	record[len(plain)] = 2 // the last record's delimiter; the rest is padding
	return gcm.Seal(body, nonce, record, nil), nil
}
