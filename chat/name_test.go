package chat

import (
	"testing"

	"github.com/kefu-im/kefu/i18n"
)

func TestNameIn(t *testing.T) {
	for _, c := range []struct{ lang, name, want string }{
		{"en", VisitorName(12), "Visitor #12"},
		{"zh-CN", VisitorName(12), "访客 #12"},
		{"zh-CN", "李雷", "李雷"},
		{"zh-CN", "Visitor #twelve", "Visitor #twelve"},
	} {
		if got := NameIn(i18n.For(c.lang), c.name); got != c.want {
			t.Errorf("NameIn(%s, %q) = %q, want %q", c.lang, c.name, got, c.want)
		}
	}
}
