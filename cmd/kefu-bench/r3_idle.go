package main

// R3: what an idle widget socket costs kefu, in memory and goroutines, with
// many open. The sockets' other ends live in a child process, so that only
// kefu's side is counted here.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func (b *bench) idleSockets(ctx context.Context) error {
	n := b.opts.idleSockets
	if limit := fileLimit(); limit < uint64(n)+1000 {
		return fmt.Errorf("%d sockets need more open files than the limit, %d: raise it (ulimit -Hn) or lower -idle-sockets", n, limit)
	}
	k, err := b.freshInstance(ctx)
	if err != nil {
		return err
	}
	defer k.stop()
	_, tokens, err := createVisitors(ctx, k.db, n)
	if err != nil {
		return err
	}
	file := filepath.Join(b.pg.dir, "tokens")
	if err := os.WriteFile(file, []byte(strings.Join(tokens, "\n")), 0o600); err != nil {
		return err
	}
	defer os.Remove(file)
	b.progress("R3: opening %d idle widget sockets", n)
	before := measureFootprint()
	began := time.Now()
	dialer, err := startChild(ctx, 15*time.Minute, "dial", "-base", k.base, "-tokens", file)
	if err != nil {
		return err
	}
	opened := time.Since(began)
	after := measureFootprint()
	load := loadAverage()
	if err := dialer.stop(); err != nil {
		return err
	}
	per := func(a, b int64) float64 { return float64(a-b) / float64(n) / 1024 }
	where := fmt.Sprintf("%d idle widget sockets", n)
	b.rows = append(b.rows,
		row{figure: "R3 memory per socket, " + where, kefu: fmt.Sprintf("%.1f KB RSS", per(after.rss, before.rss)),
			reference: fmt.Sprintf("%.1f KB Go heap", per(after.heap, before.heap)), target: "≤ 20 KB", load: load},
		row{figure: "R3 goroutines per socket, " + where,
			kefu:      fmt.Sprintf("%.2f", float64(after.goroutines-before.goroutines)/float64(n)),
			reference: fmt.Sprintf("opened in %s", opened.Round(time.Second)), target: "1", load: load})
	return nil
}
