// Package config reads kefu's configuration from the environment and checks
// it, so that a bad value stops start-up with one line naming the variable.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/mail"
)

// Config is kefu's validated configuration.
type Config struct {
	// Addr is the host:port to listen on (KEFU_ADDR).
	Addr string
	// DebugAddr is the host:port of the operators' own address
	// (KEFU_DEBUG_ADDR): /metrics and pprof. Empty: neither is served.
	DebugAddr string
	// DatabaseURL names an external PostgreSQL (DATABASE_URL); empty means the embedded one.
	DatabaseURL string
	// DBPool is the most connections to PostgreSQL (KEFU_DB_POOL); 0 means
	// store.DefaultPoolSize. Deliveries to sockets have a share of their own beside it.
	DBPool int
	// GCPercent is the garbage collector's target kefu sets at start:
	// DefaultGCPercent, or 0 when GOGC is set, which the Go runtime has
	// read for itself.
	GCPercent int
	// DataDir holds the embedded PostgreSQL's files (KEFU_DATA_DIR), absolute.
	DataDir string
	// BaseURL is where browsers reach kefu (KEFU_BASE_URL): it goes into widget.js
	// and decides which origin may open WebSockets.
	BaseURL *url.URL
	// BaseURLFromAddr reports that KEFU_BASE_URL was unset and BaseURL was
	// derived from Addr, so that it follows the port actually bound.
	BaseURLFromAddr bool
	// AdminEmail and AdminPassword create the first admin on the first start.
	AdminEmail    string
	AdminPassword string
	// UserPassword is the password `kefu user add` gives (KEFU_USER_PASSWORD).
	UserPassword string
	// Routing's times: how long an agent without a live console stays online
	// (KEFU_OFFLINE_GRACE), how long an assigned chat may go unanswered before it
	// returns to the queue (KEFU_ANSWER_TIMEOUT, 0 = never), and how long a chat
	// waits for the agent it names (KEFU_TARGET_WAIT).
	OfflineGrace  time.Duration
	AnswerTimeout time.Duration
	TargetWait    time.Duration
	// PushQuiet is how long a web push notification waits before it is sent,
	// so that a message read meanwhile sends none (KEFU_PUSH_QUIET, 0 = none).
	PushQuiet time.Duration
	// WebhookPrivate lets webhooks reach receivers on loopback, private and
	// link-local addresses (KEFU_WEBHOOK_PRIVATE=allow), for a host backend on
	// kefu's own network. Off by default, so a webhook cannot probe it.
	WebhookPrivate bool
	// NATSURL names the NATS server(s) that carry the bus between instances
	// (KEFU_NATS_URL, comma-separated); empty means PostgreSQL's LISTEN/NOTIFY.
	NATSURL string
	// Language is what kefu speaks to a reader whose own choice and browser
	// say nothing it speaks (KEFU_LANGUAGE: en or zh-CN; default en).
	Language string
	// MaxUpload is the largest file a person may send, in bytes
	// (KEFU_MAX_UPLOAD: bytes, or with KB or MB; default 20MB).
	MaxUpload int64
	// SMTPURL is the SMTP server emails to visitors go through
	// (KEFU_SMTP_URL: smtp:// with STARTTLS, smtps:// with TLS); nil: email is off.
	SMTPURL *url.URL
	// MailFrom is the emails' sender (KEFU_MAIL_FROM), required with SMTPURL.
	MailFrom string
	// MailQuiet is how long a visitor's widget must have been gone before a
	// reply is emailed to them (KEFU_MAIL_QUIET, from 2m; default 5m).
	MailQuiet time.Duration
	// SMTPListen is the host:port of the inbound listener, which takes
	// visitors' replies by email and delivery reports (KEFU_SMTP_LISTEN);
	// empty: none on this instance. It needs email on.
	SMTPListen string
	// MailReplyDomain is the domain of the reply and bounce addresses the
	// emails carry (KEFU_MAIL_REPLY_DOMAIN; default, with SMTPListen, the
	// domain of MailFrom). Empty: the emails carry none.
	MailReplyDomain string
	// Settings is the JSON file named by KEFU_CONFIG (nil when unset): the
	// uni-im style settings (customer_service_uids, conversation_grade,
	// default_capacity) stored on the very first start.
	Settings []byte
}

