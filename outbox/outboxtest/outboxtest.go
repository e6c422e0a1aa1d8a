// Package outboxtest is test support for outbox workers: a clock that tests
// move forward, and a receiver that answers as a test scripts it.
package outboxtest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Clock is real time moved forward by what a test advances it.
type Clock struct{ offset atomic.Int64 }

// Now is the clock's time.
func (c *Clock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// NoWait is a backoff that retries at once.
func NoWait(int) time.Duration { return 0 }

// Request is one request a Receiver got.
type Request struct {
	Header http.Header
	Body   []byte
	// Status is what it was answered (0: nothing).
	Status int
	At     time.Time
}

// Receiver is an HTTP endpoint that answers each request with the next of
// its statuses, and with OK once they run out. A status of 0 means no
// answer at all: the request hangs until the sender gives up on it. A 429
// asks to wait two minutes.
type Receiver struct {
	// URL is where it listens: http://127.0.0.1:<port>.
	URL string
	// Arrived gets each request as it arrives, when there is room.
	Arrived chan Request

	ok       int
	mu       sync.Mutex
	statuses []int
	got      []Request
}

// NewReceiver starts a receiver that answers ok once statuses run out; the
// test's end stops it.
func NewReceiver(t testing.TB, ok int, statuses ...int) *Receiver {
	rc := &Receiver{Arrived: make(chan Request, 1000), ok: ok, statuses: statuses}
	srv := httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(srv.Close)
	rc.URL = srv.URL
	return rc
}

func (rc *Receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	status := rc.ok
	if len(rc.statuses) > 0 {
		status, rc.statuses = rc.statuses[0], rc.statuses[1:]
	}
	req := Request{Header: r.Header.Clone(), Body: body, Status: status, At: time.Now()}
	rc.got = append(rc.got, req)
	rc.mu.Unlock()
	select {
	case rc.Arrived <- req:
	default: // nobody is waiting for arrivals in bulk
	}
	if status == 0 {
		<-r.Context().Done()
		return
	}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "120")
	}
	w.WriteHeader(status)
}

// Requests returns the requests received so far, in order.
func (rc *Receiver) Requests() []Request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]Request(nil), rc.got...)
}
