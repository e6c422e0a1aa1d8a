package store_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

// newKey creates a key and returns it with the secret a backend would hold.
func newKey(t *testing.T, db *store.DB, actorID int64, n store.NewAPIKey) (store.APIKey, string) {
	t.Helper()
	secret := "kefu_" + auth.NewToken()
	n.Prefix, n.Hash = secret[:11], auth.TokenHash(secret)
	k, err := db.CreateAPIKey(context.Background(), actorID, n)
	if err != nil {
		t.Fatal(err)
	}
	return k, secret
}

// addSite adds a site named name and returns its id.
func addSite(t *testing.T, db *store.DB, name string) int64 {
	t.Helper()
	var id int64
	if err := db.Pool().QueryRow(context.Background(), "INSERT INTO sites (name, identity_secret) VALUES ($1, 'x') RETURNING id",
		name).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestAPIKeyLifecycle(t *testing.T) {
	t.Parallel()
	db, alex := newAdmin(t)
	ctx := context.Background()
	shop := addSite(t, db, "Shop")
	k, secret := newKey(t, db, alex.ID, store.NewAPIKey{Name: "  Shop backend ", SiteID: shop})
	if k.Name != "Shop backend" || k.SiteID != shop || k.SiteName != "Shop" || k.UserID != 0 || k.LastUsedAt != nil || k.Revoked() {
		t.Fatalf("created %+v", k)
	}

	now := time.Now()
	got, err := db.AuthenticateAPIKey(ctx, auth.TokenHash(secret), now)
	if err != nil || got.ID != k.ID || got.SiteID != shop {
		t.Fatalf("authenticate = %+v, %v", got, err)
	}
	lastUsed := func() time.Time {
		keys, err := db.APIKeys(ctx)
		if err != nil || len(keys) != 1 || keys[0].LastUsedAt == nil {
			t.Fatalf("keys = %+v, %v; want one, used", keys, err)
		}
		return *keys[0].LastUsedAt
	}
	first := lastUsed()
	// Within the minute, use is not written again.
	if _, err := db.AuthenticateAPIKey(ctx, auth.TokenHash(secret), now.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	if !lastUsed().Equal(first) {
		t.Fatal("last_used_at was written twice within a minute")
	}
	if _, err := db.AuthenticateAPIKey(ctx, auth.TokenHash(secret), now.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if !lastUsed().After(first) {
		t.Fatal("last_used_at did not move after a minute")
	}

	if _, err := db.AuthenticateAPIKey(ctx, auth.TokenHash(secret+"x"), now); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("unknown key: err = %v, want ErrNotFound", err)
	}
	if err := db.RevokeAPIKey(ctx, alex.ID, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AuthenticateAPIKey(ctx, auth.TokenHash(secret), now); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("revoked key: err = %v, want ErrNotFound", err)
	}
	if err := db.RevokeAPIKey(ctx, alex.ID, k.ID); err != nil {
		t.Fatalf("revoking twice: %v", err)
	}
	if err := db.RevokeAPIKey(ctx, alex.ID, k.ID+100); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("revoking a missing key: err = %v, want ErrNotFound", err)
	}

	entries, _, err := db.AuditLog(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "api_key.") {
			if strings.Contains(string(e.Old)+string(e.New), secret[11:]) {
				t.Fatal("the audit log holds the key")
			}
			actions = append(actions, e.Action+" "+e.Subject)
		}
	}
	subject := "api_key " + strconv.FormatInt(k.ID, 10)
	want := "api_key.revoke " + subject + ", api_key.create " + subject
	if strings.Join(actions, ", ") != want {
		t.Fatalf("audited %q, want %q (revoking twice is one change)", actions, want)
	}
}

