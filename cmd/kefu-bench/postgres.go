package main

// The bench's private PostgreSQL: durable commits, as `make run` has them,
// with pg_stat_statements preloaded; and one fresh migrated database per
// measurement, cloned from a template.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/localpg"
)

const templateDB = "kefu_bench_template"

// tmpfsMagic is tmpfs's statfs type: fsync there reaches no disk.
const tmpfsMagic = 0x01021994

type postgres struct {
	server  *localpg.Server
	dir     string
	ownDir  bool // made by startPostgres, removed by stop
	counter atomic.Int64
	// dropped is how many of the databases made are gone: kefu_bench_1
	// up to kefu_bench_<dropped> (clean).
	dropped int64
}

// startPostgres starts a private server under dir (a new temporary
// directory when empty) with the settings `make run` has, fsync and
// synchronous_commit on, and migrates the template the measurements' databases
// are cloned from.
func startPostgres(ctx context.Context, dir string) (*postgres, error) {
	p := &postgres{dir: dir}
	if dir == "" {
		var err error
		if p.dir, err = os.MkdirTemp("", "kefu-bench-"); err != nil {
			return nil, err
		}
		p.ownDir = true
		// The server may run as the postgres user, which must be able to enter it.
		if err := os.Chmod(p.dir, 0o755); err != nil {
			return nil, err
		}
	}
	var fs syscall.Statfs_t
	if syscall.Statfs(p.dir, &fs) == nil && fs.Type == tmpfsMagic {
		return nil, fmt.Errorf("%s is on tmpfs, where a durable commit reaches no disk: choose another directory with -data", p.dir)
	}
	server, err := localpg.Start(ctx, localpg.Options{
		DataDir:  filepath.Join(p.dir, "pg"),
		Logger:   slog.New(slog.DiscardHandler),
		Settings: map[string]string{"shared_preload_libraries": "pg_stat_statements", "pg_stat_statements.track_planning": "on", "max_connections": "200"},
	})
	if err != nil {
		p.removeDir()
		return nil, err
	}
	p.server = server
	if err := p.migrateTemplate(ctx); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

func (p *postgres) migrateTemplate(ctx context.Context) error {
	if err := p.server.EnsureDatabase(ctx, templateDB); err != nil {
		return err
	}
	db, err := store.Open(ctx, p.server.ConnString(templateDB))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	// The statements are read and reset from the postgres database.
	return p.admin(ctx, func(conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
		return err
	})
}

func (p *postgres) stop() {
	_ = p.server.Stop()
	p.removeDir()
}

func (p *postgres) removeDir() {
	if p.ownDir {
		_ = os.RemoveAll(p.dir)
	}
}

// show returns a server setting as SHOW prints it.
func (p *postgres) show(ctx context.Context, name string) (string, error) {
	var v string
	err := p.admin(ctx, func(conn *pgx.Conn) error {
		return conn.QueryRow(ctx, "SHOW "+pgx.Identifier{name}.Sanitize()).Scan(&v)
	})
	return v, err
}

// admin runs f on a connection to the postgres database.
func (p *postgres) admin(ctx context.Context, f func(*pgx.Conn) error) error {
	conn, err := pgx.Connect(ctx, p.server.ConnString("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return f(conn)
}

// database creates a fresh migrated database and returns its connection string.
func (p *postgres) database(ctx context.Context) (string, error) {
	name := fmt.Sprintf("kefu_bench_%d", p.counter.Add(1))
	err := p.admin(ctx, func(conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+templateDB)
		return err
	})
	return p.server.ConnString(name), err
}

// clean drops the databases made since the last clean and takes a
// checkpoint, so that what one measurement leaves behind does not land on
// the next: the autovacuum of the rows it wrote goes with its database,
// and a checkpoint the server had coming does not fall inside the next
// measurement. A database that is still in use is not dropped: the drop
// fails, after waiting 5 s for its connections to go, and says so.
// It runs between measurements, never beside one.
func (p *postgres) clean(ctx context.Context) error {
	return p.admin(ctx, func(conn *pgx.Conn) error {
		for made := p.counter.Load(); p.dropped < made; p.dropped++ {
			name := pgx.Identifier{fmt.Sprintf("kefu_bench_%d", p.dropped+1)}.Sanitize()
			if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name); err != nil {
				return err
			}
		}
		_, err := conn.Exec(ctx, "CHECKPOINT")
		return err
	})
}

// clean is postgres.clean, before what is measured next.
func (b *bench) clean(ctx context.Context, next string) error {
	if err := b.pg.clean(ctx); err != nil {
		return fmt.Errorf("dropping the databases before %s, and a checkpoint: %w", next, err)
	}
	return nil
}

// openDatabase creates a fresh migrated database and opens it.
func (p *postgres) openDatabase(ctx context.Context) (*store.DB, string, error) {
	dbURL, err := p.database(ctx)
	if err != nil {
		return nil, "", err
	}
	db, err := store.Open(ctx, dbURL)
	return db, dbURL, err
}

// statement is one normalised statement's share of what ran.
type statement struct {
	query string
	calls int64
	ms    float64 // total time: planning and execution
	plan  float64 // of it, planning
}

// statementReport is what pg_stat_statements saw while messages were sent.
type statementReport struct {
	messages   int64 // stored in that time
	delivered  int64 // of them, received by the agent's console when the statements were read
	calls      int64 // every statement
	txControl  int64 // of them, BEGIN, COMMIT and ROLLBACK
	totalMS    float64
	statements []statement // by execution time, most first
	path       string      // the file that lists them all
}

// resetStatements forgets what pg_stat_statements has counted so far.
func (p *postgres) resetStatements(ctx context.Context) error {
	return p.admin(ctx, func(conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, "SELECT pg_stat_statements_reset()")
		return err
	})
}

// statements reads what pg_stat_statements counted in the database at
// dbURL since the last reset.
func (p *postgres) statements(ctx context.Context, dbURL string) (*statementReport, error) {
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return nil, err
	}
	r := &statementReport{}
	err = p.admin(ctx, func(conn *pgx.Conn) error {
		rows, err := conn.Query(ctx, `SELECT s.query, s.calls, s.total_exec_time + s.total_plan_time, s.total_plan_time
			FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
			WHERE d.datname = $1 ORDER BY s.total_exec_time + s.total_plan_time DESC`, cfg.Database)
		if err != nil {
			return err
		}
		r.statements, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (statement, error) {
			var s statement
			err := row.Scan(&s.query, &s.calls, &s.ms, &s.plan)
			s.query = strings.Join(strings.Fields(s.query), " ")
			return s, err
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(r.statements) == 0 {
		return nil, errors.New("pg_stat_statements saw no statements")
	}
	for _, s := range r.statements {
		r.calls += s.calls
		r.totalMS += s.ms
		switch strings.ToUpper(s.query) {
		case "BEGIN", "COMMIT", "ROLLBACK":
			r.txControl += s.calls
		}
	}
	return r, nil
}
