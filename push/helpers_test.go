package push_test

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
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/outbox/outboxtest"
	"github.com/kefu-im/kefu/push"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var b64 = base64.RawURLEncoding

// browser is a subscribed browser: its keys, as PushManager makes them.
type browser struct {
	key    *ecdh.PrivateKey
	secret []byte
}

func newBrowser(t testing.TB) browser {
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	secret := make([]byte, 16)
	rand.Read(secret)
	return browser{key: k, secret: secret}
}

func (b browser) p256dh() string { return b64.EncodeToString(b.key.PublicKey().Bytes()) }
func (b browser) auth() string   { return b64.EncodeToString(b.secret) }

// decrypt opens an aes128gcm message (RFC 8188) encrypted for b as RFC 8291
// describes, and returns its plaintext.
func (b browser) decrypt(body []byte) ([]byte, error) {
	// Header: salt (16), record size (4), key id length (1), key id: the
	// sender's ephemeral public key.
	if len(body) < 21 {
		return nil, errors.New("no aes128gcm header")
	}
	salt, rs, idLen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if len(body) < 21+idLen {
		return nil, errors.New("short key id")
	}
	asPublic, ciphertext := body[21:21+idLen], body[21+idLen:]
	if uint32(len(ciphertext)) > rs {
		return nil, fmt.Errorf("one record of %d bytes, more than the record size %d", len(ciphertext), rs)
	}
	as, err := ecdh.P256().NewPublicKey(asPublic)
	if err != nil {
		return nil, fmt.Errorf("sender key: %w", err)
	}
	shared, err := b.key.ECDH(as)
	if err != nil {
		return nil, err
	}
	// §3.3: IKM = HKDF(auth_secret, ecdh_secret, "WebPush: info\0" || ua_public || as_public, 32).
	info := append(append([]byte("WebPush: info\x00"), b.key.PublicKey().Bytes()...), asPublic...)
	ikm, err := hkdf.Key(sha256.New, shared, b.secret, string(info), 32)
	if err != nil {
		return nil, err
	}
	// §3.4 and RFC 8188: the content encryption key and the nonce, from the salt.
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
	plain, err := gcm.Open(nil, nonce, ciphertext, nil)
	if err != nil {
		return nil, fmt.Errorf("decrypt: %w", err)
	}
	// The last record ends with the delimiter 0x02, then zero padding.
	end := bytes.LastIndexFunc(plain, func(r rune) bool { return r != 0 })
	if end < 0 || plain[end] != 2 {
		return nil, errors.New("no last-record delimiter")
	}
	return plain[:end], nil
}

// vapidClaims checks an "Authorization: vapid t=<JWT>, k=<key>" header
// against the public key: k is that key and the ES256 signature verifies
// with it. It returns the token's claims.
func vapidClaims(header, public string) (map[string]any, error) {
	rest, ok := strings.CutPrefix(header, "vapid ")
	if !ok {
		return nil, fmt.Errorf("not a vapid authorization: %q", header)
	}
	params := map[string]string{}
	for _, p := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		params[k] = v
	}
	if params["k"] != public {
		return nil, fmt.Errorf("k=%s, want the stored public key %s", params["k"], public)
	}
	parts := strings.Split(params["t"], ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("t is not a JWT: %q", params["t"])
	}
	var head map[string]any
	if raw, err := b64.DecodeString(parts[0]); err != nil || json.Unmarshal(raw, &head) != nil || head["alg"] != "ES256" {
		return nil, fmt.Errorf("JWT header %q: want alg ES256", parts[0])
	}
	pubBytes, err := b64.DecodeString(public)
	if err != nil {
		return nil, err
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), pubBytes)
	if err != nil {
		return nil, err
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return nil, fmt.Errorf("signature is not 64 bytes of r||s")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return nil, errors.New("the JWT's signature does not verify with the stored public key")
	}
	var claims map[string]any
	raw, err := b64.DecodeString(parts[1])
	if err != nil {
		return nil, err
	}
	return claims, json.Unmarshal(raw, &claims)
}

// newPushService is a browser's push service: it answers each request with
// the next of statuses, 201 once they run out; 0 is no answer at all.
func newPushService(t testing.TB, statuses ...int) *outboxtest.Receiver {
	return outboxtest.NewReceiver(t, http.StatusCreated, statuses...)
}

// world is a database with an agent (Alex) whose one browser is subscribed
// at ps, and a push worker over it.
type world struct {
	db      *store.DB
	ps      *outboxtest.Receiver
	clock   *outboxtest.Clock
	alex    chat.User
	browser browser
	subID   int64
	cfg     push.Config
	worker  *push.Worker
}

func newWorld(t testing.TB, ps *outboxtest.Receiver, cfg push.Config) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{db: storetest.DB(t), ps: ps, clock: &outboxtest.Clock{}, browser: newBrowser(t)}
	if cfg.Now == nil {
		cfg.Now = w.clock.Now
	}
	cfg.AllowPrivate = true // the tests' push services listen on 127.0.0.1
	w.cfg = cfg
	var err error
	if w.alex, _, err = w.db.EnsureAdmin(ctx, store.NewMember{Email: "alex@example.com", Name: "Alex", PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := w.db.SetAgentCapacity(ctx, 0, w.alex.ID, 1000); err != nil {
		t.Fatal(err)
	}
	w.worker = push.NewWorker(w.db, cfg, slog.New(slog.DiscardHandler))
	if err := w.worker.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	if w.subID, err = w.db.SavePushSubscription(ctx, w.alex.ID, ps.URL+"/push/v2/abc", w.browser.p256dh(), w.browser.auth(),
		"Firefox on Linux"); err != nil {
		t.Fatal(err)
	}
	return w
}

// newWorker is another instance's worker on the same database.
func (w *world) newWorker(cfg push.Config) *push.Worker {
	return push.NewWorker(w.db, cfg, slog.New(slog.DiscardHandler))
}

// chat has a new visitor write body and gives the chat to Alex; it returns
// the visitor and the conversation.
func (w *world) chat(t testing.TB, body string) (chat.User, int64) {
	t.Helper()
	ctx := context.Background()
	v, err := w.db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := w.db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.db.Take(ctx, m.ConversationID, w.alex.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	return v, m.ConversationID
}

// say has visitor v write body.
func (w *world) say(t testing.TB, v chat.User, body string) chat.Message {
	t.Helper()
	m, _, err := w.db.SendFromVisitor(context.Background(), store.Send{SenderID: v.ID, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// round runs one round of the world's worker and checks how many it claimed.
func (w *world) round(t testing.TB, want int) {
	t.Helper()
	if n, err := w.worker.Round(context.Background()); err != nil || n != want {
		t.Fatalf("round claimed %d, %v; want %d", n, err, want)
	}
}

// pushes returns Alex's notifications, newest first.
func (w *world) pushes(t testing.TB) []store.Push {
	t.Helper()
	all, err := w.db.Pushes(context.Background(), w.alex.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// shown is what the service worker gets.
type shown struct {
	Title, Body, URL, Tag string
}

func (w *world) open(t testing.TB, r outboxtest.Request) shown {
	t.Helper()
	plain, err := w.browser.decrypt(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	var s shown
	if err := json.Unmarshal(plain, &s); err != nil {
		t.Fatalf("payload %q: %v", plain, err)
	}
	return s
}
