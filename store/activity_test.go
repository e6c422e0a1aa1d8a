package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/store"
)

// A message's update of its conversation changes no indexed column, so
// PostgreSQL makes it a HOT update: the row's new version stays on its
// page and no index of conversations gets an entry. The conversation's
// activity moves in conversation_activity, to the same time.
func TestMessageUpdatesItsConversationHOT(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, conn := openWithConn(t)
	if _, _, err := db.EnsureAdmin(ctx, store.NewMember{Email: "alex@example.com", Name: "Alex", PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	visitor, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	const sends = 20
	for i := range sends {
		if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: visitor.ID, ClientMsgID: fmt.Sprint("c", i), Body: "hello"}); err != nil {
			t.Fatal(err)
		}
	}
	// The pool's connections report their counts when idle, within a
	// second or so; a closed one reports at once.
	db.Close()
	var updates, hot int64
	for deadline := time.Now().Add(30 * time.Second); ; {
		if _, err := conn.Exec(ctx, "SELECT pg_stat_clear_snapshot()"); err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRow(ctx, `SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'conversations'`).
			Scan(&updates, &hot); err != nil {
			t.Fatal(err)
		}
		if updates >= sends || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Each message takes its seq with one update.
	if updates < sends || hot != updates {
		t.Errorf("conversations: %d updates, %d of them HOT; want %d, all HOT", updates, hot, sends)
	}
	var agree bool
	if err := conn.QueryRow(ctx, `SELECT bool_and(a.last_message_at = c.last_message_at AND a.support = (c.kind = 'support') AND a.resolved = (c.status = 'resolved')) AND count(*) = 1
		FROM conversations c JOIN conversation_activity a ON a.conversation_id = c.id`).Scan(&agree); err != nil || !agree {
		t.Errorf("conversation_activity agrees with conversations: %v, %v", agree, err)
	}
}
