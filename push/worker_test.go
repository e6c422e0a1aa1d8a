package push_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/outbox"
	"github.com/kefu-im/kefu/outbox/outboxtest"
	"github.com/kefu-im/kefu/push"
	"github.com/kefu-im/kefu/store"
)

func TestNotificationIsEncryptedSignedAndDescribed(t *testing.T) {
	t.Parallel()
	ps := newPushService(t)
	base, _ := url.Parse("https://help.example.com")
	w := newWorld(t, ps, push.Config{BaseURL: base})
	v, conv := w.chat(t, "Where is my order?")
	w.round(t, 1)

	got := ps.Requests()
	if len(got) != 1 {
		t.Fatalf("the push service got %d requests, want 1", len(got))
	}
	r := got[0]
	want := shown{Title: "New chat for you: " + chat.VisitorName(v.ID), Body: "Where is my order?",
		URL: fmt.Sprintf("/console/c/%d", conv), Tag: fmt.Sprintf("c%d", conv)}
	if s := w.open(t, r); s != want {
		t.Fatalf("the browser shows %+v, want %+v", s, want)
	}
	// Every push is one record of the same size, whatever it says.
	if len(r.Body) != 1536 || binary.BigEndian.Uint32(r.Body[16:20]) != 1536 {
		t.Errorf("a body of %d bytes, record size %d; want 1536 and 1536", len(r.Body), binary.BigEndian.Uint32(r.Body[16:20]))
	}
	for h, v := range map[string]string{"TTL": "3600", "Urgency": "high", "Topic": fmt.Sprintf("c%d", conv),
		"Content-Encoding": "aes128gcm", "Content-Type": "application/octet-stream"} {
		if r.Header.Get(h) != v {
			t.Errorf("%s: %q, want %q", h, r.Header.Get(h), v)
		}
	}
	keys, err := push.LoadKeys(context.Background(), w.db)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := vapidClaims(r.Header.Get("Authorization"), keys.Public)
	if err != nil {
		t.Fatal(err)
	}
	exp, _ := claims["exp"].(float64)
	if claims["aud"] != ps.URL || claims["sub"] != "mailto:kefu@help.example.com" ||
		time.Unix(int64(exp), 0).Before(time.Now()) || time.Unix(int64(exp), 0).After(time.Now().Add(24*time.Hour)) {
		t.Fatalf("VAPID claims = %v, want aud %s, sub mailto:kefu@help.example.com, exp within a day", claims, ps.URL)
	}
	p := w.pushes(t)
	if len(p) != 1 || p[0].SentAt == nil || p[0].Attempts != 1 {
		t.Fatalf("after sending: %+v", p)
	}
	subs, _ := w.db.PushSubscriptions(context.Background(), w.alex.ID)
	if len(subs) != 1 || subs[0].LastSentAt == nil {
		t.Fatalf("subscription after sending: %+v", subs)
	}

	// A message is normal urgency and lives longer.
	w.say(t, v, "hello?")
	w.round(t, 1)
	if got := ps.Requests(); len(got) != 2 || got[1].Header.Get("Urgency") != "normal" || got[1].Header.Get("TTL") != "86400" ||
		w.open(t, got[1]).Title != chat.VisitorName(v.ID)+" wrote" {
		t.Fatalf("message notification: %+v", got[1].Header)
	}
}

// TestRotatedKeysSignTheNextRound: a worker keeps the key pair it read
// while it is the one stored, and signs with the new pair once an admin
// rotated it.
func TestRotatedKeysSignTheNextRound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ps := newPushService(t)
	w := newWorld(t, ps, push.Config{})
	signedWith := func(r outboxtest.Request) string {
		t.Helper()
		keys, err := push.LoadKeys(ctx, w.db)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := vapidClaims(r.Header.Get("Authorization"), keys.Public); err != nil {
			t.Fatal(err)
		}
		return keys.Public
	}
	v, _ := w.chat(t, "hello")
	w.round(t, 1)
	first := signedWith(ps.Requests()[0])
	// The next round sends the token the first signed.
	w.say(t, v, "still there?")
	w.round(t, 1)
	if got := ps.Requests(); len(got) != 2 || got[1].Header.Get("Authorization") != got[0].Header.Get("Authorization") {
		t.Fatalf("%d requests; the second round signed a new token", len(got))
	}

	// Rotating forgets every subscription: the browser subscribes again.
	if _, err := push.RotateKeys(ctx, w.db, w.alex.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.SavePushSubscription(ctx, w.alex.ID, ps.URL+"/push/v2/def", w.browser.p256dh(), w.browser.auth(),
		"Firefox on Linux"); err != nil {
		t.Fatal(err)
	}
	w.chat(t, "hello again")
	w.round(t, 1)
	if got := ps.Requests(); len(got) != 3 || signedWith(got[2]) == first {
		t.Fatalf("after rotation: %d requests, the last signed with the first pair", len(got))
	}
}

