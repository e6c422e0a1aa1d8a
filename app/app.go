// Package app wires one kefu instance together on an open, migrated
// database: the HTTP handlers and their server, the dispatcher, the push and
// webhook workers, the janitor, the bus that wakes them, the metrics they
// count, and the operators' debug address. It runs them on one base context
// and stops them, waiting for every goroutine it started. cmd/kefu and the
// handler tests build kefu through it alike.
package app

import (
	"cmp"
	"context"
	"encoding/json"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/handlers"
	"github.com/kefu-im/kefu/live"
	"github.com/kefu-im/kefu/mail"
	"github.com/kefu-im/kefu/metrics"
	"github.com/kefu-im/kefu/push"
	"github.com/kefu-im/kefu/queue"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/webhook"
)

// Config is what an instance is built from.
type Config struct {
	// BaseURL is where browsers reach kefu; cookies are Secure when it is https.
	BaseURL *url.URL
	// DatabaseURL is the database the bus listens on: the pool's.
	DatabaseURL string
	// NATSURL, when set, names the NATS server(s) that carry the bus in
	// place of LISTEN/NOTIFY: the store publishes each change's event there
	// once it has committed.
	NATSURL string
	// Now is the one clock of routing, pages, sockets and workers (time.Now when nil).
	Now func() time.Time
	// Routing, Push and Webhook tune the dispatcher and the workers; their
	// own clocks are replaced by Now.
	Routing queue.Config
	Push    push.Config
	Webhook webhook.Config
	// Mail sends replies to visitors who left by email; a nil Mail.Server
	// turns email off (nothing is enqueued). Its clock is replaced by Now.
	Mail mail.Config
	// MailInbound, when not nil and email is on, is the inbound listener's
	// socket (KEFU_SMTP_LISTEN): replies by email and delivery reports to
	// the addresses of Mail.ReplyDomain are taken there from Start until Stop.
	MailInbound net.Listener
	// Live tunes every WebSocket; zero means live.DefaultOptions.
	Live live.Options
	// Language is what kefu speaks to a reader it knows no language of ("": i18n.Default).
	Language string
	// MaxUpload is the largest file a person may send, in bytes (0: chat.DefaultMaxUpload).
	MaxUpload int64
	// Deliver runs the push and webhook workers, which send what the
	// outboxes hold. Tests that drive the workers' rounds themselves leave it off.
	Deliver bool
	// Debug, when not nil, is the operators' listener: /metrics and pprof
	// are served there (see debug.go) from Start until Stop. Nil: neither
	// is served anywhere.
	Debug net.Listener
}

// bus wakes this instance for the changes every instance commits.
type bus interface {
	Run(ctx context.Context)
	Ready() <-chan struct{}
}

// socketsGrace is how long Stop waits for WebSockets to close.
const socketsGrace = 5 * time.Second

// App is one running kefu instance.
type App struct {
	db         *store.DB
	logger     *slog.Logger
	handler    *handlers.Handler
	dispatcher *queue.Dispatcher
	pushes     *push.Worker    // nil unless Config.Deliver
	hooks      *webhook.Worker // nil unless Config.Deliver
	mails      *mail.Worker    // nil while email is off
	inbound    *mail.Inbound   // nil unless Config.MailInbound, with email on
	inboundLn  net.Listener
	deliver    bool
	bus        bus
	// loop carries this instance's events to its own handler at once and
	// to every other instance through the NATS bus, or a live.Notifier for NOTIFY.
	loop    *live.Loopback
	nats    *live.NATSBus // nil unless Config.NATSURL: then it is the bus
	metrics *metrics.Metrics
	debug   net.Listener // nil unless Config.Debug
	now     func() time.Time

	base     context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	stopOnce sync.Once
}

