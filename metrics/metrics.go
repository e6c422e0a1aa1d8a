// Package metrics holds what one kefu instance counts for its operators,
// on a Prometheus registry of its own: messages stored and delivered, how
// long delivery takes, assignments, the queue's length, open sockets, the
// outcomes of web push and webhook deliveries, and the Go runtime and
// process figures. The parts that count take a *Metrics and speak kefu's
// words to it (MessageStored, Deliveries, Assigned …); only this package
// speaks Prometheus. A nil *Metrics counts nothing, so a part built on its
// own, as in its tests, needs none.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Socket is a kind of live socket: console or widget.
type Socket string

// The kinds of live socket.
const (
	Console Socket = "console"
	Widget  Socket = "widget"
)

// Outcome is how one attempt at an outbox's item ended.
type Outcome string

// The outcomes of an outbox's attempts.
const (
	Delivered Outcome = "delivered"
	Retried   Outcome = "retried"  // failed, and tried again after a backoff
	GivenUp   Outcome = "given_up" // failed for good
	Skipped   Outcome = "skipped"  // not sent: no longer needed, or its destination is gone
)

// QueueLength counts the support chats waiting in the queue.
type QueueLength func(ctx context.Context) (int, error)

// queueTimeout bounds the query a scrape runs for the queue's length.
const queueTimeout = 2 * time.Second

// Metrics is one instance's collectors and the registry that holds them.
type Metrics struct {
	registry    *prometheus.Registry
	stored      prometheus.Counter
	deliveries  map[Socket]Deliveries
	sockets     *prometheus.GaugeVec
	assignments *prometheus.CounterVec
	outcomes    *prometheus.CounterVec
}

// New returns an instance's collectors on a registry of their own, with
// the Go runtime's and the process's. queue, when not nil, is asked for
// the queue's length at each scrape: the queue is shared by every instance,
// so each reports the same figure.
func New(queue QueueLength) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		stored: prometheus.NewCounter(prometheus.CounterOpts{Name: "kefu_messages_stored_total",
			Help: "Messages people sent that this instance stored (a resend of a stored message is not counted)."}),
		sockets: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "kefu_sockets_open",
			Help: "Live sockets open on this instance, by kind."}, []string{"socket"}),
		assignments: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kefu_assignments_total",
			Help: "Support chats assigned by this instance: by the dispatcher, or taken from the queue by an agent."}, []string{"by"}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kefu_outbox_outcomes_total",
			Help: "Attempts at web push notifications and webhook deliveries made by this instance, by outbox and outcome."},
			[]string{"outbox", "outcome"}),
	}
	delivered := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kefu_messages_delivered_total",
		Help: "Messages written to live sockets as they were sent, once per socket, by kind of socket."}, []string{"socket"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "kefu_delivery_latency_seconds",
		Help:    "Time from a message's creation in the database to its frame written to a live socket, by kind of socket.",
		Buckets: []float64{.001, .0025, .005, .0075, .01, .015, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"socket"})
	m.deliveries = make(map[Socket]Deliveries)
	for _, s := range []Socket{Console, Widget} {
		m.deliveries[s] = Deliveries{count: delivered.WithLabelValues(string(s)), latency: latency.WithLabelValues(string(s))}
		m.sockets.WithLabelValues(string(s)) // shown at 0 from the start
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.stored, delivered, latency, m.sockets, m.assignments, m.outcomes,
	)
	if queue != nil {
		m.registry.MustRegister(queueCollector{desc: prometheus.NewDesc("kefu_queue_length",
			"Support chats waiting in the queue (shared by every instance, so each reports the same).", nil, nil), length: queue})
	}
	return m
}

// Handler serves the registry's metrics in Prometheus's text format. A
// collector that fails is logged and left out; the rest are served.
func (m *Metrics) Handler(logger *slog.Logger) http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
	})
}

// MessageStored counts a message a person sent, stored now.
func (m *Metrics) MessageStored() {
	if m != nil {
		m.stored.Inc()
	}
}

// Deliveries returns what counts the messages written to sockets of kind s.
func (m *Metrics) Deliveries(s Socket) Deliveries {
	if m == nil {
		return Deliveries{}
	}
	return m.deliveries[s]
}

// SocketOpened counts a socket of kind s as open, until the function it
// returns is called.
func (m *Metrics) SocketOpened(s Socket) (closed func()) {
	if m == nil {
		return func() {}
	}
	g := m.sockets.WithLabelValues(string(s))
	g.Inc()
	return g.Dec
}

// Assigned counts n chats assigned by the dispatcher.
func (m *Metrics) Assigned(n int) {
	if m != nil && n > 0 {
		m.assignments.WithLabelValues("dispatcher").Add(float64(n))
	}
}

// Taken counts a chat an agent took from the queue.
func (m *Metrics) Taken() {
	if m != nil {
		m.assignments.WithLabelValues("agent").Inc()
	}
}

// Attempted counts an attempt at an item of the outbox named outbox ("push", "webhook").
func (m *Metrics) Attempted(outbox string, o Outcome) {
	if m != nil {
		m.outcomes.WithLabelValues(outbox, string(o)).Inc()
	}
}

// Deliveries counts the messages written to one kind of socket and how long
// each took to get there. The zero value counts nothing.
type Deliveries struct {
	count   prometheus.Counter
	latency prometheus.Observer
}

// Written counts a message created at created, whose frame was just
// written to a socket. The time is taken from the system's clock, as
// created was by the database's.
func (d Deliveries) Written(created time.Time) {
	if d.count == nil {
		return
	}
	d.count.Inc()
	d.latency.Observe(max(time.Since(created), 0).Seconds())
}

// queueCollector reports the queue's length, asked for at each scrape.
type queueCollector struct {
	desc   *prometheus.Desc
	length QueueLength
}

func (c queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), queueTimeout)
	defer cancel()
	n, err := c.length(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n))
}
