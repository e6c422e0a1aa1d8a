package live

import (
	"testing"
	"time"
)

// A function runs at once even while every worker is busy; functions run
// on the idle workers, the one idle for the shortest time first, without
// starting others; and a worker left idle ends.
func TestWorkersNeverWaitAndAreReused(t *testing.T) {
	w := newWorkers(300 * time.Millisecond)
	deadline := time.Now().Add(10 * time.Second)
	waitUntil := func(what string, ok func() bool) {
		t.Helper()
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("never: %s", what)
			}
			time.Sleep(time.Millisecond)
		}
	}
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
	waitUntil("both workers idle", func() bool { return w.idleWorkers() == 2 })

	// Run one after another, the functions go to idle workers: none starts one.
	ran := make(chan chan struct{}, 1)
	for range 20 {
		done := make(chan struct{})
		w.run(func() { ran <- done; close(done) })
		<-(<-ran)
		waitUntil("the worker idle again", func() bool { return w.idleWorkers() == 2 })
	}
	if n := w.running.Load(); n != 2 {
		t.Fatalf("%d workers after 20 functions run one at a time: want the 2 there were", n)
	}
	// The one left unused runs out its wait and ends first; then the other.
	waitUntil("a worker ends", func() bool { return w.running.Load() < 2 })
	waitUntil("every worker ends", func() bool { return w.running.Load() == 0 && w.idleWorkers() == 0 })
}
