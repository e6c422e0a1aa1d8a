// Package webhook sends kefu's events to host sites: a worker on every
// instance leases due deliveries from the outbox in PostgreSQL, POSTs each
// one signed with its webhook's secret, and records the answer. Delivery is
// at least once; receivers drop repeats by Kefu-Webhook-Id and check the
// signature with Verify.
package webhook

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
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

	"github.com/kefu-im/kefu/egress"
	"github.com/kefu-im/kefu/store"
)

// Config holds the worker's times and limits.
type Config struct {
	// Poll is how often the outbox is checked for due deliveries (1 s).
	Poll time.Duration
	// Lease is how long a claimed delivery is the worker's (30 s). It is at
	// least twice Timeout, so a slow receiver is never sent an event twice at once.
	Lease time.Duration
	// Timeout bounds one attempt, answer included (10 s).
	Timeout time.Duration
	// Batch is how many deliveries one round claims and sends at once (16).
	Batch int
	// MaxAttempts is when a delivery is given up and marked failed (15).
	MaxAttempts int
	// Keep is how long delivered and failed deliveries stay visible (7 days).
	Keep time.Duration
	// Backoff is the wait after failed attempt number n (1, 2, …).
	Backoff func(n int) time.Duration
	// Now is the clock; tests set it.
	Now func() time.Time
	// AllowPrivate lets the worker deliver to receivers on loopback,
	// private or link-local addresses. Off (the default), such an address
	// is refused when connecting, whatever name led to it, and the attempt
	// fails with that reason.
	AllowPrivate bool
}

// DefaultConfig is delivery as docs/api.md describes it.
var DefaultConfig = Config{Poll: time.Second, Lease: 30 * time.Second, Timeout: 10 * time.Second, Batch: 16,
	MaxAttempts: 15, Keep: 7 * 24 * time.Hour, Backoff: Backoff, Now: time.Now}

// Backoff doubles from 5 s after each failed attempt (5 s, 10 s, 20 s …) up
// to an hour, with ±20% jitter so that receivers coming back from an outage
// are not hit by every retry at once.
func Backoff(n int) time.Duration {
	d := time.Hour
	if n <= 10 { // past 10 doublings, 5 s << n is well past the cap
		d = min(5*time.Second<<(max(n, 1)-1), time.Hour)
	}
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// Outbox is what the worker needs of the store.
type Outbox interface {
	ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.DueDelivery, error)
	DeliverySucceeded(ctx context.Context, id int64, status int, now time.Time) error
	DeliveryFailed(ctx context.Context, id int64, attempt int, f store.AttemptFailure) error
	PurgeDeliveries(ctx context.Context, before time.Time) error
}

// Worker sends due deliveries. Every instance runs one; they share the
// outbox through leases, and none keeps state that decides anything.
type Worker struct {
	outbox Outbox
	cfg    Config
	logger *slog.Logger
	client *http.Client
}

