package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kefu-im/kefu/store/localpg"
)

// makeErrorRe matches the line make prints when a recipe fails or is killed.
var makeErrorRe = regexp.MustCompile(`(?m)^make(\[\d+\])?: \*\*\*`)

// TestMakeRunCtrlC runs the real `make run` of this repository and sends
// SIGINT to its process group, as a terminal's Ctrl-C does: kefu shuts down in
// order and make ends with status 0 (or dies of the SIGINT itself, as a shell
// shows a Ctrl-C), without a `make: ***` line, and no postgres is left running.
func TestMakeRunCtrlC(t *testing.T) {
	t.Parallel() // its own processes, data dir or database
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatalf("no make on PATH (%v): the README's commands need it", err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	env := privateEnv(t)
	bin := filepath.Join(filepath.Dir(env["KEFU_DATA_DIR"]), "kefu")
	cmd := exec.Command("make", "run", "RUN_BIN="+bin)
	cmd.Dir = root
	// As from a terminal: not inside another make.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MAKE") && !strings.HasPrefix(kv, "MFLAGS=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its own process group, like a terminal job
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		syscall.Kill(-pgid, syscall.SIGKILL)
		if t.Failed() {
			t.Logf("make run's output:\n%s", out)
		}
	})

	deadline := time.Now().Add(4 * time.Minute) // the first build may take a while
	for !servingRe.MatchString(out.String()) {
		select {
		case err := <-exited:
			t.Fatalf("make run ended before serving: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("make run did not start serving within 4 minutes")
		}
	}

	if err := syscall.Kill(-pgid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err = <-exited:
	case <-time.After(60 * time.Second):
		t.Fatal("make run still running 60s after Ctrl-C")
	}
	if err != nil {
		var exit *exec.ExitError
		interrupted := false
		if errors.As(err, &exit) {
			ws, ok := exit.Sys().(syscall.WaitStatus)
			interrupted = ok && ws.Signaled() && ws.Signal() == syscall.SIGINT
		}
		if !interrupted {
			t.Fatalf("make run ended with %v, want status 0 or death by SIGINT", err)
		}
	}
	text := out.String()
	if makeErrorRe.MatchString(text) || strings.Contains(text, "exit status") {
		t.Fatalf("make run reported an error after Ctrl-C:\n%s", text)
	}
	if !strings.Contains(text, "msg=\"shutting down\"") || !strings.Contains(text, "msg=stopped") {
		t.Fatalf("no orderly shutdown in make run's output:\n%s", text)
	}
	if _, err := localpg.Attach(t.Context(), env["KEFU_DATA_DIR"]); !errors.Is(err, localpg.ErrNotRunning) {
		t.Fatalf("after Ctrl-C: %v, want no postgres left running", err)
	}
}
