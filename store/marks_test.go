package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

// group starts a group of owner and members with one message from owner.
func group(t *testing.T, db *store.DB, owner int64, title string, members ...int64) int64 {
	t.Helper()
	ctx := context.Background()
	id, err := db.CreateGroup(ctx, owner, title, members)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SendMessage(ctx, store.Send{ConversationID: id, SenderID: owner, ClientMsgID: fmt.Sprint("g", id), Body: title}); err != nil {
		t.Fatal(err)
	}
	return id
}

func pageIDs(items []chat.Summary) []int64 {
	ids := make([]int64, len(items))
	for i, s := range items {
		ids[i] = s.ID
	}
	return ids
}

// TestPinnedComeFirst: a member's pinned conversations open their list,
// newest pin first, above the page by activity, which leaves them out of
// every page, so that paging shows each conversation once.
func TestPinnedComeFirst(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newInboxWorld(t)
	db := w.db
	maxV := chat.Viewer{UserID: w.max.ID}
	g1 := group(t, db, w.max.ID, "one", w.nia.ID)
	g2 := group(t, db, w.max.ID, "two", w.nia.ID)
	g3 := group(t, db, w.max.ID, "three", w.nia.ID)
	// By activity: g3, g2, g1, maxNia, annMax.
	for _, id := range []int64{w.annMax, g2} {
		if err := db.SetPinned(ctx, w.max.ID, id, true); err != nil {
			t.Fatal(err)
		}
	}
	mine := chat.Inbox{View: chat.ViewMine}
	first, next, err := db.Inbox(ctx, maxV, mine, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pageIDs(first), []int64{g2, w.annMax, g3, g1}; !slices.Equal(got, want) {
		t.Fatalf("first page = %v, want the pins newest first, then by activity: %v", got, want)
	}
	if first[0].PinnedAt == nil || first[2].PinnedAt != nil {
		t.Fatalf("pinned marks: %v, %v", first[0].PinnedAt, first[2].PinnedAt)
	}
	mine.Before = next
	second, next, err := db.Inbox(ctx, maxV, mine, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pageIDs(second), []int64{w.maxNia}; !slices.Equal(got, want) || !next.IsZero() {
		t.Fatalf("second page = %v (next %v), want %v and the end", got, next, want)
	}
	// Customer service's shared views keep to activity.
	all, _, err := db.Inbox(ctx, chat.Viewer{UserID: w.ann.ID, IsAgent: true}, chat.Inbox{View: chat.ViewAll}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetPinned(ctx, w.ann.ID, w.queue, true); err != nil {
		t.Fatalf("an agent pins a support chat they have no member row in: %v", err)
	}
	again, _, err := db.Inbox(ctx, chat.Viewer{UserID: w.ann.ID, IsAgent: true}, chat.Inbox{View: chat.ViewAll}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pageIDs(all), pageIDs(again)) {
		t.Fatalf("All after a pin = %v, want the order of activity %v", pageIDs(again), pageIDs(all))
	}
	// Unpinned, annMax goes back to its place by activity.
	if err := db.SetPinned(ctx, w.max.ID, w.annMax, false); err != nil {
		t.Fatal(err)
	}
	mine.Before = chat.Cursor{}
	items, _, err := db.Inbox(ctx, maxV, mine, 100)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pageIDs(items), []int64{g2, g3, g1, w.maxNia, w.annMax}; !slices.Equal(got, want) {
		t.Fatalf("after unpinning = %v, want %v", got, want)
	}
	if err := db.SetPinned(ctx, w.max.ID, w.annChat, true); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("a member pins a support chat: %v, want ErrNotFound", err)
	}
}

// TestPinnedCap: a member pins at most chat.MaxPinned conversations; one
// more is refused with a typed error and changes nothing, and pinning a
// pinned one again is no new pin.
func TestPinnedCap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newInboxWorld(t)
	db := w.db
	var ids []int64
	for i := range chat.MaxPinned + 1 {
		ids = append(ids, group(t, db, w.max.ID, fmt.Sprint("g", i), w.nia.ID))
	}
	for _, id := range ids[:chat.MaxPinned] {
		if err := db.SetPinned(ctx, w.max.ID, id, true); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SetPinned(ctx, w.max.ID, ids[0], true); err != nil {
		t.Fatalf("pinning a pinned one again: %v", err)
	}
	err := db.SetPinned(ctx, w.max.ID, ids[chat.MaxPinned], true)
	var invalid *chat.ValidationError
	if !errors.As(err, &invalid) || invalid.Say != "error.conversation.tooManyPinned" {
		t.Fatalf("pin %d: %v, want error.conversation.tooManyPinned", chat.MaxPinned+1, err)
	}
	s, err := db.Summary(ctx, ids[chat.MaxPinned], chat.Viewer{UserID: w.max.ID})
	if err != nil || s.PinnedAt != nil {
		t.Fatalf("refused pin stored: %v %v", s.PinnedAt, err)
	}
	// Nia's pins are her own.
	if err := db.SetPinned(ctx, w.nia.ID, ids[chat.MaxPinned], true); err != nil {
		t.Fatal(err)
	}
}

// TestHiddenUntilNewMessage: a hidden conversation leaves its member's
// list and counts until a message comes; a support chat is not hidden.
func TestHiddenUntilNewMessage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newInboxWorld(t)
	db := w.db
	maxV := chat.Viewer{UserID: w.max.ID}
	mine := chat.Inbox{View: chat.ViewMine}
	if err := db.SetPinned(ctx, w.max.ID, w.maxNia, true); err != nil {
		t.Fatal(err)
	}
	if err := db.Hide(ctx, w.max.ID, w.maxNia); err != nil {
		t.Fatal(err)
	}
	if got, want := inboxIDs(t, db, maxV, mine), sorted(w.annMax); !slices.Equal(got, want) {
		t.Fatalf("Max's list with maxNia hidden = %v, want %v", got, want)
	}
	if _, err := db.InboxItem(ctx, maxV, mine, w.maxNia); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("hidden item: %v", err)
	}
	counts, err := db.InboxCounts(ctx, maxV, chat.InboxFilter{})
	if err != nil || counts[chat.ViewMine] != 1 {
		t.Fatalf("Mine counts %v (%v), want 1", counts, err)
	}
	// Nia still lists it.
	if got := inboxIDs(t, db, chat.Viewer{UserID: w.nia.ID}, mine); !slices.Contains(got, w.maxNia) {
		t.Fatalf("Nia's list %v lost maxNia", got)
	}
	if _, _, err := db.SendMessage(ctx, store.Send{ConversationID: w.maxNia, SenderID: w.nia.ID, ClientMsgID: "back", Body: "back"}); err != nil {
		t.Fatal(err)
	}
	s, err := db.InboxItem(ctx, maxV, mine, w.maxNia)
	if err != nil {
		t.Fatalf("after a new message: %v", err)
	}
	if s.PinnedAt != nil {
		t.Fatal("hiding left the pin")
	}
	if err := db.Hide(ctx, w.ann.ID, w.annChat); !errors.Is(err, chat.ErrNotAllowed) {
		t.Fatalf("hide a support chat: %v, want ErrNotAllowed", err)
	}
	if err := db.Hide(ctx, w.ann.ID, w.maxNia); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("hide another's conversation: %v, want ErrNotFound", err)
	}
}

