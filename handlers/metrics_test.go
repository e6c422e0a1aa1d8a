package handlers_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kefu-im/kefu/app"
	"github.com/kefu-im/kefu/metrics/metricstest"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/storetest"
)

// Series of the samples the tests read.
const (
	stored           = `kefu_messages_stored_total`
	deliveredConsole = `kefu_messages_delivered_total{socket="console"}`
	deliveredWidget  = `kefu_messages_delivered_total{socket="widget"}`
	latencyConsole   = `kefu_delivery_latency_seconds_count{socket="console"}`
	latencyWidget    = `kefu_delivery_latency_seconds_count{socket="widget"}`
	consolesOpen     = `kefu_sockets_open{socket="console"}`
	widgetsOpen      = `kefu_sockets_open{socket="widget"}`
	queueLength      = `kefu_queue_length`
	taken            = `kefu_assignments_total{by="agent"}`
	webhookDelivered = `kefu_outbox_outcomes_total{outbox="webhook",outcome="delivered"}`
)

// debugInstance is a kefu whose workers deliver, serving /metrics and pprof
// on a debug address of its own; it returns the debug address's URL.
func debugInstance(t *testing.T) (*instance, string) {
	t.Helper()
	debug, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	k := startWith(t, storetest.URL(t), func(c *app.Config) {
		c.Debug, c.Deliver = debug, true
		c.Webhook.AllowPrivate = true // the test's receiver listens on loopback
	})
	k.ensureAgent()
	return k, "http://" + debug.Addr().String()
}

// next waits for a frame containing want that came after every frame read
// so far. A socket writes its frames in order, so once next returns, what
// was counted when an earlier frame was written has been counted.
func (s *socket) next(want string) string {
	s.t.Helper()
	for i := range s.frames {
		s.used[i] = true
	}
	return s.waitFor(want)
}

// eventually scrapes url until cond holds of what it serves, for ten seconds at most.
func eventually(t *testing.T, url, what string, cond func(metricstest.Samples) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for s := metricstest.Get(t, url); !cond(s); s = metricstest.Get(t, url) {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s; the metrics are:\n%v", what, s)
		}
		<-tick.C
	}
}

