// Package live keeps the per-instance set of WebSocket connections and the
// cross-instance bus that wakes them. It knows nothing of kefu's domain: a
// connection runs jobs that produce frames, in order, and a slow reader is
// closed rather than waited for — the client resumes from the database.
package live

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// Job produces the next frame for a connection. It runs on the connection's
// writer, so jobs of one connection never run concurrently, run in the order
// they were queued, and may keep per-connection state without locks. A nil
// frame writes nothing.
type Job func(ctx context.Context) ([]byte, error)

// Options tunes a connection.
type Options struct {
	// Queue is how many jobs may wait (at least one); one more closes the
	// connection. It bounds what a connection holds; Lag is what tells a
	// slow peer.
	Queue int
	// Lag is how long a job may wait for the writer once Run has started:
	// a job queued while the oldest waiting one has waited longer closes
	// the connection. The wait is the peer's writes and the jobs' own work
	// ahead of it (a resume's queries) together: frames that far behind
	// are better replaced by a reconnect, which resumes from the database,
	// than sent late; a burst that the writer works through in time is not
	// a slow peer, however many jobs it queues. A writer that stalls with
	// nothing more queued is WriteTimeout's. Zero leaves it to Queue.
	Lag time.Duration
	// WriteTimeout bounds every write.
	WriteTimeout time.Duration
	// PingInterval is how often an idle connection is pinged to find dead peers.
	PingInterval time.Duration
	// ReadLimit is the largest frame accepted, in bytes; a larger one closes
	// the connection with 1009 (message too big).
	ReadLimit int64
}

// DefaultOptions are sensible for browsers.
// A socket that carries many streams' frames takes bursts of hundreds at
// once (several commit groups delivered together): Queue holds them, and
// at about a kilobyte a job bounds what a connection holds to a few
// megabytes; a peer seconds behind reconnects.
var DefaultOptions = Options{Queue: 4096, Lag: 5 * time.Second, WriteTimeout: 10 * time.Second, PingInterval: 25 * time.Second, ReadLimit: 32 << 10}

// Conn is one WebSocket with a bounded queue of pending jobs.
//
// An idle connection costs one goroutine, the one in Run, which reads. The
// writer, which runs jobs, pings the peer and closes the socket, is started
// on a worker of the pool when there is such work, and gives the worker
// back when there is none left; there is never more than one at a time.
type Conn struct {
	ws   *websocket.Conn
	out  *gather // what ws writes to
	opts Options
	done chan struct{} // closed by the first Close

	mu      sync.Mutex      // guards the fields below
	ctx     context.Context // Run's, for jobs, with after; nil until Run starts
	ping    *time.Timer     // marks a ping due, every PingInterval
	queue   []queued        // jobs waiting, oldest first; nil while there are none
	pingDue bool
	writing bool // the writer is running
	closed  bool // Close was called: code and reason say how
	code    websocket.StatusCode
	reason  string
	ended   bool // Run has stopped reading: no writer starts any more
	// panicErr is the first panic of a job, a frame handler or what
	// waits for a frame to be written (OnWritten).
	panicErr *PanicError

	writer   sync.WaitGroup // the writer, while it runs
	after    *written       // see OnWritten; set by Run, then the writer's
	closeErr error          // the close handshake's outcome; the writer's until it ends

	now func() time.Time // the clock that times Lag; guarded by mu
}

// queued is a job and when it was queued.
type queued struct {
	job Job
	at  time.Time
}

func newConn(ws *websocket.Conn, out *gather, opts Options) *Conn {
	ws.SetReadLimit(opts.ReadLimit)
	return &Conn{ws: ws, out: out, opts: opts, done: make(chan struct{}), now: time.Now}
}

// Enqueue queues j without blocking. When the queue is full, or its oldest
// job has waited longer than Lag, the peer is too slow: the connection is
// closed and Enqueue reports false.
func (c *Conn) Enqueue(j Job) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	now := c.now()
	if len(c.queue) >= c.opts.Queue || c.laggingLocked(now) {
		c.closeLocked(websocket.StatusTryAgainLater, "too slow: reconnect and resume")
		return false
	}
	c.queue = append(c.queue, queued{job: j, at: now})
	c.wakeLocked()
	return true
}

