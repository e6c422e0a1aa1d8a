package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kefu-im/kefu/chat"
)

// TestTransient: only failures that may pass are worth trying again.
func TestTransient(t *testing.T) {
	pg := func(code string) error { return fmt.Errorf("store: send: %w", &pgconn.PgError{Code: code}) }
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"connection failure (08006)", pg("08006"), true},
		{"too many connections (53300)", pg("53300"), true},
		{"out of memory (53200)", pg("53200"), true},
		{"admin shutdown (57P01)", pg("57P01"), true},
		{"crash shutdown (57P02)", pg("57P02"), true},
		{"starting up (57P03)", pg("57P03"), true},
		{"serialization failure (40001)", pg("40001"), true},
		{"deadlock (40P01)", pg("40P01"), true},
		{"a refused connection", &pgconn.ConnectError{}, true},
		{"connection refused", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, true},
		{"connection reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"connection closed", fmt.Errorf("store: %w", pgconn.ErrConnClosed), true},
		{"deadline", fmt.Errorf("store: %w", context.DeadlineExceeded), true},
		{"check violation (23514)", pg("23514"), false},
		{"not-null violation (23502)", pg("23502"), false},
		{"bad encoding (22021)", pg("22021"), false},
		{"unsupported escape in jsonb (22P05)", pg("22P05"), false},
		{"statement timeout (57014)", pg("57014"), true},
		{"lock timeout (55P03)", pg("55P03"), true},
		{"not accepting connections, after connecting (55000)", pg("55000"), false},
		{"a conflict", chat.ErrConflict, false},
		{"a bug", errors.New("something else"), false},
		{"nothing", nil, false},
	} {
		if got := Transient(c.err); got != c.want {
			t.Errorf("%s: Transient = %v, want %v", c.name, got, c.want)
		}
	}
}
