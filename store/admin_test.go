package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/storetest"
)

// newAdmin returns a database with its first admin, Alex.
func newAdmin(t *testing.T) (*store.DB, chat.User) {
	t.Helper()
	db := storetest.DB(t)
	alex, _, err := db.EnsureAdmin(context.Background(), store.NewMember{Email: "alex@example.com", Name: "Alex", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	return db, alex
}

func TestMembersListsMembersWithCapacity(t *testing.T) {
	t.Parallel()
	db, alex := newAdmin(t)
	ctx := context.Background()
	sam, err := db.CreateMember(ctx, store.NewMember{Email: "Sam@Example.com", Name: "Sam Lee", PasswordHash: "x", ActorID: alex.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateMember(ctx, store.NewMember{Email: "kim@example.com", PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken())); err != nil {
		t.Fatal(err)
	}
	if err := db.SetAgentCapacity(ctx, alex.ID, sam.ID, 3); err != nil {
		t.Fatal(err)
	}

	all, err := db.Members(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range all {
		c := "-"
		if m.Capacity != nil {
			c = fmt.Sprint(*m.Capacity)
		}
		got = append(got, m.Email+":"+c)
	}
	// By name, a nameless member by email; the visitor is not listed.
	if want := "alex@example.com:-,kim@example.com:-,Sam@Example.com:3"; strings.Join(got, ",") != want {
		t.Fatalf("Members = %s, want %s", strings.Join(got, ","), want)
	}
	for q, want := range map[string]int{"sam": 1, "EXAMPLE.COM": 3, "lee": 1, "%": 0, "nobody": 0, "  ": 0} {
		ms, err := db.Members(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != want {
			t.Errorf("Members(%q) = %d members, want %d", q, len(ms), want)
		}
	}
}

func TestCreateMemberIsAudited(t *testing.T) {
	t.Parallel()
	db, alex := newAdmin(t)
	ctx := context.Background()
	sam, err := db.CreateMember(ctx, store.NewMember{Email: "sam@example.com", Name: "Sam", PasswordHash: "secret hash", ActorID: alex.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateMember(ctx, store.NewMember{Email: "SAM@example.com", PasswordHash: "x", ActorID: alex.ID}); !errors.Is(err, chat.ErrConflict) {
		t.Fatalf("duplicate email: %v, want ErrConflict", err)
	}
	entries, _, err := db.AuditLog(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	e := entries[0]
	if e.Action != "user.create" || e.Subject != fmt.Sprintf("user %d", sam.ID) || e.SubjectName != "Sam" ||
		e.ActorID == nil || *e.ActorID != alex.ID || e.ActorName != "Alex" || e.Old != nil ||
		!strings.Contains(string(e.New), `"sam@example.com"`) || strings.Contains(string(e.New), "secret") {
		t.Fatalf("newest entry = %+v (new %s)", e, e.New)
	}
	// The refused duplicate left no entry; the first admin's creation has no actor.
	if len(entries) != 3 || entries[2].Action != "user.create" || entries[2].ActorID != nil || entries[2].ActorName != "" {
		t.Fatalf("audit log = %+v", entries)
	}
}

func TestResetPasswordBumpsTheSessionEpoch(t *testing.T) {
	t.Parallel()
	db, alex := newAdmin(t)
	ctx := context.Background()
	sam, err := db.CreateMember(ctx, store.NewMember{Email: "sam@example.com", Name: "Sam", PasswordHash: "old hash"})
	if err != nil {
		t.Fatal(err)
	}
	before, err := db.CredentialsByEmail(ctx, "sam@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ResetPassword(ctx, alex.ID, sam.ID, "new hash"); err != nil {
		t.Fatal(err)
	}
	after, err := db.CredentialsByEmail(ctx, "sam@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if after.PasswordHash != "new hash" || after.SessionEpoch != before.SessionEpoch+1 {
		t.Fatalf("after reset: hash %q epoch %d, was epoch %d", after.PasswordHash, after.SessionEpoch, before.SessionEpoch)
	}
	if _, epoch, err := db.SessionUser(ctx, sam.ID); err != nil || epoch != after.SessionEpoch {
		t.Fatalf("SessionUser epoch = %d, %v; want %d", epoch, err, after.SessionEpoch)
	}
	entries, _, err := db.AuditLog(ctx, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if e := entries[0]; e.Action != "user.password_reset" || e.Subject != fmt.Sprintf("user %d", sam.ID) || e.ActorName != "Alex" || e.Old != nil || e.New != nil {
		t.Fatalf("audit entry = %+v", e)
	}

	visitor, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{visitor.ID, 999999} {
		if err := db.ResetPassword(ctx, alex.ID, id, "hash"); !errors.Is(err, chat.ErrNotFound) {
			t.Errorf("reset password of %d: %v, want ErrNotFound", id, err)
		}
	}
}

func TestAgentCapacityIsAudited(t *testing.T) {
	t.Parallel()
	db, alex := newAdmin(t)
	ctx := context.Background()
	capacity := func() string {
		ms, err := db.Members(ctx, "alex")
		if err != nil || len(ms) != 1 {
			t.Fatalf("Members = %v, %v", ms, err)
		}
		if ms[0].Capacity == nil {
			return "none"
		}
		return fmt.Sprint(*ms[0].Capacity)
	}
	if err := db.SetAgentCapacity(ctx, alex.ID, alex.ID, 4); err != nil {
		t.Fatal(err)
	}
	if err := db.SetAgentCapacity(ctx, alex.ID, alex.ID, 7); err != nil {
		t.Fatal(err)
	}
	if err := db.SetAgentCapacity(ctx, alex.ID, alex.ID, 7); err != nil { // unchanged: not audited
		t.Fatal(err)
	}
	if got := capacity(); got != "7" {
		t.Fatalf("capacity = %s, want 7", got)
	}
	for _, bad := range []int{-1, 1001} {
		if err := db.SetAgentCapacity(ctx, alex.ID, alex.ID, bad); !isValidation(err) {
			t.Errorf("capacity %d: %v, want a validation error", bad, err)
		}
	}
	if err := db.SetAgentCapacity(ctx, alex.ID, 999999, 3); !errors.Is(err, chat.ErrNotFound) {
		t.Errorf("capacity of a missing user: %v, want ErrNotFound", err)
	}
	visitor, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetAgentCapacity(ctx, alex.ID, visitor.ID, 3); !isValidation(err) {
		t.Errorf("capacity of a visitor: %v, want a validation error", err)
	}
	if got := capacity(); got != "7" {
		t.Fatalf("capacity after refusals = %s, want 7", got)
	}

	entries, _, err := db.AuditLog(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		if e.Action == "agent.capacity" {
			got = append(got, fmt.Sprintf("%s %s→%s by %s", e.Subject, e.Old, e.New, e.ActorName))
		}
	}
	want := []string{
		fmt.Sprintf("user %d 4→7 by Alex", alex.ID),
		fmt.Sprintf("user %d →4 by Alex", alex.ID),
	}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Fatalf("capacity changes = %q, want %q", got, want)
	}
}

func isValidation(err error) bool {
	var ve *chat.ValidationError
	return errors.As(err, &ve)
}

func TestAuditLogPages(t *testing.T) {
	t.Parallel()
	db, alex := newAdmin(t)
	ctx := context.Background()
	for g := range 5 {
		if err := db.SetGrade(ctx, alex.ID, []int{100, 200}[g%2]); err != nil {
			t.Fatal(err)
		}
	}
	// Alex's creation and customer_service_uids at start, then five grade changes.
	first, more, err := db.AuditLog(ctx, 0, 4)
	if err != nil || !more || len(first) != 4 {
		t.Fatalf("first page: %d entries, more %v, %v", len(first), more, err)
	}
	if e := first[0]; e.Action != "setting.update" || e.Subject != store.SettingGrade || string(e.Old) != "200" || string(e.New) != "100" || e.ActorName != "Alex" {
		t.Fatalf("newest = %+v (old %s, new %s)", e, e.Old, e.New)
	}
	rest, more, err := db.AuditLog(ctx, first[3].ID, 4)
	if err != nil || more || len(rest) != 3 {
		t.Fatalf("second page: %d entries, more %v, %v", len(rest), more, err)
	}
	if rest[0].ID >= first[3].ID || rest[2].Action != "user.create" {
		t.Fatalf("second page = %+v", rest)
	}
	if e := rest[0]; string(e.Old) != "0" || string(e.New) != "100" {
		t.Fatalf("first grade change: old %s new %s, want 0 → 100", e.Old, e.New)
	}
}

// TestDisplayNameInSQLIsChatsRule: the names queries show are the names
// chat.User.DisplayName gives.
func TestDisplayNameInSQLIsChatsRule(t *testing.T) {
	t.Parallel()
	db, alex := newAdmin(t)
	ctx := context.Background()
	nameless, err := db.CreateMember(ctx, store.NewMember{Email: "ops@example.com", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	anonymous, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	named, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: named.ID, Body: "hi", VisitorName: "Robin"}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{alex.ID, nameless.ID, anonymous.ID, named.ID} {
		u, err := db.User(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		if err := db.Pool().QueryRow(ctx, "SELECT display_name(u) FROM users u WHERE u.id = $1", id).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if want := u.DisplayName(); got != want || want == "" {
			t.Errorf("user %d: display_name = %q, chat.User.DisplayName = %q", id, got, want)
		}
	}
	var none string
	if err := db.Pool().QueryRow(ctx, "SELECT display_name(u) FROM (SELECT 1) x LEFT JOIN users u ON false").Scan(&none); err != nil ||
		none != "" {
		t.Fatalf("display_name of no user = %q, %v; want ''", none, err)
	}
}