// New builds an instance on db. Nothing runs until Start.
func New(db *store.DB, cfg Config, logger *slog.Logger) *App {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Routing.Now, cfg.Push.Now, cfg.Webhook.Now, cfg.Mail.Now = cfg.Now, cfg.Now, cfg.Now, cfg.Now
	m := metrics.New(db.QueueLength)
	cfg.Routing.Metrics, cfg.Push.Metrics, cfg.Webhook.Metrics, cfg.Mail.Metrics = m, m, m, m
	cfg.Push.Language = cmp.Or(cfg.Push.Language, cfg.Language)
	cfg.Mail.Language = cmp.Or(cfg.Mail.Language, cfg.Language)
	cfg.Mail.BaseURL = cmp.Or(cfg.Mail.BaseURL, cfg.BaseURL)
	base, cancel := context.WithCancel(context.Background())
	a := &App{logger: logger, metrics: m, debug: cfg.Debug, now: cfg.Now, base: base, cancel: cancel, deliver: cfg.Deliver}
	var publisher live.Publisher
	if cfg.NATSURL != "" {
		a.nats = live.NewNATSBus(cfg.NATSURL, store.BusChannel, logger, a.onOthersEvent, a.resync)
		a.bus, publisher = a.nats, a.nats
	} else {
		a.bus = live.NewBus(cfg.DatabaseURL, store.BusChannel, logger, a.onOthersEvent, a.resync)
		publisher = live.NewNotifier(cfg.DatabaseURL, store.BusChannel, logger)
	}
	a.loop = live.NewLoopback(publisher, func(payload string) { a.onEvent(a.base, payload) }, func() { a.resync(a.base) })
	db = db.WithPublisher(a.loop)
	a.db = db
	a.dispatcher = queue.NewDispatcher(db, cfg.Routing, logger)
	if cfg.Deliver {
		a.pushes = push.NewWorker(db, cfg.Push, logger)
		a.hooks = webhook.NewWorker(db, cfg.Webhook, logger)
	}
	var mailOn handlers.Mail
	if cfg.Mail.Server != nil {
		var err error
		// The configuration was checked when it was read (config.Load).
		if a.mails, err = mail.NewWorker(db, cfg.Mail, logger); err != nil {
			logger.Error("email stays off", "err", err)
		} else {
			mailOn = handlers.Mail{On: true, From: cfg.Mail.From, ReplyDomain: cfg.Mail.ReplyDomain}
		}
	}
	// One preparer for every way a file comes, so that the instance's
	// bound on images decoded at once holds for all of them.
	files := chat.NewPreparer(cmp.Or(cfg.MaxUpload, chat.DefaultMaxUpload))
	if a.mails != nil && cfg.MailInbound != nil {
		var err error
		if a.inbound, err = mail.NewInbound(db, mail.InboundConfig{Domain: cfg.Mail.ReplyDomain, Now: cfg.Now, Files: files,
			Language: cfg.Mail.Language}, logger); err != nil {
			logger.Error("replies by email stay off", "err", err)
		}
		a.inboundLn = cfg.MailInbound
	}
	a.handler = handlers.New(handlers.Deps{
		DB:        db,
		Sessions:  handlers.NewSessions(db, cfg.BaseURL.Scheme == "https"),
		Logger:    logger,
		BaseURL:   cfg.BaseURL,
		Base:      base,
		Live:      cfg.Live,
		Now:       cfg.Now,
		Routing:   handlers.Routing{Grace: cfg.Routing.Grace, TargetWait: cfg.Routing.TargetWait},
		Metrics:   m,
		Language:  cfg.Language,
		MaxUpload: cfg.MaxUpload,
		Files:     files,
		Mail:      mailOn,
	})
	return a
}

// resync has every socket on this instance rebuild its view from the
// database, after the bus may have missed events.
func (a *App) resync(ctx context.Context) { a.handler.Resync(ctx) }

// onOthersEvent is onEvent for an event heard on the bus, which this
// instance's own events reach as well: those it has handled when it
// published them.
func (a *App) onOthersEvent(ctx context.Context, payload string) {
	if !a.loop.Echo(payload) {
		a.onEvent(ctx, payload)
	}
}

