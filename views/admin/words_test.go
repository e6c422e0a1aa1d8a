package admin

import (
	"context"
	"testing"
	"time"

	"github.com/kefu-im/kefu/i18n"
)

func TestDatesInTheReadersFormat(t *testing.T) {
	at := time.Date(2026, 12, 1, 18, 35, 7, 0, time.FixedZone("CST", 8*3600))
	for _, c := range []struct {
		lang, dateTime, clock string
	}{
		{"en", "2026-12-01 10:35:07 UTC", "10:35:07 UTC"},
		{"zh-CN", "2026年12月1日 10:35 UTC", "10:35:07 UTC"},
	} {
		ctx := i18n.With(context.Background(), i18n.For(c.lang))
		if got := DateTime(ctx, at); got != c.dateTime {
			t.Errorf("%s: DateTime = %q, want %q", c.lang, got, c.dateTime)
		}
		if got := clock(ctx, at); got != c.clock {
			t.Errorf("%s: clock = %q, want %q", c.lang, got, c.clock)
		}
	}
}

func TestAgoInTheReadersWords(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 35, 0, 0, time.UTC)
	for _, c := range []struct {
		before   time.Duration
		en, zhCN string
	}{
		{10 * time.Second, "just now", "刚刚"},
		{time.Minute, "1 min ago", "1 分钟前"},
		{3 * time.Minute, "3 min ago", "3 分钟前"},
		{5 * time.Hour, "5 h ago", "5 小时前"},
		{30 * time.Hour, "yesterday", "昨天"},
		{10 * 24 * time.Hour, "21 Nov", "11月21日"},
	} {
		for lang, want := range map[string]string{"en": c.en, "zh-CN": c.zhCN} {
			ctx := i18n.With(context.Background(), i18n.For(lang))
			if got := ago(ctx, now.Add(-c.before), now); got != want {
				t.Errorf("%s, %v before: %q, want %q", lang, c.before, got, want)
			}
		}
	}
}

func TestAuditActionsAreDescribed(t *testing.T) {
	zh := i18n.With(context.Background(), i18n.For("zh-CN"))
	if got := auditAction(zh, "setting.update"); got != "修改设置" {
		t.Errorf("setting.update in Chinese: %q", got)
	}
	if got := auditAction(context.Background(), "user.password_reset"); got != "Reset a user's password" {
		t.Errorf("user.password_reset in English: %q", got)
	}
	if got := auditAction(zh, "something.new"); got != "" {
		t.Errorf("an action kefu does not know is described as %q", got)
	}
}
