// Package push sends web push notifications to members whose console is
// closed. The store enqueues a notification in the transaction of the change
// it reports (a chat assigned, a message, a chat joining the queue); a worker
// on every instance leases due ones from the outbox in PostgreSQL, checks that
// each is still needed, and sends it encrypted (RFC 8291) and signed with the
// VAPID keys (RFC 8292) to the browser's push service.
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
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"

	"github.com/kefu-im/kefu/egress"
	"github.com/kefu-im/kefu/store"
)

// Config holds the worker's times and limits.
type Config struct {
	// Poll is how often the outbox is checked for due notifications (1 s).
	Poll time.Duration
	// Lease is how long a claimed notification is the worker's (30 s), at
	// least twice Timeout, so that no notification is sent twice at once.
	Lease time.Duration
	// Timeout bounds one request to a push service, answer included (10 s).
	Timeout time.Duration
	// Batch is how many notifications one round claims and sends at once (32).
	Batch int
	// MaxAttempts is when a failing notification is given up (10).
	MaxAttempts int
	// Keep is how long sent and cancelled notifications stay in the outbox (2 days).
	Keep time.Duration
	// Grace is how long a console socket counts as open after it was last
	// seen (30 s): routing's grace period. An open console gets no notifications.
	Grace time.Duration
	// Quiet is how long a notification waits before it is sent, so that a
	// message read meanwhile sends none. Unlike the other fields, zero means
	// zero: no quiet period. DefaultConfig has 5 s.
	Quiet time.Duration
	// Backoff is the wait after failed attempt number n (1, 2, …).
	Backoff func(n int) time.Duration
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
	// Now is the clock; tests set it.
	Now func() time.Time
}

// DefaultConfig is how kefu sends notifications.
var DefaultConfig = Config{Poll: time.Second, Lease: 30 * time.Second, Timeout: 10 * time.Second, Batch: 32, MaxAttempts: 10,
	Keep: 48 * time.Hour, Grace: 30 * time.Second, Quiet: 5 * time.Second, Backoff: Backoff, Now: time.Now}

