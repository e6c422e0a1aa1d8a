package live

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// workerIdle is how long a worker waits for its next function before it ends.
const workerIdle = 10 * time.Second

// workers runs functions on goroutines it keeps: one that has finished a
// function waits up to wait for the next, so that the stack the last one
// grew is still there. A frame's handler or a writer's jobs (the database,
// templates) need a stack many times the size a new goroutine starts with,
// which the runtime sizes by the average of all of them, the sockets' idle
// readers included: a new goroutine per call grew its stack, by copying
// it, every time. A function never waits for another: with no worker idle,
// it gets a new one. The worker idle for the shortest time goes first, so
// that after a burst the others run out their wait and end.
type workers struct {
	wait    time.Duration
	running atomic.Int32 // workers, busy or idle

	mu   sync.Mutex
	idle []*worker // the one idle for the shortest time last
}

// worker is one goroutine of workers, waiting on next while it is idle.
type worker struct {
	next chan func() // holds at most the one function run hands it
}

// pool is what every connection's handlers and writers run on.
var pool = newWorkers(workerIdle)

func newWorkers(wait time.Duration) *workers { return &workers{wait: wait} }

// run runs f on a worker, and returns at once.
func (w *workers) run(f func()) {
	w.mu.Lock()
	if n := len(w.idle); n > 0 {
		k := w.idle[n-1]
		w.idle[n-1] = nil
		w.idle = w.idle[:n-1]
		w.mu.Unlock()
		k.next <- f
		return
	}
	w.mu.Unlock()
	w.running.Add(1)
	go w.work(&worker{next: make(chan func(), 1)}, f)
}

// work runs f, then whatever run hands k, until k has been idle for w.wait.
func (w *workers) work(k *worker, f func()) {
	defer w.running.Add(-1)
	timer := time.NewTimer(w.wait)
	defer timer.Stop()
	for {
		f()
		f = nil // what it held is not kept while k waits
		w.mu.Lock()
		w.idle = append(w.idle, k)
		w.mu.Unlock()
		timer.Reset(w.wait)
		select {
		case f = <-k.next:
		case <-timer.C:
			w.mu.Lock()
			i := slices.Index(w.idle, k)
			if i >= 0 {
				w.idle = slices.Delete(w.idle, i, i+1)
			}
			w.mu.Unlock()
			if i >= 0 {
				return
			}
			f = <-k.next // run took k just as its wait ran out
		}
	}
}

// idleWorkers is how many workers wait for a function.
func (w *workers) idleWorkers() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.idle)
}
