package push

import (
	"context"
	"crypto/ecdh"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestEncryptIsRFC8291 encrypts the example of RFC 8291's appendix A with
// its keys and salt, and gets its message, byte for byte.
func TestEncryptIsRFC8291(t *testing.T) {
	b64 := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	as, err := ecdh.P256().NewPrivateKey(b64("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"))
	if err != nil {
		t.Fatal(err)
	}
	ua, err := ecdh.P256().NewPublicKey(b64("BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"))
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte("When I grow up, I want to be a watermelon")
	body, err := encrypt(plain, ua, b64("BTBZMqHH6r4Tts7J_aSIgg"), as, b64("DGv6ra1nlYgDCS1FRnbzlw"),
		4096, headerLen+len(plain)+1+16)
	if err != nil {
		t.Fatal(err)
	}
	want := "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
	if got := base64.RawURLEncoding.EncodeToString(body); got != want {
		t.Fatalf("encrypted:\n%s\nwant RFC 8291's\n%s", got, want)
	}
	// A record of recordSize holds maxPayload bytes, and not one more.
	secret, salt := b64("BTBZMqHH6r4Tts7J_aSIgg"), b64("DGv6ra1nlYgDCS1FRnbzlw")
	if body, err := encrypt(make([]byte, maxPayload), ua, secret, as, salt, recordSize, recordSize); err != nil || len(body) != recordSize {
		t.Fatalf("the longest payload: %d bytes, %v; want %d", len(body), err, recordSize)
	}
	if _, err := encrypt(make([]byte, maxPayload+1), ua, secret, as, salt, recordSize, recordSize); !errors.Is(err, errTooLong) {
		t.Fatalf("a payload longer than a record: %v, want errTooLong", err)
	}
	if _, err := encrypt(plain, ua, secret, as, salt, 100, 200); !errors.Is(err, errTooLong) {
		t.Fatalf("a record longer than its record size: %v, want errTooLong", err)
	}
}

// TestSignerReusesTokens signs a token per push service, sends it until
// it has been used for tokenReuse, and signs no token for a browser.
func TestSignerReusesTokens(t *testing.T) {
	keys, err := newKeys()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	s, err := newSigner(keys, "kefu@help.example.com", func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	auth := func(endpoint string) string {
		u, err := url.Parse(endpoint)
		if err != nil {
			t.Fatal(err)
		}
		h, err := s.authorization(u)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(h, "vapid t=") || !strings.HasSuffix(h, ", k="+keys.Public) {
			t.Fatalf("Authorization %q", h)
		}
		return h
	}
	first := auth("https://fcm.googleapis.com/fcm/send/one")
	if auth("https://fcm.googleapis.com/fcm/send/two") != first {
		t.Fatal("a second browser of the same push service got a token of its own")
	}
	other := auth("https://updates.push.services.mozilla.com/wpush/v2/three")
	if other == first {
		t.Fatal("two push services got the same token")
	}
	now = now.Add(tokenReuse - time.Second)
	if auth("https://fcm.googleapis.com/fcm/send/one") != first {
		t.Fatal("a token was signed again before tokenReuse passed")
	}
	now = now.Add(time.Second)
	if auth("https://fcm.googleapis.com/fcm/send/one") == first {
		t.Fatal("a token was sent after tokenReuse passed")
	}

	// The worker's tests decrypt whole requests; here a bad key is refused.
	if _, err := s.newRequest(context.Background(), pushRequest{Endpoint: "https://fcm.googleapis.com/fcm/send/one",
		P256dh: "not a key", Auth: "AAAAAAAAAAAAAAAAAAAAAA"}, []byte("{}"), recordSize); err == nil {
		t.Fatal("a browser key that is not a P-256 point was accepted")
	}
}