// DefaultGCPercent is the garbage collector's target kefu runs with unless
// GOGC sets one: the heap may grow to five times what is live before a
// collection, instead of twice. Each collection takes a share of the CPU
// for tens of milliseconds, and the messages that arrive meanwhile wait; at
// Go's default, under load, that is every half second, and it made most of
// the slowest 1 % of deliveries.
const DefaultGCPercent = 400

// GCPercent is Config.GCPercent, from the environment.
func GCPercent(getenv func(string) string) int {
	if getenv("GOGC") != "" {
		return 0
	}
	return DefaultGCPercent
}

// maxDBPool bounds KEFU_DB_POOL, to catch a slip of the keyboard:
// PostgreSQL itself allows 100 connections by default.
const maxDBPool = 1000

// Error is a configuration error: Var names the variable.
type Error struct {
	Var, Problem string
}

func (e *Error) Error() string { return e.Var + ": " + e.Problem }

// Load builds a Config from getenv and validates every value.
func Load(getenv func(string) string) (Config, error) {
	c := Config{
		Addr:          or(getenv("KEFU_ADDR"), "127.0.0.1:8080"),
		DatabaseURL:   strings.TrimSpace(getenv("DATABASE_URL")),
		AdminEmail:    strings.TrimSpace(getenv("KEFU_ADMIN_EMAIL")),
		AdminPassword: getenv("KEFU_ADMIN_PASSWORD"),
		GCPercent:     GCPercent(getenv),
	}
	host, port, err := splitAddr("KEFU_ADDR", c.Addr)
	if err != nil {
		return c, err
	}
	if c.DebugAddr = strings.TrimSpace(getenv("KEFU_DEBUG_ADDR")); c.DebugAddr != "" {
		if _, _, err := splitAddr("KEFU_DEBUG_ADDR", c.DebugAddr); err != nil {
			return c, err
		}
	}
	if c.DatabaseURL != "" {
		if _, err := pgx.ParseConfig(c.DatabaseURL); err != nil {
			return c, &Error{"DATABASE_URL", "is not a PostgreSQL connection string (postgres://user:pass@host:5432/db)"}
		}
	}
	if v := strings.TrimSpace(getenv("KEFU_DB_POOL")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxDBPool {
			return c, &Error{"KEFU_DB_POOL", fmt.Sprintf("%q is not a number of connections from 1 to %d", v, maxDBPool)}
		}
		c.DBPool = n
	}
	c.Language = or(strings.TrimSpace(getenv("KEFU_LANGUAGE")), i18n.Default)
	if !i18n.Supported(c.Language) {
		codes := make([]string, len(i18n.Languages))
		for i, l := range i18n.Languages {
			codes[i] = l.Code
		}
		return c, &Error{"KEFU_LANGUAGE", fmt.Sprintf("%q is not a language kefu speaks (%s)", c.Language, strings.Join(codes, ", "))}
	}
	dir := or(getenv("KEFU_DATA_DIR"), "data")
	if c.DataDir, err = filepath.Abs(dir); err != nil {
		return c, &Error{"KEFU_DATA_DIR", fmt.Sprintf("%q cannot be made absolute", dir)}
	}
	base := getenv("KEFU_BASE_URL")
	if base == "" {
		c.BaseURLFromAddr = true
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		base = "http://" + net.JoinHostPort(host, port)
	}
	if c.BaseURL, err = parseBaseURL(base); err != nil {
		return c, &Error{"KEFU_BASE_URL", err.Error()}
	}
	if c.AdminEmail != "" {
		if !chat.ValidEmail(c.AdminEmail) {
			return c, &Error{"KEFU_ADMIN_EMAIL", fmt.Sprintf("%q is not an email address", c.AdminEmail)}
		}
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
		def  time.Duration
		min  time.Duration
	}{
		{"KEFU_OFFLINE_GRACE", &c.OfflineGrace, 30 * time.Second, time.Second},
		{"KEFU_ANSWER_TIMEOUT", &c.AnswerTimeout, 3 * time.Minute, 0},
		{"KEFU_TARGET_WAIT", &c.TargetWait, 2 * time.Minute, 0},
		{"KEFU_PUSH_QUIET", &c.PushQuiet, 5 * time.Second, 0},
		{"KEFU_MAIL_QUIET", &c.MailQuiet, 5 * time.Minute, 2 * time.Minute},
	} {
		*d.dst = d.def
		if v := strings.TrimSpace(getenv(d.name)); v != "" {
			n, err := time.ParseDuration(v)
			if err != nil || n < d.min || n > 24*time.Hour {
				return c, &Error{d.name, fmt.Sprintf("%q is not a duration from %v to 24h (for example 30s or 3m)", v, d.min)}
			}
			*d.dst = n
		}
	}
	if c.MaxUpload, err = parseSize(getenv("KEFU_MAX_UPLOAD")); err != nil {
		return c, &Error{"KEFU_MAX_UPLOAD", err.Error()}
	}
	switch v := strings.TrimSpace(getenv("KEFU_WEBHOOK_PRIVATE")); v {
	case "", "deny":
	case "allow":
		c.WebhookPrivate = true
	default:
		return c, &Error{"KEFU_WEBHOOK_PRIVATE", fmt.Sprintf("%q is neither allow nor deny", v)}
	}
	if c.NATSURL = strings.TrimSpace(getenv("KEFU_NATS_URL")); c.NATSURL != "" {
		if _, err := natsHosts(c.NATSURL); err != nil {
			return c, &Error{"KEFU_NATS_URL", err.Error()}
		}
	}
	if err := c.loadMail(getenv); err != nil {
		return c, err
	}
	if c.UserPassword = getenv("KEFU_USER_PASSWORD"); c.UserPassword != "" && len([]rune(c.UserPassword)) < chat.MinPasswordChars {
		return c, &Error{"KEFU_USER_PASSWORD", fmt.Sprintf("is shorter than %d characters", chat.MinPasswordChars)}
	}
	if path := getenv("KEFU_CONFIG"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, &Error{"KEFU_CONFIG", fmt.Sprintf("%q cannot be read: %v", path, errors.Unwrap(err))}
		}
		c.Settings = b
	}
	if c.AdminPassword != "" {
		if c.AdminEmail == "" {
			return c, &Error{"KEFU_ADMIN_PASSWORD", "is set but KEFU_ADMIN_EMAIL is not; set both"}
		}
		if len([]rune(c.AdminPassword)) < chat.MinPasswordChars {
			return c, &Error{"KEFU_ADMIN_PASSWORD", fmt.Sprintf("is shorter than %d characters", chat.MinPasswordChars)}
		}
	}
	return c, nil
}

