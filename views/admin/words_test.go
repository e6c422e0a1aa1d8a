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
