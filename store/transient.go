package store

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// Transient reports whether err is a failure that the same work may get
// past when it is tried again: the database could not be reached, or the
// connection to it was lost; a timeout (the server's statement or lock
// timeout too: 57014, 55P03) or an ended context (a request or a socket
// cut short: the client sends again); the server short of resources,
// shutting down or starting up (SQLSTATE classes 08 and 53, 57P01 to
// 57P03); a serialization failure or deadlock (40001, 40P01). Any other
// error, a refusal by a constraint say, would come back every time.
func Transient(err error) bool {
	if err == nil {
		return false
	}
	// A refused connection, whatever the server said while refusing it
	// (a database not accepting connections, too many clients).
	var connect *pgconn.ConnectError
	if errors.As(err, &connect) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), strings.HasPrefix(pe.Code, "53"):
			return true
		}
		switch pe.Code {
		case "57P01", "57P02", "57P03", "40001", "40P01", "57014", "55P03":
			return true
		}
		return false
	}
	var netErr net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		pgconn.Timeout(err) || pgconn.SafeToRetry(err) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.As(err, &netErr)
}
