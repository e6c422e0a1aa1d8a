package config

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs("data")
	if c.Addr != "127.0.0.1:8080" || c.DatabaseURL != "" || c.DataDir != abs || c.BaseURL.String() != "http://127.0.0.1:8080" ||
		c.OfflineGrace != 30*time.Second || c.AnswerTimeout != 3*time.Minute || c.TargetWait != 2*time.Minute || c.PushQuiet != 5*time.Second {
		t.Fatalf("defaults = %+v", c)
	}
}

func TestLoadValues(t *testing.T) {
	c, err := Load(env(map[string]string{
		"KEFU_ADDR":           "0.0.0.0:9000",
		"DATABASE_URL":        "postgres://kefu:pw@db:5432/kefu",
		"KEFU_DATA_DIR":       "/var/lib/kefu",
		"KEFU_ADMIN_EMAIL":    "ops@example.com",
		"KEFU_ADMIN_PASSWORD": "correct horse",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL.String() != "http://127.0.0.1:9000" || c.DataDir != "/var/lib/kefu" || c.AdminEmail != "ops@example.com" {
		t.Fatalf("got %+v", c)
	}
	c, err = Load(env(map[string]string{"KEFU_ANSWER_TIMEOUT": "0", "KEFU_OFFLINE_GRACE": "2s"}))
	if err != nil || c.AnswerTimeout != 0 || c.OfflineGrace != 2*time.Second {
		t.Fatalf("routing times = %v, %v, %v", c.AnswerTimeout, c.OfflineGrace, err)
	}
	c, err = Load(env(map[string]string{"KEFU_PUSH_QUIET": "0"}))
	if err != nil || c.PushQuiet != 0 {
		t.Fatalf("push quiet 0 = %v, %v", c.PushQuiet, err)
	}
	c, err = Load(env(map[string]string{"KEFU_PUSH_QUIET": "30s"}))
	if err != nil || c.PushQuiet != 30*time.Second {
		t.Fatalf("push quiet 30s = %v, %v", c.PushQuiet, err)
	}
	if c.WebhookPrivate {
		t.Fatal("webhooks reach private addresses by default")
	}
	if c.DebugAddr != "" {
		t.Fatalf("debug address %q by default, want none", c.DebugAddr)
	}
	c, err = Load(env(map[string]string{"KEFU_DEBUG_ADDR": "127.0.0.1:6060"}))
	if err != nil || c.DebugAddr != "127.0.0.1:6060" {
		t.Fatalf("KEFU_DEBUG_ADDR = %q, %v", c.DebugAddr, err)
	}
	if c.DBPool != 0 {
		t.Fatalf("pool of %d by default, want the store's default", c.DBPool)
	}
	if c.GCPercent != DefaultGCPercent {
		t.Fatalf("GC target %d by default, want %d", c.GCPercent, DefaultGCPercent)
	}
	if c, err = Load(env(map[string]string{"GOGC": "100"})); err != nil || c.GCPercent != 0 {
		t.Fatalf("with GOGC set, kefu sets a GC target of %d (%v), want none", c.GCPercent, err)
	}
	c, err = Load(env(map[string]string{"KEFU_DB_POOL": "16"}))
	if err != nil || c.DBPool != 16 {
		t.Fatalf("KEFU_DB_POOL = %d, %v", c.DBPool, err)
	}
	c, err = Load(env(map[string]string{"KEFU_WEBHOOK_PRIVATE": "allow"}))
	if err != nil || !c.WebhookPrivate {
		t.Fatalf("KEFU_WEBHOOK_PRIVATE=allow: %v, %v", c.WebhookPrivate, err)
	}
	c, err = Load(env(map[string]string{"KEFU_BASE_URL": "https://help.example.com/"}))
	if err != nil || c.BaseURL.String() != "https://help.example.com" {
		t.Fatalf("base url = %v, %v", c.BaseURL, err)
	}
}

func TestLoadNATSURL(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.NATSURL != "" {
		t.Fatalf("KEFU_NATS_URL unset: %q, %v; want the PostgreSQL bus", c.NATSURL, err)
	}
	const list = "nats://kefu:secret@nats-1:4222, nats-2:4222"
	c, err = Load(env(map[string]string{"KEFU_NATS_URL": list}))
	if err != nil || c.NATSURL != list {
		t.Fatalf("KEFU_NATS_URL = %q, %v; want %q", c.NATSURL, err, list)
	}
	// The log names the servers, without their credentials.
	r := c.Redacted()
	if i := slices.Index(r, any("bus")); i < 0 || r[i+1] != "nats://nats-1:4222,nats://nats-2:4222" {
		t.Fatalf("Redacted() = %v", r)
	}
}

func TestLoadMaxUpload(t *testing.T) {
	for v, want := range map[string]int64{"": 20 << 20, "5MB": 5 << 20, "512kb": 512 << 10, "100000": 100000} {
		c, err := Load(env(map[string]string{"KEFU_MAX_UPLOAD": v}))
		if err != nil || c.MaxUpload != want {
			t.Errorf("KEFU_MAX_UPLOAD=%q: %d, %v; want %d", v, c.MaxUpload, err, want)
		}
	}
}

func TestLoadMail(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.SMTPURL != nil || c.MailQuiet != 5*time.Minute {
		t.Fatalf("without KEFU_SMTP_URL: %v, %v, %v; want email off", c.SMTPURL, c.MailQuiet, err)
	}
	c, err = Load(env(map[string]string{"KEFU_SMTP_URL": "smtps://u:hunter2@mail.example.com", "KEFU_MAIL_FROM": "Help <help@example.com>",
		"KEFU_MAIL_QUIET": "10m"}))
	if err != nil || c.SMTPURL.Host != "mail.example.com" || c.MailFrom != "Help <help@example.com>" || c.MailQuiet != 10*time.Minute {
		t.Fatalf("with KEFU_SMTP_URL: %+v, %v", c, err)
	}
	for _, a := range c.Redacted() {
		if s, ok := a.(string); ok && strings.Contains(s, "hunter2") {
			t.Errorf("the log would show the SMTP password: %v", c.Redacted())
		}
	}
	if c.SMTPListen != "" || c.MailReplyDomain != "" {
		t.Errorf("without KEFU_SMTP_LISTEN: listen %q, reply domain %q; want neither", c.SMTPListen, c.MailReplyDomain)
	}
	mailOn := map[string]string{"KEFU_SMTP_URL": "smtp://mail.example.com", "KEFU_MAIL_FROM": "Help <Help@Example.COM>",
		"KEFU_SMTP_LISTEN": ":2525"}
	if c, err = Load(env(mailOn)); err != nil || c.SMTPListen != ":2525" || c.MailReplyDomain != "example.com" {
		t.Errorf("KEFU_SMTP_LISTEN alone: %q, %q, %v; want the reply domain of KEFU_MAIL_FROM", c.SMTPListen, c.MailReplyDomain, err)
	}
	mailOn["KEFU_MAIL_REPLY_DOMAIN"] = "Reply.Example.com"
	if c, err = Load(env(mailOn)); err != nil || c.MailReplyDomain != "reply.example.com" {
		t.Errorf("KEFU_MAIL_REPLY_DOMAIN: %q, %v", c.MailReplyDomain, err)
	}
	delete(mailOn, "KEFU_SMTP_LISTEN") // another instance listens
	if c, err = Load(env(mailOn)); err != nil || c.SMTPListen != "" || c.MailReplyDomain != "reply.example.com" {
		t.Errorf("KEFU_MAIL_REPLY_DOMAIN without a listener: %q, %q, %v", c.SMTPListen, c.MailReplyDomain, err)
	}
	_, err = Load(env(map[string]string{"KEFU_SMTP_URL": "smtp://u:hunter2@mail.example.com:99999", "KEFU_MAIL_FROM": "a@b.co"}))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("a bad KEFU_SMTP_URL: %v; want an error without the password", err)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, wantVar string
		env           map[string]string
	}{
		{"addr without port", "KEFU_ADDR", map[string]string{"KEFU_ADDR": "localhost"}},
		{"addr bad port", "KEFU_ADDR", map[string]string{"KEFU_ADDR": "127.0.0.1:http"}},
		{"addr port too big", "KEFU_ADDR", map[string]string{"KEFU_ADDR": "127.0.0.1:70000"}},
		{"debug addr without port", "KEFU_DEBUG_ADDR", map[string]string{"KEFU_DEBUG_ADDR": "localhost"}},
		{"debug addr bad port", "KEFU_DEBUG_ADDR", map[string]string{"KEFU_DEBUG_ADDR": "127.0.0.1:pprof"}},
		{"database url", "DATABASE_URL", map[string]string{"DATABASE_URL": "postgres://%zz"}},
		{"base url scheme", "KEFU_BASE_URL", map[string]string{"KEFU_BASE_URL": "ftp://example.com"}},
		{"base url relative", "KEFU_BASE_URL", map[string]string{"KEFU_BASE_URL": "/kefu"}},
		{"base url with path", "KEFU_BASE_URL", map[string]string{"KEFU_BASE_URL": "https://example.com/help"}},
		{"admin email", "KEFU_ADMIN_EMAIL", map[string]string{"KEFU_ADMIN_EMAIL": "not-an-email"}},
		{"admin email with name", "KEFU_ADMIN_EMAIL", map[string]string{"KEFU_ADMIN_EMAIL": "Ops <ops@example.com>"}},
		{"password without email", "KEFU_ADMIN_PASSWORD", map[string]string{"KEFU_ADMIN_PASSWORD": "long enough"}},
		{"short password", "KEFU_ADMIN_PASSWORD", map[string]string{"KEFU_ADMIN_EMAIL": "a@b.co", "KEFU_ADMIN_PASSWORD": "short"}},
		{"short user password", "KEFU_USER_PASSWORD", map[string]string{"KEFU_USER_PASSWORD": "short"}},
		{"grace not a duration", "KEFU_OFFLINE_GRACE", map[string]string{"KEFU_OFFLINE_GRACE": "30"}},
		{"grace too short", "KEFU_OFFLINE_GRACE", map[string]string{"KEFU_OFFLINE_GRACE": "10ms"}},
		{"negative answer timeout", "KEFU_ANSWER_TIMEOUT", map[string]string{"KEFU_ANSWER_TIMEOUT": "-1m"}},
		{"target wait too long", "KEFU_TARGET_WAIT", map[string]string{"KEFU_TARGET_WAIT": "48h"}},
		{"push quiet not a duration", "KEFU_PUSH_QUIET", map[string]string{"KEFU_PUSH_QUIET": "5"}},
		{"negative push quiet", "KEFU_PUSH_QUIET", map[string]string{"KEFU_PUSH_QUIET": "-1s"}},
		{"push quiet too long", "KEFU_PUSH_QUIET", map[string]string{"KEFU_PUSH_QUIET": "25h"}},
		{"nats url scheme", "KEFU_NATS_URL", map[string]string{"KEFU_NATS_URL": "http://127.0.0.1:4222"}},
		{"nats url without host", "KEFU_NATS_URL", map[string]string{"KEFU_NATS_URL": "nats://:4222"}},
		{"nats url with path", "KEFU_NATS_URL", map[string]string{"KEFU_NATS_URL": "nats://127.0.0.1:4222/kefu"}},
		{"nats url list with a bad one", "KEFU_NATS_URL", map[string]string{"KEFU_NATS_URL": "nats://a:4222,%zz"}},
		{"pool not a number", "KEFU_DB_POOL", map[string]string{"KEFU_DB_POOL": "many"}},
		{"empty pool", "KEFU_DB_POOL", map[string]string{"KEFU_DB_POOL": "0"}},
		{"pool too large", "KEFU_DB_POOL", map[string]string{"KEFU_DB_POOL": "5000"}},
		{"upload size not a number", "KEFU_MAX_UPLOAD", map[string]string{"KEFU_MAX_UPLOAD": "big"}},
		{"upload size zero", "KEFU_MAX_UPLOAD", map[string]string{"KEFU_MAX_UPLOAD": "0MB"}},
		{"upload size too large", "KEFU_MAX_UPLOAD", map[string]string{"KEFU_MAX_UPLOAD": "2000MB"}},
		{"upload size in GB", "KEFU_MAX_UPLOAD", map[string]string{"KEFU_MAX_UPLOAD": "1GB"}},
		{"smtp url scheme", "KEFU_SMTP_URL", map[string]string{"KEFU_SMTP_URL": "http://mail.example.com", "KEFU_MAIL_FROM": "a@b.co"}},
		{"smtp url without from", "KEFU_MAIL_FROM", map[string]string{"KEFU_SMTP_URL": "smtp://u:p@mail.example.com"}},
		{"mail from with a line break", "KEFU_MAIL_FROM", map[string]string{"KEFU_SMTP_URL": "smtp://mail.example.com",
			"KEFU_MAIL_FROM": "a@b.co\r\nBcc: eve@example.org"}},
		{"mail quiet too short", "KEFU_MAIL_QUIET", map[string]string{"KEFU_MAIL_QUIET": "30s"}},
		{"smtp listen without email", "KEFU_SMTP_LISTEN", map[string]string{"KEFU_SMTP_LISTEN": "127.0.0.1:2525"}},
		{"reply domain without email", "KEFU_MAIL_REPLY_DOMAIN", map[string]string{"KEFU_MAIL_REPLY_DOMAIN": "reply.example.com"}},
		{"smtp listen without port", "KEFU_SMTP_LISTEN", map[string]string{"KEFU_SMTP_URL": "smtp://mail.example.com",
			"KEFU_MAIL_FROM": "a@b.co", "KEFU_SMTP_LISTEN": "localhost"}},
		{"smtp listen port too big", "KEFU_SMTP_LISTEN", map[string]string{"KEFU_SMTP_URL": "smtp://mail.example.com",
			"KEFU_MAIL_FROM": "a@b.co", "KEFU_SMTP_LISTEN": ":70000"}},
		{"reply domain with an at", "KEFU_MAIL_REPLY_DOMAIN", map[string]string{"KEFU_SMTP_URL": "smtp://mail.example.com",
			"KEFU_MAIL_FROM": "a@b.co", "KEFU_MAIL_REPLY_DOMAIN": "help@example.com"}},
		{"reply domain with a line break", "KEFU_MAIL_REPLY_DOMAIN", map[string]string{"KEFU_SMTP_URL": "smtp://mail.example.com",
			"KEFU_MAIL_FROM": "a@b.co", "KEFU_MAIL_REPLY_DOMAIN": "example.com\r\nBcc: eve@example.org"}},
		{"webhook private neither allow nor deny", "KEFU_WEBHOOK_PRIVATE", map[string]string{"KEFU_WEBHOOK_PRIVATE": "yes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(tt.env))
			var ce *Error
			if !errors.As(err, &ce) || ce.Var != tt.wantVar || ce.Problem == "" {
				t.Fatalf("Load() error = %v, want a config error naming %s", err, tt.wantVar)
			}
		})
	}
}
