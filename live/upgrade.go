package live

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// bufferSize is the size of a socket's read and write buffers, which it
// keeps for as long as it is open, idle or not. Browsers' frames are small,
// and a larger one is read past the buffer, in one more system call; a
// larger frame of ours is gathered (gather) and written in one.
const bufferSize = 512

// maxHeader is the longest header of a frame the server writes (unmasked).
const maxHeader = 10

// Accept upgrades the request to a WebSocket and returns its connection.
// The socket keeps buffers of its own rather than the HTTP server's, so once
// the handler returns, nothing of the request stays: run the connection on
// a goroutine of its own, and return.
func Accept(w http.ResponseWriter, r *http.Request, opts Options, accept *websocket.AcceptOptions) (*Conn, error) {
	own := &ownBuffers{ResponseWriter: w}
	ws, err := websocket.Accept(own, r, accept)
	if err != nil {
		return nil, err
	}
	return newConn(ws, own.out, opts), nil
}

// ownBuffers hands websocket.Accept the hijacked connection with small
// buffers in place of the server's (4 KB each way), and keeps what the
// write buffer writes to.
type ownBuffers struct {
	http.ResponseWriter
	out *gather
}

func (w *ownBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	// What the client sent after its handshake is in the server's buffer:
	// it moves to the new one, where Accept looks for it.
	early, _ := brw.Reader.Peek(brw.Reader.Buffered())
	early = bytes.Clone(early)
	br := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(early), conn), max(bufferSize, len(early)))
	if _, err := br.Peek(len(early)); err != nil {
		conn.Close()
		return nil, nil, err
	}
	w.out = &gather{conn: conn}
	return conn, bufio.NewReadWriter(br, bufio.NewWriterSize(w.out, bufferSize)), nil
}

// gather is what a socket's write buffer writes to. A frame longer than the
// buffer leaves it in two writes (the buffer, full, and the rest), which
// would be two system calls and two segments for the peer to take in;
// between gather and send they are gathered, and written in one. What the
// library writes meanwhile from its reader goroutine (a pong, the reply to
// a close) is gathered too, and goes with the frame; should the library
// close the connection itself in that moment (the peer's close), neither
// reaches the peer, which sees the socket end without the reply.
type gather struct {
	conn net.Conn

	mu       sync.Mutex
	gathered *[]byte // a buffer from gathering while gathering; nil otherwise
}

// gathering holds the buffers gather gathers a frame in.
var gathering = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// maxGathered is the longest frame that is gathered: a longer one is
// written as the library writes it, its buffer's flush and then the rest,
// rather than copied for the sake of one write among many.
const maxGathered = 64 << 10

// Write writes p, or, while gathering, adds it to what is gathered.
func (g *gather) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.gathered != nil {
		*g.gathered = append(*g.gathered, p...)
		return len(p), nil
	}
	return g.conn.Write(p)
}

// gather starts gathering what is written.
func (g *gather) gather() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.gathered == nil {
		g.gathered = gathering.Get().(*[]byte)
	}
}

// send writes what was gathered, in one write that gives up at deadline,
// and stops gathering.
func (g *gather) send(deadline time.Time) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := g.take()
	if b == nil {
		return nil
	}
	defer release(b)
	// ws.Write's context bounded only the gathering, which does no I/O, so
	// this write needs a deadline of its own. The library never sets one on
	// the connection (it bounds its writes by closing it): this one is
	// cleared after, or the library's later writes would fail at it.
	if err := g.conn.SetWriteDeadline(deadline); err != nil {
		return err
	}
	_, err := g.conn.Write(*b)
	if cerr := g.conn.SetWriteDeadline(time.Time{}); err == nil {
		err = cerr
	}
	return err
}

// drop stops gathering and lets what was gathered go: a frame that failed,
// on a socket that is closing.
func (g *gather) drop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if b := g.take(); b != nil {
		release(b)
	}
}

// take stops gathering and returns what was gathered, if anything was.
func (g *gather) take() *[]byte {
	b := g.gathered
	g.gathered = nil
	if b != nil && len(*b) == 0 {
		release(b)
		return nil
	}
	return b
}

// release gives b back to gathering, unless it grew too large to keep.
func release(b *[]byte) {
	if cap(*b) <= maxGathered+maxHeader {
		*b = (*b)[:0]
		gathering.Put(b)
	}
}
