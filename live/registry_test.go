package live

import (
	"slices"
	"testing"
)

// TestRegistryKnowsWhoIsConnected: a user is connected from their first
// connection until their last is removed, and the registry is empty once
// nobody is.
func TestRegistryKnowsWhoIsConnected(t *testing.T) {
	r := NewRegistry[string]()
	if !r.Empty() || r.Has(1) {
		t.Fatal("a new registry has someone connected")
	}
	r.Add(1, "console")
	r.Add(1, "phone")
	r.Add(2, "widget")
	if r.Empty() || !r.Has(1) || !r.Has(2) || r.Has(3) {
		t.Fatalf("after three connections: empty %v, has 1 %v, 2 %v, 3 %v", r.Empty(), r.Has(1), r.Has(2), r.Has(3))
	}
	if got := r.ForUser(1); len(got) != 2 || !slices.Contains(got, "console") || !slices.Contains(got, "phone") {
		t.Fatalf("user 1's connections: %v", got)
	}
	r.Remove(1, "console")
	if !r.Has(1) {
		t.Fatal("user 1 still has a connection, and is not connected")
	}
	r.Remove(1, "phone")
	r.Remove(2, "widget")
	if !r.Empty() || r.Has(1) || r.Has(2) {
		t.Fatalf("with every connection removed: empty %v, has 1 %v, 2 %v", r.Empty(), r.Has(1), r.Has(2))
	}
}
