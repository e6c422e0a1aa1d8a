package app_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/kefu-im/kefu/app"
	"github.com/kefu-im/kefu/queue"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// start starts an instance on a fresh database, with debug as its debug
// listener (nil: none), until t ends.
func start(t *testing.T, debug net.Listener) *app.App {
	t.Helper()
	dbURL := storetest.URL(t)
	db, err := store.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	a := app.New(db, app.Config{BaseURL: &url.URL{Scheme: "http", Host: "127.0.0.1"}, DatabaseURL: dbURL, Routing: queue.DefaultConfig,
		Debug: debug},
		slog.New(slog.DiscardHandler))
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Stop)
	return a
}

func TestDebugAddressServesUntilStop(t *testing.T) {
	t.Parallel()
	debug, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := start(t, debug)
	base := "http://" + debug.Addr().String()
	for path, want := range map[string]string{"/metrics": "kefu_queue_length 0", "/debug/pprof/": "goroutine"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(want)) {
			t.Fatalf("GET %s: %s, want 200 with %q", path, resp.Status, want)
		}
	}

	a.Stop()
	if conn, err := net.Dial("tcp", debug.Addr().String()); err == nil {
		conn.Close()
		t.Fatal("the debug address still accepts connections after Stop")
	}
}

func TestNoDebugAddressWithoutOne(t *testing.T) {
	t.Parallel()
	a := start(t, nil)
	for _, path := range []string{"/metrics", "/debug/pprof/"} {
		rec := httptest.NewRecorder()
		a.Server().Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusNotFound {
			t.Fatalf("GET %s on the main handler: %d, want 404", path, rec.Code)
		}
	}
}
