package push

import (
	"context"
	"errors"
	"fmt"

	webpush "github.com/SherClockHolmes/webpush-go"

	"github.com/kefu-im/kefu/chat"
)

// Keys is the VAPID key pair that signs requests to push services (RFC
// 8292), base64url without padding: Public is the uncompressed P-256 point
// that browsers subscribe with, Private the 32-byte scalar. Every instance
// signs with the one pair kept in the database.
type Keys struct {
	Public  string
	Private string
}

// String shows the public key only, so that printing or logging Keys never
// reveals the private one.
func (k Keys) String() string { return "vapid:" + k.Public }

// KeyStore keeps the key pair.
type KeyStore interface {
	// VAPID returns the stored pair; none is chat.ErrNotFound.
	VAPID(ctx context.Context) (public, private string, err error)
	// SeedVAPID stores a pair unless one is stored, and returns the stored one.
	SeedVAPID(ctx context.Context, public, private string) (string, string, error)
	// ReplaceVAPID stores a new pair, and forgets every subscription.
	ReplaceVAPID(ctx context.Context, actorID int64, public, private string) error
}

// newKeys makes a new key pair.
func newKeys() (Keys, error) {
	private, public, err := webpush.GenerateVAPIDKeys()
	if err != nil {
		return Keys{}, fmt.Errorf("push: generate vapid keys: %w", err)
	}
	return Keys{Public: public, Private: private}, nil
}

// LoadKeys returns the stored key pair; none is chat.ErrNotFound.
func LoadKeys(ctx context.Context, ks KeyStore) (Keys, error) {
	public, private, err := ks.VAPID(ctx)
	return Keys{public, private}, err
}

// EnsureKeys returns the stored key pair, generating it on the very first
// start. Instances starting together each offer a pair, and all get the
// one that was stored first.
func EnsureKeys(ctx context.Context, ks KeyStore) (Keys, error) {
	k, err := LoadKeys(ctx, ks)
	if !errors.Is(err, chat.ErrNotFound) {
		return k, err
	}
	if k, err = newKeys(); err != nil {
		return Keys{}, err
	}
	k.Public, k.Private, err = ks.SeedVAPID(ctx, k.Public, k.Private)
	return k, err
}

// RotateKeys replaces the key pair, recording actorID (0: none) in the
// audit log. Push services refuse a subscription's notifications signed
// with another key than the one it was made with, so every subscription is
// deleted, and every device must enable notifications again.
func RotateKeys(ctx context.Context, ks KeyStore, actorID int64) (Keys, error) {
	k, err := newKeys()
	if err != nil {
		return Keys{}, err
	}
	if err := ks.ReplaceVAPID(ctx, actorID, k.Public, k.Private); err != nil {
		return Keys{}, err
	}
	return k, nil
}
