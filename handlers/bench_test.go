package handlers_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kefu-im/kefu/auth"
)

var toastRe = regexp.MustCompile(`id="toast-(\d+)"`)

// BenchmarkFirstMessageToAssignment measures, for each of b.N visitors in
// turn, the time from their first message leaving the widget's socket to the
// assignment notice arriving on the agent's console socket: store, bus,
// dispatcher, bus again, render and push. It reports p50 and p99.
func BenchmarkFirstMessageToAssignment(b *testing.B) {
	k := newKefu(b)
	alex, _, err := k.db.MemberByEmail(context.Background(), agentEmail)
	if err != nil {
		b.Fatal(err)
	}
	agent := k.agent().console()
	agent.send(map[string]any{"type": "resume"})
	agent.waitFor(`data-target="#conversation-list" data-swap="innerHTML"`)
	visitors := make([]*socket, b.N)
	for i := range visitors {
		// More visitors than one address may ask for: they are made in the database.
		token := auth.NewToken()
		if _, err := k.db.CreateVisitor(context.Background(), auth.TokenHash(token)); err != nil {
			b.Fatal(err)
		}
		visitors[i] = k.widget(token)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i, v := range visitors {
		start := time.Now()
		if err := v.trySend(map[string]any{"type": "send", "client_msg_id": fmt.Sprint("f", i), "body": "hello"}); err != nil {
			b.Fatal(err)
		}
		for {
			_, f, err := agent.ws.Read(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if strings.Contains(string(f), `data-cue="assigned"`) {
				lat = append(lat, time.Since(start))
				// The agent resolves it, as agents do, so capacity never runs out.
				id, _ := strconv.ParseInt(toastRe.FindStringSubmatch(string(f))[1], 10, 64)
				if err := k.db.Resolve(ctx, id, alex.ID, time.Now()); err != nil {
					b.Fatal(err)
				}
				break
			}
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
}
