// Command kefu serves the kefu helpdesk: the agents' console, the embeddable
// widget and their live sockets, on PostgreSQL (a private one when
// DATABASE_URL is unset).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/kefu-im/kefu/app"
	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/config"
	"github.com/kefu-im/kefu/mail"
	"github.com/kefu-im/kefu/push"
	"github.com/kefu-im/kefu/queue"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/localpg"
	"github.com/kefu-im/kefu/webhook"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "kefu:", err)
		os.Exit(1)
	}
}

// defaultAdminEmail names the first admin when KEFU_ADMIN_EMAIL is unset.
const defaultAdminEmail = "admin@kefu.localhost"

// run starts kefu and serves until ctx ends, then shuts down in order:
// stop accepting, close sockets with 1001, stop the bus, the workers
// (routing, webhooks, web push, email, the janitor) and the inbound email
// listener, close the pool, stop the private PostgreSQL.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	if cfg.GCPercent > 0 {
		debug.SetGCPercent(cfg.GCPercent)
	}
	if _, err := initialSettings(cfg); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stdout, nil))
	switch {
	case len(args) == 1 && args[0] == "healthcheck":
		return healthcheck(ctx, cfg)
	case len(args) >= 2 && args[0] == "user" && args[1] == "add":
		return userAdd(ctx, cfg, args[2:], stdout)
	case len(args) >= 2 && args[0] == "user" && args[1] == "passwd":
		return userPasswd(ctx, cfg, args[2:], stdout)
	case len(args) >= 2 && args[0] == "user" && (args[1] == "disable" || args[1] == "enable"):
		return userSetDisabled(ctx, cfg, args[2:], args[1] == "disable", stdout)
	case len(args) > 0:
		return fmt.Errorf("unknown command %q: kefu serves with no arguments; other commands: 'healthcheck', 'user add', 'user passwd', 'user disable', 'user enable'", args[0])
	}
	logger.Info("starting", cfg.Redacted()...)

	d, err := openDB(ctx, cfg, logger, localpg.Start)
	if err != nil {
		return err
	}
	defer d.close()
	db := d.db
	// The private PostgreSQL is restarted if it dies; pgFailed reports that it could not be.
	pgFailed := make(chan error, 1)
	if d.pg != nil {
		superviseCtx, stopSupervising := context.WithCancel(context.WithoutCancel(ctx))
		supervised := make(chan struct{})
		go func() {
			defer close(supervised)
			if err := d.pg.Supervise(superviseCtx); err != nil {
				pgFailed <- fmt.Errorf("the private PostgreSQL exited and could not be restarted: %w", err)
			}
		}()
		defer func() { stopSupervising(); <-supervised }()
	}
	if err := ensureAdmin(ctx, db, cfg, stdout); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("KEFU_ADDR: %w", err)
	}
	defer ln.Close()
	if cfg.BaseURLFromAddr {
		// With port 0 the port is known only now.
		cfg.BaseURL.Host = net.JoinHostPort(cfg.BaseURL.Hostname(), strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	}

	acfg := appConfig(cfg, d.url)
	if cfg.DebugAddr != "" {
		// Metrics and pprof, for operators only: never on the main address.
		if acfg.Debug, err = net.Listen("tcp", cfg.DebugAddr); err != nil {
			return fmt.Errorf("KEFU_DEBUG_ADDR: %w", err)
		}
		defer acfg.Debug.Close()
		fmt.Fprintf(stdout, "kefu: metrics on http://%s/metrics, pprof on http://%[1]s/debug/pprof/\n", acfg.Debug.Addr())
	}
	if cfg.SMTPListen != "" {
		// Replies by email and delivery reports, for the reply domain's addresses.
		if acfg.MailInbound, err = net.Listen("tcp", cfg.SMTPListen); err != nil {
			return fmt.Errorf("KEFU_SMTP_LISTEN: %w", err)
		}
		defer acfg.MailInbound.Close()
	}
	a := app.New(db, acfg, logger)
	// Every way out waits for everything the app started.
	defer a.Stop()
	if err := a.Start(ctx); err != nil {
		return err
	}
	select {
	case <-a.Ready():
	case <-ctx.Done():
		return nil
	case err := <-pgFailed:
		return err
	case <-time.After(30 * time.Second):
		return errors.New("the bus did not start listening within 30s")
	}

	srv := a.Server()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "kefu: serving on http://%s (console: %s/console)\n", ln.Addr(), cfg.BaseURL)

	var failed error
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		return err
	case failed = <-pgFailed:
		logger.Error("cannot go on without the database", "err", failed)
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	a.Stop()
	logger.Info("stopped")
	if failed != nil {
		return failed
	}
	return err
}

