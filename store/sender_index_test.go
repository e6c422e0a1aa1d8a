package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/store"
)

// TestDuplicateCheckHasOneIndexToUse: the one index on messages that starts
// with sender_id is unique on (sender_id, client_msg_id), for every row, so
// a send's duplicate check (sender_id = $2 AND client_msg_id = $4) finds
// its entry by both columns whatever plan a connection keeps: with an index
// on sender_id alone, a generic plan made while the table was young read
// every message the sender had sent. A resend is still found, and a
// sender's messages without an id never conflict.
func TestDuplicateCheckHasOneIndexToUse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, conn := openWithConn(t)
	if _, _, err := db.EnsureAdmin(ctx, store.NewMember{Email: "alex@example.com", Name: "Alex", PasswordHash: "x"}); err != nil {
		t.Fatal(err) // someone to write to
	}
	visitor, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	send := func(clientMsgID string) (int64, bool) {
		t.Helper()
		m, created, err := db.SendFromVisitor(ctx, store.Send{SenderID: visitor.ID, ClientMsgID: clientMsgID, Body: "hello"})
		if err != nil {
			t.Fatalf("send %q: %v", clientMsgID, err)
		}
		return m.ID, created
	}
	for i := range 6 {
		id := fmt.Sprintf("c-%d", i)
		if i%2 == 0 {
			id = "" // no id: never a duplicate
		}
		if _, created := send(id); !created {
			t.Fatalf("send %d (%q) was taken for a resend", i, id)
		}
	}
	first, _ := send("c-1")
	if again, created := send("c-1"); created || again != first {
		t.Fatalf("a resend of c-1 stored message %d (created %v), want the stored %d", again, created, first)
	}

	type index struct {
		Unique  bool
		Columns []string
		Partial bool
	}
	rows, err := conn.Query(ctx, `SELECT i.indisunique,
			array(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY k(attnum, n)
				JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.n),
			i.indpred IS NOT NULL
		FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
		WHERE i.indrelid = 'messages'::regclass AND a.attname = 'sender_id'`)
	if err != nil {
		t.Fatal(err)
	}
	indexes, err := pgx.CollectRows(rows, pgx.RowToStructByPos[index])
	if err != nil {
		t.Fatal(err)
	}
	if len(indexes) != 1 || !indexes[0].Unique || indexes[0].Partial || !slices.Equal(indexes[0].Columns, []string{"sender_id", "client_msg_id"}) {
		t.Fatalf("indexes on messages that start with sender_id: %+v, want one, unique on (sender_id, client_msg_id), for every row", indexes)
	}
}
