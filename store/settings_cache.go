package store

import (
	"context"
	"fmt"
	"sync"

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
}

// get returns the settings and their version, reading them when they are
// not known. The version is read first: settings changed between the two
// reads are newer than their version says, which a statement's check
// finds stale, never the other way round.
func (k *knownSettings) get(ctx context.Context, q querier) (chat.Settings, int64, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.valid {
		return k.settings, k.version, nil
	}
	var version int64
	if err := q.QueryRow(ctx, "SELECT version FROM settings_version").Scan(&version); err != nil {
		return chat.Settings{}, 0, err
	}
	s, err := loadSettings(ctx, q)
	if err != nil {
		return s, 0, err
	}
	k.valid, k.version, k.settings = true, version, s
	return s, version, nil
}

// forget makes the next get read the settings again.
func (k *knownSettings) forget() {
	k.mu.Lock()
	k.valid = false
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
