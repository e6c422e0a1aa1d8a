package webhook_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/outbox"
	"github.com/kefu-im/kefu/outbox/outboxtest"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/storetest"
	"github.com/kefu-im/kefu/webhook"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// hit is one request a receiver got.
type hit struct {
	id, event string
	body      []byte
	verified  error
	status    int
}

// receiver is a host site's webhook endpoint that checks each request's
// signature with the webhook's secret.
type receiver struct {
	*outboxtest.Receiver
	clock  *outboxtest.Clock
	mu     sync.Mutex
	secret string
}

// newReceiver answers each request with the next of statuses, 200 once
// they run out; 0 is no answer at all.
func newReceiver(t *testing.T, clk *outboxtest.Clock, statuses ...int) *receiver {
	return &receiver{Receiver: outboxtest.NewReceiver(t, http.StatusOK, statuses...), clock: clk}
}

// got returns the requests so far, their signatures checked now.
func (rc *receiver) got() []hit {
	rc.mu.Lock()
	secret := rc.secret
	rc.mu.Unlock()
	var hits []hit
	for _, r := range rc.Requests() {
		hits = append(hits, hit{id: r.Header.Get(webhook.HeaderID), event: r.Header.Get(webhook.HeaderEvent), body: r.Body,
			verified: webhook.Verify(secret, r.Header, r.Body, rc.clock.Now(), 5*time.Minute), status: r.Status})
	}
	return hits
}

// setup is a database with a webhook for message.created pointing at rc,
// and one message sent, so one delivery waits in the outbox.
func setup(t *testing.T, rc *receiver) (*store.DB, store.Webhook) {
	t.Helper()
	ctx := context.Background()
	db := storetest.DB(t)
	w, err := db.CreateWebhook(ctx, 0, store.NewWebhook{URL: rc.URL + "/kefu-events",
		Events: []string{store.EventMessageCreated}, Secret: "whsec_" + auth.NewToken()})
	if err != nil {
		t.Fatal(err)
	}
	rc.mu.Lock()
	rc.secret = w.Secret
	rc.mu.Unlock()
	// Someone is customer service, or a visitor could not write.
	if _, _, err := db.EnsureAdmin(ctx, store.NewMember{Email: "alex@example.com", Name: "Alex", PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	v, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: "hello"}); err != nil {
		t.Fatal(err)
	}
	return db, w
}

// delivery returns the webhook's only delivery as it stands.
func delivery(t *testing.T, db *store.DB, w store.Webhook) store.Delivery {
	t.Helper()
	all, err := db.RecentDeliveries(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(all[w.ID]) != 1 {
		t.Fatalf("webhook %d has %d deliveries, want 1", w.ID, len(all[w.ID]))
	}
	return all[w.ID][0]
}

// waitFor waits until the delivery satisfies cond.
func waitFor(t *testing.T, db *store.DB, w store.Webhook, what string, cond func(store.Delivery) bool) store.Delivery {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		d := delivery(t, db, w)
		if cond(d) {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for the delivery to be %s: it is %+v", what, d)
		}
		<-tick.C
	}
}

// newWorker is a worker that may deliver to the tests' receivers, which
// listen on 127.0.0.1.
func newWorker(db *store.DB, cfg outbox.Config) *webhook.Worker {
	return webhook.NewWorker(db, webhook.Config{Config: cfg, AllowPrivate: true}, slog.New(slog.DiscardHandler))
}

