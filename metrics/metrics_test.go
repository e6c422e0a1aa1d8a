package metrics_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kefu-im/kefu/metrics"
	"github.com/kefu-im/kefu/metrics/metricstest"
)

func TestNilMetricsCountNothing(t *testing.T) {
	var m *metrics.Metrics
	m.MessageStored()
	m.Deliveries(metrics.Console).Written(time.Now())
	m.SocketOpened(metrics.Widget)()
	m.Assigned(2)
	m.Taken()
	m.Attempted("push", metrics.Delivered)
}

func TestCounts(t *testing.T) {
	m := metrics.New(func(context.Context) (int, error) { return 3, nil })
	m.MessageStored()
	m.Deliveries(metrics.Widget).Written(time.Now().Add(-20 * time.Millisecond))
	m.Deliveries(metrics.Widget).Written(time.Now().Add(time.Second)) // the database's clock ahead of ours
	closed := m.SocketOpened(metrics.Console)
	m.SocketOpened(metrics.Console)
	closed()
	m.Assigned(2)
	m.Taken()
	m.Attempted("webhook", metrics.GivenUp)
	s := metricstest.Of(t, m)
	for series, want := range map[string]float64{
		"kefu_messages_stored_total":                                      1,
		`kefu_messages_delivered_total{socket="widget"}`:                  2,
		`kefu_messages_delivered_total{socket="console"}`:                 0,
		`kefu_delivery_latency_seconds_bucket{socket="widget",le="0.01"}`: 1,
		`kefu_delivery_latency_seconds_bucket{socket="widget",le="0.05"}`: 2,
		`kefu_sockets_open{socket="console"}`:                             1,
		`kefu_sockets_open{socket="widget"}`:                              0,
		`kefu_assignments_total{by="dispatcher"}`:                         2,
		`kefu_assignments_total{by="agent"}`:                              1,
		`kefu_outbox_outcomes_total{outbox="webhook",outcome="given_up"}`: 1,
		"kefu_queue_length":                                               3,
	} {
		if got, ok := s[series]; !ok || got != want {
			t.Errorf("%s = %v (served: %t), want %v", series, got, ok, want)
		}
	}
	if _, ok := s["go_goroutines"]; !ok {
		t.Error("the Go runtime's metrics are not served")
	}
	if _, ok := s["process_cpu_seconds_total"]; !ok {
		t.Error("the process's metrics are not served")
	}
}

func TestQueueLengthThatFailsLeavesTheRest(t *testing.T) {
	m := metrics.New(func(context.Context) (int, error) { return 0, errors.New("database unavailable") })
	m.MessageStored()
	s := metricstest.Of(t, m)
	if _, ok := s["kefu_queue_length"]; ok || s["kefu_messages_stored_total"] != 1 {
		t.Fatalf("with the queue unknown: %v", s)
	}
}
