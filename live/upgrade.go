package live

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"

	"github.com/coder/websocket"
)

// bufferSize is the size of a socket's read and write buffers, which it
// keeps for as long as it is open, idle or not. Browsers' frames are small;
// a larger frame is read or written past the buffer, in one more system
// call.
const bufferSize = 512

// Accept upgrades the request to a WebSocket and returns its connection.
// The socket keeps buffers of its own rather than the HTTP server's, so once
// the handler returns, nothing of the request stays: run the connection on
// a goroutine of its own, and return.
func Accept(w http.ResponseWriter, r *http.Request, opts Options, accept *websocket.AcceptOptions) (*Conn, error) {
	ws, err := websocket.Accept(ownBuffers{w}, r, accept)
	if err != nil {
		return nil, err
	}
	return newConn(ws, opts), nil
}

// ownBuffers hands websocket.Accept the hijacked connection with small
// buffers in place of the server's (4 KB each way).
type ownBuffers struct{ http.ResponseWriter }

func (w ownBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
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
	return conn, bufio.NewReadWriter(br, bufio.NewWriterSize(conn, bufferSize)), nil
}
