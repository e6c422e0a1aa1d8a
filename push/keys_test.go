package push_test

import (
	"context"
	"crypto/ecdh"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/push"
	"github.com/kefu-im/kefu/store/storetest"
)

func TestKeysGeneratedOnceThenRotated(t *testing.T) {
	t.Parallel()
	db := storetest.DB(t)
	ctx := context.Background()
	if _, err := push.LoadKeys(ctx, db); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("LoadKeys before any keys = %v, want ErrNotFound", err)
	}

	// Instances starting together: all get one pair.
	keys := make([]push.Keys, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := push.EnsureKeys(ctx, db)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for _, k := range keys {
		if k != keys[0] || k.Public == "" || k.Private == "" {
			t.Fatalf("instances got different keys: %v", keys)
		}
	}
	// The halves belong together: the public key is the private one's point.
	pub, err := b64.DecodeString(keys[0].Public)
	if err != nil || len(pub) != 65 {
		t.Fatalf("public key %q is not a base64url P-256 point", keys[0].Public)
	}
	priv, err := b64.DecodeString(keys[0].Private)
	if err != nil || len(priv) != 32 {
		t.Fatal("the private key is not a base64url P-256 scalar")
	}
	if k, err := ecdh.P256().NewPrivateKey(priv); err != nil || string(k.PublicKey().Bytes()) != string(pub) {
		t.Fatal("the keys do not form a pair")
	}
	if s := fmt.Sprint(keys[0]); strings.Contains(s, keys[0].Private) {
		t.Fatalf("printing the keys shows the private one: %s", s)
	}

	rotated, err := push.RotateKeys(ctx, db, 0)
	if err != nil || rotated.Public == keys[0].Public || rotated.Private == keys[0].Private {
		t.Fatalf("RotateKeys = %v, %v", rotated, err)
	}
	for _, get := range []func(context.Context, push.KeyStore) (push.Keys, error){push.LoadKeys, push.EnsureKeys} {
		if k, err := get(ctx, db); err != nil || k != rotated {
			t.Fatalf("after rotation: %v, %v", k, err)
		}
	}
}
