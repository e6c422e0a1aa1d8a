package live

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// pair returns a server-side Conn running with opts and the client's socket.
func pair(t *testing.T, ctx context.Context, opts Options) (*Conn, *websocket.Conn, <-chan error) {
	t.Helper()
	url, conns, done := serve(t, ctx, opts, func(context.Context, []byte) {})
	client := dial(t, url, nil)
	return <-conns, client, done
}

// serve starts a server whose sockets run with opts and hand their frames
// to onFrame, as the handlers' do. It returns the server's ws:// address,
// the connections as they open, and what their Run returned.
func serve(t *testing.T, ctx context.Context, opts Options, onFrame func(context.Context, []byte)) (string, <-chan *Conn, <-chan error) {
	t.Helper()
	return serveOn(t, ctx, opts, onFrame, served{})
}

// served is what serveOn's server does besides serve's.
type served struct {
	// wrap makes the server's listener of its own.
	wrap func(net.Listener) net.Listener
	// setUp runs between Accept and Run, as a handler's set-up does.
	setUp func(*Conn)
}

// serveOn is serve, with what s adds.
func serveOn(t *testing.T, ctx context.Context, opts Options, onFrame func(context.Context, []byte), s served) (string, <-chan *Conn, <-chan error) {
	t.Helper()
	conns := make(chan *Conn, 1)
	done := make(chan error, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r, opts, nil)
		if err != nil {
			return
		}
		conns <- c
		if s.setUp != nil {
			s.setUp(c)
		}
		go func() { done <- c.Run(ctx, onFrame) }()
	}))
	if s.wrap != nil {
		srv.Listener = s.wrap(srv.Listener)
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http"), conns, done
}

func dial(t *testing.T, url string, opts *websocket.DialOptions) *websocket.Conn {
	t.Helper()
	client, _, err := websocket.Dial(context.Background(), url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.CloseNow() })
	return client
}

func TestAFullQueueClosesTheConnection(t *testing.T) {
	opts := DefaultOptions
	opts.Queue, opts.Lag = 2, 0
	c, client, done := pair(t, context.Background(), opts)
	// Without Lag, however long jobs wait, only the count closes.
	clock := newClock(c)
	// A job that blocks the writer stands for a peer that does not read.
	release := make(chan struct{})
	if !c.Enqueue(func(context.Context) ([]byte, error) { <-release; return []byte("late"), nil }) {
		t.Fatal("first job refused")
	}
	// The writer holds the first job (or is about to); two fill the
	// queue; the next overflows.
	accepted := 0
	for range 4 {
		if c.Send([]byte("x")) {
			accepted++
		}
		clock.advance(time.Hour)
	}
	if accepted < 1 || accepted > 2 {
		t.Fatalf("%d of 4 frames queued on a queue of 2", accepted)
	}
	select {
	case <-c.Done():
	default:
		t.Fatal("an overflowing queue did not close the connection")
	}
	readErr := readUntilClosed(client)
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Run ended with %v", err)
	}
	if err := <-readErr; websocket.CloseStatus(err) != websocket.StatusTryAgainLater {
		t.Fatalf("client saw %v, want close 1013 (try again later)", err)
	}
}

// readUntilClosed reads client's frames until its socket ends, and returns
// the error that ended it.
func readUntilClosed(client *websocket.Conn) <-chan error {
	ended := make(chan error, 1)
	go func() {
		for {
			if _, _, err := client.Read(context.Background()); err != nil {
				ended <- err
				return
			}
		}
	}()
	return ended
}

// clock is a clock for Lag that moves only when a test says.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

// newClock makes a clock c's Lag is timed by.
func newClock(c *Conn) *clock {
	k := &clock{now: time.Now()}
	c.mu.Lock()
	c.now = k.read
	c.mu.Unlock()
	return k
}

func (k *clock) read() time.Time {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.now
}

func (k *clock) advance(d time.Duration) {
	k.mu.Lock()
	k.now = k.now.Add(d)
	k.mu.Unlock()
}

