// Package natstest gives tests a real NATS server of their own, run from the
// system's nats-server binary (Debian's package nats-server, which `make
// test` installs), on 127.0.0.1 at a port it picks.
package natstest

import (
	"bufio"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// readyCap bounds how long a server may take to say it is ready.
const readyCap = 30 * time.Second

// Server is a private nats-server that lives until its test ends.
type Server struct {
	t    testing.TB
	bin  string
	port string
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// Start runs a nats-server until t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t, bin: binary(t), port: "-1"}
	s.start()
	t.Cleanup(s.Stop)
	return s
}

// binary finds nats-server, which Debian installs in /usr/sbin.
func binary(t testing.TB) string {
	for _, name := range []string{"nats-server", "/usr/sbin/nats-server"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	t.Fatal("natstest: nats-server is not installed; `make deps` installs it (apt-get install nats-server)")
	return ""
}

// URL is the server's client URL.
func (s *Server) URL() string { return "nats://127.0.0.1:" + s.port }

// Stop kills the server: every client loses its connection, and whatever
// was on its way through.
func (s *Server) Stop() {
	_ = s.cmd.Process.Kill()
	<-s.done
}

// Restart stops the server if it runs and starts it again on the same port.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

var listeningRe = regexp.MustCompile(`Listening for client connections on 127\.0\.0\.1:(\d+)`)

// start runs the server and returns once it says it is ready, having
// learnt its port from its log.
func (s *Server) start() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, "-a", "127.0.0.1", "-p", s.port)
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("natstest: start nats-server: %v", err)
	}
	s.done = make(chan struct{})
	ready := make(chan string, 1)
	var log strings.Builder
	go func() {
		defer close(s.done)
		lines := bufio.NewScanner(stderr)
		port := ""
		for lines.Scan() {
			line := lines.Text()
			log.WriteString(line + "\n")
			if m := listeningRe.FindStringSubmatch(line); m != nil {
				port = m[1]
			}
			if strings.Contains(line, "Server is ready") {
				ready <- port
				break
			}
		}
		_, _ = io.Copy(io.Discard, stderr) // the rest of its log
		_ = s.cmd.Wait()
	}()
	select {
	case port := <-ready:
		s.port = port
	case <-s.done:
		s.t.Fatalf("natstest: nats-server exited before it was ready:\n%s", log.String())
	case <-time.After(readyCap):
		s.Stop()
		s.t.Fatalf("natstest: nats-server was not ready within %v", readyCap)
	}
}
