package store

import (
	"context"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
)

// knownSettings are the settings as this instance last read them, with the
// settings_version they were read at. A change anywhere announces
// chat.EventSettings, and every instance forgets what it knew (Forget), so
// what the hot paths read from here is at most a bus hop old; a send that
// decides by them checks settings_version in the very statement that
// stores it, so no message is ever stored under settings that had changed.
type knownSettings struct {
	mu       sync.Mutex
	valid    bool
	version  int64
	settings chat.Settings
	// forgotten counts forget's calls: settings read across one are not kept.
	forgotten int64
}

// get returns the settings and their version, reading them when they are
// not known. The version is read first: settings changed between the two
// reads are newer than their version says, which a statement's check
// finds stale, never the other way round. The lock is not held while they
// are read: a sender inside a transaction (words) may be waiting for it
// while holding the connection the read would need.
func (k *knownSettings) get(ctx context.Context, q querier) (chat.Settings, int64, error) {
	k.mu.Lock()
	if k.valid {
		defer k.mu.Unlock()
		return k.settings, k.version, nil
	}
	forgotten := k.forgotten
	k.mu.Unlock()
	s, version, err := loadSettingsAt(ctx, q)
	if err != nil {
		return s, 0, err
	}
	// Read after the version: a list changed between the two is newer than
	// the version says, which a statement's check finds stale.
	rows, err := q.Query(ctx, "SELECT word FROM sensitive_words ORDER BY word")
	if err != nil {
		return s, 0, err
	}
	list, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return s, 0, err
	}
	s.Words = chat.NewWords(s.Words.Mode, list)
	k.mu.Lock()
	defer k.mu.Unlock()
	// Kept unless forgotten meanwhile (they may be older than the change
	// that was announced) or older than what another read kept.
	if k.forgotten == forgotten && (!k.valid || version >= k.version) {
		k.valid, k.version, k.settings = true, version, s
	}
	return s, version, nil
}

// words returns the sensitive-word filter as it stood at settings_version
// version, which transaction tx read with its settings: the known one when
// it is of that version (nearly always), else read again in tx, which
// holds a connection already: reading on another, under the lock, would
// leave every sender waiting for a connection that the others hold.
func (k *knownSettings) words(ctx context.Context, tx querier, version int64) (chat.Words, error) {
	for range 2 {
		s, v, err := k.get(ctx, tx)
		if err != nil || v >= version {
			return s.Words, err
		}
		k.forget() // older than what the transaction saw: the bus has yet to say so
	}
	s, _, err := k.get(ctx, tx)
	return s.Words, err
}

// forget makes the next get read the settings again.
func (k *knownSettings) forget() {
	k.mu.Lock()
	k.valid = false
	k.forgotten++
	k.mu.Unlock()
}

// KnownSettings returns the settings as this instance knows them: read from
// the database once, and again after ForgetSettings. For what may lag a
// change by a bus hop, such as who receives a message; what must hold at
// once reads Settings.
func (db *DB) KnownSettings(ctx context.Context) (chat.Settings, error) {
	s, _, err := db.known.get(ctx, db.pool)
	if err != nil {
		return s, fmt.Errorf("store: settings: %w", err)
	}
	return s, nil
}

// ForgetSettings makes the next KnownSettings read the settings again: the
// bus said they changed, or it may have missed saying so.
func (db *DB) ForgetSettings() { db.known.forget() }