func TestMembersKeyActsAsAnEnabledMember(t *testing.T) {
	t.Parallel()
	db, alex := newAdmin(t)
	ctx := context.Background()
	sam, err := db.CreateMember(ctx, store.NewMember{Email: "sam@example.com", Name: "Sam", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	visitor, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		n     store.NewAPIKey
		field string
	}{
		{store.NewAPIKey{Name: ""}, "name"},
		{store.NewAPIKey{Name: strings.Repeat("k", 101)}, "name"},
		{store.NewAPIKey{Name: "k", SiteID: 999}, "site"},
		{store.NewAPIKey{Name: "k", UserID: visitor.ID}, "member"},
		{store.NewAPIKey{Name: "k", UserID: 999}, "member"},
	} {
		c.n.Prefix, c.n.Hash = "kefu_x", auth.TokenHash(auth.NewToken())
		_, err := db.CreateAPIKey(ctx, alex.ID, c.n)
		var ve *chat.ValidationError
		if !errors.As(err, &ve) || ve.Field != c.field {
			t.Errorf("CreateAPIKey(%+v): err = %v, want invalid %s", c.n, err, c.field)
		}
	}
	if keys, _ := db.APIKeys(ctx); len(keys) != 0 {
		t.Fatalf("refused keys were stored: %+v", keys)
	}

	k, secret := newKey(t, db, alex.ID, store.NewAPIKey{Name: "Sam's scripts", UserID: sam.ID})
	if k.UserID != sam.ID || k.UserName != "Sam" {
		t.Fatalf("member's key = %+v", k)
	}
	if _, err := db.AuthenticateAPIKey(ctx, auth.TokenHash(secret), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := db.SetDisabled(ctx, alex.ID, sam.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AuthenticateAPIKey(ctx, auth.TokenHash(secret), time.Now()); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("key of a disabled member: err = %v, want ErrNotFound", err)
	}
	if _, err := db.CreateAPIKey(ctx, alex.ID, store.NewAPIKey{Name: "k", Prefix: "kefu_x", Hash: auth.TokenHash("y"), UserID: sam.ID}); err == nil {
		t.Fatal("created a key for a disabled member")
	}
}

func TestConversationForKeyKeepsToTheKeysReach(t *testing.T) {
	t.Parallel()
	db, alex := newAdmin(t)
	ctx := context.Background()
	shop, blog := addSite(t, db, "Shop"), addSite(t, db, "Blog")
	u, err := db.UpsertExternalUser(ctx, chat.ExternalUser{SiteID: shop, ExternalID: "42", Name: "Lee"})
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: u.ID, Body: "hi", SiteID: shop})
	if err != nil {
		t.Fatal(err)
	}
	shopKey, _ := newKey(t, db, alex.ID, store.NewAPIKey{Name: "shop", SiteID: shop})
	blogKey, _ := newKey(t, db, alex.ID, store.NewAPIKey{Name: "blog", SiteID: blog})
	anyKey, _ := newKey(t, db, alex.ID, store.NewAPIKey{Name: "everything"})
	alexKey, _ := newKey(t, db, alex.ID, store.NewAPIKey{Name: "alex", UserID: alex.ID})
	for _, c := range []struct {
		key  store.APIKey
		sees bool
	}{{shopKey, true}, {anyKey, true}, {blogKey, false}, {alexKey, false}} {
		conv, err := db.ConversationForKey(ctx, m.ConversationID, c.key)
		switch {
		case c.sees && (err != nil || conv.ID != m.ConversationID):
			t.Errorf("key %q: %+v, %v; want the conversation", c.key.Name, conv, err)
		case !c.sees && !errors.Is(err, chat.ErrNotFound):
			t.Errorf("key %q: err = %v, want ErrNotFound", c.key.Name, err)
		}
	}
	// A member's key reaches its member's own conversations.
	d, err := db.StartDirect(ctx, u.ID, alex.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ConversationForKey(ctx, d.ID, alexKey); err != nil {
		t.Fatalf("member's key on its member's direct conversation: %v", err)
	}
	if _, err := db.ConversationForKey(ctx, d.ID, shopKey); err != nil {
		t.Fatalf("site key on a direct conversation of its user: %v", err)
	}
	if _, err := db.ConversationForKey(ctx, d.ID, blogKey); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("another site's key on the direct conversation: err = %v", err)
	}
}