// onEvent hands one event to everything on this instance that acts on it:
// the push worker (a change may have enqueued a notification), the
// dispatcher (the queue or an agent's room changed), and the sockets. It
// runs on the bus's goroutine for other instances' events, and on the
// Loopback's for this instance's.
func (a *App) onEvent(ctx context.Context, payload string) {
	if a.pushes != nil {
		a.pushes.Wake()
	}
	// Decoded once here, for every socket that shows it. The bus's goroutine
	// and the Loopback's call this at the same time: what it wakes never
	// blocks, and the hub puts each event on its conversation's lane.
	var ev chat.Event
	if err := json.Unmarshal([]byte(payload), &ev); err != nil {
		a.logger.Error("bad bus event", "err", err)
		return
	}
	if ev.Type == chat.EventQueue || ev.Type == chat.EventAssigned {
		a.dispatcher.Wake()
	}
	a.handler.OnEvent(ctx, ev)
}

// Start connects to NATS when it carries the bus, readies the database for
// web push, then starts the rounds (janitor, waker, search indexer), the dispatcher, the workers, the bus and
// the debug server. Serving should wait for Ready.
func (a *App) Start(ctx context.Context) error {
	if a.nats != nil {
		// First, so that no change made from here on goes unpublished.
		if err := a.nats.Connect(); err != nil {
			return err
		}
	}
	if a.pushes != nil {
		// The VAPID keys are generated on the very first start, before any browser can subscribe.
		if err := a.pushes.Prepare(ctx); err != nil {
			return err
		}
	}
	// Email on stores its quiet period, which turns enqueueing on; off, it
	// is removed, so that no email waits for a worker that never comes.
	if a.mails != nil {
		if err := a.mails.Prepare(ctx); err != nil {
			return err
		}
	} else if err := a.db.DisableMail(ctx); err != nil {
		return err
	}
	a.rounds()
	a.spawn(a.dispatcher.Run)
	if a.pushes != nil {
		a.spawn(a.pushes.Run)
		a.spawn(a.hooks.Run)
	}
	if a.mails != nil && a.deliver {
		a.spawn(a.mails.Run)
	}
	a.spawn(a.bus.Run)
	if a.inbound != nil {
		a.spawn(a.serveInbound)
	}
	if a.debug != nil {
		a.spawn(a.serveDebug)
	}
	return nil
}

// spawn runs f on the base context; Stop waits for it.
func (a *App) spawn(f func(context.Context)) {
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		f(a.base)
	}()
}

// Ready is closed once the bus first listens: from then on, no change
// committed by any instance goes unseen here.
func (a *App) Ready() <-chan struct{} { return a.bus.Ready() }

// Handler is the instance's HTTP handler value, whose Routes the server serves.
func (a *App) Handler() *handlers.Handler { return a.handler }

// serveInbound takes replies by email and delivery reports until ctx ends.
func (a *App) serveInbound(ctx context.Context) {
	a.logger.Info("taking replies by email", "addr", a.inboundLn.Addr().String())
	if err := a.inbound.Serve(ctx, a.inboundLn); err != nil {
		a.logger.Error("the inbound email listener stopped", "err", err)
	}
}

// Mail is the instance's mail worker (nil while email is off), whose
// rounds tests run themselves when Config.Deliver is off.
func (a *App) Mail() *mail.Worker { return a.mails }

// Server returns the HTTP server for the instance's routes, with explicit
// timeouts; its requests, and so its long-lived sockets, end with the base
// context.
func (a *App) Server() *http.Server {
	return &http.Server{
		Handler:           a.handler.Routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return a.base },
		ErrorLog:          a.errorLog(),
	}
}

// errorLog is where an HTTP server logs what goes wrong with connections.
func (a *App) errorLog() *log.Logger { return slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn) }

// Stop ends the base context, which closes every socket with 1001, waits a
// little for the sockets to finish closing, then waits for every goroutine
// Start started, and last closes the Loopback, and through it the bus's
// publisher (NATS, or the Notifier), once nothing is left to publish. Stop the server from accepting first. Calls after the
// first return at once.
func (a *App) Stop() {
	a.stopOnce.Do(func() {
		a.cancel()
		if !a.handler.WaitSockets(socketsGrace) {
			a.logger.Warn("some sockets did not close in time")
		}
		a.wg.Wait()
		if err := a.loop.Close(); err != nil {
			a.logger.Warn("closing the bus", "err", err)
		}
	})
}
