package main

// Visitors writing to customer service while an agent's console receives
// their messages: as fast as each visitor's messages are acknowledged
// (flood), or at a steady pace with the time each takes to reach the
// console (paced).

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kefu-im/kefu/store"
)

// scenario is visitors in their support chats, their widgets open on one
// instance, and the agent's console open on the same instance or another.
type scenario struct {
	visitors []*visitor
	console  *console
	ours     map[int64]bool // the visitors' conversations
	ids      atomic.Int64   // numbers the messages' client ids
}

// settleTime is how long a console must stay quiet before a measurement:
// what the scenario's setup caused has arrived by then.
const settleTime = 500 * time.Millisecond

// cast is who takes part in a scenario, made in the database before any
// socket opens: the visitors, their tokens and open support chats, and the
// agent's session. It is written down for a child process that plays it.
type cast struct {
	IDs    []int64  `json:"ids"`
	Tokens []string `json:"tokens"`
	Convs  []int64  `json:"convs"`
	Cookie string   `json:"cookie"`
}

// newCast makes n visitors, each in an open support chat (their first
// message is stored before any socket opens, so that no chat starts during
// a measurement), and signs the agent in on consoleAt.
func newCast(ctx context.Context, widgetsAt, consoleAt *instance, n int) (cast, error) {
	db := widgetsAt.db
	var c cast
	if _, err := ensureAgent(ctx, db); err != nil {
		return c, err
	}
	var err error
	if c.IDs, c.Tokens, err = createVisitors(ctx, db, n); err != nil {
		return c, err
	}
	c.Convs = make([]int64, n)
	err = inParallel(n, 8, func(i int) error {
		msg, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: c.IDs[i], ClientMsgID: "first", Body: "hello"})
		c.Convs[i] = msg.ConversationID
		return err
	})
	if err != nil {
		return c, err
	}
	c.Cookie, err = consoleAt.signIn(ctx)
	return c, err
}

// playCast makes a cast of n on k (newCast) and starts the helper that
// plays it, as `kefu-bench helper -base … -cast FILE args…`, waiting up to
// limit for it to be ready; the file is gone by the time it returns.
func (b *bench) playCast(ctx context.Context, k *instance, n int, limit time.Duration, helper string, args ...string) (*child, error) {
	c, err := newCast(ctx, k, k, n)
	if err != nil {
		return nil, err
	}
	file := filepath.Join(b.pg.dir, "cast.json")
	data, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(file, data, 0o600); err != nil {
		return nil, err
	}
	defer os.Remove(file)
	return startChild(ctx, limit, helper, append([]string{"-base", k.base, "-cast", file}, args...)...)
}

// openCast is the helper's side of playCast: it reads the helper's args
// with fs (which holds the helper's own flags), and opens the sockets of
// the cast in the file -cast names on the kefu at -base (openScenario).
func openCast(ctx context.Context, fs *flag.FlagSet, args []string) (*scenario, error) {
	base, file := fs.String("base", "", "kefu's base URL"), fs.String("cast", "", "file of the cast, as JSON")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if err := raiseFileLimit(); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(*file)
	if err != nil {
		return nil, err
	}
	var c cast
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, err
	}
	k := &instance{base: *base}
	return openScenario(ctx, k, k, c)
}

// newScenario makes a cast of n (newCast) and opens its sockets (openScenario).
func newScenario(ctx context.Context, widgetsAt, consoleAt *instance, n int) (*scenario, error) {
	c, err := newCast(ctx, widgetsAt, consoleAt, n)
	if err != nil {
		return nil, err
	}
	return openScenario(ctx, widgetsAt, consoleAt, c)
}

// openScenario opens the agent's console on consoleAt and the visitors'
// widgets on widgetsAt, and waits for the console to settle.
func openScenario(ctx context.Context, widgetsAt, consoleAt *instance, c cast) (*scenario, error) {
	n := len(c.IDs)
	sc := &scenario{visitors: make([]*visitor, n), ours: make(map[int64]bool, n)}
	var err error
	if sc.console, err = openConsole(ctx, consoleAt, c.Cookie); err != nil {
		return nil, err
	}
	err = inParallel(n, 16, func(i int) error {
		v, err := openWidget(ctx, widgetsAt, c.IDs[i], c.Tokens[i])
		if err == nil {
			v.conv = c.Convs[i]
			sc.visitors[i] = v
		}
		return err
	})
	if err != nil {
		sc.close()
		return nil, err
	}
	for _, conv := range c.Convs {
		sc.ours[conv] = true
	}
	return sc, sc.console.settle(ctx, settleTime)
}

func (sc *scenario) close() {
	for _, v := range sc.visitors {
		if v != nil {
			v.ws.CloseNow()
		}
	}
	sc.console.ws.CloseNow()
}

func (sc *scenario) nextID() string { return fmt.Sprint("m", sc.ids.Add(1)) }

// problems counts the sends kefu asked to retry or refused.
func (sc *scenario) problems() (retried, refused int64) {
	for _, v := range sc.visitors {
		retried += v.retried.Load()
		refused += v.refused.Load()
	}
	return retried, refused
}

