package store_test

import (
	"context"
	"testing"

	"github.com/kefu-im/kefu/chat"
)

// TestSiteKeepsItsLanguage: the language a site fixes for its widget is
// stored with it, read back by every read of sites, and cleared again.
func TestSiteKeepsItsLanguage(t *testing.T) {
	t.Parallel()
	db, alex := newAdmin(t)
	ctx := context.Background()
	s, err := db.CreateSite(ctx, alex.ID, chat.Site{Name: "店铺", Origins: []string{"https://shop.example.com"}, Language: "zh-CN"}, "secret")
	if err != nil {
		t.Fatal(err)
	}
	if s.Language != "zh-CN" {
		t.Fatalf("the new site's language is %q, want zh-CN", s.Language)
	}
	got, err := db.Site(ctx, s.ID)
	if err != nil || got.Language != "zh-CN" || got.Name != "店铺" {
		t.Fatalf("Site = %+v, %v; want it in zh-CN", got, err)
	}
	s.Language = ""
	if _, err := db.UpdateSite(ctx, alex.ID, s); err != nil {
		t.Fatal(err)
	}
	sites, err := db.Sites(ctx)
	if err != nil || len(sites) != 1 || sites[0].Language != "" {
		t.Fatalf("Sites = %+v, %v; want the site following each visitor's browser", sites, err)
	}
	s.Language = "en"
	if _, err := db.UpdateSite(ctx, alex.ID, s); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Site(ctx, s.ID); err != nil || got.Language != "en" {
		t.Fatalf("Site = %+v, %v; want it in en", got, err)
	}
	s.Language = "fr"
	if _, err := db.UpdateSite(ctx, alex.ID, s); err == nil {
		t.Fatal("a language kefu does not speak was stored")
	}
}
