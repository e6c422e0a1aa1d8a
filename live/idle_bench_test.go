package live

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// idleClients, set in the environment as "<count> <url>", turns this test
// binary into the clients of BenchmarkIdleSockets: it opens that many
// sockets, says "ready", and holds them until its standard input closes.
const idleClients = "KEFU_LIVE_IDLE_CLIENTS"

func init() {
	if spec := os.Getenv(idleClients); spec != "" {
		os.Exit(holdIdleClients(spec))
	}
}

// BenchmarkIdleSockets measures what an idle socket costs the server: heap
// and stack bytes and goroutines per socket, with 10,000 sockets open, each
// run by a Conn as the handlers run theirs. The clients live in a child
// process, so that the figures are the server's side alone.
//
//	go test -run '^$' -bench IdleSockets -benchtime 1x ./live/
func BenchmarkIdleSockets(b *testing.B) {
	const sockets = 10_000
	raiseFileLimit(b, sockets+1000)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var open atomic.Int64
	var running sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r, DefaultOptions, nil)
		if err != nil {
			return
		}
		running.Add(1)
		open.Add(1)
		go func() {
			defer running.Done()
			_ = c.Run(ctx, func(context.Context, []byte) {})
		}()
	}))
	defer srv.Close()

	for b.Loop() {
		before := measure()
		clients := startIdleClients(b, sockets, "ws"+strings.TrimPrefix(srv.URL, "http"))
		for open.Load() < sockets {
			runtime.Gosched()
		}
		after := measure()
		heap, stack := float64(after.heap-before.heap)/sockets, float64(after.stack-before.stack)/sockets
		b.ReportMetric(heap, "heap-B/socket")
		b.ReportMetric(stack, "stack-B/socket")
		b.ReportMetric(heap+stack, "B/socket")
		b.ReportMetric(float64(after.goroutines-before.goroutines)/sockets, "goroutines/socket")
		// The clients leave; every server side sees the end of its stream.
		clients()
		running.Wait()
		open.Store(0)
	}
}

// footprint is what the process holds: heap in use and goroutine stacks
// after a collection, and its goroutines.
type footprint struct {
	heap, stack int64
	goroutines  int
}

func measure() footprint {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return footprint{heap: int64(ms.HeapInuse), stack: int64(ms.StackInuse), goroutines: runtime.NumGoroutine()}
}

// startIdleClients starts this test binary again as n clients of url, waits
// until they are connected, and returns the function that ends them.
func startIdleClients(b *testing.B, n int, url string) (end func()) {
	b.Helper()
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d %s", idleClients, n, url))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	if line, err := bufio.NewReader(stdout).ReadString('\n'); line != "ready\n" {
		cmd.Process.Kill()
		b.Fatalf("clients said %q, %v", line, err)
	}
	return func() {
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			b.Fatalf("clients: %v", err)
		}
	}
}

// holdIdleClients is the child's side of startIdleClients.
func holdIdleClients(spec string) int {
	var n int
	var url string
	if _, err := fmt.Sscan(spec, &n, &url); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if err := setFileLimit(uint64(n + 1000)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	conns := make([]*websocket.Conn, n)
	var next atomic.Int64
	var failed atomic.Pointer[error]
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				c, _, err := websocket.Dial(ctx, url, nil)
				cancel()
				if err != nil {
					failed.Store(&err)
					return
				}
				conns[i] = c
			}
		})
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		fmt.Fprintln(os.Stderr, *err)
		return 1
	}
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	runtime.KeepAlive(conns)
	return 0
}

func raiseFileLimit(b *testing.B, n uint64) {
	b.Helper()
	if err := setFileLimit(n); err != nil {
		b.Fatal(err)
	}
}

func setFileLimit(n uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if lim.Cur >= n {
		return nil
	}
	lim.Cur = n
	lim.Max = max(lim.Max, n)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("raise the limit of open files to %d: %w", n, err)
	}
	return nil
}
