package handlers

import (
	"sync"
	"time"
)

// repeat runs f every d until the returned stop is called, which waits for
// a run under way. It is a timer, not a goroutine: an idle socket keeps no
// goroutine of its own beyond its reader.
func repeat(d time.Duration, f func()) (stop func()) {
	var (
		mu      sync.Mutex
		stopped bool
		timer   *time.Timer
		running sync.WaitGroup
	)
	mu.Lock()
	defer mu.Unlock()
	timer = time.AfterFunc(d, func() {
		mu.Lock()
		if stopped {
			mu.Unlock()
			return
		}
		running.Add(1)
		mu.Unlock()
		defer running.Done()
		f()
		mu.Lock()
		if !stopped {
			timer.Reset(d)
		}
		mu.Unlock()
	})
	return func() {
		mu.Lock()
		stopped = true
		timer.Stop()
		mu.Unlock()
		running.Wait()
	}
}
