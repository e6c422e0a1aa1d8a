package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/storetest"
)

// TestBudgetCountsParallelRequestsOnce: requests spent at once from one
// budget are granted up to its limit exactly; a new window starts over.
func TestBudgetCountsParallelRequestsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.DB(t)
	b := store.Budget{Name: "test", Limit: 10, Window: time.Hour}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ok, limited int
	for range 25 {
		wg.Go(func() {
			err := db.SpendBudget(ctx, b, "203.0.113.7")
			var le *store.LimitError
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.As(err, &le) && errors.Is(err, chat.ErrRateLimited) && le.RetryAfter > 50*time.Minute:
				limited++
			default:
				t.Errorf("spend: %v", err)
			}
		})
	}
	wg.Wait()
	if ok != 10 || limited != 15 {
		t.Fatalf("25 requests at once on a budget of 10: %d granted, %d refused", ok, limited)
	}
	// Another address has its own budget.
	if err := db.SpendBudget(ctx, b, "203.0.113.8"); err != nil {
		t.Fatalf("another address: %v", err)
	}
	// Once the window is over, the budget is whole again.
	if _, err := db.Pool().Exec(ctx, "UPDATE rate_budgets SET resets_at = now() - interval '1 second'"); err != nil {
		t.Fatal(err)
	}
	if err := db.SpendBudget(ctx, b, "203.0.113.7"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

// TestCreateVisitorWithinBudget: past the budget, no visitor is created.
func TestCreateVisitorWithinBudget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.DB(t)
	b := store.Budget{Name: "visitors", Limit: 2, Window: time.Hour}
	for i := range 3 {
		_, err := db.CreateVisitorWithin(ctx, auth.TokenHash(auth.NewToken()), b, "2001:db8::/64")
		if want := i == 2; errors.Is(err, chat.ErrRateLimited) != want || (err != nil && !want) {
			t.Fatalf("visitor %d: %v", i+1, err)
		}
	}
	var n int
	if err := db.Pool().QueryRow(ctx, "SELECT count(*) FROM users WHERE kind = 'visitor'").Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d visitors were created (%v), want 2", n, err)
	}
}

// TestPurgeExpiredForgetsIdleVisitors: anonymous visitors who wrote nothing
// in a week are deleted, however old they are; anyone who wrote, verified
// visitors and newer visitors stay. Ended budgets go too.
func TestPurgeExpiredForgetsIdleVisitors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.DB(t)
	// Someone is customer service, or a visitor could not write.
	if _, _, err := db.EnsureAdmin(ctx, store.NewMember{Email: "alex@example.com", Name: "Alex", PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	visitor := func() chat.User {
		t.Helper()
		v, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	idle, wrote, recent, idleLong, wroteLong := visitor(), visitor(), visitor(), visitor(), visitor()
	for _, v := range []chat.User{wrote, wroteLong} {
		if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: "hello"}); err != nil {
			t.Fatal(err)
		}
	}
	verified, err := db.UpsertExternalUser(ctx, chat.ExternalUser{ExternalID: "cust-1", Name: "Lee"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, "UPDATE users SET created_at = now() - interval '8 days' WHERE id = ANY($1)",
		[]int64{idle.ID, wrote.ID, verified.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, "UPDATE users SET created_at = now() - interval '30 days' WHERE id = ANY($1)",
		[]int64{idleLong.ID, wroteLong.ID}); err != nil {
		t.Fatal(err)
	}
	if err := db.SpendBudget(ctx, store.Budget{Name: "running", Limit: 1, Window: time.Hour}, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, `INSERT INTO rate_budgets (name, key, used, resets_at)
		VALUES ('ended', 'a', 1, now() - interval '1 second')`); err != nil {
		t.Fatal(err)
	}

	if err := db.PurgeExpired(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		id   int64
		kept bool
	}{
		{"was idle for a week", idle.ID, false},
		{"was idle for 30 days", idleLong.ID, false},
		{"wrote", wrote.ID, true},
		{"wrote 30 days ago", wroteLong.ID, true},
		{"is new", recent.ID, true},
		{"is verified", verified.ID, true},
	} {
		_, err := db.User(ctx, tt.id)
		if kept := err == nil; kept != tt.kept {
			t.Errorf("visitor who %s: kept %v (%v), want %v", tt.name, kept, err, tt.kept)
		}
	}
	var budgets []string
	rows, _ := db.Pool().Query(ctx, "SELECT name FROM rate_budgets ORDER BY name")
	for rows.Next() {
		var n string
		rows.Scan(&n)
		budgets = append(budgets, n)
	}
	if rows.Err() != nil || len(budgets) != 1 || budgets[0] != "running" {
		t.Fatalf("budgets after the purge: %v (%v), want only the running one", budgets, rows.Err())
	}
}

// TestPurgeExpiredDeletesTheOldestIdleVisitorsFirst: a purge deletes at most
// a batch of idle visitors, the oldest ones, and the next purge goes on with
// the rest.
func TestPurgeExpiredDeletesTheOldestIdleVisitorsFirst(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.DB(t)
	// Visitor i was created i hours more than a week ago, so the higher i,
	// the older.
	const extra = 7
	if _, err := db.Pool().Exec(ctx, `INSERT INTO users (kind, visitor_token_hash, created_at)
		SELECT 'visitor', sha256(i::text::bytea), now() - interval '8 days' - i * interval '1 hour'
		FROM generate_series(1, $1) AS i`, store.PurgeBatch+extra); err != nil {
		t.Fatal(err)
	}
	left := func() []int {
		t.Helper()
		rows, err := db.Pool().Query(ctx, `SELECT round(extract(epoch FROM now() - interval '8 days' - created_at) / 3600)::int
			FROM users WHERE kind = 'visitor' ORDER BY created_at DESC`)
		if err != nil {
			t.Fatal(err)
		}
		var hours []int
		for rows.Next() {
			var h int
			if err := rows.Scan(&h); err != nil {
				t.Fatal(err)
			}
			hours = append(hours, h)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return hours
	}

	if err := db.PurgeExpired(ctx); err != nil {
		t.Fatal(err)
	}
	if got := left(); len(got) != extra || got[0] != 1 || got[extra-1] != extra {
		t.Fatalf("after one purge the visitors %v hours past a week are left, want the %d newest (1 to %d)", got, extra, extra)
	}
	if err := db.PurgeExpired(ctx); err != nil {
		t.Fatal(err)
	}
	if got := left(); len(got) != 0 {
		t.Fatalf("after two purges the visitors %v hours past a week are left, want none", got)
	}
}
