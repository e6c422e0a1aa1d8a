// Package storetest gives tests real PostgreSQL databases: one private server
// per test package (started by Main) and one fresh database per test, cloned
// from a migrated template so tests run in parallel and leave nothing behind.
package storetest

import (
	"context"
	"fmt"
	"log"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/localpg"
)

const template = "kefu_template"

// ahead is how many databases are cloned before tests ask for them: a clone
// takes a tenth of a second or more, and a test that finds one ready does
// not wait for it.
const ahead = 2

var (
	server  *localpg.Server
	counter atomic.Int64
	// clones holds databases cloned ahead, from the one goroutine that
	// clones (CREATE DATABASE … TEMPLATE refuses concurrent use of the
	// template).
	clones chan clone
	// drops takes the databases of ended tests to the goroutine that drops
	// them, so that no test waits for it; dropped reports its failures.
	drops   chan string
	dropped chan error
)

type clone struct {
	name string
	err  error
}

// Main starts the package's PostgreSQL, migrates the template database, runs
// the tests and stops the server. Call it from TestMain.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "kefu-test-")
	if err != nil {
		log.Print(err)
		return 1
	}
	defer os.RemoveAll(dir)
	// The server may run as the postgres user, which must be able to enter dir.
	if err := os.Chmod(dir, 0o755); err != nil {
		log.Print(err)
		return 1
	}
	server, err = localpg.Start(ctx, localpg.Options{DataDir: dir + "/pg", Fast: true})
	if err != nil {
		log.Print(err)
		return 1
	}
	defer server.Stop()
	if err := migrateTemplate(ctx); err != nil {
		log.Print(err)
		return 1
	}
	stopCloning := startCloning()
	drops, dropped = make(chan string, 1024), make(chan error, 1)
	go dropAll()
	code := m.Run()
	stopCloning()
	close(drops)
	if err := <-dropped; err != nil {
		log.Print(err)
		code = 1
	}
	return code
}

// startCloning starts the goroutine that keeps ahead databases cloned, and
// returns a func that stops it.
func startCloning() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	clones = make(chan clone, ahead)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c := clone{name: fmt.Sprintf("kefu_test_%d_%d", os.Getpid(), counter.Add(1))}
			c.err = adminExec(ctx, "CREATE DATABASE "+pgx.Identifier{c.name}.Sanitize()+" TEMPLATE "+template)
			select {
			case clones <- c:
			case <-ctx.Done():
				return // a clone no test took goes with the server
			}
		}
	}()
	return func() { cancel(); <-done }
}

// dropAll drops the databases sent on drops until it is closed, then sends
// the first failure, or nil, on dropped.
func dropAll() {
	var first error
	for name := range drops {
		err := adminExec(context.Background(), "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
		if err != nil && first == nil {
			first = fmt.Errorf("storetest: drop database %s: %w", name, err)
		}
	}
	dropped <- first
}

// adminExec runs sql on the server's postgres database.
func adminExec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, server.ConnString("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}

func migrateTemplate(ctx context.Context) error {
	if err := server.EnsureDatabase(ctx, template); err != nil {
		return err
	}
	db, err := store.Open(ctx, server.ConnString(template))
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Migrate(ctx)
}

// URL creates a fresh migrated database for t and returns its connection string.
// The database is dropped when t ends.
func URL(t testing.TB) string {
	t.Helper()
	if server == nil {
		t.Fatal("storetest: call storetest.Main from TestMain")
	}
	c := <-clones
	if c.err != nil {
		t.Fatal(c.err)
	}
	// The drop is left to dropAll, which fails the run if it cannot.
	t.Cleanup(func() { drops <- c.name })
	return server.ConnString(c.name)
}

// DB opens a fresh migrated database for t, closed and dropped when t ends.
func DB(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

// Outage makes the database at url unreachable, as a crashed or restarting
// server is: it ends every connection to it and refuses new ones, until the
// returned function is called (at the latest, when t ends). It works on any
// server where url's user may alter the database, such as a localpg one.
func Outage(t testing.TB, url string) (end func()) {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	name := cfg.Database
	cfg.Database = "postgres" // the statements run from another database
	admin := func(sql string, args ...any) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	ident := pgx.Identifier{name}.Sanitize()
	admin("ALTER DATABASE " + ident + " ALLOW_CONNECTIONS false")
	admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", name)
	var once sync.Once
	end = func() { once.Do(func() { admin("ALTER DATABASE " + ident + " ALLOW_CONNECTIONS true") }) }
	t.Cleanup(end)
	return end
}
