package main

// The child process: what must not weigh on the figures of the process it
// measures. `kefu-bench dial` holds many idle widget sockets open (R3);
// `kefu-bench flood` sends as fast as kefu stores, when told to (R1);
// `kefu-bench pace` sends at a pace and times each message's arrival (R2);
// `kefu-bench receive` is the push service web pushes are sent to (R7). The
// child says on its first line of output that it is ready (pace, once it
// has its timings, which it gives on that line), and ends when its
// standard input closes.

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

var helpers = map[string]func(context.Context, []string) error{
	"dial": dialIdle, "flood": floodSends, "pace": paceSends, "receive": receivePushes}

func isHelper(name string) bool { return helpers[name] != nil }

func runHelper(ctx context.Context, name string, args []string) error {
	return helpers[name](ctx, args)
}

// untilStdinCloses blocks until the parent closes our standard input, or ctx ends.
func untilStdinCloses(ctx context.Context) {
	closed := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(closed) }()
	select {
	case <-closed:
	case <-ctx.Done():
	}
}

// dialIdle opens a widget socket for each visitor token in a file, resumes
// each as live.js does, reports "ready", and holds them, reading what comes
// (pings, too), until its standard input closes. Connections leave from
// several loopback addresses, so that no one address runs out of ports.
func dialIdle(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("dial", flag.ContinueOnError)
	base := fs.String("base", "", "kefu's base URL")
	tokens := fs.String("tokens", "", "file of visitor tokens, one a line")
	sources := fs.Int("sources", 8, "loopback source addresses (127.0.0.2 …)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := raiseFileLimit(); err != nil {
		return err
	}
	b, err := os.ReadFile(*tokens)
	if err != nil {
		return err
	}
	list := strings.Fields(string(b))
	var next atomic.Uint32
	transport := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		src := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+int(next.Add(1))%*sources))}
		return (&net.Dialer{LocalAddr: src}).DialContext(ctx, network, addr)
	}}
	k := &instance{base: *base, client: &http.Client{Transport: transport}}
	widgets := make([]*visitor, len(list))
	defer func() {
		for _, v := range widgets {
			if v != nil {
				v.ws.CloseNow()
			}
		}
	}()
	err = inParallel(len(list), 32, func(i int) error {
		v, err := openWidget(ctx, k, 0, list[i])
		widgets[i] = v
		return err
	})
	if err != nil {
		return err
	}
	fmt.Println("ready", len(widgets))
	untilStdinCloses(ctx)
	return nil
}

// receivePushes is a push service on loopback that accepts every push
// (201) and counts them; GET /count tells the count.
func receivePushes(ctx context.Context, args []string) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	var count atomic.Int64
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/count" {
			fmt.Fprint(w, count.Load())
			return
		}
		io.Copy(io.Discard, r.Body)
		count.Add(1)
		w.WriteHeader(http.StatusCreated)
	})}
	go srv.Serve(ln)
	fmt.Println("ready", "http://"+ln.Addr().String())
	untilStdinCloses(ctx)
	return srv.Close()
}

// child is a running helper, seen from the parent.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	// ready is what the child said on its first line, after "ready".
	ready string
	// lines are the lines it says after that one.
	lines chan string
}

// startChild runs this program as the helper name, and waits up to limit
// for it to say it is ready.
func startChild(ctx context.Context, limit time.Duration, name string, args ...string) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, append([]string{name}, args...)...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, stdin: stdin, lines: make(chan string, 16)}
	line := make(chan string, 1)
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 16<<20) // pace's line holds every timing
		sc.Scan()
		line <- sc.Text()
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	select {
	case l := <-line:
		if ready, ok := strings.CutPrefix(l, "ready "); ok {
			c.ready = ready
			return c, nil
		}
		c.stop()
		return nil, fmt.Errorf("%s: the helper did not become ready (said %q)", name, l)
	case <-time.After(limit):
		c.stop()
		return nil, fmt.Errorf("%s: the helper was not ready within %s", name, limit)
	}
}

// ask writes line to the child's standard input and waits up to limit for
// the line it answers with.
func (c *child) ask(line string, limit time.Duration) (string, error) {
	if _, err := io.WriteString(c.stdin, line+"\n"); err != nil {
		return "", err
	}
	select {
	case l, ok := <-c.lines:
		if !ok {
			return "", errors.New("the helper ended without answering")
		}
		return l, nil
	case <-time.After(limit):
		return "", fmt.Errorf("the helper did not answer within %s", limit)
	}
}

// stop closes the child's standard input and waits for it to end.
func (c *child) stop() error {
	c.stdin.Close()
	for range c.lines { // what it says as it ends
	}
	err := c.cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return fmt.Errorf("the helper exited: %w", err)
	}
	return err
}

// count asks a receive helper how many pushes it has received.
func (c *child) count(ctx context.Context) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.ready+"/count", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(string(b), 10, 64)
}
