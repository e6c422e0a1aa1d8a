package live

import (
	"context"
	"sync"
)

// laneBacklog is how many jobs a lane holds before Add waits for it.
const laneBacklog = 1024

// Lanes runs jobs on a few goroutines, each job on the lane its key picks:
// the jobs of one key run one after another, in the order they were added,
// and jobs of keys on different lanes run at the same time.
type Lanes struct {
	lanes []chan func(context.Context)
	done  sync.WaitGroup
}

// NewLanes starts n lanes, which run their jobs on ctx until it ends; jobs
// still waiting then are dropped.
func NewLanes(ctx context.Context, n int) *Lanes {
	l := &Lanes{lanes: make([]chan func(context.Context), n)}
	for i := range l.lanes {
		jobs := make(chan func(context.Context), laneBacklog)
		l.lanes[i] = jobs
		l.done.Add(1)
		go func() {
			defer l.done.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case job := <-jobs:
					job(ctx)
				}
			}
		}()
	}
	return l
}

// Add queues job on key's lane. While that lane's backlog is full it
// waits, until ctx ends, when job is dropped.
func (l *Lanes) Add(ctx context.Context, key int64, job func(context.Context)) {
	select {
	case l.lanes[uint64(key)%uint64(len(l.lanes))] <- job:
	case <-ctx.Done():
	}
}

// Wait waits for every lane to stop, once the context they run on has ended.
func (l *Lanes) Wait() { l.done.Wait() }
