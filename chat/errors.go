package chat

import (
	"errors"
	"fmt"

	"github.com/kefu-im/kefu/i18n"
)

// Sentinel errors, wrapped with context by the packages that return them.
var (
	ErrNotFound     = errors.New("not found")
	ErrConflict     = errors.New("conflict")
	ErrNotAllowed   = errors.New("not allowed")
	ErrUnauthorized = errors.New("unauthorized")
	ErrRateLimited  = errors.New("too many attempts")
	// ErrAlreadyAssigned: someone else took the chat first.
	ErrAlreadyAssigned = errors.New("already assigned")
	// ErrAtCapacity: the agent already has as many open chats as they may.
	ErrAtCapacity = errors.New("at capacity")
	// ErrAlreadyTheirs: the chat is already with the agent it was to be transferred to.
	ErrAlreadyTheirs = errors.New("already theirs")
	// ErrResolved: the chat is resolved, so it cannot be resolved or transferred again.
	ErrResolved = errors.New("already resolved")
	// ErrNotAssigned: the chat is waiting in the queue, so it cannot be snoozed yet.
	ErrNotAssigned = errors.New("not assigned")
	// ErrOffline: the agent is not online, so they cannot be handed a chat.
	ErrOffline = errors.New("offline")
	// ErrOpen: the chat is open, so it cannot be reopened.
	ErrOpen = errors.New("open")
	// ErrConversationNotAllowed: the conversation grade does not let these two talk.
	ErrConversationNotAllowed = errors.New("conversation not allowed")
)

// ValidationError is bad input: Field names it, Say tells what is wrong.
// Say is the id of a sentence in kefu's message catalog (package i18n),
// which the edge writes in its reader's language, filled in with Args:
// pairs of a name and its value, as the sentence's {{.Name}} says.
type ValidationError struct {
	Field string
	Say   string
	Args  []any
}

// Error is the field and the sentence in English, for logs and the
// command line.
func (e *ValidationError) Error() string {
	return fmt.Sprintf("%s: %s", e.Field, english.T(e.Say, e.Args...))
}

// Invalid returns a ValidationError for field that says the catalog's
// sentence say, filled in with args (pairs of a name and its value).
func Invalid(field, say string, args ...any) error {
	return &ValidationError{Field: field, Say: say, Args: args}
}

// english writes the sentences of errors for logs and the command line.
var english = i18n.For("en")