// NewWorker returns a worker over outbox. Fields of cfg left zero take
// DefaultConfig's values.
func NewWorker(outbox Outbox, cfg Config, logger *slog.Logger) *Worker {
	def := DefaultConfig
	cfg.Poll = cmp.Or(cfg.Poll, def.Poll)
	cfg.Lease = cmp.Or(cfg.Lease, def.Lease)
	cfg.Timeout = cmp.Or(cfg.Timeout, def.Timeout)
	cfg.Batch = cmp.Or(cfg.Batch, def.Batch)
	cfg.MaxAttempts = cmp.Or(cfg.MaxAttempts, def.MaxAttempts)
	cfg.Keep = cmp.Or(cfg.Keep, def.Keep)
	if cfg.Backoff == nil {
		cfg.Backoff = def.Backoff
	}
	if cfg.Now == nil {
		cfg.Now = def.Now
	}
	cfg.Lease = max(cfg.Lease, 2*cfg.Timeout) // a lease never lapses while its attempt may still be under way
	client := &http.Client{
		Transport: egress.Transport(cfg.AllowPrivate),
		Timeout:   cfg.Timeout,
		// A redirect is an answer like any other that is not 2xx: the
		// endpoint is what the admin configured, not where it points to.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &Worker{outbox: outbox, cfg: cfg, logger: logger, client: client}
}

// Run sends deliveries as they fall due, until ctx ends. Attempts still
// waiting for an answer then are abandoned: their leases expire and they are
// sent again.
func (w *Worker) Run(ctx context.Context) {
	tick := time.NewTicker(w.cfg.Poll)
	defer tick.Stop()
	var purged time.Time
	for {
		for {
			n, err := w.Round(ctx)
			if err != nil && ctx.Err() == nil {
				w.logger.Error("webhook round failed", "err", err)
			}
			if err != nil || n < w.cfg.Batch {
				break
			}
		}
		if now := w.cfg.Now(); now.Sub(purged) >= time.Hour {
			if err := w.outbox.PurgeDeliveries(ctx, now.Add(-w.cfg.Keep)); err != nil && ctx.Err() == nil {
				w.logger.Warn("webhook purge failed", "err", err)
			}
			purged = now
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Round claims one batch of due deliveries, sends them in parallel and
// records each answer. It returns how many it claimed.
func (w *Worker) Round(ctx context.Context) (int, error) {
	due, err := w.outbox.ClaimDeliveries(ctx, w.cfg.Now(), w.cfg.Lease, w.cfg.Batch)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, d := range due {
		wg.Go(func() { w.deliver(ctx, d) })
	}
	wg.Wait()
	return len(due), nil
}

// envelope is what a delivery POSTs: the same bytes on every attempt.
func envelope(d store.Delivery) ([]byte, error) {
	return json.Marshal(struct {
		ID        string          `json:"id"`
		Event     string          `json:"event"`
		CreatedAt time.Time       `json:"created_at"`
		Data      json.RawMessage `json:"data"`
	}{d.DeliveryID, d.Event, d.CreatedAt.UTC(), d.Payload})
}

// deliver makes one attempt at d and records how it went.
func (w *Worker) deliver(ctx context.Context, d store.DueDelivery) {
	status, err := w.post(ctx, d)
	if status == 0 && ctx.Err() != nil {
		return // shut down mid-attempt: the lease expires and the delivery is sent again
	}
	// An answer that came is recorded even during shutdown, so that it is not sent again.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	now := w.cfg.Now()
	log := w.logger.With("webhook_id", d.WebhookID, "delivery_id", d.DeliveryID, "event", d.Event, "attempt", d.Attempts)
	if err == nil {
		if err := w.outbox.DeliverySucceeded(ctx, d.ID, status, now); err != nil {
			log.Error("webhook delivery not recorded", "err", err)
		}
		return
	}
	f := store.AttemptFailure{Status: status, Error: err.Error(), At: now, GiveUp: d.Attempts >= w.cfg.MaxAttempts}
	if !f.GiveUp {
		f.RetryAt = now.Add(w.cfg.Backoff(d.Attempts))
	}
	if err := w.outbox.DeliveryFailed(ctx, d.ID, d.Attempts, f); err != nil {
		log.Error("webhook failure not recorded", "err", err)
		return
	}
	if f.GiveUp {
		log.Warn("webhook delivery failed for good", "status", status, "err", f.Error)
	} else {
		log.Info("webhook attempt failed", "status", status, "err", f.Error, "retry_at", f.RetryAt)
	}
}

// post sends d once and returns the answer's status; an error for no
// answer or one that is not 2xx.
func (w *Worker) post(ctx context.Context, d store.DueDelivery) (int, error) {
	body, err := envelope(d.Delivery)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("bad URL: %w", err)
	}
	ts := w.cfg.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "kefu-webhook/1")
	req.Header.Set(HeaderID, d.DeliveryID)
	req.Header.Set(HeaderEvent, d.Event)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(d.Secret, ts, body))
	resp, err := w.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is on the admin page already
		}
		if errors.Is(err, context.DeadlineExceeded) || (ue != nil && ue.Timeout()) {
			return 0, fmt.Errorf("no answer within %s", w.cfg.Timeout)
		}
		return 0, err
	}
	// Read a little of the body, so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("HTTP %s", resp.Status)
	}
	return resp.StatusCode, nil
}