// TestRefusedTokenIsSignedAgain: a push service that refuses a token gets a
// new one with the next push.
func TestRefusedTokenIsSignedAgain(t *testing.T) {
	t.Parallel()
	ps := newPushService(t, http.StatusForbidden)
	w := newWorld(t, ps, push.Config{})
	v, _ := w.chat(t, "hello")
	w.round(t, 1)
	w.say(t, v, "hello?")
	w.round(t, 1)
	got := ps.Requests()
	if len(got) != 2 || got[1].Header.Get("Authorization") == got[0].Header.Get("Authorization") {
		t.Fatalf("%d requests; after a 403 the next push sent the refused token", len(got))
	}
}

func TestGoneSubscriptionIsDeleted(t *testing.T) {
	t.Parallel()
	ps := newPushService(t, 410)
	w := newWorld(t, ps, push.Config{})
	w.chat(t, "hello")
	w.round(t, 1)
	if subs, err := w.db.PushSubscriptions(context.Background(), w.alex.ID); err != nil || len(subs) != 0 {
		t.Fatalf("subscriptions after 410 = %+v, %v", subs, err)
	}
	if p := w.pushes(t); len(p) != 0 {
		t.Fatalf("notifications of a deleted subscription remain: %+v", p)
	}
}

func TestRetriedUntilAcceptedThenNeverAgain(t *testing.T) {
	t.Parallel()
	ps := newPushService(t, 500, 500, 201)
	w := newWorld(t, ps, push.Config{Config: outbox.Config{Backoff: func(int) time.Duration { return time.Minute }}})
	w.chat(t, "hello")
	w.round(t, 1)
	w.round(t, 0) // waiting out the backoff
	if p := w.pushes(t); p[0].LastError != "HTTP 500 Internal Server Error" || p[0].SentAt != nil ||
		p[0].NextAttemptAt.Before(w.clock.Now().Add(50*time.Second)) {
		t.Fatalf("after a 500: %+v", p[0])
	}
	w.clock.Advance(2 * time.Minute)
	w.round(t, 1)
	w.clock.Advance(2 * time.Minute)
	w.round(t, 1)
	p := w.pushes(t)
	if len(p) != 1 || p[0].SentAt == nil || p[0].Attempts != 3 || p[0].LastError != "" {
		t.Fatalf("after the 201: %+v", p)
	}
	w.clock.Advance(24 * time.Hour)
	w.round(t, 0)
	got := ps.Requests()
	if len(got) != 3 {
		t.Fatalf("the push service got %d requests, want 3", len(got))
	}
	for _, r := range got {
		if s := w.open(t, r); s.Body != "hello" {
			t.Fatalf("attempt showed %+v", s)
		}
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	ps := newPushService(t, 503, 503, 503, 503)
	w := newWorld(t, ps, push.Config{Config: outbox.Config{MaxAttempts: 3, Backoff: outboxtest.NoWait}})
	w.chat(t, "hello")
	for range 3 {
		w.round(t, 1)
	}
	w.clock.Advance(time.Hour)
	w.round(t, 0)
	p := w.pushes(t)
	if len(p) != 1 || p[0].CancelledAt == nil || p[0].Attempts != 3 || p[0].LastError != "HTTP 503 Service Unavailable" ||
		len(ps.Requests()) != 3 {
		t.Fatalf("after giving up: %+v, %d requests", p, len(ps.Requests()))
	}
}

func TestTooManyRequestsWaitsAsAsked(t *testing.T) {
	t.Parallel()
	ps := newPushService(t, 429)
	w := newWorld(t, ps, push.Config{Config: outbox.Config{Backoff: outboxtest.NoWait}})
	w.chat(t, "hello")
	w.round(t, 1)
	w.clock.Advance(time.Minute)
	w.round(t, 0)
	w.clock.Advance(2 * time.Minute)
	w.round(t, 1)
	if p := w.pushes(t); p[0].SentAt == nil || len(ps.Requests()) != 2 {
		t.Fatalf("after Retry-After: %+v", p)
	}
}

func TestWorkerKilledMidSendDeliversOnceAfterTheLease(t *testing.T) {
	t.Parallel()
	ps := newPushService(t, 0, 201) // the first request gets no answer
	cfg := push.Config{Config: outbox.Config{Poll: 10 * time.Millisecond, Lease: 30 * time.Second, Backoff: outboxtest.NoWait}}
	w := newWorld(t, ps, cfg)
	w.chat(t, "hello")

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.newWorker(w.cfg).Run(ctx); close(done) }()
	<-ps.Arrived
	cancel() // the instance dies while the push service holds its request
	<-done
	if p := w.pushes(t); len(p) != 1 || p[0].SentAt != nil || p[0].CancelledAt != nil || p[0].Attempts != 1 {
		t.Fatalf("after the crash: %+v", p)
	}

	w.round(t, 0) // the dead worker's lease holds
	w.clock.Advance(31 * time.Second)
	w.round(t, 1)
	w.clock.Advance(time.Hour)
	w.round(t, 0)
	got := ps.Requests()
	if len(got) != 2 || got[1].Status != 201 {
		t.Fatalf("requests %+v; want one unanswered, then one accepted", got)
	}
	if p := w.pushes(t); p[0].SentAt == nil || p[0].Attempts != 2 {
		t.Fatalf("after the lease: %+v", p)
	}
}

