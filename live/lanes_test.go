package live_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/kefu-im/kefu/live"
)

// The jobs of one key run in the order they were added, whatever the
// other keys' jobs do meanwhile.
func TestLanesKeepEachKeysOrder(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	lanes := live.NewLanes(ctx, 3)
	defer func() { cancel(); lanes.Wait() }()
	const keys, each = 7, 200
	var mu sync.Mutex
	got := make(map[int64][]int)
	var all sync.WaitGroup
	all.Add(keys * each)
	for i := range each {
		for key := range int64(keys) {
			lanes.Add(ctx, key, func(context.Context) {
				mu.Lock()
				got[key] = append(got[key], i)
				mu.Unlock()
				all.Done()
			})
		}
	}
	all.Wait()
	for key := range int64(keys) {
		if !slices.IsSorted(got[key]) || len(got[key]) != each {
			t.Fatalf("key %d ran %v, want 0 to %d in order", key, got[key], each-1)
		}
	}
}

// A job that waits does not hold up the keys of other lanes.
func TestLanesRunOtherLanesMeanwhile(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	lanes := live.NewLanes(ctx, 2)
	defer func() { cancel(); lanes.Wait() }()
	release := make(chan struct{})
	lanes.Add(ctx, 0, func(context.Context) { <-release })
	ran := make(chan struct{})
	lanes.Add(ctx, 1, func(context.Context) { close(ran) })
	<-ran
	close(release)
}

// Once their context ends, the lanes stop, and Add no longer waits.
func TestLanesStopWithTheirContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	lanes := live.NewLanes(ctx, 1)
	started, ended := make(chan struct{}), make(chan struct{})
	lanes.Add(ctx, 0, func(ctx context.Context) { close(started); <-ctx.Done(); close(ended) })
	<-started
	cancel()
	<-ended
	lanes.Wait()
	for range 2000 { // more than a lane's backlog: nothing takes them now
		lanes.Add(ctx, 0, func(context.Context) { t.Error("a job ran after the lanes stopped") })
	}
}
