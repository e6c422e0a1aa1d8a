package push_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/outbox"
	"github.com/kefu-im/kefu/push"
	"github.com/kefu-im/kefu/store"
)

// BenchmarkSend measures how many notifications a worker sends per second
// to a push service that accepts each at once (run with -cpu 1 for the
// figure per core). One assignment enqueues a notification for each of the
// agent's b.N browsers; the worker's rounds then send them all.
func BenchmarkSend(b *testing.B) {
	ps := newPushService(b)
	w := newWorld(b, ps, push.Config{})
	ctx := context.Background()
	br := newBrowser(b)
	// Bulk setup: b.N more browsers for the agent, straight into the table.
	if _, err := w.db.Pool().Exec(ctx, `INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth)
		SELECT $1, $2 || g, $3, $4 FROM generate_series(1, $5) g`,
		w.alex.ID, ps.URL+"/push/bench/", br.p256dh(), br.auth(), b.N); err != nil {
		b.Fatal(err)
	}
	w.chat(b, "hello")
	b.ResetTimer()
	sent := 0
	for {
		n, err := w.worker.Round(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			break
		}
		sent += n
	}
	b.StopTimer()
	if sent != b.N+1 || len(ps.Requests()) != b.N+1 {
		b.Fatalf("sent %d, the push service got %d; want %d", sent, len(ps.Requests()), b.N+1)
	}
	b.ReportMetric(float64(sent)/b.Elapsed().Seconds(), "pushes/s")
}

// BenchmarkAssignmentToPush measures the time from an assignment
// committing to its notification reaching the push service, with no quiet
// period and the worker woken as the bus wakes it.
func BenchmarkAssignmentToPush(b *testing.B) {
	ps := newPushService(b)
	w := newWorld(b, ps, push.Config{Config: outbox.Config{Quiet: 0, Poll: time.Second}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.worker.Run(ctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	latencies := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		v, err := w.db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
		if err != nil {
			b.Fatal(err)
		}
		m, _, err := w.db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: fmt.Sprintf("chat %d", i)})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := w.db.Take(ctx, m.ConversationID, w.alex.ID, time.Now()); err != nil {
			b.Fatal(err)
		}
		committed := time.Now()
		w.worker.Wake()
		r := <-ps.Arrived
		latencies = append(latencies, r.At.Sub(committed))
		b.StopTimer()
		if err := w.db.Resolve(ctx, m.ConversationID, w.alex.ID, time.Now()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(latencies)
	at := func(q float64) float64 {
		return float64(latencies[int(q*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}
