package live

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"
)

// Publisher carries an instance's events to every instance, once the
// changes they announce have committed: a Notifier or a NATSBus. Close
// sends what it still holds.
type Publisher interface {
	Publish(payload []byte)
	Close() error
}

// Loopback is the publisher an instance gives its store. It hands each
// event to the instance's own handler, on a goroutine of its own, and
// passes it on to the bus marked with the instance's origin. The bus brings
// it back to this instance as well, which drops it (Echo): an instance so
// shows its own changes without waiting for PostgreSQL or NATS to hand them
// back, and hears from the bus only what the other instances did.
//
// The handler gets the events in the order they were published, one at a
// time, and the bus gets them in that order too. Publish never waits for
// the handler: a handler may itself make changes that publish. An event of
// this instance may now reach the handler before an earlier one of another
// instance; the connections keep a conversation's order by its seq (see
// NATSBus), as they do when two instances' events cross on the bus. If the
// handler falls more than localBacklog events behind, the ones beyond are
// dropped and, once it has caught up, the handler's resync is called: the
// bus had them all, so only this instance rebuilds its view.
type Loopback struct {
	next   Publisher
	handle func(payload string)
	resync func()
	mark   string // what a marked event starts with: {"o":"<origin>",

	mu      sync.Mutex
	limit   int // how many events may wait for the handler: localBacklog
	pending []string
	lost    bool // events were dropped: resync once caught up
	running bool // run has started, at the first event
	closing bool
	wake    chan struct{}
	done    chan struct{}
}

// markField is the JSON field the origin goes in, at the start of the
// event's object. chat.Event has no field of that name, so an instance
// reading an event skips it.
const markField = "o"

// originBytes is the length of an instance's random origin, before hex.
const originBytes = 8

// markBytes is what marking adds to an event: chat.MaxEventBytes leaves it
// room under NOTIFY's limit.
const markBytes = len(`{"`+markField+`":"",`) - 1 + 2*originBytes

// localBacklog is how many events may wait for this instance's handler.
// Each is at most chat.MaxEventBytes: the queue holds some 130 MB at most,
// and far less as events go (a message's, with its delivery, is well under
// 2 KB).
const localBacklog = 1 << 14

// NewLoopback returns a Loopback that hands events to handle (and, after
// it dropped some, calls resync) and to next, with an origin of its own.
func NewLoopback(next Publisher, handle func(payload string), resync func()) *Loopback {
	var origin [originBytes]byte
	_, _ = rand.Read(origin[:]) // crypto/rand.Read does not fail
	return &Loopback{next: next, handle: handle, resync: resync, limit: localBacklog,
		mark: `{"` + markField + `":"` + hex.EncodeToString(origin[:]) + `",`,
		wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// Publish hands payload, a JSON object, to this instance's handler and,
// marked, to the bus.
func (l *Loopback) Publish(payload []byte) {
	l.mu.Lock()
	// Under l.mu, so that the bus gets the events in the handler's order.
	l.next.Publish(l.marked(payload))
	switch {
	case l.closing:
	case len(l.pending) >= l.limit:
		l.lost = true
	default:
		l.pending = append(l.pending, string(payload))
		if !l.running {
			l.running = true
			go l.run()
		}
	}
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default: // awake already
	}
}

// marked is payload with this instance's origin as its first field. A
// payload that is not an object with a field goes as it is.
func (l *Loopback) marked(payload []byte) []byte {
	if len(payload) < 3 || payload[0] != '{' || payload[1] == '}' {
		return payload
	}
	out := make([]byte, 0, len(l.mark)+len(payload)-1)
	out = append(out, l.mark...)
	return append(out, payload[1:]...)
}

// Echo reports whether payload, heard on the bus, is an event this
// Loopback published, which it has handed to its handler (or dropped and
// resynced for, or dropped at Close).
func (l *Loopback) Echo(payload string) bool { return strings.HasPrefix(payload, l.mark) }

// run hands the events published to the handler, until Close.
func (l *Loopback) run() {
	defer close(l.done)
	for {
		l.mu.Lock()
		batch, lost, closing := l.pending, l.lost, l.closing
		l.pending, l.lost = nil, false
		l.mu.Unlock()
		if closing {
			return
		}
		for _, payload := range batch {
			l.handle(payload)
		}
		if lost {
			l.resync()
		}
		if len(batch) == 0 && !lost {
			<-l.wake
		}
	}
}

// Close stops handing events to this instance's handler, dropping those
// still waiting, and closes the bus's publisher, which sends what it still
// holds.
func (l *Loopback) Close() error {
	l.mu.Lock()
	l.closing = true
	running := l.running
	l.mu.Unlock()
	if running {
		select {
		case l.wake <- struct{}{}:
		default:
		}
		<-l.done
	}
	return l.next.Close()
}