func TestReadWithinTheQuietPeriodSendsNothing(t *testing.T) {
	t.Parallel()
	ps := newPushService(t)
	w := newWorld(t, ps, push.Config{Config: outbox.Config{Quiet: 5 * time.Second}})
	ctx := context.Background()
	v, conv := w.chat(t, "hello")
	m := w.say(t, v, "anyone?")
	w.round(t, 0) // quiet
	if err := w.db.MarkRead(ctx, conv, w.alex.ID, m.Seq); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(6 * time.Second)
	w.round(t, 1)
	if p := w.pushes(t); len(ps.Requests()) != 0 || p[0].CancelledAt == nil || p[0].LastError != "the message was read" {
		t.Fatalf("a read message was pushed: %+v", p)
	}

	// One not read is sent once the quiet period is over.
	w.say(t, v, "still there?")
	w.clock.Advance(6 * time.Second)
	w.round(t, 1)
	if got := ps.Requests(); len(got) != 1 || w.open(t, got[0]).Body != "still there?" {
		t.Fatalf("the unread message: %d requests", len(got))
	}
}

func TestOneNotificationPerConversationKeptUpToDate(t *testing.T) {
	t.Parallel()
	ps := newPushService(t)
	w := newWorld(t, ps, push.Config{Config: outbox.Config{Quiet: 5 * time.Second}})
	v, _ := w.chat(t, "hello")
	for _, body := range []string{"one", "two", "three"} {
		w.say(t, v, body)
	}
	if p := w.pushes(t); len(p) != 1 || p[0].Revision != 3 || p[0].Kind != store.PushMessage {
		t.Fatalf("pending notifications: %+v", p)
	}
	w.clock.Advance(6 * time.Second)
	w.round(t, 1)
	if got := ps.Requests(); len(got) != 1 || w.open(t, got[0]).Body != "three" {
		t.Fatalf("got %d requests", len(got))
	}
}

func TestNothingForAnOpenConsoleAwayOrMuted(t *testing.T) {
	t.Parallel()
	ps := newPushService(t)
	w := newWorld(t, ps, push.Config{Grace: 30 * time.Second})
	ctx := context.Background()
	v, conv := w.chat(t, "hello")

	// The console is open: no push. It closes: the next one is pushed.
	if err := w.db.TouchPresence(ctx, "tab-1", w.alex.ID, w.clock.Now()); err != nil {
		t.Fatal(err)
	}
	w.round(t, 1)
	if p := w.pushes(t); len(ps.Requests()) != 0 || p[0].LastError != "the recipient has the console open" {
		t.Fatalf("pushed with the console open: %+v", p)
	}
	if err := w.db.ClosePresence(ctx, "tab-1", w.clock.Now()); err != nil {
		t.Fatal(err)
	}
	w.say(t, v, "one")
	w.round(t, 1)
	if len(ps.Requests()) != 1 {
		t.Fatal("not pushed after the console closed")
	}

	// Away when it falls due: nothing.
	w.say(t, v, "two")
	if err := w.db.SetAgentState(ctx, w.alex.ID, chat.Away); err != nil {
		t.Fatal(err)
	}
	w.round(t, 1)
	if err := w.db.SetAgentState(ctx, w.alex.ID, chat.Available); err != nil {
		t.Fatal(err)
	}
	// Muted when it falls due: nothing.
	w.say(t, v, "three")
	if err := w.db.SetMuted(ctx, w.alex.ID, conv, true); err != nil {
		t.Fatal(err)
	}
	w.round(t, 1)
	// Muted before: not even enqueued.
	w.say(t, v, "four")
	w.round(t, 0)
	if got := ps.Requests(); len(got) != 1 {
		t.Fatalf("away or muted, still pushed: %d requests", len(got))
	}
	reasons := map[string]bool{}
	for _, p := range w.pushes(t) {
		reasons[p.LastError] = true
	}
	if !reasons["the recipient is away"] || !reasons["the conversation is muted"] {
		t.Fatalf("cancelled for %v", reasons)
	}
}

