// Package live keeps the per-instance set of WebSocket connections and the
// cross-instance bus that wakes them. It knows nothing of kefu's domain: a
// connection runs jobs that produce frames, in order, and a slow reader is
// closed rather than waited for — the client resumes from the database.
package live

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// Job produces the next frame for a connection. It runs on the connection's
// writer goroutine, so jobs of one connection never run concurrently and may
// keep per-connection state without locks. A nil frame writes nothing.
type Job func(ctx context.Context) ([]byte, error)

// Options tunes a connection.
type Options struct {
	// Queue is how many jobs may wait; one more closes the connection.
	Queue int
	// WriteTimeout bounds every write.
	WriteTimeout time.Duration
	// PingInterval is how often an idle connection is pinged to find dead peers.
	PingInterval time.Duration
	// ReadLimit is the largest frame accepted, in bytes; a larger one closes
	// the connection with 1009 (message too big).
	ReadLimit int64
}

// DefaultOptions are sensible for browsers.
var DefaultOptions = Options{Queue: 256, WriteTimeout: 10 * time.Second, PingInterval: 25 * time.Second, ReadLimit: 32 << 10}

// Conn is one WebSocket with a bounded queue of pending jobs.
type Conn struct {
	ws   *websocket.Conn
	opts Options
	jobs chan Job
	done chan struct{}
	once sync.Once
	// code and reason are set once, by the first Close, before done is closed.
	code   websocket.StatusCode
	reason string
}

// NewConn wraps an accepted WebSocket.
func NewConn(ws *websocket.Conn, opts Options) *Conn {
	ws.SetReadLimit(opts.ReadLimit)
	return &Conn{ws: ws, opts: opts, jobs: make(chan Job, opts.Queue), done: make(chan struct{})}
}

// Enqueue queues j without blocking. When the queue is full the peer is too
// slow: the connection is closed and Enqueue reports false.
func (c *Conn) Enqueue(j Job) bool {
	select {
	case <-c.done:
		return false
	default:
	}
	select {
	case c.jobs <- j:
		return true
	default:
		c.Close(websocket.StatusTryAgainLater, "too slow: reconnect and resume")
		return false
	}
}

// Send queues a ready frame.
func (c *Conn) Send(frame []byte) bool {
	return c.Enqueue(func(context.Context) ([]byte, error) { return frame, nil })
}

// Close closes the connection with code and reason, once.
func (c *Conn) Close(code websocket.StatusCode, reason string) {
	c.once.Do(func() {
		c.code, c.reason = code, reason
		close(c.done)
	})
}

func (c *Conn) closing() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// Done is closed when the connection is closing.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Run reads frames and hands each to onFrame, while writing queued jobs'
// frames, until the peer leaves, a write fails, ctx ends (close 1001) or
// Close is called. onFrame runs on the reader goroutine.
func (c *Conn) Run(ctx context.Context, onFrame func(ctx context.Context, frame []byte)) error {
	// Socket I/O does not use ctx: an operation whose context is cancelled
	// tears the socket down without a close frame, and on shutdown the peer
	// must see 1001. Reads end with the socket; writes and pings are bounded by
	// WriteTimeout.
	rctx, rcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer rcancel()
	readErr := make(chan error, 1)
	go func() {
		for {
			typ, data, err := c.ws.Read(rctx)
			if err != nil {
				readErr <- err
				return
			}
			if typ == websocket.MessageText {
				onFrame(ctx, data)
			}
		}
	}()
	ping := time.NewTicker(c.opts.PingInterval)
	defer ping.Stop()
	after := &written{} // see OnWritten
	jobCtx := withWritten(ctx, after)
	for {
		select {
		case <-ctx.Done():
			c.Close(websocket.StatusGoingAway, "server shutting down")
		case err := <-readErr:
			c.Close(websocket.StatusNormalClosure, "")
			c.ws.CloseNow()
			return err
		case <-c.done:
			// Close writes the close frame and waits (briefly) for the peer's;
			// the reader goroutine sees the end of the stream.
			err := c.ws.Close(c.code, c.reason)
			rcancel()
			<-readErr
			if err != nil && !errors.Is(err, net.ErrClosed) {
				return err
			}
			return nil
		case <-ping.C:
			pctx, pcancel := context.WithTimeout(rctx, c.opts.WriteTimeout)
			err := c.ws.Ping(pctx)
			pcancel()
			if err != nil {
				c.Close(websocket.StatusGoingAway, "ping timeout")
			}
		case job := <-c.jobs:
			frame, err := job(jobCtx)
			if err != nil {
				after.done(false)
				c.Close(websocket.StatusInternalError, "server error: reconnect and resume")
				continue
			}
			if frame == nil || c.closing() {
				after.done(false)
				continue
			}
			wctx, wcancel := context.WithTimeout(rctx, c.opts.WriteTimeout)
			err = c.ws.Write(wctx, websocket.MessageText, frame)
			wcancel()
			after.done(err == nil)
			if err != nil {
				c.Close(websocket.StatusGoingAway, "write timeout")
			}
		}
	}
}