func TestABurstWithinLagIsDelivered(t *testing.T) {
	c, client, done := pair(t, context.Background(), DefaultOptions)
	clock := newClock(c)
	release := make(chan struct{})
	if !c.Enqueue(func(context.Context) ([]byte, error) { <-release; return []byte("first"), nil }) {
		t.Fatal("first job refused")
	}
	// A burst of a thousand, queued while the writer is busy: several
	// commit groups' messages reaching a console at once.
	// The clock reaches exactly Lag with the last of it.
	const burst = 1000
	for i := range burst {
		clock.advance(DefaultOptions.Lag / burst)
		if !c.Send([]byte(fmt.Sprint(i))) {
			t.Fatalf("frame %d of a burst refused", i)
		}
	}
	close(release)
	if !c.Send([]byte("last")) {
		t.Fatal("the frame after a burst refused")
	}
	var got []string
	for range burst + 2 {
		_, b, err := client.Read(context.Background())
		if err != nil {
			t.Fatalf("after %d frames: %v", len(got), err)
		}
		got = append(got, string(b))
	}
	if got[0] != "first" || got[burst+1] != "last" {
		t.Fatalf("read %q first and %q last", got[0], got[burst+1])
	}
	for i, f := range got[1 : burst+1] {
		if f != fmt.Sprint(i) {
			t.Fatalf("frame %d is %q: out of order", i+1, f)
		}
	}
	select {
	case <-c.Done():
		t.Fatal("a burst closed the connection")
	default:
	}
	c.Close(websocket.StatusNormalClosure, "")
	client.Close(websocket.StatusNormalClosure, "")
	if err := <-done; err != nil {
		t.Fatalf("Run ended with %v", err)
	}
}

func TestAPeerThatFallsBehindByLagIsClosed(t *testing.T) {
	opts := DefaultOptions
	opts.Lag = time.Second
	c, client, done := pair(t, context.Background(), opts)
	clock := newClock(c)
	// A job that blocks the writer stands for a peer that reads slowly;
	// once it runs, so does Run, and the clock times what waits.
	started, release := make(chan struct{}), make(chan struct{})
	if !c.Enqueue(func(context.Context) ([]byte, error) { close(started); <-release; return []byte("slow"), nil }) {
		t.Fatal("first job refused")
	}
	<-started
	if !c.Send([]byte("waits")) {
		t.Fatal("second job refused")
	}
	clock.advance(opts.Lag)
	if !c.Send([]byte("in time")) {
		t.Fatal("a job refused when the oldest had waited exactly Lag")
	}
	clock.advance(time.Millisecond)
	if c.Send([]byte("too late")) {
		t.Fatal("a job queued behind one that waited longer than Lag")
	}
	select {
	case <-c.Done():
	default:
		t.Fatal("a lagging peer's connection was not closed")
	}
	ended := readUntilClosed(client)
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Run ended with %v", err)
	}
	if err := <-ended; websocket.CloseStatus(err) != websocket.StatusTryAgainLater {
		t.Fatalf("client saw %v, want close 1013 (try again later)", err)
	}
}

