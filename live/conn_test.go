package live

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// pair returns a server-side Conn running with opts and the client's socket.
func pair(t *testing.T, ctx context.Context, opts Options) (*Conn, *websocket.Conn, <-chan error) {
	t.Helper()
	conns := make(chan *Conn, 1)
	done := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		c := NewConn(ws, opts)
		conns <- c
		done <- c.Run(ctx, func(context.Context, []byte) {})
	}))
	t.Cleanup(srv.Close)
	client, _, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.CloseNow() })
	return <-conns, client, done
}

func TestSlowConsumerIsClosed(t *testing.T) {
	opts := DefaultOptions
	opts.Queue = 2
	c, client, done := pair(t, context.Background(), opts)
	// A job that blocks the writer stands for a peer that does not read.
	release := make(chan struct{})
	if !c.Enqueue(func(context.Context) ([]byte, error) { <-release; return []byte("late"), nil }) {
		t.Fatal("first job refused")
	}
	// The writer holds the first job; two fill the queue; the next overflows.
	accepted := 0
	for range 4 {
		if c.Send([]byte("x")) {
			accepted++
		}
	}
	if accepted > 3 {
		t.Fatalf("%d frames queued past a queue of 2", accepted)
	}
	select {
	case <-c.Done():
	default:
		t.Fatal("an overflowing queue did not close the connection")
	}
	readErr := make(chan error, 1)
	go func() {
		for {
			if _, _, err := client.Read(context.Background()); err != nil {
				readErr <- err
				return
			}
		}
	}()
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Run ended with %v", err)
	}
	if err := <-readErr; websocket.CloseStatus(err) != websocket.StatusTryAgainLater {
		t.Fatalf("client saw %v, want close 1013 (try again later)", err)
	}
}

func TestShutdownClosesWithGoingAway(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c, client, done := pair(t, ctx, DefaultOptions)
	c.Send([]byte("hello"))
	_, b, err := client.Read(context.Background())
	if err != nil || string(b) != "hello" {
		t.Fatalf("read %q, %v", b, err)
	}
	readErr := make(chan error, 1)
	go func() {
		_, _, err := client.Read(context.Background())
		readErr <- err
	}()
	cancel()
	select {
	case err := <-readErr:
		if websocket.CloseStatus(err) != websocket.StatusGoingAway {
			t.Fatalf("client saw %v, want close 1001; run: %v", err, <-done)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the socket did not close on shutdown")
	}
	<-done
	if c.Enqueue(func(context.Context) ([]byte, error) { return nil, nil }) {
		t.Fatal("a closed connection accepted a job")
	}
}
