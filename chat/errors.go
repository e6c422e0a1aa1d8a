package chat

import (
	"errors"
	"fmt"
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
	// ErrConversationNotAllowed: the conversation grade does not let these two talk.
	ErrConversationNotAllowed = errors.New("conversation not allowed")
)

// ValidationError is bad input: Field names it, Message says what is wrong
// in a sentence a user can read.
type ValidationError struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Message) }

// Invalid returns a ValidationError for field.
func Invalid(field, message string) error { return &ValidationError{Field: field, Message: message} }