// laggingLocked says whether, Run having started, the oldest waiting job
// has waited longer than Lag by now.
func (c *Conn) laggingLocked(now time.Time) bool {
	return c.opts.Lag > 0 && c.ctx != nil && len(c.queue) > 0 && now.Sub(c.queue[0].at) > c.opts.Lag
}

// Send queues a ready frame.
func (c *Conn) Send(frame []byte) bool {
	return c.Enqueue(func(context.Context) ([]byte, error) { return frame, nil })
}

// Close closes the connection with code and reason, once. Jobs still
// queued are dropped: the client resumes from the database.
func (c *Conn) Close(code websocket.StatusCode, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked(code, reason)
}

func (c *Conn) closeLocked(code websocket.StatusCode, reason string) {
	if c.closed {
		return
	}
	c.closed, c.code, c.reason = true, code, reason
	c.queue = nil
	close(c.done)
	c.wakeLocked()
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

// Run reads frames and hands each to onFrame, while the writer writes
// queued jobs' frames, until the peer leaves, a write fails, ctx ends
// (close 1001) or Close is called. Frames are handled one at a time, in
// the order they came: the next is read once onFrame has returned. When
// Run returns, no job is running and none will.
func (c *Conn) Run(ctx context.Context, onFrame func(ctx context.Context, frame []byte)) error {
	// Socket I/O does not use ctx: an operation whose context is cancelled
	// tears the socket down without a close frame, and on shutdown the peer
	// must see 1001. Reads end with the socket; writes and pings are bounded
	// by WriteTimeout.
	stop := context.AfterFunc(ctx, func() { c.Close(websocket.StatusGoingAway, "server shutting down") })
	defer stop()
	c.mu.Lock()
	c.after = &written{}
	c.ctx = withWritten(ctx, c.after)
	// Jobs queued before Run (while the handler set up) wait for the
	// writer from now.
	now := c.now()
	for i := range c.queue {
		c.queue[i].at = now
	}
	c.ping = time.AfterFunc(c.opts.PingInterval, c.pingTime)
	if c.closed || len(c.queue) > 0 {
		c.wakeLocked()
	}
	c.mu.Unlock()
	defer c.ping.Stop()
	for {
		typ, data, err := c.ws.Read(context.Background())
		if err != nil {
			return c.end(err)
		}
		if typ == websocket.MessageText {
			c.handle(ctx, onFrame, data)
		}
	}
}

// handle runs onFrame on a worker of the pool, and waits for it. What a
// frame calls (the database, templates) may grow a goroutine's stack far
// past what reading needs, and the reader's stack is held for as long as
// the socket is open. A panic in onFrame ends this connection, not the
// process.
func (c *Conn) handle(ctx context.Context, onFrame func(context.Context, []byte), frame []byte) {
	done := make(chan struct{})
	pool.run(func() {
		defer close(done)
		defer func() {
			if r := recover(); r != nil {
				c.panicked(r)
			}
		}()
		onFrame(ctx, frame)
	})
	<-done
}

// PanicError is what Run returns when a job, a frame handler or what
// waited for a frame to be written (OnWritten) panicked:
// the connection was closed with 1011 and the process goes on.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("live: panic: %v", e.Value) }

// panicked records the first panic, for Run to return, and closes the
// connection: the client reconnects and resumes.
func (c *Conn) panicked(value any) error {
	c.mu.Lock()
	if c.panicErr == nil {
		c.panicErr = &PanicError{Value: value, Stack: debug.Stack()}
	}
	err := c.panicErr
	c.mu.Unlock()
	c.Close(websocket.StatusInternalError, "server error: reconnect and resume")
	return err
}

// end stops the connection once reading has failed with readErr, and
// waits for the writer.
func (c *Conn) end(readErr error) error {
	c.mu.Lock()
	c.ended = true
	// Closed before the read failed: the writer has the close handshake.
	handshake := c.closed
	c.closeLocked(websocket.StatusNormalClosure, "")
	c.mu.Unlock()
	if !handshake {
		c.ws.CloseNow()
	}
	c.writer.Wait()
	c.mu.Lock()
	panicErr := c.panicErr
	c.mu.Unlock()
	switch {
	case panicErr != nil:
		return panicErr
	case !handshake:
		return readErr
	case errors.Is(c.closeErr, net.ErrClosed):
		return nil
	default:
		return c.closeErr
	}
}

// pingTime runs when a ping is due.
func (c *Conn) pingTime() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.pingDue = true
	c.wakeLocked()
}

