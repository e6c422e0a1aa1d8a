// Package push sends web push notifications to members whose console is
// closed. The store enqueues a notification in the transaction of the change
// it reports (a chat assigned, a message, a chat joining the queue); a worker
// on every instance leases due ones from the outbox in PostgreSQL, checks that
// each is still needed, and sends it encrypted (RFC 8291) and signed with the
// VAPID keys (RFC 8292) to the browser's push service. The outbox holds
// facts (what happened, where, for whom); the words a person reads are
// written here, when a notification is sent. The keys are made (by
// webpush-go) and rotated here too; the store only keeps them. A VAPID token
// is signed once per push service and reused for hours (webpush.go).
//
// A notification waits out a quiet period first, so that a message read at
// once sends nothing; when it falls due it is cancelled if its recipient has
// a console open, has read the message, muted the conversation or is away.
package push

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"

	"github.com/kefu-im/kefu/egress"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/outbox"
	"github.com/kefu-im/kefu/store"
)

// Config holds the worker's times and limits.
type Config struct {
	// Config is the outbox's: by default a poll each second, leases of
	// 30 s, requests of 10 s at most, batches of 32, 10 attempts, sent and
	// cancelled notifications kept 2 days, and a quiet period of 5 s, so
	// that a message read meanwhile sends none. Unlike the other fields, a
	// zero Quiet means zero: no quiet period.
	outbox.Config
	// Grace is how long a console socket counts as open after it was last
	// seen (30 s): routing's grace period. An open console gets no notifications.
	Grace time.Duration
	// Subscriber is the contact push services see in the VAPID token, an
	// email address without "mailto:" or an https URL; by default "kefu@"
	// and BaseURL's host.
	Subscriber string
	// BaseURL is where browsers reach kefu.
	BaseURL *url.URL
	// AllowPrivate lets the worker connect to push services on loopback,
	// private or link-local addresses. Off (the default), such an address
	// is refused when connecting, whatever name led to it, so that a
	// subscription cannot make kefu post into its own network.
	AllowPrivate bool
	// Language is what notifications speak to a recipient who chose no
	// language of their own: the instance's (KEFU_LANGUAGE; "": i18n.Default).
	Language string
}

// DefaultConfig is how kefu sends notifications.
var DefaultConfig = Config{Config: outbox.Config{Name: "push", Poll: time.Second, Lease: 30 * time.Second,
	Timeout: 10 * time.Second, Batch: 32, MaxAttempts: 10, Keep: 48 * time.Hour, Quiet: 5 * time.Second,
	Backoff: Backoff, Now: time.Now}, Grace: 30 * time.Second}

// Backoff doubles from 2 s after each failed attempt (2 s, 4 s, 8 s …) up to
// 10 minutes, with ±20% jitter so that retries after a push service's outage
// do not all arrive at once.
func Backoff(n int) time.Duration { return outbox.Backoff(n, 2*time.Second, 10*time.Minute) }

// maxRetryAfter bounds how long a push service's Retry-After may hold a notification back.
const maxRetryAfter = time.Hour

// Outbox is what the worker needs of the store.
type Outbox interface {
	KeyStore
	SetPushQuiet(ctx context.Context, quiet time.Duration) error
	ClaimPushes(ctx context.Context, now time.Time, grace, lease time.Duration, limit int) ([]store.DuePush, error)
	FinishPushes(ctx context.Context, due []store.DuePush, outcomes []outbox.Outcome) error
	ExpirePushSubscription(ctx context.Context, id int64) error
	PurgePushes(ctx context.Context, before time.Time) error
}

// Worker sends due notifications. Every instance runs one; they share the
// outbox through leases, and none keeps state that decides anything.
type Worker struct {
	*outbox.Worker[due]
	db    Outbox
	quiet time.Duration
}