func TestWorkersShareTheOutbox(t *testing.T) {
	t.Parallel()
	ps := newPushService(t)
	w := newWorld(t, ps, push.Config{Config: outbox.Config{Batch: 4}})
	for i := range 20 {
		w.chat(t, fmt.Sprintf("chat %d", i))
	}
	var wg sync.WaitGroup
	for range 3 {
		worker := w.newWorker(w.cfg)
		wg.Go(func() {
			for {
				n, err := worker.Round(context.Background())
				if err != nil {
					t.Error(err)
				}
				if n == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	seen := map[string]int{}
	for _, r := range ps.Requests() {
		seen[w.open(t, r).Tag]++
	}
	if len(seen) != 20 {
		t.Fatalf("%d conversations pushed, want 20", len(seen))
	}
	for tag, n := range seen {
		if n != 1 {
			t.Fatalf("%s pushed %d times", tag, n)
		}
	}
}

// TestPrivateAddressesAreRefusedWhenConnecting: without AllowPrivate, an
// endpoint on a loopback address is refused when the worker connects, and
// so is one whose name resolves to it; nothing reaches the push service and
// the notifications are given up at once.
func TestPrivateAddressesAreRefusedWhenConnecting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ps := newPushService(t)
	w := newWorld(t, ps, push.Config{}) // subscribed at http://127.0.0.1:<port>
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(ps.URL, "http://"))
	if _, err := w.db.SavePushSubscription(ctx, w.alex.ID, "http://localhost:"+port+"/push/v2/named", w.browser.p256dh(),
		w.browser.auth(), "Chrome on Linux"); err != nil {
		t.Fatal(err)
	}
	w.chat(t, "hello")
	strict := push.NewWorker(w.db, push.Config{Config: outbox.Config{Now: w.clock.Now}}, slog.New(slog.DiscardHandler))
	if n, err := strict.Round(ctx); err != nil || n != 2 {
		t.Fatalf("round claimed %d, %v; want the notifications of both devices", n, err)
	}
	if got := ps.Requests(); len(got) != 0 {
		t.Fatalf("the push service on a loopback address got %d requests", len(got))
	}
	for _, p := range w.pushes(t) {
		if p.SentAt != nil || p.CancelledAt == nil || !strings.Contains(p.LastError, "not a public address") {
			t.Errorf("notification %d: sent %v, cancelled %v, error %q; want refused for good", p.ID, p.SentAt, p.CancelledAt, p.LastError)
		}
	}
}

// TestNotificationsInTheRecipientsLanguage: a notification speaks the
// language its recipient chose in the console, else the instance's.
func TestNotificationsInTheRecipientsLanguage(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, chose, instance, title, visitor string
	}{
		{"a member who chose Chinese", "zh-CN", "", "新会话分配给您：", "访客 #%d"},
		{"a member who chose nothing, on an instance that speaks Chinese", "", "zh-CN", "新会话分配给您：", "访客 #%d"},
		{"a member who chose English, on an instance that speaks Chinese", "en", "zh-CN", "New chat for you: ", "Visitor #%d"},
		{"a member who chose nothing, on an instance that speaks English", "", "", "New chat for you: ", "Visitor #%d"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ps := newPushService(t)
			w := newWorld(t, ps, push.Config{Language: c.instance})
			if err := w.db.SetLanguage(context.Background(), w.alex.ID, c.chose); err != nil {
				t.Fatal(err)
			}
			v, conv := w.chat(t, "我的订单在哪里？")
			w.round(t, 1)
			got := ps.Requests()
			if len(got) != 1 {
				t.Fatalf("the push service got %d requests, want 1", len(got))
			}
			want := shown{Title: c.title + fmt.Sprintf(c.visitor, v.ID), Body: "我的订单在哪里？",
				URL: fmt.Sprintf("/console/c/%d", conv), Tag: fmt.Sprintf("c%d", conv)}
			if s := w.open(t, got[0]); s != want {
				t.Fatalf("the browser shows %+v, want %+v", s, want)
			}
		})
	}
}
