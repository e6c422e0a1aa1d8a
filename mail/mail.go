// Package mail sends kefu's emails to visitors through an SMTP server
// (KEFU_SMTP_URL). The store enqueues an email in the transaction of an
// agent's reply in a support chat whose visitor gave an address; a worker on
// every instance leases due ones from the outbox in PostgreSQL, checks that
// each is still needed, writes it (HTML and plain text, in the visitor's
// language) and hands it to the server. The outbox holds facts; the words
// and the address are read when an email is sent.
//
// An email waits out a quiet period first, so that a visitor still in the
// widget reads the reply there; when it falls due it is cancelled if the
// visitor read the replies, unsubscribed or was disabled. If their widget
// was seen within the period but the replies are unread, it waits until
// the widget has been gone for the quiet period. A 4xx answer is tried again after a
// backoff; a 5xx answer fails the email for good, shown on the admin page.
//
// The same outbox carries transcripts (a support chat, whole, asked for by
// its visitor or an agent: transcript.go) and digests (the conversations a
// member with no push device left unread: digest.go).
//
// Email comes back through Inbound (inbound.go): replies to an email's
// signed reply address join its conversation, and delivery reports to its
// signed bounce address mark it bounced.
package mail

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/outbox"
	"github.com/kefu-im/kefu/store"
)

// Config holds the worker's server, times and limits.
type Config struct {
	// Config is the outbox's: by default a poll every 5 s, leases of 2
	// minutes, attempts of 30 s at most, batches of 8, 8 attempts, finished
	// emails kept 30 days, and a quiet period of 5 minutes, which a visitor's
	// widget must have been gone for. Unlike the other fields, a zero Quiet
	// means zero.
	outbox.Config
	// Server is the SMTP server (KEFU_SMTP_URL): smtp://user:pass@host:587
	// speaks STARTTLS, smtps://user:pass@host:465 TLS from the start.
	Server *url.URL
	// From is the sender (KEFU_MAIL_FROM): an address, with a name or not.
	From string
	// BaseURL is where browsers reach kefu: the links emails carry.
	BaseURL *url.URL
	// Language is what emails speak to a visitor whose widget said no
	// language (the instance's; "": i18n.Default).
	Language string
	// ReplyDomain, when set, is the domain of the reply and bounce
	// addresses every email carries (reply+…@, bounce+…@), which a server
	// delivers to kefu's inbound listener (see Inbound). Empty: the emails
	// carry none, and a reply goes to From.
	ReplyDomain string
	// TLS, when set, is the TLS configuration of connections to the server
	// (its ServerName is filled in): tests trust their server's certificate.
	TLS *tls.Config
	// DigestAfter is how long a message stays unread before a digest tells
	// a member with no push device of it (zero: an hour); DigestEvery, the
	// least time between two digests to one member (zero: a day).
	DigestAfter, DigestEvery time.Duration
}

// DefaultConfig is how kefu sends email.
var DefaultConfig = Config{Config: outbox.Config{Name: "mail", Poll: 5 * time.Second, Lease: 2 * time.Minute,
	Timeout: 30 * time.Second, Batch: 8, MaxAttempts: 8, Keep: 30 * 24 * time.Hour, Quiet: 5 * time.Minute,
	Backoff: Backoff, Now: time.Now}, DigestAfter: time.Hour, DigestEvery: 24 * time.Hour}

// Backoff doubles from 1 minute after each failed attempt (1, 2, 4 …
// minutes) up to 2 hours, with ±20% jitter: a server that answers 4xx
// (greylisting, a full mailbox) asks for minutes, not seconds.
func Backoff(n int) time.Duration { return outbox.Backoff(n, time.Minute, 2*time.Hour) }

// ErrBadAddress is an email address kefu does not write to: one that
// net/mail cannot parse, or that holds more than an address (a name, line
// breaks that would start headers of their own).
var ErrBadAddress = errors.New("mail: not an email address")

// CheckAddress returns ErrBadAddress unless s is a bare email address.
func CheckAddress(s string) error {
	if !chat.ValidEmail(s) {
		return ErrBadAddress
	}
	return nil
}

// CheckSender returns ErrBadAddress unless s is an address, with a name or
// not (KEFU_MAIL_FROM: "Help <help@example.com>").
func CheckSender(s string) error {
	if strings.ContainsAny(s, "\r\n") {
		return ErrBadAddress
	}
	if _, err := netmail.ParseAddress(s); err != nil {
		return ErrBadAddress
	}
	return nil
}

