package app

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// The debug address is for operators only: it serves /metrics and pprof,
// on a mux of its own, never on the main router. Bind it to loopback or a
// private network.

// debugTimeout is how long a request to the debug address may take to
// answer: a CPU profile or a trace runs for as many seconds as it asks.
const debugTimeout = 5 * time.Minute

// debugHandler serves /metrics and pprof's pages under /debug/pprof/.
func (a *App) debugHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.metrics.Handler(a.logger))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// serveDebug serves the debug address until ctx ends, then closes it:
// requests still running (a profile) end with ctx.
func (a *App) serveDebug(ctx context.Context) {
	srv := &http.Server{
		Handler:           a.debugHandler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      debugTimeout,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          a.errorLog(),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(a.debug) }()
	select {
	case err := <-served:
		a.logger.Error("the debug address stopped serving", "err", err)
		return
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		a.logger.Error("the debug address stopped serving", "err", err)
	}
}
