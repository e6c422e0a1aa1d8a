package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The headers every delivery carries.
const (
	// HeaderID is the delivery's id, the same on every attempt: receivers
	// drop a repeat by remembering the ids they processed.
	HeaderID = "Kefu-Webhook-Id"
	// HeaderEvent names the event, such as message.created.
	HeaderEvent = "Kefu-Webhook-Event"
	// HeaderTimestamp is when the attempt was signed, in Unix seconds.
	HeaderTimestamp = "Kefu-Webhook-Timestamp"
	// HeaderSignature is "v1=" and the hex HMAC-SHA256, keyed with the
	// webhook's secret, of the timestamp, a dot and the raw body.
	HeaderSignature = "Kefu-Webhook-Signature"
)

// Verification failures.
var (
	ErrNoSignature  = errors.New("webhook: no signature or timestamp")
	ErrTimestamp    = errors.New("webhook: timestamp outside the tolerance")
	ErrBadSignature = errors.New("webhook: signature does not match")
)

// Sign returns the Kefu-Webhook-Signature value for body sent at timestamp
// (Unix seconds): "v1=" and the hex HMAC-SHA256 of "<timestamp>.<body>".
func Sign(secret string, timestamp int64, body []byte) string {
	return "v1=" + hex.EncodeToString(mac(secret, strconv.FormatInt(timestamp, 10), body))
}

func mac(secret, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a delivery as a receiver gets it: the raw body, exactly as
// read, and the request's headers. It returns nil when the signature was
// made with secret over this body and timestamp, and the timestamp is
// within tolerance of now (which refuses a captured request replayed
// later). Signature may hold several space- or comma-separated "v1="
// values; one match is enough.
//
//	body, _ := io.ReadAll(r.Body)
//	if err := webhook.Verify(secret, r.Header, body, time.Now(), 5*time.Minute); err != nil {
//		http.Error(w, "bad signature", http.StatusUnauthorized)
//		return
//	}
func Verify(secret string, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	ts, sigs := header.Get(HeaderTimestamp), header.Get(HeaderSignature)
	if ts == "" || sigs == "" {
		return ErrNoSignature
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrNoSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrTimestamp
	}
	want := mac(secret, ts, body)
	for _, s := range strings.FieldsFunc(sigs, func(r rune) bool { return r == ' ' || r == ',' }) {
		v, ok := strings.CutPrefix(s, "v1=")
		if !ok {
			continue
		}
		if got, err := hex.DecodeString(v); err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrBadSignature
}
