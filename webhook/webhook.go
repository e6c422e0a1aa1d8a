// Package webhook sends kefu's events to host sites: a worker on every
// instance leases due deliveries from the outbox in PostgreSQL, POSTs each
// one signed with its webhook's secret, and records the answer. Delivery is
// at least once; receivers drop repeats by Kefu-Webhook-Id and check the
// signature with Verify.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/kefu-im/kefu/egress"
	"github.com/kefu-im/kefu/outbox"
	"github.com/kefu-im/kefu/store"
)

// Config holds the worker's times and limits.
type Config struct {
	// Config is the outbox's: by default a poll each second, leases of
	// 30 s, attempts of 10 s at most, batches of 16, 15 attempts, and
	// delivered and failed deliveries kept visible for 7 days.
	outbox.Config
	// AllowPrivate lets the worker deliver to receivers on loopback,
	// private or link-local addresses. Off (the default), such an address
	// is refused when connecting, whatever name led to it, and the attempt
	// fails with that reason.
	AllowPrivate bool
}

// DefaultConfig is delivery as docs/api.md describes it.
var DefaultConfig = Config{Config: outbox.Config{Name: "webhook", Poll: time.Second, Lease: 30 * time.Second,
	Timeout: 10 * time.Second, Batch: 16, MaxAttempts: 15, Keep: 7 * 24 * time.Hour, Backoff: Backoff, Now: time.Now}}

// Backoff doubles from 5 s after each failed attempt (5 s, 10 s, 20 s …) up
// to an hour, with ±20% jitter so that receivers coming back from an outage
// are not hit by every retry at once.
func Backoff(n int) time.Duration { return outbox.Backoff(n, 5*time.Second, time.Hour) }

// Outbox is what the worker needs of the store.
type Outbox interface {
	ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.DueDelivery, error)
	FinishDelivery(ctx context.Context, id int64, attempt int, o outbox.Outcome) error
	PurgeDeliveries(ctx context.Context, before time.Time) error
}

// Worker sends due deliveries. Every instance runs one; they share the
// outbox through leases, and none keeps state that decides anything.
type Worker struct {
	*outbox.Worker[store.DueDelivery]
}

// NewWorker returns a worker over ob. Fields of cfg left zero take
// DefaultConfig's values.
func NewWorker(ob Outbox, cfg Config, logger *slog.Logger) *Worker {
	oc := cfg.Config.Or(DefaultConfig.Config)
	client := &http.Client{
		Transport: egress.Transport(cfg.AllowPrivate),
		Timeout:   oc.Timeout,
		// A redirect is an answer like any other that is not 2xx: the
		// endpoint is what the admin configured, not where it points to.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	c := &courier{Outbox: ob, client: client, timeout: oc.Timeout, now: oc.Now}
	return &Worker{outbox.New(c, oc, logger)}
}

// courier delivers webhook_deliveries for outbox.Worker.
type courier struct {
	Outbox
	client  *http.Client
	timeout time.Duration
	now     func() time.Time
}

func (c *courier) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.DueDelivery, error) {
	return c.ClaimDeliveries(ctx, now, lease, limit)
}

func (c *courier) Record(ctx context.Context, d store.DueDelivery, o outbox.Outcome) error {
	return c.FinishDelivery(ctx, d.ID, d.Attempts, o)
}

func (c *courier) Purge(ctx context.Context, before time.Time) error {
	return c.PurgeDeliveries(ctx, before)
}

func (c *courier) Describe(d store.DueDelivery) (int, []any) {
	return d.Attempts, []any{"webhook_id", d.WebhookID, "delivery_id", d.DeliveryID, "event", d.Event}
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

// Deliver POSTs d once. Every failure is worth another attempt: a receiver
// that refused may be fixed meanwhile.
func (c *courier) Deliver(ctx context.Context, d store.DueDelivery) outbox.Attempt {
	status, err := c.post(ctx, d)
	return outbox.Attempt{Status: status, Err: err, Retry: true}
}

// post sends d once and returns the answer's status; an error for no
// answer or one that is not 2xx.
func (c *courier) post(ctx context.Context, d store.DueDelivery) (int, error) {
	body, err := envelope(d.Delivery)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("bad URL: %w", err)
	}
	ts := c.now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "kefu-webhook/1")
	req.Header.Set(HeaderID, d.DeliveryID)
	req.Header.Set(HeaderEvent, d.Event)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(d.Secret, ts, body))
	resp, err := c.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is on the admin page already
		}
		if errors.Is(err, context.DeadlineExceeded) || (ue != nil && ue.Timeout()) {
			return 0, fmt.Errorf("no answer within %s", c.timeout)
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
