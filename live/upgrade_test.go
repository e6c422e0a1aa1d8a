package live

import (
	"bytes"
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// countingListener hands out connections that count their writes.
type countingListener struct {
	net.Listener
	writes *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	return countingConn{c, l.writes}, err
}

type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// TestEveryFrameIsOneWrite: a frame of any length up to maxGathered, longer
// than the write buffer or not, reaches the peer whole, in one write to the
// connection; a longer one arrives whole too.
func TestEveryFrameIsOneWrite(t *testing.T) {
	t.Parallel()
	var writes atomic.Int64
	url, conns, _ := serveOn(t, context.Background(), DefaultOptions, func(context.Context, []byte) {},
		served{wrap: func(l net.Listener) net.Listener { return countingListener{l, &writes} }})
	client := dial(t, url, nil)
	client.SetReadLimit(-1)
	c := <-conns
	for _, n := range []int{1, bufferSize - maxHeader, bufferSize - 2, bufferSize, 2 * bufferSize, 5000, maxGathered, maxGathered + 1, 3 * maxGathered} {
		frame := bytes.Repeat([]byte{'a' + byte(n%26)}, n)
		before := writes.Load()
		if !c.Send(frame) {
			t.Fatalf("a frame of %d bytes was refused", n)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, got, err := client.Read(ctx)
		cancel()
		if err != nil || !bytes.Equal(got, frame) {
			t.Fatalf("a frame of %d bytes arrived as %d bytes, %v", n, len(got), err)
		}
		if w := writes.Load() - before; w != 1 && n <= maxGathered {
			t.Errorf("a frame of %d bytes took %d writes, want 1", n, w)
		}
	}
}

// TestLongFramesToAPeerThatDoesNotReadTimeOut: a frame written in one
// write, past the write buffer, still gives up after WriteTimeout when the
// peer stops reading, and the connection closes.
func TestLongFramesToAPeerThatDoesNotReadTimeOut(t *testing.T) {
	t.Parallel()
	opts := DefaultOptions
	opts.WriteTimeout = 100 * time.Millisecond
	c, _, done := pair(t, context.Background(), opts)
	// Far more than the two ends' socket buffers hold: the peer reads none.
	frame := bytes.Repeat([]byte{'x'}, maxGathered)
	for range 250 {
		if !c.Send(frame) {
			break
		}
	}
	// Given up, the socket is dropped at once: part of a frame may be on the
	// wire, and no close handshake can follow it.
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("a write to a peer that does not read did not give up, and end the socket, within its timeout")
	}
	select {
	case <-c.Done():
	default:
		t.Fatal("the connection is not closed after its write gave up")
	}
}

// TestWritesAfterALongFrameHaveNoDeadline: the deadline of a long frame's
// write is cleared after it, so that later writes, the library's own
// included (a pong), are not refused once it has passed.
func TestWritesAfterALongFrameHaveNoDeadline(t *testing.T) {
	t.Parallel()
	opts := DefaultOptions
	opts.WriteTimeout = 50 * time.Millisecond
	c, client, _ := pair(t, context.Background(), opts)
	read := func(want []byte) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, got, err := client.Read(ctx)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("read %d bytes, %v; want %d", len(got), err, len(want))
		}
	}
	long := bytes.Repeat([]byte{'l'}, 2*bufferSize)
	c.Send(long)
	read(long)
	// What is tested is a write after the long frame's deadline has passed.
	time.Sleep(4 * opts.WriteTimeout)
	c.Send([]byte("short"))
	read([]byte("short"))
	go client.Read(context.Background()) // reads the pong
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := client.Ping(ctx); err != nil {
		t.Fatalf("a ping after the deadline: %v", err)
	}
	select {
	case <-c.Done():
		t.Fatal("the connection closed")
	default:
	}
}