// NewWorker returns a worker over ob. Fields of cfg left zero take
// DefaultConfig's values, except Quiet.
func NewWorker(ob Outbox, cfg Config, logger *slog.Logger) *Worker {
	oc := cfg.Config.Or(DefaultConfig.Config)
	if cfg.Subscriber == "" {
		cfg.Subscriber = "kefu@localhost"
		if cfg.BaseURL != nil && cfg.BaseURL.Hostname() != "" {
			cfg.Subscriber = "kefu@" + cfg.BaseURL.Hostname()
		}
	}
	transport := egress.Transport(cfg.AllowPrivate)
	// A round's requests mostly go to one or two push services: keep a
	// connection for each request that may run at once.
	transport.MaxIdleConnsPerHost = oc.Batch
	client := &http.Client{
		Transport: transport,
		Timeout:   oc.Timeout,
		// A push service answers; it does not send us elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	c := &courier{Outbox: ob, client: client, logger: logger, subscriber: cfg.Subscriber,
		grace: cmp.Or(cfg.Grace, DefaultConfig.Grace), timeout: oc.Timeout, now: oc.Now,
		language: cmp.Or(cfg.Language, i18n.Default)}
	return &Worker{Worker: outbox.New(c, oc, logger), db: ob, quiet: oc.Quiet}
}

// Prepare readies the database for sending: it generates the VAPID keys on
// the very first start, and stores the quiet period, which every instance
// applies when it enqueues.
func (w *Worker) Prepare(ctx context.Context) error {
	if _, err := EnsureKeys(ctx, w.db); err != nil {
		return err
	}
	return w.db.SetPushQuiet(ctx, w.quiet)
}

// due is a claimed notification with the signer of the keys to sign it with.
type due struct {
	store.DuePush
	signer *signer
}

// courier sends push_outbox's notifications for outbox.Worker.
type courier struct {
	Outbox
	client     *http.Client
	logger     *slog.Logger
	subscriber string
	grace      time.Duration
	timeout    time.Duration
	now        func() time.Time
	language   string // of a recipient who chose none

	mu     sync.Mutex
	signer *signer // of the keys as last read
}

func (c *courier) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]due, error) {
	claimed, err := c.ClaimPushes(ctx, now, c.grace, lease, limit)
	if err != nil || len(claimed) == 0 {
		return nil, err
	}
	signer, err := c.signerOf(ctx, claimed[0].VAPIDPublic)
	if err != nil {
		return nil, err // the leases expire and the notifications are claimed again
	}
	out := make([]due, len(claimed))
	for i, d := range claimed {
		out[i] = due{d, signer}
	}
	return out, nil
}

// signerOf returns the signer of the stored key pair whose public key is
// public, the one the round's claim saw: the pair is read again only when
// an admin rotated it.
func (c *courier) signerOf(ctx context.Context, public string) (*signer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if public != "" && c.signer != nil && c.signer.keys.Public == public {
		return c.signer, nil
	}
	keys, err := LoadKeys(ctx, c)
	if err != nil {
		return nil, err
	}
	s, err := newSigner(keys, c.subscriber, c.now)
	if err != nil {
		return nil, err
	}
	c.signer = s
	return s, nil
}

func (c *courier) Record(ctx context.Context, d due, o outbox.Outcome) error {
	return c.FinishPushes(ctx, []store.DuePush{d.DuePush}, []outbox.Outcome{o})
}

// RecordGroup records the outcomes of a round's attempts that came
// together, in one statement.
func (c *courier) RecordGroup(ctx context.Context, items []due, outcomes []outbox.Outcome) error {
	pushes := make([]store.DuePush, len(items))
	for i, d := range items {
		pushes[i] = d.DuePush
	}
	return c.FinishPushes(ctx, pushes, outcomes)
}

func (c *courier) Purge(ctx context.Context, before time.Time) error {
	return c.PurgePushes(ctx, before)
}