// Outbox is what the worker needs of the store.
type Outbox interface {
	SetMailQuiet(ctx context.Context, quiet time.Duration) error
	SetMailDigest(ctx context.Context, after, every time.Duration) error
	SeedMailSecret(ctx context.Context, secret string) (string, error)
	ClaimMails(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.DueMail, error)
	FinishMail(ctx context.Context, d store.DueMail, o outbox.Outcome, failed bool) error
	PurgeMails(ctx context.Context, before time.Time) error
	MessagesAfter(ctx context.Context, conversationID, afterSeq int64, limit int, reader chat.Reader) ([]chat.Message, error)
	MissedConversations(ctx context.Context, memberID int64, before time.Time, limit int) ([]chat.Summary, error)
}

// Worker sends due emails. Every instance with email on runs one; they
// share the outbox through leases.
type Worker struct {
	*outbox.Worker[store.DueMail]
	c     *courier
	quiet time.Duration
}

// NewWorker returns a worker over ob. Fields of cfg left zero take
// DefaultConfig's values, except Quiet. cfg.Server and cfg.From are required.
func NewWorker(ob Outbox, cfg Config, logger *slog.Logger) (*Worker, error) {
	oc := cfg.Config.Or(DefaultConfig.Config)
	if err := CheckSender(cfg.From); err != nil {
		return nil, err
	}
	opts, err := clientOptions(cfg.Server, cfg.TLS, oc.Timeout)
	if err != nil {
		return nil, err
	}
	c := &courier{Outbox: ob, opts: opts, host: cfg.Server.Hostname(), from: cfg.From, base: cfg.BaseURL,
		replyDomain: cfg.ReplyDomain, language: cmp.Or(cfg.Language, i18n.Default), now: oc.Now,
		digestAfter: cmp.Or(cfg.DigestAfter, DefaultConfig.DigestAfter), digestEvery: cmp.Or(cfg.DigestEvery, DefaultConfig.DigestEvery)}
	return &Worker{Worker: outbox.New[store.DueMail](c, oc, logger), c: c, quiet: oc.Quiet}, nil
}

// Prepare readies the database for sending: it makes the key that signs
// the links on the very first start, and stores the digests' times and the
// quiet period, which turns enqueueing on for every instance.
func (w *Worker) Prepare(ctx context.Context) error {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	secret, err := w.c.SeedMailSecret(ctx, hex.EncodeToString(b))
	if err != nil {
		return err
	}
	w.c.secret = secret
	if err := w.c.SetMailDigest(ctx, w.c.digestAfter, w.c.digestEvery); err != nil {
		return err
	}
	return w.c.SetMailQuiet(ctx, w.quiet)
}

// clientOptions are the go-mail options that reach server: STARTTLS,
// required, for smtp://; TLS from the start for smtps://; its user and
// password, if it names them, offered with the best mechanism it announces.
func clientOptions(server *url.URL, tlsConf *tls.Config, timeout time.Duration) ([]gomail.Option, error) {
	if server == nil {
		return nil, errors.New("mail: no SMTP server")
	}
	port, err := serverPort(server)
	if err != nil {
		return nil, err
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if tlsConf != nil {
		conf = tlsConf.Clone()
	}
	conf.ServerName = server.Hostname()
	opts := []gomail.Option{gomail.WithPort(port), gomail.WithTimeout(timeout), gomail.WithTLSConfig(conf)}
	if server.Scheme == "smtps" {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if user := server.User.Username(); user != "" {
		pass, _ := server.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(user), gomail.WithPassword(pass))
	}
	return opts, nil
}

// ParseServer checks a KEFU_SMTP_URL: smtp:// or smtps://, a host, and a
// port or none (587 for smtp, 465 for smtps), without a path.
func ParseServer(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" || (u.Path != "" && u.Path != "/") {
		return nil, errors.New("is not an SMTP server URL (for example smtp://user:pass@mail.example.com:587 or smtps://…:465)")
	}
	if _, err := serverPort(u); err != nil {
		return nil, err
	}
	return u, nil
}

func serverPort(u *url.URL) (int, error) {
	p := u.Port()
	if p == "" {
		if u.Scheme == "smtps" {
			return 465, nil
		}
		return 587, nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %q is not a number from 1 to 65535", p)
	}
	return n, nil
}

// Redacted is server as the log may show it: without its password.
func Redacted(server *url.URL) string {
	if server == nil {
		return ""
	}
	port, _ := serverPort(server)
	return server.Scheme + "://" + net.JoinHostPort(server.Hostname(), strconv.Itoa(port))
}
