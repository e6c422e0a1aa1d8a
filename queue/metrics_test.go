package queue_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/kefu-im/kefu/metrics"
	"github.com/kefu-im/kefu/metrics/metricstest"
	"github.com/kefu-im/kefu/queue"
)

func TestDrainCountsAssignmentsAndTheQueueShrinks(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 2, 3, 10)
	m := metrics.New(w.db.QueueLength)
	if s := metricstest.Of(t, m); s["kefu_queue_length"] != 10 {
		t.Fatalf("kefu_queue_length = %v, want 10", s["kefu_queue_length"])
	}
	cfg := queue.DefaultConfig
	cfg.Now, cfg.Metrics = w.clock.Now, m
	n, err := queue.NewDispatcher(w.db, cfg, slog.New(slog.DiscardHandler)).Drain(context.Background())
	if err != nil || n != 6 {
		t.Fatalf("Drain = %d, %v; want 6", n, err)
	}
	s := metricstest.Of(t, m)
	if s[`kefu_assignments_total{by="dispatcher"}`] != 6 || s["kefu_queue_length"] != 4 {
		t.Fatalf("assigned %v, queue %v; want 6 and 4", s[`kefu_assignments_total{by="dispatcher"}`], s["kefu_queue_length"])
	}
}