// Redacted describes c for the log, without secrets.
func (c Config) Redacted() []any {
	db := "embedded"
	if c.DatabaseURL != "" {
		db = "external"
		if cc, err := pgx.ParseConfig(c.DatabaseURL); err == nil {
			db = fmt.Sprintf("%s:%d/%s", cc.Host, cc.Port, cc.Database)
		}
	}
	bus := "postgres"
	if c.NATSURL != "" {
		bus, _ = natsHosts(c.NATSURL)
	}
	attrs := []any{"addr", c.Addr, "base_url", c.BaseURL.String(), "database", db, "data_dir", c.DataDir, "bus", bus}
	if c.DebugAddr != "" {
		attrs = append(attrs, "debug_addr", c.DebugAddr)
	}
	if c.SMTPURL != nil {
		attrs = append(attrs, "smtp", mail.Redacted(c.SMTPURL)) // never its password
	}
	if c.MailReplyDomain != "" {
		attrs = append(attrs, "mail_reply_domain", c.MailReplyDomain)
	}
	return attrs
}

// loadMail reads KEFU_SMTP_URL and KEFU_MAIL_FROM: both, or email is off;
// then, with email on, KEFU_SMTP_LISTEN and KEFU_MAIL_REPLY_DOMAIN.
func (c *Config) loadMail(getenv func(string) string) error {
	raw := strings.TrimSpace(getenv("KEFU_SMTP_URL"))
	if raw == "" {
		for _, name := range []string{"KEFU_SMTP_LISTEN", "KEFU_MAIL_REPLY_DOMAIN"} {
			if strings.TrimSpace(getenv(name)) != "" {
				return &Error{name, "is set but KEFU_SMTP_URL is not: replies come back only to emails kefu sends"}
			}
		}
		return nil
	}
	u, err := mail.ParseServer(raw)
	if err != nil {
		// Said without the value, which may hold a password.
		return &Error{"KEFU_SMTP_URL", err.Error()}
	}
	c.SMTPURL = u
	c.MailFrom = strings.TrimSpace(getenv("KEFU_MAIL_FROM"))
	if c.MailFrom == "" {
		return &Error{"KEFU_MAIL_FROM", "is required with KEFU_SMTP_URL (for example Help <help@example.com>)"}
	}
	if mail.CheckSender(c.MailFrom) != nil {
		return &Error{"KEFU_MAIL_FROM", fmt.Sprintf("%q is not an email address (for example Help <help@example.com>)", c.MailFrom)}
	}
	return c.loadMailBack(getenv)
}

