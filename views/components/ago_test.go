package components

import (
	"context"
	"testing"
	"time"

	"github.com/kefu-im/kefu/i18n"
)

func TestAgoInTheReadersLanguage(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		ago    time.Duration
		en, zh string
	}{
		{10 * time.Second, "just now", "刚刚"},
		{time.Minute, "1 min ago", "1 分钟前"},
		{2 * time.Minute, "2 min ago", "2 分钟前"},
		{59 * time.Minute, "59 min ago", "59 分钟前"},
		{3 * time.Hour, "3 h ago", "3 小时前"},
		{30 * time.Hour, "yesterday", "昨天"},
		{now.Sub(time.Date(2026, 1, 2, 9, 30, 0, 0, time.UTC)), "2 Jan", "1月2日"},
		{now.Sub(time.Date(2026, 11, 28, 9, 30, 0, 0, time.UTC)), "28 Nov", "11月28日"},
	} {
		for lang, want := range map[string]string{"en": c.en, "zh-CN": c.zh} {
			ctx := i18n.With(context.Background(), i18n.For(lang))
			if got := Ago(ctx, now.Add(-c.ago), now); got != want {
				t.Errorf("%s, %v before: %q, want %q", lang, c.ago, got, want)
			}
		}
	}
	if got := Ago(context.Background(), now.Add(-time.Minute), now); got != "1 min ago" {
		t.Errorf("with no reader's language: %q, want the default's", got)
	}
	exact := time.Date(2026, 1, 2, 9, 30, 0, 0, time.UTC)
	for lang, want := range map[string]string{"en": "2026-01-02 09:30 UTC", "zh-CN": "2026年1月2日 09:30 UTC"} {
		if got := Exact(i18n.With(context.Background(), i18n.For(lang)), exact); got != want {
			t.Errorf("%s: exact time %q, want %q", lang, got, want)
		}
	}
}
