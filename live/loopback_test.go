package live_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/live"
	"github.com/kefu-im/kefu/store/storetest"
)

// TestLoopbackHandsItsOwnEventsOnceAndOthersTheRest: an instance's own
// events reach its handler at once, in order, each once, and not again when
// the bus brings them back; another instance hears every one of them, as
// published. An event as large as the bus allows still reaches the others
// once marked, and a handler that publishes does not hold up the Loopback.
func TestLoopbackHandsItsOwnEventsOnceAndOthersTheRest(t *testing.T) {
	t.Parallel()
	url := storetest.URL(t)
	logger := slog.New(slog.DiscardHandler)
	ownBus, other := listen(t, url), listen(t, url)
	local := make(chan string, 1<<10)
	resyncs := make(chan struct{}, 1)
	var loop *live.Loopback
	loop = live.NewLoopback(live.NewNotifier(url, notifierChannel, logger), func(payload string) {
		local <- payload
		if strings.Contains(payload, `"first"`) {
			loop.Publish([]byte(`{"t":"followed"}`)) // a handler's own change
		}
	}, func() { resyncs <- struct{}{} })

	big := `{"t":"message","d":"` + strings.Repeat("x", chat.MaxEventBytes-len(`{"t":"message","d":""}`)) + `"}`
	want := []string{`{"t":"first"}`}
	for i := range 50 {
		want = append(want, fmt.Sprintf(`{"t":"message","c":%d}`, i))
	}
	want = append(want, big)
	for _, p := range want {
		loop.Publish([]byte(p))
	}
	// The follow-up goes once the handler has the first event: anywhere
	// after it, among the others, which keep their order.
	want = append(want[:1], append([]string{`{"t":"followed"}`}, want[1:]...)...)
	got := make([]string, 0, len(want))
	for range want {
		select {
		case p := <-local:
			got = append(got, p)
		case <-time.After(10 * time.Second):
			t.Fatalf("the handler had %d of %d events", len(got), len(want))
		}
	}
	if got[0] != want[0] {
		t.Fatalf("the handler's first event: %.40s, want %s", got[0], want[0])
	}
	followed := 0
	for i, p := range got[1:] {
		if p == `{"t":"followed"}` {
			followed++
			continue
		}
		if next := want[2+i-followed]; p != next {
			t.Fatalf("the handler's events out of order: %.40s where %.40s was due", p, next)
		}
	}
	if followed != 1 {
		t.Fatalf("the handler had the follow-up %d times", followed)
	}

	// The others hear each event in the handler's order, marked; decoded,
	// it is the event. This instance's bus hears only its echoes.
	for _, p := range got {
		if heard := other.hear(t); !sameJSON(t, heard, p) {
			t.Fatalf("another instance heard %.60s, want %.60s", heard, p)
		}
		if echo := ownBus.hear(t); !loop.Echo(echo) {
			t.Fatalf("this instance's bus heard %.60s, which is not its own", echo)
		}
	}
	if loop.Echo(`{"t":"message"}`) || loop.Echo(`resync`) {
		t.Fatal("an unmarked event counts as this instance's own")
	}
	if err := loop.Close(); err != nil {
		t.Fatal(err)
	}
	if len(local) > 0 || len(resyncs) > 0 {
		t.Fatalf("the handler had %d events more, and %d resyncs", len(local), len(resyncs))
	}
	if chat.MaxEventBytes+live.MarkBytes >= 8000 {
		t.Fatalf("a marked event may take %d bytes, more than a NOTIFY carries", chat.MaxEventBytes+live.MarkBytes)
	}
}

// TestLoopbackDropsWhatItsHandlerCannotTakeAndResyncs: events beyond what
// may wait for a stalled handler are dropped for it, not for the bus, and
// the handler resyncs once it has caught up; Close drops what still waits,
// and an event published after it reaches no handler.
func TestLoopbackDropsWhatItsHandlerCannotTakeAndResyncs(t *testing.T) {
	t.Parallel()
	url := storetest.URL(t)
	other := listen(t, url)
	holding, release := make(chan struct{}), make(chan struct{})
	local := make(chan string, 64)
	resyncs := make(chan struct{}, 4)
	loop := live.NewLoopback(live.NewNotifier(url, notifierChannel, slog.New(slog.DiscardHandler)), func(payload string) {
		local <- payload
		if payload == `{"t":"held"}` {
			close(holding)
			<-release
		}
	}, func() { resyncs <- struct{}{} })
	const limit = 4
	live.SetLocalBacklogForTest(loop, limit)
	loop.Publish([]byte(`{"t":"held"}`))
	<-holding
	for i := range limit + 3 {
		loop.Publish(fmt.Appendf(nil, `{"t":"message","c":%d}`, i))
	}
	close(release)
	if p := <-local; p != `{"t":"held"}` {
		t.Fatalf("the handler's first event: %s", p)
	}
	for i := range limit {
		select {
		case p := <-local:
			if want := fmt.Sprintf(`{"t":"message","c":%d}`, i); p != want {
				t.Fatalf("the handler had %s, want %s", p, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("the handler had %d of the %d events that could wait", i, limit)
		}
	}
	select {
	case <-resyncs:
	case <-time.After(10 * time.Second):
		t.Fatal("the handler was not asked to resync after events were dropped for it")
	}
	// Every event reached the bus, the dropped ones too.
	for i := -1; i < limit+3; i++ {
		want := `{"t":"held"}`
		if i >= 0 {
			want = fmt.Sprintf(`{"t":"message","c":%d}`, i)
		}
		if heard := other.hear(t); !sameJSON(t, heard, want) {
			t.Fatalf("another instance heard %.60s, want %s", heard, want)
		}
	}
	if err := loop.Close(); err != nil {
		t.Fatal(err)
	}
	if len(local) > 0 || len(resyncs) > 0 {
		t.Fatalf("the handler had %d events more, and %d resyncs", len(local), len(resyncs))
	}
	loop.Publish([]byte(`{"t":"late"}`))
	if len(local) > 0 {
		t.Fatal("an event published after Close reached the handler")
	}
}

// sameJSON reports whether got, without its origin, is the object want.
func sameJSON(t *testing.T, got, want string) bool {
	t.Helper()
	var g, w map[string]any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("%.60s is not JSON: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if len(g) != len(w)+1 {
		return false
	}
	for k, v := range w {
		if fmt.Sprint(g[k]) != fmt.Sprint(v) {
			return false
		}
	}
	return true
}