// TestTotalUnread counts what a member has not read across their own list,
// muted and hidden conversations left out; an agent's includes the chats
// assigned to them, not the queue's.
func TestTotalUnread(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newInboxWorld(t)
	db := w.db
	total := func(v chat.Viewer) int64 {
		t.Helper()
		n, err := db.TotalUnread(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	maxV := chat.Viewer{UserID: w.max.ID}
	if n := total(maxV); n != 1 { // Ann's "hi"
		t.Fatalf("Max's total = %d, want 1", n)
	}
	for i := range 2 {
		if _, _, err := db.SendMessage(ctx, store.Send{ConversationID: w.maxNia, SenderID: w.nia.ID, ClientMsgID: fmt.Sprint("n", i), Body: "hey"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := total(maxV); n != 3 {
		t.Fatalf("Max's total = %d, want 3", n)
	}
	// The count says how far it saw in each conversation it counted in, so
	// that a live badge does not add a message the count already had.
	withNia, err := db.ConversationFor(ctx, w.maxNia, maxV)
	if err != nil {
		t.Fatal(err)
	}
	if n, counted, err := db.UnreadCounted(ctx, maxV); err != nil || n != 3 || len(counted) != 2 || counted[w.maxNia] != withNia.LastSeq {
		t.Fatalf("UnreadCounted = %d, %v, %v; want 3, two conversations, Nia's to seq %d", n, counted, err, withNia.LastSeq)
	}
	if err := db.SetMuted(ctx, w.max.ID, w.maxNia, true); err != nil {
		t.Fatal(err)
	}
	if n := total(maxV); n != 1 {
		t.Fatalf("Max's total with maxNia muted = %d, want 1", n)
	}
	if err := db.Hide(ctx, w.max.ID, w.annMax); err != nil {
		t.Fatal(err)
	}
	if n := total(maxV); n != 0 {
		t.Fatalf("Max's total with annMax hidden = %d, want 0", n)
	}
	// Ann: her own chat's "ann's" and the snoozed one's left out, the
	// queue's and Bea's too.
	if n := total(chat.Viewer{UserID: w.ann.ID, IsAgent: true}); n != 1 {
		t.Fatalf("Ann's total = %d, want 1", n)
	}
	if err := db.MarkRead(ctx, w.annChat, w.ann.ID, 1); err != nil {
		t.Fatal(err)
	}
	if n := total(chat.Viewer{UserID: w.ann.ID, IsAgent: true}); n != 0 {
		t.Fatalf("Ann's total after reading = %d, want 0", n)
	}
}