// Backoff doubles from 2 s after each failed attempt (2 s, 4 s, 8 s …) up to
// 10 minutes, with ±20% jitter so that retries after a push service's outage
// do not all arrive at once.
func Backoff(n int) time.Duration {
	d := 10 * time.Minute
	if n <= 9 { // past 9 doublings, 2 s << n is past the cap
		d = min(2*time.Second<<(max(n, 1)-1), d)
	}
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// maxRetryAfter bounds how long a push service's Retry-After may hold a notification back.
const maxRetryAfter = time.Hour

// TTL is how long a push service keeps a notification for a browser that
// is offline: a message stays unread until it is read, so it is worth
// showing for a day; an assignment is news for an hour; a waiting chat is
// taken or answered within minutes, so later it would only be noise.
func TTL(kind string) time.Duration {
	switch kind {
	case store.PushMessage:
		return 24 * time.Hour
	case store.PushAssigned:
		return time.Hour
	default:
		return 10 * time.Minute
	}
}

// GenerateVAPID makes a new VAPID key pair, public key first, as
// store.EnsureVAPID and store.RotateVAPID ask for it.
func GenerateVAPID() (public, private string, err error) {
	private, public, err = webpush.GenerateVAPIDKeys()
	return public, private, err
}

// Outbox is what the worker needs of the store.
type Outbox interface {
	EnsureVAPID(ctx context.Context, generate func() (public, private string, err error)) (store.VAPID, error)
	SetPushQuiet(ctx context.Context, quiet time.Duration) error
	ClaimPushes(ctx context.Context, now time.Time, grace, lease time.Duration, limit int) ([]store.DuePush, error)
	FinishPush(ctx context.Context, d store.DuePush, o store.PushOutcome) error
	ExpirePushSubscription(ctx context.Context, id int64) error
	PurgePushes(ctx context.Context, before time.Time) error
}

// Worker sends due notifications. Every instance runs one; they share the
// outbox through leases, and none keeps state that decides anything.
type Worker struct {
	outbox Outbox
	cfg    Config
	logger *slog.Logger
	client *http.Client
	wake   chan struct{}
}

// NewWorker returns a worker over outbox. Fields of cfg left zero take
// DefaultConfig's values, except Quiet.
func NewWorker(outbox Outbox, cfg Config, logger *slog.Logger) *Worker {
	def := DefaultConfig
	cfg.Poll = cmp.Or(cfg.Poll, def.Poll)
	cfg.Lease = cmp.Or(cfg.Lease, def.Lease)
	cfg.Timeout = cmp.Or(cfg.Timeout, def.Timeout)
	cfg.Batch = cmp.Or(cfg.Batch, def.Batch)
	cfg.MaxAttempts = cmp.Or(cfg.MaxAttempts, def.MaxAttempts)
	cfg.Keep = cmp.Or(cfg.Keep, def.Keep)
	cfg.Grace = cmp.Or(cfg.Grace, def.Grace)
	cfg.Quiet = max(cfg.Quiet, 0)
	if cfg.Backoff == nil {
		cfg.Backoff = def.Backoff
	}
	if cfg.Now == nil {
		cfg.Now = def.Now
	}
	if cfg.Subscriber == "" {
		cfg.Subscriber = "kefu@localhost"
		if cfg.BaseURL != nil && cfg.BaseURL.Hostname() != "" {
			cfg.Subscriber = "kefu@" + cfg.BaseURL.Hostname()
		}
	}
	cfg.Lease = max(cfg.Lease, 2*cfg.Timeout) // a lease never lapses while its request may still be under way
	transport := egress.Transport(cfg.AllowPrivate)
	// A round's requests mostly go to one or two push services: keep a
	// connection for each request that may run at once.
	transport.MaxIdleConnsPerHost = cfg.Batch
	client := &http.Client{
		Transport: transport,
		Timeout:   cfg.Timeout,
		// A push service answers; it does not send us elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &Worker{outbox: outbox, cfg: cfg, logger: logger, client: client, wake: make(chan struct{}, 1)}
}

// Prepare readies the database for sending: it generates the VAPID keys on
// the very first start, and stores the quiet period, which every instance
// applies when it enqueues.
func (w *Worker) Prepare(ctx context.Context) error {
	if _, err := w.outbox.EnsureVAPID(ctx, GenerateVAPID); err != nil {
		return err
	}
	return w.outbox.SetPushQuiet(ctx, w.cfg.Quiet)
}

// Wake tells the worker that a notification was just enqueued: it looks
// for due ones once the quiet period has passed, instead of at its next
// poll. It never blocks.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run sends notifications as they fall due, until ctx ends. Requests still
// waiting for an answer then are abandoned: their leases expire and they
// are sent again, by this instance or another.
func (w *Worker) Run(ctx context.Context) {
	tick := time.NewTicker(w.cfg.Poll)
	defer tick.Stop()
	var purged time.Time
	var quietOver <-chan time.Time // armed by a wake while a quiet period runs
	for {
		for {
			n, err := w.Round(ctx)
			if err != nil && ctx.Err() == nil {
				w.logger.Error("push round failed", "err", err)
			}
			if err != nil || n < w.cfg.Batch {
				break
			}
		}
		if now := w.cfg.Now(); now.Sub(purged) >= time.Hour {
			if err := w.outbox.PurgePushes(ctx, now.Add(-w.cfg.Keep)); err != nil && ctx.Err() == nil {
				w.logger.Warn("push purge failed", "err", err)
			}
			purged = now
		}
	wait:
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				break wait
			case <-quietOver:
				quietOver = nil
				break wait
			case <-w.wake:
				if w.cfg.Quiet == 0 {
					break wait
				}
				if quietOver == nil {
					quietOver = time.After(w.cfg.Quiet)
				}
			}
		}
	}
}

