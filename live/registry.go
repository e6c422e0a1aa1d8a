package live

import "sync"

// Registry indexes this instance's connections by user.
type Registry[T comparable] struct {
	mu     sync.RWMutex
	byUser map[int64]map[T]struct{}
}

// NewRegistry returns an empty registry.
func NewRegistry[T comparable]() *Registry[T] {
	return &Registry[T]{byUser: make(map[int64]map[T]struct{})}
}

// Add registers c as one of userID's connections.
func (r *Registry[T]) Add(userID int64, c T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	set := r.byUser[userID]
	if set == nil {
		set = make(map[T]struct{})
		r.byUser[userID] = set
	}
	set[c] = struct{}{}
}

// Remove forgets c.
func (r *Registry[T]) Remove(userID int64, c T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.byUser[userID], c)
	if len(r.byUser[userID]) == 0 {
		delete(r.byUser, userID)
	}
}

// ForUser returns userID's connections.
func (r *Registry[T]) ForUser(userID int64) []T {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]T, 0, len(r.byUser[userID]))
	for c := range r.byUser[userID] {
		out = append(out, c)
	}
	return out
}

// All returns every connection.
func (r *Registry[T]) All() []T {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []T
	for _, set := range r.byUser {
		for c := range set {
			out = append(out, c)
		}
	}
	return out
}

// Has reports whether userID has a connection.
func (r *Registry[T]) Has(userID int64) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.byUser[userID]) > 0
}

// Empty reports whether there is no connection at all.
func (r *Registry[T]) Empty() bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.byUser) == 0
}
