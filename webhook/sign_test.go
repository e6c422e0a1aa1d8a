package webhook_test

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/kefu-im/kefu/webhook"
)

func signed(secret string, at time.Time, body []byte) http.Header {
	h := http.Header{}
	h.Set(webhook.HeaderTimestamp, strconv.FormatInt(at.Unix(), 10))
	h.Set(webhook.HeaderSignature, webhook.Sign(secret, at.Unix(), body))
	return h
}

func TestVerify(t *testing.T) {
	t.Parallel()
	const secret = "whsec_test"
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":"d1","event":"message.created","data":{"body":"hi"}}`)
	good := signed(secret, now, body)
	// The scheme, spelled out: hex HMAC-SHA256 of "<timestamp>.<body>"
	// (printf '1800000000.{"id":"d1"}' | openssl dgst -sha256 -hmac whsec_test).
	if got, want := webhook.Sign(secret, now.Unix(), []byte(`{"id":"d1"}`)),
		"v1=0bf1a0d725bb28959b5c706a8f39bee16b58202babd48fad91301e7f43acccda"; got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	rotated := good.Clone()
	rotated.Set(webhook.HeaderSignature, webhook.Sign("whsec_old", now.Unix(), body)+", "+good.Get(webhook.HeaderSignature))
	noTS := good.Clone()
	noTS.Del(webhook.HeaderTimestamp)
	badTS := good.Clone()
	badTS.Set(webhook.HeaderTimestamp, "yesterday")
	otherScheme := good.Clone()
	otherScheme.Set(webhook.HeaderSignature, "v0="+good.Get(webhook.HeaderSignature)[3:])
	for _, c := range []struct {
		name   string
		secret string
		header http.Header
		body   []byte
		now    time.Time
		want   error
	}{
		{"as signed", secret, good, body, now, nil},
		{"a little later", secret, good, body, now.Add(4 * time.Minute), nil},
		{"a clock a little behind", secret, good, body, now.Add(-4 * time.Minute), nil},
		{"one of several signatures", secret, rotated, body, now, nil},
		{"tampered body", secret, good, []byte(`{"id":"d1","event":"message.created","data":{"body":"hi!"}}`), now, webhook.ErrBadSignature},
		{"wrong secret", "whsec_other", good, body, now, webhook.ErrBadSignature},
		{"replayed later", secret, good, body, now.Add(6 * time.Minute), webhook.ErrTimestamp},
		{"from the future", secret, good, body, now.Add(-6 * time.Minute), webhook.ErrTimestamp},
		{"no timestamp", secret, noTS, body, now, webhook.ErrNoSignature},
		{"bad timestamp", secret, badTS, body, now, webhook.ErrNoSignature},
		{"no signature", secret, http.Header{webhook.HeaderTimestamp: {strconv.FormatInt(now.Unix(), 10)}}, body, now, webhook.ErrNoSignature},
		{"another scheme", secret, otherScheme, body, now, webhook.ErrBadSignature},
	} {
		if err := webhook.Verify(c.secret, c.header, c.body, c.now, 5*time.Minute); !errors.Is(err, c.want) {
			t.Errorf("%s: Verify = %v, want %v", c.name, err, c.want)
		}
	}
	// The timestamp is signed: moving it breaks the signature.
	moved := good.Clone()
	moved.Set(webhook.HeaderTimestamp, strconv.FormatInt(now.Unix()+1, 10))
	if err := webhook.Verify(secret, moved, body, now, 5*time.Minute); !errors.Is(err, webhook.ErrBadSignature) {
		t.Errorf("moved timestamp: Verify = %v, want ErrBadSignature", err)
	}
}