func TestMetricsCountMessagesSocketsTheQueueAndWebhooks(t *testing.T) {
	t.Parallel()
	k, debug := debugInstance(t)
	scrape := debug + "/metrics"
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	t.Cleanup(receiver.Close)
	if _, err := k.db.CreateWebhook(context.Background(), 0, store.NewWebhook{URL: receiver.URL,
		Events: []string{store.EventMessageCreated}, Secret: "whsec_metrics"}); err != nil {
		t.Fatal(err)
	}
	before := metricstest.Get(t, scrape)
	for _, series := range []string{stored, consolesOpen, widgetsOpen, queueLength, "go_goroutines", "process_resident_memory_bytes"} {
		if v, ok := before[series]; !ok || (strings.HasPrefix(series, "kefu_") && v != 0) {
			t.Fatalf("before anything happens, %s = %v (served: %t), want it served and 0 for kefu's", series, v, ok)
		}
	}

	// Alex is away: the chat waits in the queue until they take it, and
	// their console shows the queue's view.
	alex := k.agent()
	alex.setState("away")
	console := alex.consoleAt("/console/live?view=unassigned")
	console.send(map[string]any{"type": "resume"})
	console.waitFor(`data-target="#conversation-list" data-swap="innerHTML"`)
	k.waitOnline(k.adminID())
	token := k.visitorToken()
	v := k.liveWidget(token)
	v.send(map[string]any{"type": "send", "client_msg_id": "p1", "body": "Where is my parcel?"})
	v.waitFor(`data-ack="p1"`)
	v.waitFor("Where is my parcel?")
	console.waitFor(`data-target="#conversation-list" data-swap="sorted"`)

	// Alex opens the chat; the visitor's next message reaches their thread.
	conv := visitorConversation(t, k.db, token)
	console.send(map[string]any{"type": "resume", "conversation_id": conv.ID, "seq": conv.LastSeq})
	console.next(`data-target="#conversation-list" data-swap="innerHTML"`)
	v.send(map[string]any{"type": "send", "client_msg_id": "p2", "body": "It was due on Monday."})
	v.waitFor(`data-ack="p2"`)
	console.waitFor("It was due on Monday.")
	v.waitFor("It was due on Monday.")
	console.send(map[string]any{"type": "resume", "conversation_id": conv.ID, "seq": conv.LastSeq + 1})
	console.next(`data-target="#conversation-list" data-swap="innerHTML"`)
	v.send(map[string]any{"type": "resume"})
	v.next(`data-target="#queue-status"`)

	s := metricstest.Get(t, scrape)
	want := map[string]float64{stored: 2, deliveredConsole: 2, latencyConsole: 2, deliveredWidget: 2, latencyWidget: 2,
		consolesOpen: 1, widgetsOpen: 1, queueLength: 1}
	for series, n := range want {
		if s[series] != n {
			t.Errorf("%s = %v, want %v", series, s[series], n)
		}
	}
	if s[`kefu_delivery_latency_seconds_bucket{socket="console",le="+Inf"}`] != 2 {
		t.Errorf("the console's latency histogram holds %v samples, want 2", s[`kefu_delivery_latency_seconds_bucket{socket="console",le="+Inf"}`])
	}
	// A resent message is answered with what was stored, and not counted again.
	v.send(map[string]any{"type": "send", "client_msg_id": "p2", "body": "It was due on Monday."})
	v.next(`data-ack="p2"`)
	if n := metricstest.Get(t, scrape)[stored]; n != 2 {
		t.Errorf("after a resend, %s = %v, want 2", stored, n)
	}

	// Taking the chat is an assignment, and empties the queue.
	if resp, _ := alex.post(fmt.Sprintf("/console/queue/%d/take", conv.ID), url.Values{"_csrf": {alex.csrf("/console")}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("take: %s", resp.Status)
	}
	if s := metricstest.Get(t, scrape); s[taken] != 1 || s[queueLength] != 0 {
		t.Errorf("after the take, %s = %v and %s = %v, want 1 and 0", taken, s[taken], queueLength, s[queueLength])
	}

	// The webhook worker counts what it delivered; a closed socket is no longer counted open.
	eventually(t, scrape, "a webhook delivered", func(s metricstest.Samples) bool { return s[webhookDelivered] >= 1 })
	v.ws.Close(websocket.StatusNormalClosure, "")
	eventually(t, scrape, "the widget's socket counted closed", func(s metricstest.Samples) bool {
		return s[widgetsOpen] == 0 && s[consolesOpen] == 1
	})
}

func TestMetricsAndPprofAreServedOnTheDebugAddressOnly(t *testing.T) {
	t.Parallel()
	k, debug := debugInstance(t)
	get := func(u string) (int, string) {
		t.Helper()
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for _, path := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/goroutine?debug=1", "/debug/pprof/cmdline"} {
		if status, _ := get(k.srv.URL + path); status != http.StatusNotFound {
			t.Errorf("GET %s on the main address: %d, want 404", path, status)
		}
	}
	if status, body := get(debug + "/debug/pprof/goroutine?debug=1"); status != http.StatusOK || !strings.Contains(body, "goroutine profile:") {
		t.Errorf("GET /debug/pprof/goroutine on the debug address: %d", status)
	}
	if status, body := get(debug + "/debug/pprof/"); status != http.StatusOK || !strings.Contains(body, "heap") {
		t.Errorf("GET /debug/pprof/ on the debug address: %d", status)
	}
	if status, body := get(debug + "/metrics"); status != http.StatusOK || !strings.Contains(body, "# TYPE kefu_messages_stored_total counter") {
		t.Errorf("GET /metrics on the debug address: %d", status)
	}
}
