package widget

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kefu-im/kefu/i18n"
)

// TestWaitStatusInEachLanguage: a waiting visitor's place in line and the
// estimate are said in the reader's language, with its plural forms.
func TestWaitStatusInEachLanguage(t *testing.T) {
	for _, c := range []struct {
		lang string
		wait Wait
		want []string
	}{
		{"en", Wait{Position: 1, Known: true, Estimate: 40 * time.Second, Anyone: true},
			[]string{"You are number 1 in line.", "Estimated wait: about a minute."}},
		{"en", Wait{Position: 3, Known: true, Estimate: 150 * time.Second, Anyone: true},
			[]string{"You are number 3 in line.", "Estimated wait: about 3 minutes."}},
		{"zh-CN", Wait{Position: 3, Known: true, Estimate: 150 * time.Second, Anyone: true},
			[]string{"您当前排在第 3 位。", "预计等待：约 3 分钟。"}},
		{"zh-CN", Wait{Position: 2, Anyone: false},
			[]string{"目前没有客服在线。请在此留言，客服回来后会尽快回复您。"}},
	} {
		var b strings.Builder
		ctx := i18n.With(context.Background(), i18n.For(c.lang))
		if err := WaitStatus(c.wait).Render(ctx, &b); err != nil {
			t.Fatal(err)
		}
		for _, w := range c.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s %+v: %q lacks %q", c.lang, c.wait, b.String(), w)
			}
		}
	}
}

// TestNobodyThereAnswersByEmailOnlyWhileEmailIsOn: with nobody available,
// the widget promises an answer by email only while email is on.
func TestNobodyThereAnswersByEmailOnlyWhileEmailIsOn(t *testing.T) {
	for _, c := range []struct {
		lang      string
		mail      bool
		email     string // a word for email, said or not
		wantEmail bool
	}{
		{"en", false, "email", false}, {"en", true, "email", true},
		{"zh-CN", false, "邮件", false}, {"zh-CN", true, "邮件", true},
	} {
		var b strings.Builder
		ctx := i18n.With(context.Background(), i18n.For(c.lang))
		if err := WaitStatus(Wait{Position: 1, Mail: c.mail}).Render(ctx, &b); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(b.String(), c.email); got != c.wantEmail {
			t.Errorf("%s, email on %v: %q; says %q: %v, want %v", c.lang, c.mail, b.String(), c.email, got, c.wantEmail)
		}
	}
}

// TestAttachIsDrawn: the widget's attach button is a picture drawn in the
// page, not a character that needs an emoji font, and its words are the
// file input's label in the reader's language.
func TestAttachIsDrawn(t *testing.T) {
	for lang, want := range map[string]string{"en": `aria-label="Attach a file"`, "zh-CN": `aria-label="` + i18n.For("zh-CN").T("widget.attach") + `"`} {
		var b strings.Builder
		ctx := i18n.With(context.Background(), i18n.For(lang))
		if err := Page(Props{}).Render(ctx, &b); err != nil {
			t.Fatal(err)
		}
		page := b.String()
		start := strings.Index(page, `data-testid="attach"`)
		end := strings.Index(page[max(start, 0):], "</label>")
		if start < 0 || end < 0 {
			t.Fatalf("%s: no attach button in %q", lang, page)
		}
		button := page[start : start+end]
		if !strings.Contains(button, "<svg") || !strings.Contains(button, want) || strings.Contains(button, "📎") {
			t.Errorf("%s: the attach button is %q, want a drawn paperclip and %s", lang, button, want)
		}
	}
}
