package auth

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPasswordRoundTrip(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string", h)
	}
	h2, _ := HashPassword("correct horse battery")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	for pw, want := range map[string]bool{"correct horse battery": true, "correct horse batter": false, "": false} {
		ok, err := CheckPassword(context.Background(), h, pw)
		if err != nil || ok != want {
			t.Errorf("CheckPassword(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
}

func TestCheckPasswordMalformed(t *testing.T) {
	for _, h := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=18$m=1,t=1,p=1$c2FsdA$aGFzaA",
		"$argon2id$v=19$m=x,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=1,t=1,p=1$!!$aGFzaA", "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$"} {
		if _, err := CheckPassword(context.Background(), h, "pw"); !errors.Is(err, ErrMalformedHash) {
			t.Errorf("CheckPassword(%q) error = %v, want ErrMalformedHash", h, err)
		}
	}
}

func TestTokens(t *testing.T) {
	a, b := NewToken(), NewToken()
	if a == b || len(a) != 43 || string(TokenHash(a)) == string(TokenHash(b)) {
		t.Fatalf("tokens %q %q are not random 256-bit values", a, b)
	}
}

// BenchmarkThirtySignInsAtOnce: thirty password checks that start together,
// as a burst of sign-ins does, until the last has its answer.
func BenchmarkThirtySignInsAtOnce(b *testing.B) {
	hash, err := HashPassword("right")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		var wg sync.WaitGroup
		for range 30 {
			wg.Go(func() {
				if ok, err := CheckPassword(context.Background(), hash, "wrong"); ok || err != nil {
					b.Error("a wrong password passed, or failed to check:", err)
				}
			})
		}
		wg.Wait()
	}
}

// TestCheckPasswordGivesUpWaiting: a check that waits for its turn stops
// waiting when its context ends.
func TestCheckPasswordGivesUpWaiting(t *testing.T) {
	h, err := HashPassword("pw")
	if err != nil {
		t.Fatal(err)
	}
	hashing <- struct{}{} // another hash's turn
	defer func() { <-hashing }()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if ok, err := CheckPassword(ctx, h, "pw"); ok || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("CheckPassword waiting past its context = %v, %v; want false, the context's error", ok, err)
	}
}