// loadMailBack reads KEFU_SMTP_LISTEN and KEFU_MAIL_REPLY_DOMAIN. The reply
// domain may be set without a listener here: another instance, or a server
// in front, takes the replies.
func (c *Config) loadMailBack(getenv func(string) string) error {
	if c.SMTPListen = strings.TrimSpace(getenv("KEFU_SMTP_LISTEN")); c.SMTPListen != "" {
		if _, _, err := splitAddr("KEFU_SMTP_LISTEN", c.SMTPListen); err != nil {
			return &Error{"KEFU_SMTP_LISTEN", fmt.Sprintf("%q is not host:port (for example 127.0.0.1:2525 or :25)", c.SMTPListen)}
		}
	}
	c.MailReplyDomain = strings.ToLower(strings.TrimSpace(getenv("KEFU_MAIL_REPLY_DOMAIN")))
	if c.MailReplyDomain != "" {
		if !mail.ValidDomain(c.MailReplyDomain) {
			return &Error{"KEFU_MAIL_REPLY_DOMAIN", fmt.Sprintf("%q is not a domain (for example reply.example.com)", c.MailReplyDomain)}
		}
	} else if c.SMTPListen != "" {
		c.MailReplyDomain = mail.SenderDomain(c.MailFrom)
	}
	return nil
}

// maxUpload bounds KEFU_MAX_UPLOAD: files are kept in PostgreSQL, whose
// values stop at 1 GB, and are held in memory while they are checked.
const maxUpload = 256 << 20

// parseSize reads KEFU_MAX_UPLOAD: a number of bytes, or of KB or MB.
func parseSize(v string) (int64, error) {
	given := strings.TrimSpace(v)
	v = strings.ToUpper(given)
	if v == "" {
		return chat.DefaultMaxUpload, nil
	}
	unit := int64(1)
	if n, ok := strings.CutSuffix(v, "MB"); ok {
		v, unit = n, 1<<20
	} else if n, ok := strings.CutSuffix(v, "KB"); ok {
		v, unit = n, 1<<10
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 1 || n > maxUpload/unit {
		return 0, fmt.Errorf("%q is not a size from 1 byte to 256MB (for example 20MB)", given)
	}
	return n * unit, nil
}

// natsHosts checks a list of NATS server URLs, as the NATS client takes it
// (comma-separated; nats:// when the scheme is left out), and returns it
// without credentials, for the log.
func natsHosts(list string) (string, error) {
	var hosts []string
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if !strings.Contains(s, "://") {
			s = "nats://" + s
		}
		u, err := url.Parse(s)
		if err != nil || u.Hostname() == "" || u.Path != "" || !slices.Contains([]string{"nats", "tls", "ws", "wss"}, u.Scheme) {
			return "", fmt.Errorf("%q is not a NATS server URL (for example nats://127.0.0.1:4222)", s)
		}
		hosts = append(hosts, u.Scheme+"://"+u.Host)
	}
	return strings.Join(hosts, ","), nil
}

// splitAddr checks that addr, the value of the variable name, is host:port.
func splitAddr(name, addr string) (host, port string, err error) {
	host, port, err = net.SplitHostPort(addr)
	if err != nil {
		return "", "", &Error{name, fmt.Sprintf("%q is not host:port (for example 127.0.0.1:8080)", addr)}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", "", &Error{name, fmt.Sprintf("port %q is not a number from 0 to 65535", port)}
	}
	return host, port, nil
}

func parseBaseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http or https URL", s)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q must be an origin only, without a path (for example https://help.example.com)", s)
	}
	u.Path = ""
	return u, nil
}

func or(s, def string) string {
	if s = strings.TrimSpace(s); s != "" {
		return s
	}
	return def
}
