package live

import (
	"sync/atomic"
	"time"
)

// workerIdle is how long a worker waits for its next function before it ends.
const workerIdle = 10 * time.Second

// workers runs functions each on a goroutine of its own, reusing the
// goroutines that finished one within wait. A frame's handler or a writer's
// jobs (the database, templates) need a stack many times the size a new
// goroutine starts with, which the runtime sizes by the average of all of
// them, the sockets' idle readers included; a goroutine of its own per call
// grows its stack, by copying it, every time. A reused one has kept it.
// A function never waits for another: with no worker idle, it gets a new one.
type workers struct {
	idle    chan func() // a send succeeds when a worker waits for its next function
	wait    time.Duration
	running atomic.Int32 // workers, busy or idle
}

// pool is what every connection's handlers and writers run on.
var pool = newWorkers(workerIdle)

func newWorkers(wait time.Duration) *workers {
	return &workers{idle: make(chan func()), wait: wait}
}

// run runs f on a worker, and returns at once.
func (w *workers) run(f func()) {
	select {
	case w.idle <- f:
	default:
		w.running.Add(1)
		go w.work(f)
	}
}

// work runs f, then whatever run hands it, until it has waited w.wait for nothing.
func (w *workers) work(f func()) {
	defer w.running.Add(-1)
	timer := time.NewTimer(w.wait)
	defer timer.Stop()
	for {
		f()
		timer.Reset(w.wait)
		select {
		case f = <-w.idle:
		case <-timer.C:
			return
		}
	}
}