func (c *courier) Describe(d due) (int, []any) {
	return d.Attempts, []any{"push_id", d.ID, "subscription_id", d.SubscriptionID, "user_id", d.UserID,
		"conversation_id", d.ConversationID, "kind", d.Kind}
}

// unneeded says why d is no longer worth sending, or "" if it still is.
func unneeded(d store.DuePush) string {
	switch {
	case d.Disabled:
		return "the recipient was disabled"
	case d.Away:
		return "the recipient is away"
	case d.Muted:
		return "the conversation is muted"
	case d.Live:
		return "the recipient has the console open"
	case d.Read:
		return "the message was read"
	case d.Stale:
		return "the chat moved on"
	}
	return ""
}

// Deliver makes one attempt at d, unless it is no longer needed. A browser
// that unsubscribed is forgotten, with what waits for it.
func (c *courier) Deliver(ctx context.Context, d due) outbox.Attempt {
	if why := unneeded(d.DuePush); why != "" {
		return outbox.Attempt{Skip: true, Err: errors.New(why)}
	}
	a := c.send(ctx, d)
	if a.Status != http.StatusNotFound && a.Status != http.StatusGone {
		return a
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	log := c.logger.With("subscription_id", d.SubscriptionID, "user_id", d.UserID)
	if err := c.ExpirePushSubscription(ctx, d.SubscriptionID); err != nil {
		log.Error("expired push subscription not deleted", "err", err)
	} else {
		log.Info("push subscription expired", "status", a.Status)
	}
	return outbox.Attempt{Gone: true}
}

// send writes d's words, encrypts them for its browser and posts it to the push service.
func (c *courier) send(ctx context.Context, d due) outbox.Attempt {
	body, err := payload(d.DuePush, c.language)
	if err != nil {
		return outbox.Attempt{Err: fmt.Errorf("cannot write the notification: %w", err)}
	}
	rs := recordSize
	if len(body) > maxPayload {
		rs = int(webpush.MaxRecordSize)
	}
	req, err := d.signer.newRequest(ctx, pushRequest{Endpoint: d.Endpoint, P256dh: d.P256dh, Auth: d.Auth,
		TTL: TTL(d.Kind), Topic: Topic(d.ConversationID), Urgency: Urgency(d.Kind)}, body, rs)
	if err != nil {
		return outbox.Attempt{Err: fmt.Errorf("cannot encrypt or sign: %w", err)}
	}
	resp, err := c.client.Do(req)
	if err != nil {
		var ue *url.Error
		switch {
		case errors.As(err, &ue) && errors.Is(err, egress.ErrNotPublic):
			// The endpoint leads into a private network: trying again will not help.
			return outbox.Attempt{Err: ue.Err}
		case errors.As(err, &ue) && ue.Timeout():
			return outbox.Attempt{Err: fmt.Errorf("no answer within %s", c.timeout), Retry: true}
		case errors.As(err, &ue):
			return outbox.Attempt{Err: ue.Err, Retry: true} // without the endpoint, which identifies a device
		}
		return outbox.Attempt{Err: err, Retry: true}
	}
	// Read a little of the body, so that the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	a := outbox.Attempt{Status: resp.StatusCode}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode <= 299:
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		// The push service refused the token: the next push there gets a new one.
		d.signer.forget(d.Endpoint)
		a.Err = fmt.Errorf("HTTP %s", resp.Status)
	case resp.StatusCode == http.StatusTooManyRequests:
		a.Err, a.Retry = fmt.Errorf("HTTP %s", resp.Status), true
		a.Wait = retryAfter(resp.Header.Get("Retry-After"), c.now())
	default:
		a.Err, a.Retry = fmt.Errorf("HTTP %s", resp.Status), resp.StatusCode >= 500
	}
	return a
}

// retryAfter reads a Retry-After header (seconds or an HTTP date), up to maxRetryAfter.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		return min(max(time.Duration(s)*time.Second, 0), maxRetryAfter)
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), maxRetryAfter)
	}
	return 0
}