// wakeLocked starts the writer, unless it is running, Run has not started
// it yet, or Run is over.
func (c *Conn) wakeLocked() {
	if c.writing || c.ctx == nil || c.ended {
		return
	}
	c.writing = true
	c.writer.Add(1)
	ctx := c.ctx
	pool.run(func() { c.write(ctx) })
}

// write is the writer: it closes the socket once Close has been called,
// else pings the peer when a ping is due, else runs the next job; and ends
// when there is nothing left to do.
func (c *Conn) write(ctx context.Context) {
	defer c.writer.Done()
	for {
		c.mu.Lock()
		switch {
		case c.closed:
			// The writer stays marked running: nothing starts another.
			code, reason := c.code, c.reason
			c.mu.Unlock()
			// Close writes the close frame and waits (briefly) for the
			// peer's, which Run reads; then the stream ends.
			c.closeErr = c.ws.Close(code, reason)
			return
		case c.pingDue:
			c.pingDue = false
			c.mu.Unlock()
			c.sendPing()
		case len(c.queue) > 0:
			job := c.queue[0].job
			c.queue[0] = queued{}
			c.queue = c.queue[1:]
			c.mu.Unlock()
			c.run(ctx, job)
		default:
			c.writing = false
			c.queue = nil // an idle connection holds no queue
			c.mu.Unlock()
			return
		}
	}
}

func (c *Conn) sendPing() {
	pctx, cancel := context.WithTimeout(context.Background(), c.opts.WriteTimeout)
	err := c.ws.Ping(pctx)
	cancel()
	if err != nil {
		c.Close(websocket.StatusGoingAway, "ping timeout")
		return
	}
	c.ping.Reset(c.opts.PingInterval)
}

func (c *Conn) run(ctx context.Context, job Job) {
	frame, err := c.call(ctx, job)
	if err != nil {
		c.afterWrite(false)
		c.Close(websocket.StatusInternalError, "server error: reconnect and resume")
		return
	}
	if frame == nil || c.closing() {
		c.afterWrite(false)
		return
	}
	err = c.writeFrame(frame)
	c.afterWrite(err == nil)
	if err != nil {
		c.Close(websocket.StatusGoingAway, "write timeout")
	}
}

// afterWrite runs what waits for the job's frame (OnWritten); a panic
// there closes the connection, as one in the job does.
func (c *Conn) afterWrite(ok bool) {
	defer func() {
		if r := recover(); r != nil {
			c.panicked(r)
		}
	}()
	c.after.done(ok)
}

// writeFrame writes frame, within WriteTimeout. One longer than the write
// buffer (up to maxGathered) is gathered and sent in one write to the
// connection, which send bounds by a deadline of its own.
func (c *Conn) writeFrame(frame []byte) error {
	deadline := time.Now().Add(c.opts.WriteTimeout)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if len(frame)+maxHeader <= bufferSize || len(frame) > maxGathered {
		return c.ws.Write(ctx, websocket.MessageText, frame)
	}
	c.out.gather()
	if err := c.ws.Write(ctx, websocket.MessageText, frame); err != nil {
		c.out.drop()
		return err
	}
	if err := c.out.send(deadline); err != nil {
		// Part of the frame may be on the wire: nothing may follow it.
		c.ws.CloseNow()
		return err
	}
	return nil
}

// call runs job; a panic in it closes the connection, as an error does.
func (c *Conn) call(ctx context.Context, job Job) (frame []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = c.panicked(r)
		}
	}()
	return job(ctx)
}
