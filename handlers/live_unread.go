package handlers

import (
	"context"
	"sync"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

// unreadKept bounds how many conversations' counts the hub keeps.
const unreadKept = 10000

// unreadCounts keeps, for each conversation the hub delivers, every listing
// console user's unread count as of the last message it handled there, so
// that the next message adds one to it instead of counting them all again.
//
// It counts only from what it saw itself: a message whose seq does not
// follow the one it last handled in that conversation (one it never saw,
// on a bus that missed it or with nobody online) makes it count in the
// database again. A read mark that moves (EventRead) forgets that user's
// count, a change of members the conversation's, and a resync everything.
type unreadCounts struct {
	mu    sync.Mutex
	epoch uint64 // changes at each reset, so that a count read before it is not kept
	convs map[int64]*convUnread
}

type convUnread struct {
	seq   int64           // the last message handled
	users map[int64]int64 // their counts after it
	marks map[int64]bool  // who has a mention unread after it
}

func newUnreadCounts() *unreadCounts { return &unreadCounts{convs: make(map[int64]*convUnread)} }

// after returns the unread counts of users in msg's conversation once msg
// is stored, and who of them has a mention unread, and keeps them for the
// next message.
func (u *unreadCounts) after(ctx context.Context, db *store.DB, msg chat.Message, users []int64) (map[int64]int64, map[int64]bool, error) {
	counts := make(map[int64]int64, len(users))
	marks := make(map[int64]bool)
	missing := users
	u.mu.Lock()
	epoch := u.epoch
	if c := u.convs[msg.ConversationID]; c != nil && c.seq == msg.Seq-1 {
		missing = nil
		for _, id := range users {
			n, ok := c.users[id]
			switch {
			case !ok:
				missing = append(missing, id)
				continue
			case id == msg.SenderID:
				n = 0 // sending reads the conversation up to one's own message
			case msg.Type.Said():
				n = min(n+1, chat.UnreadCap)
			}
			counts[id] = n
			if id != msg.SenderID && (c.marks[id] || msg.Mentioned(id)) {
				marks[id] = true
			}
		}
	}
	u.mu.Unlock()
	if len(missing) > 0 {
		got, gotMarks, err := db.UnreadMarks(ctx, msg.ConversationID, msg.Seq, missing)
		if err != nil {
			return nil, nil, err
		}
		for _, id := range missing {
			counts[id] = got[id]
			if gotMarks[id] {
				marks[id] = true
			}
		}
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	kept, ok := u.convs[msg.ConversationID]
	if u.epoch == epoch && (!ok || kept.seq < msg.Seq) { // an older message's counts never replace a newer's
		if !ok && len(u.convs) >= unreadKept {
			for id := range u.convs { // any one: a count forgotten is only counted again
				delete(u.convs, id)
				break
			}
		}
		u.convs[msg.ConversationID] = &convUnread{seq: msg.Seq, users: counts, marks: marks}
	}
	return counts, marks, nil
}

// forget drops what an event may have changed: a user's read mark, or a
// conversation's members.
func (u *unreadCounts) forget(ev chat.Event) {
	u.mu.Lock()
	defer u.mu.Unlock()
	c := u.convs[ev.ConversationID]
	if c == nil {
		return
	}
	if ev.Type == chat.EventRead {
		// A kept map never changes: the lane that made it may still read it.
		users := make(map[int64]int64, len(c.users))
		for id, n := range c.users {
			if id != ev.UserID {
				users[id] = n
			}
		}
		u.convs[ev.ConversationID] = &convUnread{seq: c.seq, users: users, marks: c.marks}
		return
	}
	delete(u.convs, ev.ConversationID)
}

// reset forgets every count, when the bus may have missed events.
func (u *unreadCounts) reset() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.epoch++
	clear(u.convs)
}
