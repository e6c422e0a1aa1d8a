package live

import (
	"testing"
	"time"
)

// A function runs at once even while every worker is busy, a worker that
// finished takes the next function, and one left idle ends.
func TestWorkersNeverWaitAndAreReused(t *testing.T) {
	w := newWorkers(200 * time.Millisecond)
	release, first := make(chan struct{}), make(chan struct{})
	w.run(func() { close(first); <-release })
	<-first
	second := make(chan struct{})
	w.run(func() { close(second) })
	select {
	case <-second:
	case <-time.After(5 * time.Second):
		t.Fatal("a function waited for a busy worker")
	}
	close(release)
	// Both workers are idle once the first returns: each takes a function handed to it.
	handed := 0
	deadline := time.Now().Add(5 * time.Second)
	for handed < 2 && time.Now().Before(deadline) {
		ran := make(chan struct{})
		select {
		case w.idle <- func() { close(ran) }:
			<-ran
			handed++
		default:
			time.Sleep(time.Millisecond) // the first worker is still returning
		}
	}
	if handed < 2 || w.running.Load() != 2 {
		t.Fatalf("%d functions handed to idle workers, %d workers: want 2 and 2", handed, w.running.Load())
	}
	for w.running.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := w.running.Load(); n != 0 {
		t.Fatalf("%d workers still running after waiting idle past their wait", n)
	}
}
