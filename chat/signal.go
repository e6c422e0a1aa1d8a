package chat

import (
	"encoding/json"
	"unicode/utf8"
)

// Signal is an online-only message: it reaches whoever has the
// conversation open at that moment, and is never stored, pushed or counted
// as unread; whoever is not connected misses it. Someone typing is one
// (SignalTyping); a host site's backend sends its own kinds, whose Data the
// host's scripts read on the page (the DOM event "kefu:signal").
type Signal struct {
	Kind string `json:"k"`
	// Typing is who is typing, for SignalTyping.
	Typing *Typing `json:"ty,omitempty"`
	// Data is a host's signal's payload: JSON, at most MaxSignalData bytes.
	Data json.RawMessage `json:"d,omitempty"`
}

// SignalTyping is the kind of signal that says someone is typing: kefu's own.
const SignalTyping = "typing"

// Limits of a host's signal: its kind's length, and its data's size in
// bytes, which keeps a signal's event far under MaxEventBytes.
const (
	MaxSignalKind = 32
	MaxSignalData = 2048
)

// ValidateSignal checks a signal a host sends: a kind of 1 to
// MaxSignalKind lower-case letters, digits, '-', '_' or '.', not kefu's own
// (typing); data, if any, one JSON value of at most MaxSignalData bytes. It
// returns the signal.
func ValidateSignal(kind string, data []byte) (Signal, error) {
	if kind == "" || len(kind) > MaxSignalKind {
		return Signal{}, Invalid("kind", "error.signal.kind", "Max", MaxSignalKind)
	}
	for _, r := range kind {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return Signal{}, Invalid("kind", "error.signal.kind", "Max", MaxSignalKind)
		}
	}
	if kind == SignalTyping {
		return Signal{}, Invalid("kind", "error.signal.reserved")
	}
	if len(data) > MaxSignalData {
		return Signal{}, Invalid("data", "error.signal.tooLarge", "Max", MaxSignalData)
	}
	if len(data) == 0 {
		return Signal{Kind: kind}, nil
	}
	if !utf8.Valid(data) || !json.Valid(data) {
		return Signal{}, Invalid("data", "error.signal.data")
	}
	// As the bus carries it: encoding/json escapes <, > and & six times longer.
	if onBus, _ := json.Marshal(json.RawMessage(data)); len(onBus) > MaxSignalData {
		return Signal{}, Invalid("data", "error.signal.tooLarge", "Max", MaxSignalData)
	}
	return Signal{Kind: kind, Data: json.RawMessage(data)}, nil
}