// flow is what a flood moved in its time.
type flow struct {
	stored   int64 // messages sent within the flood's time, each acknowledged, so stored
	received int64 // deliveries of the visitors' messages to the console
	elapsed  time.Duration
}

func (f flow) rate() float64 { return float64(f.stored) / f.elapsed.Seconds() }

// share is the part of what was stored that the console received in the same time.
func (f flow) share() float64 { return float64(f.received) / float64(max(f.stored, 1)) }

// flood has every visitor send for d, each message as soon as the one before
// it is acknowledged (as pgbench's clients do with their inserts), and counts
// the messages sent within d, each once it is stored, and the deliveries the
// console received within d. A message sent just before the end may reach
// the console before its sender has its acknowledgement: it is counted as
// stored all the same, so that the console never seems to receive more
// than was stored.
func (sc *scenario) flood(ctx context.Context, d time.Duration) (flow, error) {
	start := time.Now()
	deadline := start.Add(d)
	var f flow
	var received atomic.Int64
	sc.console.listen(func(conv int64, at time.Time) {
		if sc.ours[conv] && at.Before(deadline) {
			received.Add(1)
		}
	})
	defer sc.console.listen(nil)
	ctx, cancel := context.WithDeadline(ctx, deadline.Add(time.Minute))
	defer cancel()
	var stored atomic.Int64
	err := inParallel(len(sc.visitors), len(sc.visitors), func(i int) error {
		for time.Now().Before(deadline) {
			if err := sc.visitors[i].sendStored(ctx, sc.nextID()); err != nil {
				return err
			}
			stored.Add(1)
		}
		return nil
	})
	f.stored, f.received, f.elapsed = stored.Load(), received.Load(), d
	return f, err
}

// latencies are the times from a message's send to its arrival on the
// console, fastest first; messages that never arrived count as slower than all.
type latencies struct {
	arrived []time.Duration
	sent    int
}

// at returns the q-quantile, and false when it falls on a message that never arrived.
func (l latencies) at(q float64) (time.Duration, bool) {
	i := max(int(math.Ceil(q*float64(l.sent)))-1, 0)
	if i >= len(l.arrived) {
		return 0, false
	}
	return l.arrived[i], true
}

// drainTime is how long paced waits, after its last send, for the messages still on their way.
const drainTime = 10 * time.Second

// warmUp is how long paced sends, at its pace, before the messages it
// times: the first ones after an instance starts meet cold pool
// connections (each prepares and plans the hot statements), cold caches
// and the first GC cycles, and take several times the steady latency.
// They are timed apart, as the start-up figure they are.
const warmUp = time.Second

// paced sends rate messages a second, from each visitor in turn, for warm
// and then for d, and times each from its send to its arrival on the
// console: those sent within warm in start, the others in steady.
// A conversation's deliveries arrive in order, so each arrival is the
// oldest message of its conversation still on its way.
func (sc *scenario) paced(ctx context.Context, rate float64, warm, d time.Duration) (start, steady latencies, err error) {
	if rate <= 0 {
		return start, steady, fmt.Errorf("a pace of %v messages a second", rate)
	}
	type sending struct {
		at     time.Time
		timing *latencies
	}
	var mu sync.Mutex
	waiting := make(map[int64][]sending)
	sc.console.listen(func(conv int64, at time.Time) {
		mu.Lock()
		defer mu.Unlock()
		if sent := waiting[conv]; len(sent) > 0 {
			sent[0].timing.arrived = append(sent[0].timing.arrived, at.Sub(sent[0].at))
			waiting[conv] = sent[1:]
		}
	})
	defer sc.console.listen(nil)
	interval := time.Duration(float64(time.Second) / rate)
	began := time.Now()
	for i := 0; time.Duration(i)*interval < warm+d; i++ {
		time.Sleep(time.Until(began.Add(time.Duration(i) * interval)))
		v := sc.visitors[i%len(sc.visitors)]
		timing := &steady
		if time.Duration(i)*interval < warm {
			timing = &start
		}
		mu.Lock()
		waiting[v.conv] = append(waiting[v.conv], sending{time.Now(), timing})
		timing.sent++
		mu.Unlock()
		// A frame this small goes into the socket's buffer at once: the
		// next send is not held up, and a visitor's sends keep their order.
		if err := v.send(ctx, sc.nextID()); err != nil {
			return start, steady, err
		}
	}
	for end := time.Now().Add(drainTime); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		all := len(start.arrived)+len(steady.arrived) == start.sent+steady.sent
		mu.Unlock()
		if all {
			break
		}
	}
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(start.arrived)
	slices.Sort(steady.arrived)
	return latencies{arrived: slices.Clone(start.arrived), sent: start.sent},
		latencies{arrived: slices.Clone(steady.arrived), sent: steady.sent}, nil
}

// inParallel runs f for 0 … n-1 on up to workers goroutines and returns the first error.
func inParallel(n, workers int, f func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				if err := f(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}
