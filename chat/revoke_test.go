package chat

import (
	"errors"
	"testing"
	"time"
)

func TestMayRevoke(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	at := func(ago time.Duration) Message {
		return Message{ID: 1, SenderID: 7, Type: Text, Body: "hi", CreatedAt: now.Add(-ago)}
	}
	revoked := at(time.Second)
	revoked.RevokedAt = &now
	system := at(time.Second)
	system.Type, system.SenderID = System, 0
	note := at(time.Second)
	note.Type = Note
	cases := []struct {
		name string
		m    Message
		kind ConversationKind
		r    Revoker
		want error
	}{
		{"own, just sent", at(time.Second), Direct, Revoker{UserID: 7}, nil},
		{"own, at the window's end", at(RevokeWindow), Support, Revoker{UserID: 7}, nil},
		{"own, too late", at(RevokeWindow + time.Second), Direct, Revoker{UserID: 7}, ErrRevokeTooLate},
		{"own note", note, Support, Revoker{UserID: 7}, nil},
		{"someone else's", at(time.Second), Direct, Revoker{UserID: 8}, ErrNotYours},
		{"admin, direct chat", at(time.Second), Direct, Revoker{UserID: 8, Admin: true}, ErrNotYours},
		{"admin, support chat", at(time.Second), Support, Revoker{UserID: 8, Admin: true}, ErrNotYours},
		{"admin, group, late", at(time.Hour), Group, Revoker{UserID: 8, Admin: true}, nil},
		{"group owner, late", at(time.Hour), Group, Revoker{UserID: 8, Role: Owner}, nil},
		{"group admin, late", at(time.Hour), Group, Revoker{UserID: 8, Role: Admin}, nil},
		{"group admin, direct chat", at(time.Second), Direct, Revoker{UserID: 8, Role: Admin}, ErrNotYours},
		{"group member, someone else's", at(time.Second), Group, Revoker{UserID: 8, Role: Member}, ErrNotYours},
		{"group owner, own, late", at(time.Hour), Group, Revoker{UserID: 7, Role: Owner}, nil},
		{"group member, own, late", at(time.Hour), Group, Revoker{UserID: 7}, ErrRevokeTooLate},
		{"already revoked", revoked, Direct, Revoker{UserID: 7}, ErrAlreadyRevoked},
		{"already revoked, owner", revoked, Group, Revoker{UserID: 8, Role: Owner}, ErrAlreadyRevoked},
		{"a system line", system, Group, Revoker{UserID: 8, Admin: true}, ErrNotYours},
	}
	for _, c := range cases {
		if err := MayRevoke(c.m, c.kind, c.r, now); !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("%s: MayRevoke = %v, want %v", c.name, err, c.want)
		}
	}
}

func TestRevokableUntil(t *testing.T) {
	now := time.Now()
	m := Message{SenderID: 7, Type: Text, CreatedAt: now}
	if !m.RevokableUntil().Equal(now.Add(RevokeWindow)) ||
		MayRevoke(m, Direct, Revoker{UserID: 7}, m.RevokableUntil()) != nil ||
		MayRevoke(m, Direct, Revoker{UserID: 7}, m.RevokableUntil().Add(time.Millisecond)) == nil {
		t.Error("RevokableUntil is not where MayRevoke stops")
	}
}

func TestValidateForward(t *testing.T) {
	many := make([]int64, MaxForward+1)
	for i := range many {
		many[i] = int64(i + 1)
	}
	cases := []struct {
		ids []int64
		ok  bool
	}{
		{nil, false},
		{[]int64{1}, true},
		{many[:MaxForward], true},
		{many, false},
		{[]int64{1, 2, 1}, false},
		{[]int64{0}, false},
		{[]int64{-3}, false},
	}
	for _, c := range cases {
		if _, err := ValidateForward(c.ids); (err == nil) != c.ok {
			t.Errorf("ValidateForward(%d ids) = %v, want ok %v", len(c.ids), err, c.ok)
		}
	}
}
