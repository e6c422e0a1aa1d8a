package main

// A private NATS server, for R5's instances over the NATS bus.

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// natsServer is a nats-server this process runs.
type natsServer struct {
	url string
	cmd *exec.Cmd
}

// natsBinary finds nats-server (Debian installs it in /usr/sbin), or "".
func natsBinary() string {
	for _, name := range []string{"nats-server", "/usr/sbin/nats-server"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	return ""
}

// startNATS runs bin on a free loopback port and returns once it accepts connections.
func startNATS(ctx context.Context, bin string) (*natsServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	cmd := exec.Command(bin, "-a", "127.0.0.1", "-p", port)
	// It ends with this process, however that ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start nats-server: %w", err)
	}
	s := &natsServer{url: "nats://" + addr, cmd: cmd}
	for deadline := time.Now().Add(30 * time.Second); ; {
		conn, err := net.Dial("tcp", addr)
		if err == nil {
			conn.Close()
			return s, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			s.stop()
			return nil, fmt.Errorf("nats-server did not accept connections on %s: %w", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *natsServer) stop() {
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
}
