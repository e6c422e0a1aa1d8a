package store

// The conversation_grade policy, checked inside the transaction that would
// store what it allows, so that a refusal stores nothing and a change of
// settings, friendship or group takes effect on the very next message.

import (
	"context"
	"fmt"
	"slices"

	"github.com/kefu-im/kefu/chat"
)

// ties returns what users a and b share.
func ties(ctx context.Context, q querier, a, b int64) (chat.Ties, error) {
	var t chat.Ties
	err := q.QueryRow(ctx, `SELECT
		EXISTS (SELECT 1 FROM friendships WHERE user_id = $1 AND friend_id = $2),
		EXISTS (SELECT 1 FROM conversation_members ma
			JOIN conversation_members mb ON mb.conversation_id = ma.conversation_id AND mb.user_id = $2
			JOIN conversations g ON g.id = ma.conversation_id AND g.kind = 'group'
			WHERE ma.user_id = $1)`, a, b).Scan(&t.Friends, &t.SharedGroup)
	return t, err
}

// mayStart returns nil when the settings let from start a conversation with
// to (chat.Team: customer service as a whole), and the refusal otherwise.
func mayStart(ctx context.Context, q querier, from, to int64) error {
	s, err := loadSettings(ctx, q)
	if err != nil {
		return err
	}
	return mayStartUnder(ctx, q, s, from, to, false)
}

// mayStartUnder is mayStart under settings s already loaded; reply: from
// writes in a conversation that exists. A refusal is worded for its reader.
func mayStartUnder(ctx context.Context, q querier, s chat.Settings, from, to int64, reply bool) error {
	var t chat.Ties
	if to != chat.Team && s.Grade != chat.GradeAnyone {
		var err error
		if t, err = ties(ctx, q, from, to); err != nil {
			return err
		}
	}
	refused, ok := s.MayStart(from, to, t).(*chat.RefusedError)
	if !ok {
		return nil
	}
	var visitor bool
	if err := q.QueryRow(ctx, "SELECT kind = 'visitor' FROM users WHERE id = $1", from).Scan(&visitor); err != nil {
		return err
	}
	return refused.To(visitor, reply)
}

// MayStart reports whether from may start a conversation with to now: nil,
// or a *chat.RefusedError saying why not.
func (db *DB) MayStart(ctx context.Context, from, to int64) error {
	if err := mayStart(ctx, db.pool, from, to); err != nil {
		return fmt.Errorf("store: may %d start a conversation with %d: %w", from, to, err)
	}
	return nil
}

// maySend screens a message that says something (text, or an image's or
// file's name, or each text a forward carries) for the sensitive words (refused with
// chat.ErrMessageBlocked, or its body masked in s) and applies the policy
// to it in a one-to-one conversation: a direct one with its other member,
// a support chat between its visitor and customer service. Group messages,
// notes and system lines are not checked: a group's members are kin, and
// notes never reach the visitor. The settings it reads in tx say which
// sensitive-word list holds, which this instance keeps in memory.
func (db *DB) maySend(ctx context.Context, tx *txn, s *Send) error {
	if s.SenderID == 0 || !s.Type.Said() {
		return nil
	}
	settings, version, err := loadSettingsAt(ctx, tx)
	if err != nil {
		return err
	}
	words, err := db.known.words(ctx, tx, version)
	if err != nil {
		return err
	}
	if s.Body, err = words.Screen(s.Body); err != nil {
		return err
	}
	if len(s.Forwarded) > 0 {
		forwarded := slices.Clone(s.Forwarded)
		for i := range forwarded {
			if forwarded[i].Text, err = words.Screen(forwarded[i].Text); err != nil {
				return err
			}
		}
		s.Forwarded = forwarded
	}
	if settings.Grade == chat.GradeAnyone {
		return nil // grade 0 allows every message, in every conversation
	}
	var kind chat.ConversationKind
	var visitorID, other int64
	err = tx.QueryRow(ctx, `SELECT c.kind, coalesce(c.visitor_id, 0),
		coalesce((SELECT m.user_id FROM conversation_members m WHERE m.conversation_id = c.id AND m.user_id <> $2 LIMIT 1), 0)
		FROM conversations c WHERE c.id = $1`, s.ConversationID, s.SenderID).Scan(&kind, &visitorID, &other)
	if err != nil {
		return err
	}
	switch {
	case kind == chat.Direct:
		return mayStartUnder(ctx, tx, settings, s.SenderID, other, true)
	case kind == chat.Support && s.SenderID == visitorID:
		return mayStartUnder(ctx, tx, settings, s.SenderID, chat.Team, true)
	case kind == chat.Support:
		return mayStartUnder(ctx, tx, settings, s.SenderID, visitorID, true)
	}
	return nil
}
