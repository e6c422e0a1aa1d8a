package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/store"
)

// TestDisplayNameIsInlinedAndNamesAsGoDoes: the SQL display_name names a
// user as chat.User.DisplayName does, and PostgreSQL inlines it into the
// statements that call it (a message's among them): one it cannot inline
// is planned anew on every call.
func TestDisplayNameIsInlinedAndNamesAsGoDoes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, conn := openWithConn(t)
	newVisitor := func() int64 {
		v, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
		if err != nil {
			t.Fatal(err)
		}
		return v.ID
	}
	visitor, named := newVisitor(), newVisitor()
	if _, err := conn.Exec(ctx, "UPDATE users SET name = '小明' WHERE id = $1", named); err != nil {
		t.Fatal(err)
	}
	m, _, err := db.EnsureAdmin(ctx, store.NewMember{Email: "ana@example.com", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	member := m.ID
	for id, want := range map[int64]string{visitor: fmt.Sprintf("Visitor #%d", visitor), named: "小明", member: "ana@example.com"} {
		var got string
		if err := conn.QueryRow(ctx, "SELECT display_name(u) FROM users u WHERE id = $1", id).Scan(&got); err != nil || got != want {
			t.Fatalf("display_name of user %d = %q, %v; want %q", id, got, err, want)
		}
	}
	rows, err := conn.Query(ctx, "EXPLAIN (VERBOSE, FORMAT TEXT) SELECT display_name(u) FROM users u WHERE id = 901")
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if plan := strings.Join(lines, "\n"); strings.Contains(plan, "display_name(") {
		t.Fatalf("display_name is called, not inlined:\n%s", plan)
	}
}