// Round claims one batch of due notifications, sends those still needed in
// parallel and records each outcome. It returns how many it claimed.
func (w *Worker) Round(ctx context.Context) (int, error) {
	due, err := w.outbox.ClaimPushes(ctx, w.cfg.Now(), w.cfg.Grace, w.cfg.Lease, w.cfg.Batch)
	if err != nil || len(due) == 0 {
		return 0, err
	}
	// Read every round: an admin may have rotated them.
	keys, err := w.outbox.EnsureVAPID(ctx, nil)
	if err != nil {
		return len(due), err // the leases expire and the notifications are claimed again
	}
	var wg sync.WaitGroup
	for _, d := range due {
		wg.Go(func() { w.deliver(ctx, d, keys) })
	}
	wg.Wait()
	return len(due), nil
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

// deliver makes one attempt at d and records how it went.
func (w *Worker) deliver(ctx context.Context, d store.DuePush, keys store.VAPID) {
	log := w.logger.With("push_id", d.ID, "subscription_id", d.SubscriptionID, "user_id", d.UserID,
		"conversation_id", d.ConversationID, "kind", d.Kind, "attempt", d.Attempts)
	if why := unneeded(d); why != "" {
		w.finish(ctx, log, d, store.PushOutcome{At: w.cfg.Now(), Cancelled: true, Error: why})
		return
	}
	a := w.send(ctx, d, keys)
	if a.status == 0 && ctx.Err() != nil {
		return // shut down mid-request: the lease expires and the notification is sent again
	}
	now := w.cfg.Now()
	o := store.PushOutcome{At: now}
	switch {
	case a.err == nil:
		o.Sent = true
	case a.status == http.StatusNotFound || a.status == http.StatusGone:
		// The browser unsubscribed: forget it, and what waits for it.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := w.outbox.ExpirePushSubscription(ctx, d.SubscriptionID); err != nil {
			log.Error("expired push subscription not deleted", "err", err)
			return
		}
		log.Info("push subscription expired", "status", a.status)
		return
	case !a.transient, d.Attempts >= w.cfg.MaxAttempts:
		o.Cancelled, o.Error = true, a.err.Error()
	default:
		o.Error = a.err.Error()
		o.RetryAt = now.Add(max(w.cfg.Backoff(d.Attempts), a.wait))
	}
	w.finish(ctx, log, d, o)
	switch {
	case o.Cancelled:
		log.Warn("push notification failed for good", "status", a.status, "err", o.Error)
	case !o.Sent:
		log.Info("push attempt failed", "status", a.status, "err", o.Error, "retry_at", o.RetryAt)
	}
}

// finish records o, even during shutdown: an answer that came is not sent again.
func (w *Worker) finish(ctx context.Context, log *slog.Logger, d store.DuePush, o store.PushOutcome) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := w.outbox.FinishPush(ctx, d, o); err != nil {
		log.Error("push outcome not recorded", "err", err)
	}
}

// attempt is how a request to a push service went.
type attempt struct {
	// status is the answer's HTTP status (0: none came).
	status int
	// err is nil for a 2xx answer.
	err error
	// transient: the service was unreachable, busy (429) or failing (5xx),
	// so trying again later may succeed.
	transient bool
	// wait is how long a 429 asked to wait.
	wait time.Duration
}

// send encrypts d's payload for its browser and posts it to the push service.
func (w *Worker) send(ctx context.Context, d store.DuePush, keys store.VAPID) attempt {
	resp, err := webpush.SendNotificationWithContext(ctx, d.Payload,
		&webpush.Subscription{Endpoint: d.Endpoint, Keys: webpush.Keys{P256dh: d.P256dh, Auth: d.Auth}},
		&webpush.Options{
			HTTPClient:      w.client,
			Subscriber:      w.cfg.Subscriber,
			Topic:           Topic(d.ConversationID),
			TTL:             int(TTL(d.Kind).Seconds()),
			Urgency:         webpush.Urgency(d.Urgency),
			VAPIDPublicKey:  keys.Public,
			VAPIDPrivateKey: keys.Private,
		})
	if err != nil {
		var ue *url.Error
		switch {
		case errors.As(err, &ue) && errors.Is(err, egress.ErrNotPublic):
			// The endpoint leads into a private network: trying again will not help.
			return attempt{err: ue.Err}
		case errors.As(err, &ue) && ue.Timeout():
			return attempt{err: fmt.Errorf("no answer within %s", w.cfg.Timeout), transient: true}
		case errors.As(err, &ue):
			return attempt{err: ue.Err, transient: true} // without the endpoint, which identifies a device
		}
		return attempt{err: fmt.Errorf("cannot encrypt or sign: %w", err)}
	}
	// Read a little of the body, so that the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	a := attempt{status: resp.StatusCode}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode <= 299:
	case resp.StatusCode == http.StatusTooManyRequests:
		a.err, a.transient = fmt.Errorf("HTTP %s", resp.Status), true
		a.wait = retryAfter(resp.Header.Get("Retry-After"), w.cfg.Now())
	default:
		a.err, a.transient = fmt.Errorf("HTTP %s", resp.Status), resp.StatusCode >= 500
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

// Topic is the Topic header of conversation id's notifications, the same
// as the payload's tag: a push service holding an undelivered notification
// replaces it with a newer one of the same topic.
func Topic(conversationID int64) string { return "c" + strconv.FormatInt(conversationID, 10) }
