package chat

import "time"

// MaxForward is how many messages one forward may merge.
const MaxForward = 50

// Forwarded is one message inside a merged message, as it was when it was
// forwarded: who wrote it, when, and its text.
type Forwarded struct {
	Sender string    `json:"sender"`
	At     time.Time `json:"at"`
	Text   string    `json:"text"`
}

// ValidateForward checks the ids of the messages a forward merges: 1 to
// MaxForward, none twice. It returns them in the order given.
func ValidateForward(ids []int64) ([]int64, error) {
	switch {
	case len(ids) == 0:
		return nil, Invalid("messages", "error.forward.none")
	case len(ids) > MaxForward:
		return nil, Invalid("messages", "error.forward.tooMany", "Max", MaxForward)
	}
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if id <= 0 || seen[id] {
			return nil, Invalid("messages", "error.forward.none")
		}
		seen[id] = true
	}
	return ids, nil
}

// Forwardable reports whether m may be forwarded: a text that stands.
func (m Message) Forwardable() bool {
	return m.RevokedAt == nil && m.Type == Text
}
