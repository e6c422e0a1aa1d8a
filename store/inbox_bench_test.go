package store_test

import (
	"context"
	"testing"

	"github.com/kefu-im/kefu/chat"
)

// BenchmarkInboxAtScale's helpdesk has, behind its own few conversations,
// resolvedHistory resolved chats (a team's year of chats) and
// othersGroups groups its people are not in.
const (
	resolvedHistory = 200_000
	othersGroups    = 100_000
)

// BenchmarkInboxAtScale is the views' counts and the first page of each
// view of an agent's console, and a member's list, counts and Summaries,
// in a helpdesk whose open chats are a few among resolvedHistory resolved
// ones, and whose members are in a few conversations among othersGroups
// groups of others, all of them written in more recently: a list must not
// cost more the more chats have been resolved, or the more conversations
// others have.
func BenchmarkInboxAtScale(b *testing.B) {
	ctx := context.Background()
	w := newInboxWorld(b)
	seedHistory(b, w)
	max := chat.Viewer{UserID: w.max.ID}
	b.Run("member/mine", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := w.db.Inbox(ctx, max, chat.Inbox{View: chat.ViewMine}, 50); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("member/counts", func(b *testing.B) {
		for b.Loop() {
			if _, err := w.db.InboxCounts(ctx, max, chat.InboxFilter{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("member/summaries", func(b *testing.B) {
		for b.Loop() {
			if _, err := w.db.Summaries(ctx, max, 50); err != nil {
				b.Fatal(err)
			}
		}
	})
	ann := chat.Viewer{UserID: w.ann.ID, IsAgent: true}
	b.Run("agent/counts", func(b *testing.B) {
		for b.Loop() {
			if _, err := w.db.InboxCounts(ctx, ann, chat.InboxFilter{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, view := range chat.Views {
		b.Run("agent/"+string(view), func(b *testing.B) {
			for b.Loop() {
				if _, _, err := w.db.Inbox(ctx, ann, chat.Inbox{View: view}, 50); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// seedHistory gives w resolvedHistory resolved chats and othersGroups
// groups of Nia's, each written in more recently than w's own
// conversations.
func seedHistory(t testing.TB, w inboxWorld) {
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
		INSERT INTO conversation_activity (conversation_id, last_message_at, support, resolved)
		SELECT id, last_message_at, true, false FROM c`, resolvedHistory); err != nil {
		t.Fatal(err)
	}
	// Resolved as Resolve resolves a chat: by its status.
	if _, err := w.db.Pool().Exec(ctx, `UPDATE conversations SET status = 'resolved' WHERE status = 'assigned' AND assigned_agent_id IS NULL`); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.Pool().Exec(ctx, `
		WITH g AS (
			INSERT INTO conversations (kind, owner_id, title, last_seq, last_message_at)
			SELECT 'group', $1, 'group ' || i, 1, now() + interval '1 second' * i FROM generate_series(1, $2) i
			RETURNING id, last_message_at)
		INSERT INTO conversation_activity (conversation_id, last_message_at, support, resolved)
		SELECT id, last_message_at, false, false FROM g`, w.nia.ID, othersGroups); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.Pool().Exec(ctx, "VACUUM ANALYZE"); err != nil {
		t.Fatal(err)
	}
}
