package store

import (
	"fmt"
	"time"

	"github.com/kefu-im/kefu/chat"
)

// LimitError refuses a request because a limit was reached. RetryAfter is
// when trying again may succeed. It wraps chat.ErrRateLimited.
type LimitError struct {
	What       string
	RetryAfter time.Duration
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s: limit reached, retry after %s", e.What, e.RetryAfter)
}

func (e *LimitError) Unwrap() error { return chat.ErrRateLimited }

// secondsLeft turns a number of seconds the database computed into a wait
// of at least one second.
func secondsLeft(s float64) time.Duration {
	return max(time.Duration(s*float64(time.Second)).Round(time.Second), time.Second)
}