func TestJobsQueuedBeforeRunWaitFromRun(t *testing.T) {
	opts := DefaultOptions
	opts.Lag = time.Second
	// The handler sets up (a slow query) while events are queued.
	url, conns, done := serveOn(t, context.Background(), opts, func(context.Context, []byte) {}, served{setUp: func(c *Conn) {
		clock := newClock(c)
		c.Send([]byte("during setup"))
		clock.advance(2 * opts.Lag)
		c.Send([]byte("after setup"))
	}})
	client := dial(t, url, nil)
	for _, want := range []string{"during setup", "after setup"} {
		_, b, err := client.Read(context.Background())
		if err != nil || string(b) != want {
			t.Fatalf("read %q, %v; want %q", b, err, want)
		}
	}
	(<-conns).Close(websocket.StatusNormalClosure, "")
	client.Close(websocket.StatusNormalClosure, "")
	if err := <-done; err != nil {
		t.Fatalf("Run ended with %v", err)
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

func TestJobsRunInOrderOneAtATime(t *testing.T) {
	opts := DefaultOptions
	opts.Queue = 1000
	c, client, _ := pair(t, context.Background(), opts)
	// ran is the connection's own state: jobs keep it without a lock, on
	// whichever goroutine the writer is, and the race detector watches.
	var ran int
	var running atomic.Int32
	job := func(name string) Job {
		return func(context.Context) ([]byte, error) {
			if running.Add(1) != 1 {
				t.Error("two jobs ran at once")
			}
			defer running.Add(-1)
			ran++
			return []byte(fmt.Sprintf("%s %d", name, ran)), nil
		}
	}
	read := func() string {
		_, b, err := client.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// One job at a time, each read before the next is queued: the writer
	// has nothing left after each, and the next job starts it again.
	for i := 1; i <= 20; i++ {
		if !c.Enqueue(job("alone")) {
			t.Fatal("job refused")
		}
		if got, want := read(), fmt.Sprintf("alone %d", i); got != want {
			t.Fatalf("read %q, want %q", got, want)
		}
	}
	// Jobs queued from several goroutines at once run in the order each
	// queued its own.
	const senders, each = 4, 100
	var wg sync.WaitGroup
	for g := range senders {
		wg.Go(func() {
			for range each {
				if !c.Enqueue(job(fmt.Sprint("sender", g))) {
					t.Error("job refused")
				}
			}
		})
	}
	last := map[string]int{}
	for range senders * each {
		var name string
		var n int
		if _, err := fmt.Sscan(read(), &name, &n); err != nil {
			t.Fatal(err)
		}
		if n <= last[name] {
			t.Fatalf("%s's job %d ran after its job %d", name, n, last[name])
		}
		last[name] = n
	}
	wg.Wait()
}

func TestPingsKeepALivePeer(t *testing.T) {
	opts := DefaultOptions
	opts.PingInterval = time.Millisecond
	url, conns, _ := serve(t, context.Background(), opts, func(context.Context, []byte) {})
	pings := make(chan struct{}, 1)
	client := dial(t, url, &websocket.DialOptions{OnPingReceived: func(context.Context, []byte) bool {
		select {
		case pings <- struct{}{}:
		default:
		}
		return true
	}})
	c := <-conns
	go client.Read(context.Background()) // answers pings until the test ends
	for range 5 {
		<-pings
	}
	if c.closing() {
		t.Fatal("a peer that answered every ping was closed")
	}
}

func TestPingFindsADeadPeer(t *testing.T) {
	opts := DefaultOptions
	opts.PingInterval, opts.WriteTimeout = time.Millisecond, 100*time.Millisecond
	url, _, done := serve(t, context.Background(), opts, func(context.Context, []byte) {})
	// The peer reads, and so sees the close, but never answers a ping.
	client := dial(t, url, &websocket.DialOptions{OnPingReceived: func(context.Context, []byte) bool { return false }})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _, err := client.Read(ctx)
	if websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("client saw %v, want close 1001 (ping timeout)", err)
	}
	<-done
}

// A browser may send its first frame right behind the handshake, into the
// buffer the HTTP server read the request with; the socket's own buffer
// must start with it.
func TestFrameSentWithTheHandshakeIsRead(t *testing.T) {
	frames := make(chan string, 1)
	url, _, _ := serve(t, context.Background(), DefaultOptions, func(_ context.Context, b []byte) { frames <- string(b) })
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "ws://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	handshake := "GET / HTTP/1.1\r\nHost: kefu\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	// A final text frame, masked as a client's must be.
	payload, mask := []byte(`{"type":"resume"}`), []byte{1, 2, 3, 4}
	frame := append([]byte{0x81, 0x80 | byte(len(payload))}, mask...)
	for i, b := range payload {
		frame = append(frame, b^mask[i%4])
	}
	if _, err := conn.Write(append([]byte(handshake), frame...)); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-frames:
		if got != string(payload) {
			t.Fatalf("read %q, want %q", got, payload)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the frame sent with the handshake was not read")
	}
}

// TestPanicClosesTheSocketNotTheProcess: a job, a frame handler or what
// waits for a frame to be written that panics closes its socket with 1011,
// and Run says why; the process, and every other socket, go on.
func TestPanicClosesTheSocketNotTheProcess(t *testing.T) {
	for _, where := range []string{"job", "frame", "written"} {
		t.Run(where, func(t *testing.T) {
			url, conns, done := serve(t, context.Background(), DefaultOptions, func(_ context.Context, frame []byte) {
				if string(frame) == "boom" {
					panic("frame handler went wrong")
				}
			})
			client := dial(t, url, nil)
			c := <-conns
			switch where {
			case "job":
				c.Enqueue(func(context.Context) ([]byte, error) { panic("job went wrong") })
			case "frame":
				if err := client.Write(context.Background(), websocket.MessageText, []byte("boom")); err != nil {
					t.Fatal(err)
				}
			case "written":
				c.Enqueue(func(ctx context.Context) ([]byte, error) {
					OnWritten(ctx, func() { panic("what waited for the frame went wrong") })
					return []byte("the frame"), nil
				})
				// The frame is written before what waits for it runs.
				if _, got, err := client.Read(context.Background()); err != nil || string(got) != "the frame" {
					t.Fatalf("client read %q, %v; want the frame", got, err)
				}
			}
			_, _, err := client.Read(context.Background())
			if websocket.CloseStatus(err) != websocket.StatusInternalError {
				t.Fatalf("client saw %v, want close 1011", err)
			}
			var p *PanicError
			if err := <-done; !errors.As(err, &p) || !strings.Contains(fmt.Sprint(p.Value), "went wrong") || len(p.Stack) == 0 {
				t.Fatalf("Run returned %v, want the panic", err)
			}
		})
	}
}