// run starts a worker until the returned stop is called; stop waits for it to end.
func run(t *testing.T, db *store.DB, cfg outbox.Config) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	w := newWorker(db, cfg)
	go func() { w.Run(ctx); close(done) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

func TestRetriedUntilAcceptedThenNeverAgain(t *testing.T) {
	t.Parallel()
	clk := &outboxtest.Clock{}
	rc := newReceiver(t, clk, 500, 500)
	db, w := setup(t, rc)
	cfg := outbox.Config{Poll: 10 * time.Millisecond, Backoff: outboxtest.NoWait, Now: clk.Now}
	run(t, db, cfg)

	d := waitFor(t, db, w, "delivered", func(d store.Delivery) bool { return d.Status == store.DeliveryDelivered })
	if d.Attempts != 3 || d.LastStatus != 200 || d.LastError != "" {
		t.Fatalf("delivered after %d attempts, last status %d, error %q; want 3, 200, none", d.Attempts, d.LastStatus, d.LastError)
	}
	hits := rc.got()
	if len(hits) != 3 {
		t.Fatalf("the receiver got %d requests, want 3", len(hits))
	}
	for i, h := range hits {
		if h.id != d.DeliveryID || h.event != store.EventMessageCreated || string(h.body) != string(hits[0].body) || h.verified != nil {
			t.Fatalf("request %d: id %q, event %q, verified %v; want %q, message.created, the same body, a good signature",
				i+1, h.id, h.event, h.verified, d.DeliveryID)
		}
	}
	var env struct {
		ID        string    `json:"id"`
		Event     string    `json:"event"`
		CreatedAt time.Time `json:"created_at"`
		Data      struct {
			Body string `json:"body"`
			Type string `json:"type"`
		} `json:"data"`
	}
	if err := json.Unmarshal(hits[0].body, &env); err != nil || env.ID != d.DeliveryID || env.Event != store.EventMessageCreated ||
		env.CreatedAt.IsZero() || env.Data.Body != "hello" || env.Data.Type != "text" {
		t.Fatalf("body %s: %+v, %v", hits[0].body, env, err)
	}

	// Long after any retry would have been due, nothing is claimed or sent again.
	clk.Advance(2 * time.Hour)
	n, err := newWorker(db, cfg).Round(context.Background())
	if err != nil || n != 0 {
		t.Fatalf("a round after delivery claimed %d, %v; want nothing", n, err)
	}
	if d := delivery(t, db, w); d.Status != store.DeliveryDelivered || d.Attempts != 3 || len(rc.got()) != 3 {
		t.Fatalf("after delivery: %+v and %d requests", d, len(rc.got()))
	}
}

func TestRestartBetweenAttemptsDeliversOnce(t *testing.T) {
	t.Parallel()
	clk := &outboxtest.Clock{}
	rc := newReceiver(t, clk, 503)
	db, w := setup(t, rc)
	// The first kefu retries a minute later; it is stopped before then.
	stop := run(t, db, outbox.Config{Poll: 10 * time.Millisecond, Backoff: func(int) time.Duration { return time.Minute },
		Now: clk.Now})
	d := waitFor(t, db, w, "failed once", func(d store.Delivery) bool { return d.Attempts == 1 && d.LastStatus == 503 })
	stop()
	if d.Status != store.DeliveryPending || d.LastError != "HTTP 503 Service Unavailable" {
		t.Fatalf("after the first attempt: %+v", d)
	}

	// kefu starts again, two minutes later, on the same database.
	clk.Advance(2 * time.Minute)
	run(t, db, outbox.Config{Poll: 10 * time.Millisecond, Backoff: outboxtest.NoWait, Now: clk.Now})
	d = waitFor(t, db, w, "delivered", func(d store.Delivery) bool { return d.Status == store.DeliveryDelivered })
	hits := rc.got()
	if d.Attempts != 2 || len(hits) != 2 || hits[1].status != 200 || hits[0].id != hits[1].id || hits[1].verified != nil {
		t.Fatalf("%d attempts, requests %+v; want one refused and one accepted, with one id", d.Attempts, hits)
	}
	n, err := newWorker(db, outbox.Config{Now: clk.Now}).Round(context.Background())
	if err != nil || n != 0 || len(rc.got()) != 2 {
		t.Fatalf("a round after delivery claimed %d, %v, and the receiver has %d requests", n, err, len(rc.got()))
	}
}

func TestCrashMidAttemptIsRetriedWhenTheLeaseExpires(t *testing.T) {
	t.Parallel()
	clk := &outboxtest.Clock{}
	rc := newReceiver(t, clk, 0) // the first request gets no answer
	db, w := setup(t, rc)
	cfg := outbox.Config{Poll: 10 * time.Millisecond, Lease: 30 * time.Second, Backoff: outboxtest.NoWait, Now: clk.Now}
	stop := run(t, db, cfg)
	<-rc.Arrived
	stop() // the worker dies while the receiver holds its request
	d := delivery(t, db, w)
	if d.Status != store.DeliveryPending || d.Attempts != 1 || d.LastStatus != 0 || d.LastError != "" {
		t.Fatalf("after the crash: %+v, want pending with one unrecorded attempt", d)
	}

	other := newWorker(db, cfg)
	ctx := context.Background()
	if n, err := other.Round(ctx); err != nil || n != 0 {
		t.Fatalf("claimed %d, %v while the dead worker's lease holds; want nothing", n, err)
	}
	clk.Advance(31 * time.Second)
	if n, err := other.Round(ctx); err != nil || n != 1 {
		t.Fatalf("claimed %d, %v after the lease expired; want the delivery", n, err)
	}
	d = delivery(t, db, w)
	hits := rc.got()
	if d.Status != store.DeliveryDelivered || d.Attempts != 2 || len(hits) != 2 || hits[0].id != hits[1].id || hits[1].status != 200 {
		t.Fatalf("delivery %+v, requests %+v; want delivered on the second attempt, with one id", d, hits)
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	clk := &outboxtest.Clock{}
	rc := newReceiver(t, clk, 500, 500, 500, 500)
	db, w := setup(t, rc)
	run(t, db, outbox.Config{Poll: 10 * time.Millisecond, MaxAttempts: 3, Backoff: outboxtest.NoWait, Now: clk.Now})
	d := waitFor(t, db, w, "failed", func(d store.Delivery) bool { return d.Status == store.DeliveryFailed })
	if d.Attempts != 3 || d.LastStatus != 500 || d.LastError != "HTTP 500 Internal Server Error" || d.FinishedAt == nil {
		t.Fatalf("failed delivery = %+v", d)
	}
	clk.Advance(24 * time.Hour)
	if n, err := newWorker(db, outbox.Config{Now: clk.Now}).Round(context.Background()); err != nil || n != 0 {
		t.Fatalf("a round after giving up claimed %d, %v", n, err)
	}
	if got := len(rc.got()); got != 3 {
		t.Fatalf("the receiver got %d requests, want 3", got)
	}
}

func TestNoAnswerInTimeIsAFailedAttempt(t *testing.T) {
	t.Parallel()
	clk := &outboxtest.Clock{}
	rc := newReceiver(t, clk, 0)
	db, w := setup(t, rc)
	worker := newWorker(db, outbox.Config{Timeout: 100 * time.Millisecond, Backoff: func(int) time.Duration { return time.Minute },
		Now: clk.Now})
	if n, err := worker.Round(context.Background()); err != nil || n != 1 {
		t.Fatalf("round = %d, %v", n, err)
	}
	d := delivery(t, db, w)
	if d.Status != store.DeliveryPending || d.Attempts != 1 || d.LastError != "no answer within 100ms" ||
		d.NextAttemptAt.Before(clk.Now().Add(50*time.Second)) {
		t.Fatalf("after a timeout: %+v, want a retry in a minute", d)
	}
}

// TestPrivateAddressesAreRefusedWhenConnecting: without AllowPrivate, a
// receiver on a loopback address is refused when the worker connects, and
// so is one whose name resolves to it; nothing reaches the receiver and
// the deliveries fail with the reason.
func TestPrivateAddressesAreRefusedWhenConnecting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := &outboxtest.Clock{}
	rc := newReceiver(t, clk)
	db, literal := setup(t, rc) // http://127.0.0.1:<port>
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(rc.URL, "http://"))
	named, err := db.CreateWebhook(ctx, 0, store.NewWebhook{URL: "http://localhost:" + port + "/kefu-events",
		Events: []string{store.EventMessageCreated}, Secret: "whsec_" + auth.NewToken()})
	if err != nil {
		t.Fatal(err)
	}
	v, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: "hello again"}); err != nil {
		t.Fatal(err)
	}
	strict := webhook.NewWorker(db, webhook.Config{Config: outbox.Config{Now: clk.Now, MaxAttempts: 1}}, slog.New(slog.DiscardHandler))
	if n, err := strict.Round(ctx); err != nil || n != 3 {
		t.Fatalf("round = %d, %v; want 3 deliveries", n, err)
	}
	if got := rc.got(); len(got) != 0 {
		t.Fatalf("the receiver on a loopback address got %d requests", len(got))
	}
	all, err := db.RecentDeliveries(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []store.Webhook{literal, named} {
		for _, d := range all[w.ID] {
			if d.Status != store.DeliveryFailed || !strings.Contains(d.LastError, "not a public address") {
				t.Errorf("delivery to %s: %s, %q; want failed, refused", w.URL, d.Status, d.LastError)
			}
		}
	}
	if len(all[named.ID]) != 1 {
		t.Fatalf("the named webhook has %d deliveries, want 1", len(all[named.ID]))
	}
}
