package store

// The sensitive-word list admins keep, and what the filter does.

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

// SensitiveWords returns the list, in order.
func (db *DB) SensitiveWords(ctx context.Context) ([]string, error) {
	rows, err := db.pool.Query(ctx, "SELECT word FROM sensitive_words ORDER BY word")
	if err != nil {
		return nil, fmt.Errorf("store: sensitive words: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("store: sensitive words: %w", err)
	}
	return list, nil
}

// AddSensitiveWords adds words (each as chat.NormalWord keeps it; one
// already listed changes nothing) and returns how many were new, recording
// actorID in the audit log. Any bad word refuses them all. Every instance
// filters by the new list from the next message.
func (db *DB) AddSensitiveWords(ctx context.Context, actorID int64, words []string) (int, error) {
	normal := make([]string, 0, len(words))
	for _, w := range words {
		n, err := chat.NormalWord(w)
		if err != nil {
			return 0, err
		}
		normal = append(normal, n)
	}
	normal = slices.Compact(slices.Sorted(slices.Values(normal)))
	if len(normal) == 0 {
		return 0, chat.Invalid("word", "error.words.word", "Max", chat.MaxWord)
	}
	var added []string
	err := db.changeSettings(ctx, "sensitive words", func(tx *txn, _ chat.Settings) error {
		var n int
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM sensitive_words").Scan(&n); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `INSERT INTO sensitive_words (word) SELECT unnest($1::text[])
			ON CONFLICT DO NOTHING RETURNING word`, normal)
		if err != nil {
			return err
		}
		if added, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return err
		}
		if n+len(added) > chat.MaxWords {
			return chat.Invalid("word", "error.words.tooMany", "Max", chat.MaxWords)
		}
		if len(added) == 0 {
			return nil
		}
		if err := audit(ctx, tx, actorRef(actorID), "words.add", "sensitive words", nil, added); err != nil {
			return err
		}
		return notify(ctx, tx, chat.Event{Type: chat.EventSettings})
	})
	return len(added), err
}

// RemoveSensitiveWord takes word off the list, recording actorID in the
// audit log; one not listed is chat.ErrNotFound.
func (db *DB) RemoveSensitiveWord(ctx context.Context, actorID int64, word string) error {
	return db.changeSettings(ctx, "sensitive words", func(tx *txn, _ chat.Settings) error {
		tag, err := tx.Exec(ctx, "DELETE FROM sensitive_words WHERE word = $1", word)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return chat.ErrNotFound
		}
		if err := audit(ctx, tx, actorRef(actorID), "words.remove", "sensitive words", word, nil); err != nil {
			return err
		}
		return notify(ctx, tx, chat.Event{Type: chat.EventSettings})
	})
}

// SetWordFilter sets what the filter does with a message that holds a
// listed word, recording actorID in the audit log.
func (db *DB) SetWordFilter(ctx context.Context, actorID int64, mode chat.FilterMode) error {
	if err := chat.ValidateFilterMode(mode); err != nil {
		return err
	}
	return db.changeSettings(ctx, SettingWordFilter, func(tx *txn, cur chat.Settings) error {
		if cur.Words.Mode == mode {
			return nil
		}
		return putSetting(ctx, tx, actorRef(actorID), SettingWordFilter, cur.Words.Mode, mode)
	})
}