// ensureAdmin creates the first admin on the first start. Without
// KEFU_ADMIN_PASSWORD it generates a password and prints it, once.
func ensureAdmin(ctx context.Context, db *store.DB, cfg config.Config, stdout io.Writer) error {
	email, password := cfg.AdminEmail, cfg.AdminPassword
	if email == "" {
		email = defaultAdminEmail
	}
	generated := password == ""
	if generated {
		password = auth.RandomPassword()
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	u, created, err := db.EnsureAdmin(ctx, store.NewMember{Email: email, Name: "Admin", PasswordHash: hash})
	if err != nil || !created {
		return err
	}
	if generated {
		fmt.Fprintf(stdout, "kefu: created the admin %s with the password %s (shown only this once)\n", u.Email, password)
	} else {
		fmt.Fprintf(stdout, "kefu: created the admin %s\n", u.Email)
	}
	return nil
}

// initialSettings are the settings of KEFU_CONFIG, or the defaults.
func initialSettings(cfg config.Config) (chat.Settings, error) {
	if cfg.Settings == nil {
		return chat.DefaultSettings(), nil
	}
	s, err := chat.ParseSettings(cfg.Settings)
	if err != nil {
		return s, &config.Error{Var: "KEFU_CONFIG", Problem: err.Error()}
	}
	return s, nil
}

// healthcheck asks the kefu listening on KEFU_ADDR whether it is healthy,
// for container HEALTHCHECKs where no curl exists.
func healthcheck(ctx context.Context, cfg config.Config) error {
	_, port, _ := net.SplitHostPort(cfg.Addr)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort("127.0.0.1", port)+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s", resp.Status)
	}
	return nil
}

// appConfig is the app's configuration from kefu's.
func appConfig(cfg config.Config, databaseURL string) app.Config {
	routing := queue.DefaultConfig
	routing.Grace, routing.AnswerTimeout, routing.TargetWait = cfg.OfflineGrace, cfg.AnswerTimeout, cfg.TargetWait
	routing.Sweep = min(routing.Sweep, cfg.OfflineGrace/2)
	pushes := push.DefaultConfig
	pushes.Grace, pushes.Quiet, pushes.BaseURL = cfg.OfflineGrace, cfg.PushQuiet, cfg.BaseURL
	hooks := webhook.DefaultConfig
	hooks.AllowPrivate = cfg.WebhookPrivate
	mails := mail.DefaultConfig
	mails.Server, mails.From, mails.Quiet, mails.BaseURL = cfg.SMTPURL, cfg.MailFrom, cfg.MailQuiet, cfg.BaseURL
	mails.ReplyDomain = cfg.MailReplyDomain
	return app.Config{BaseURL: cfg.BaseURL, DatabaseURL: databaseURL, NATSURL: cfg.NATSURL, Routing: routing, Push: pushes, Webhook: hooks,
		Mail: mails, Language: cfg.Language, MaxUpload: cfg.MaxUpload, Deliver: true}
}

// database is kefu's PostgreSQL: the pool, its address for the bus, and the
// private server when DATABASE_URL is unset.
type database struct {
	db  *store.DB
	url string
	pg  *localpg.Server // nil with DATABASE_URL
	// closeBus, when set, closes a command's connection to NATS.
	closeBus func()
}

// close closes the pool, then stops the private server (a server that
// belongs to a serving kefu is left running).
func (d *database) close() {
	if d.closeBus != nil {
		d.closeBus()
	}
	d.db.Close()
	if d.pg != nil {
		_ = d.pg.Stop()
	}
}

// openDB opens the database and migrates it. When DATABASE_URL is unset, the
// private PostgreSQL is reached with reach: localpg.Start to serve, or
// localpg.Open for a command (see openForCommand).
func openDB(ctx context.Context, cfg config.Config, logger *slog.Logger,
	reach func(context.Context, localpg.Options) (*localpg.Server, error)) (*database, error) {
	d := &database{url: cfg.DatabaseURL}
	stopPG := func() {
		if d.pg != nil {
			_ = d.pg.Stop()
		}
	}
	if d.url == "" {
		pg, err := reach(ctx, localpg.Options{DataDir: cfg.DataDir, Logger: logger})
		if err != nil {
			return nil, err
		}
		d.pg = pg
		if err := pg.EnsureDatabase(ctx, "kefu"); err != nil {
			stopPG()
			return nil, err
		}
		d.url = pg.ConnString("kefu")
	}
	var err error
	if d.db, err = store.OpenSized(ctx, d.url, cfg.DBPool); err != nil {
		stopPG()
		return nil, err
	}
	if err := d.db.Migrate(ctx); err != nil {
		d.close()
		return nil, err
	}
	if err := seedSettings(ctx, d.db, cfg, logger); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

// seedSettings stores the settings on the very first start: from the file
// named by KEFU_CONFIG, or the defaults. Later, the admin pages rule, and a
// KEFU_CONFIG that differs is reported and left alone.
func seedSettings(ctx context.Context, db *store.DB, cfg config.Config, logger *slog.Logger) error {
	s, err := initialSettings(cfg)
	if err != nil {
		return err
	}
	if _, err := db.SeedSettings(ctx, s); err != nil {
		return err
	}
	if cfg.Settings == nil {
		return nil
	}
	cur, err := db.Settings(ctx)
	if err != nil {
		return err
	}
	// The first admin joins the list on the first start: more ids than the file's is no difference.
	if cur.Grade != s.Grade || cur.DefaultCapacity != s.DefaultCapacity || cur.Agents.Unrestricted != s.Agents.Unrestricted ||
		slices.ContainsFunc(s.Agents.IDs, func(id int64) bool { return !cur.Agents.Has(id) }) {
		logger.Info("KEFU_CONFIG differs from the stored settings and is not applied: it seeds them on the first start only, then the admin pages hold them")
	}
	return nil
}
