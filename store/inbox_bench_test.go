package store_test

import (
	"context"
	"testing"

	"github.com/kefu-im/kefu/chat"
)

// resolvedHistory is how many resolved chats BenchmarkInboxAmongResolved's
// helpdesk has behind its open ones: a team's year of chats.
const resolvedHistory = 200_000

// BenchmarkInboxAmongResolved is the views' counts and the first page of
// each view of an agent's console, in a helpdesk whose open chats are a
// few among resolvedHistory resolved ones, all of them written in, the
// resolved ones the more recently: the lists of open chats must not cost
// more the more chats have been resolved.
func BenchmarkInboxAmongResolved(b *testing.B) {
	ctx := context.Background()
	w := newInboxWorld(b)
	seedResolved(b, w)
	ann := chat.Viewer{UserID: w.ann.ID, IsAgent: true}
	b.Run("counts", func(b *testing.B) {
		for b.Loop() {
			if _, err := w.db.InboxCounts(ctx, ann, chat.InboxFilter{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, view := range chat.Views {
		b.Run(string(view), func(b *testing.B) {
			for b.Loop() {
				if _, _, err := w.db.Inbox(ctx, ann, chat.Inbox{View: view}, 50); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// seedResolved gives w resolvedHistory resolved chats, each written in
// more recently than w's own chats.
func seedResolved(t testing.TB, w inboxWorld) {
	t.Helper()
	ctx := context.Background()
	if _, err := w.db.Pool().Exec(ctx, `
		WITH v AS (
			INSERT INTO users (kind, visitor_token_hash) SELECT 'visitor', sha256(('history ' || i)::bytea) FROM generate_series(1, $1) i RETURNING id),
		c AS (
			INSERT INTO conversations (kind, visitor_id, status, last_seq, last_message_at)
			SELECT 'support', v.id, 'assigned', 1, now() + interval '1 second' * row_number() OVER () FROM v
			RETURNING id, visitor_id, last_message_at),
		m AS (
			INSERT INTO messages (conversation_id, seq, sender_id, type, body)
			SELECT id, 1, visitor_id, 'text', 'thanks, solved' FROM c)
		INSERT INTO conversation_activity (conversation_id, last_message_at)
		SELECT id, last_message_at FROM c`, resolvedHistory); err != nil {
		t.Fatal(err)
	}
	// Resolved as Resolve resolves a chat: by its status.
	if _, err := w.db.Pool().Exec(ctx, `UPDATE conversations SET status = 'resolved' WHERE status = 'assigned' AND assigned_agent_id IS NULL`); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.Pool().Exec(ctx, "VACUUM ANALYZE"); err != nil {
		t.Fatal(err)
	}
}
