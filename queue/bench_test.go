package queue_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// BenchmarkAssign compares kefu's dispatcher with a bare FOR UPDATE SKIP
// LOCKED claim loop on the same database, in the same run. Both assign b.N
// queued chats one transaction at a time; kefu's also checks presence,
// state and capacity, applies the fairness rule, stamps the agent and writes
// the "joined" line that the visitor sees.
func BenchmarkAssign(b *testing.B) {
	for _, name := range []string{"kefu", "bare_skip_locked"} {
		b.Run(name, func(b *testing.B) {
			w := newBenchWorld(b, b.N)
			ctx := context.Background()
			b.ResetTimer()
			start := time.Now()
			var n int
			if name == "kefu" {
				var err error
				if n, err = w.dispatcher().Drain(ctx); err != nil {
					b.Fatal(err)
				}
			} else {
				conn, err := pgx.Connect(ctx, w.url)
				if err != nil {
					b.Fatal(err)
				}
				defer conn.Close(ctx)
				for i := 0; ; i++ {
					tag, err := conn.Exec(ctx, `UPDATE conversations SET status = 'assigned', assigned_agent_id = $1, assigned_at = now()
						WHERE id = (SELECT id FROM conversations WHERE kind = 'support' AND status = 'queued'
						ORDER BY queued_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)`, w.agents[i%len(w.agents)])
					if err != nil {
						b.Fatal(err)
					}
					if tag.RowsAffected() == 0 {
						break
					}
					n++
				}
			}
			elapsed := time.Since(start)
			if n != b.N {
				b.Fatalf("assigned %d of %d", n, b.N)
			}
			b.ReportMetric(float64(n)/elapsed.Seconds(), "assignments/s")
		})
	}
}

// newBenchWorld queues n chats in bulk and gives 10 online agents room for all of them.
func newBenchWorld(b *testing.B, n int) *world {
	w := newWorld(b, 10, n/10+1, 0)
	conn, err := pgx.Connect(context.Background(), w.url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(context.Background(), fmt.Sprintf(`WITH v AS (
		INSERT INTO users (kind, visitor_token_hash) SELECT 'visitor', sha256(i::text::bytea) FROM generate_series(1, %d) i RETURNING id)
		INSERT INTO conversations (kind, visitor_id, status, queued_at)
		SELECT 'support', id, 'queued', now() + id * interval '1 microsecond' FROM v`, n))
	if err != nil {
		b.Fatal(err)
	}
	return w
}
