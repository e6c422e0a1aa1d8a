package main

// The browsers' side of the live sockets: a visitor's widget and an agent's
// console, speaking the frames live.js speaks, each read by its own
// goroutine as a browser reads them.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// readLimit bounds a frame from kefu: a console's first list may be long.
const readLimit = 16 << 20

var (
	outcomeRe = regexp.MustCompile(`data-(ack|retry|refused)="([^"]*)"`)
	// movedRe finds a message's delivery in a console frame: its
	// conversation takes its place, at the top, in the list.
	movedRe = regexp.MustCompile(`data-target="#conversation-list" data-swap="sorted">\s*<li id="conv-(\d+)"`)
)

// dialSocket opens a live socket at path as a browser on kefu's page does.
func dialSocket(ctx context.Context, k *instance, path string, header http.Header, protocols ...string) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	header.Set("Origin", k.base)
	ws, _, err := websocket.Dial(ctx, k.wsURL(path), &websocket.DialOptions{HTTPClient: k.client, HTTPHeader: header, Subprotocols: protocols})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	ws.SetReadLimit(readLimit)
	return ws, nil
}

func writeFrame(ctx context.Context, ws *websocket.Conn, frame map[string]any) error {
	b, _ := json.Marshal(frame)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return ws.Write(ctx, websocket.MessageText, b)
}

// outcome is kefu's answer to a sent message: ack, retry or refused.
type outcome struct{ kind, clientMsgID string }

// peer is the browser's end of a live socket: a goroutine reads every
// frame, as a browser does, and hands it on.
type peer struct {
	ws    *websocket.Conn
	ready chan struct{} // closed by the first frame that answers the resume
	done  chan struct{} // closed when the socket ends
	ended error         // why it ended; set before done is closed
}

// openPeer opens a live socket at path, resumes as live.js does on open,
// and returns once a frame holding answered arrives. Every frame goes to
// onFrame, on the reading goroutine.
func openPeer(ctx context.Context, k *instance, path string, header http.Header, protocols []string,
	answered string, onFrame func(frame string, at time.Time)) (*peer, error) {
	ws, err := dialSocket(ctx, k, path, header, protocols...)
	if err != nil {
		return nil, err
	}
	p := &peer{ws: ws, ready: make(chan struct{}), done: make(chan struct{})}
	go p.read(answered, onFrame)
	if err := writeFrame(ctx, ws, map[string]any{"type": "resume"}); err != nil {
		return nil, err
	}
	return p, waitFor(ctx, p.ready, p.done, "the answer to resume on "+path)
}

func (p *peer) read(answered string, onFrame func(string, time.Time)) {
	defer close(p.done)
	var once sync.Once
	for {
		_, data, err := p.ws.Read(context.Background())
		at := time.Now()
		if err != nil {
			p.ended = err
			return
		}
		f := string(data)
		if strings.Contains(f, answered) {
			once.Do(func() { close(p.ready) })
		}
		onFrame(f, at)
	}
}

// visitor is a visitor's widget socket, and their support chat.
type visitor struct {
	*peer
	id   int64
	conv int64
	// outcomes carries the answers to sends for whoever waits on them; an
	// answer nobody waits for is dropped, and only counted.
	outcomes chan outcome
	retried  atomic.Int64
	refused  atomic.Int64
}

// openWidget opens visitor id's widget socket with their token; it returns
// once the widget shows its queue status.
func openWidget(ctx context.Context, k *instance, id int64, token string) (*visitor, error) {
	v := &visitor{id: id, outcomes: make(chan outcome, 4)}
	var err error
	v.peer, err = openPeer(ctx, k, "/widget/live", http.Header{}, []string{"kefu.v1", "kefu.token." + token},
		`data-target="#queue-status"`, v.hear)
	return v, err
}

// hear counts kefu's answers to sends, and passes them on to a waiting sendStored.
func (v *visitor) hear(f string, _ time.Time) {
	for _, m := range outcomeRe.FindAllStringSubmatch(f, -1) {
		switch m[1] {
		case "retry":
			v.retried.Add(1)
		case "refused":
			v.refused.Add(1)
		}
		select {
		case v.outcomes <- outcome{m[1], m[2]}:
		default:
		}
	}
}

// send writes a message frame without waiting for the answer.
func (v *visitor) send(ctx context.Context, clientMsgID string) error {
	return writeFrame(ctx, v.ws, map[string]any{"type": "send", "client_msg_id": clientMsgID, "body": "bench " + clientMsgID})
}

// sendStored sends a message and waits until kefu acknowledges it, that is
// until it is stored; a retry is sent again with the same id, as live.js does.
func (v *visitor) sendStored(ctx context.Context, clientMsgID string) error {
	for {
		if err := v.send(ctx, clientMsgID); err != nil {
			return err
		}
		for answered := false; !answered; {
			select {
			case o := <-v.outcomes:
				switch {
				case o.clientMsgID != clientMsgID:
				case o.kind == "ack":
					return nil
				case o.kind == "refused":
					return fmt.Errorf("kefu refused message %s", clientMsgID)
				default:
					answered = true // a retry: send it again
				}
			case <-v.done:
				return errors.New("the widget socket closed")
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
}

// console is an agent's console socket. Every message delivered to it moves
// its conversation to the top of the list; onMoved hears of each.
type console struct {
	*peer
	last  atomic.Int64 // when the last frame arrived, in Unix nanoseconds
	moved atomic.Int64 // deliveries received, all told

	mu      sync.Mutex
	onMoved func(conv int64, at time.Time)
}

// openConsole opens the console socket with the agent's session cookie, on
// the All inbox (every open support chat, whoever has it: the visitors'
// chats beyond the agent's capacity wait in the queue), and returns once it
// shows the conversation list.
func openConsole(ctx context.Context, k *instance, cookie string) (*console, error) {
	c := &console{}
	var err error
	c.peer, err = openPeer(ctx, k, "/console/live?view=all", http.Header{"Cookie": {cookie}}, []string{"kefu.v1"},
		`data-target="#conversation-list" data-swap="innerHTML"`, c.hear)
	return c, err
}

// hear notes when a frame came and the deliveries it holds.
func (c *console) hear(f string, at time.Time) {
	c.last.Store(at.UnixNano())
	c.mu.Lock()
	onMoved := c.onMoved
	c.mu.Unlock()
	for _, m := range movedRe.FindAllStringSubmatch(f, -1) {
		c.moved.Add(1)
		if onMoved != nil {
			id, _ := strconv.ParseInt(m[1], 10, 64)
			onMoved(id, at)
		}
	}
}

// endedWhy says why the console's socket ended, if it did: a browser
// reconnects and resumes, and this console does not.
func (c *console) endedWhy() string {
	select {
	case <-c.done:
		var ce websocket.CloseError
		if errors.As(c.ended, &ce) {
			return fmt.Sprintf("%d %s", ce.Code, ce.Reason)
		}
		return c.ended.Error()
	default:
		return ""
	}
}

// listen makes f hear of every delivery from now on; nil stops it.
func (c *console) listen(f func(conv int64, at time.Time)) {
	c.mu.Lock()
	c.onMoved = f
	c.mu.Unlock()
}

// settle waits until the console has received nothing for quiet: what came
// before the measurement (assignments, first messages) has all arrived.
func (c *console) settle(ctx context.Context, quiet time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		since := time.Since(time.Unix(0, c.last.Load()))
		if since >= quiet {
			return nil
		}
		select {
		case <-c.done:
			return errors.New("the console socket closed")
		case <-ctx.Done():
			return fmt.Errorf("the console kept receiving for a minute: %w", ctx.Err())
		case <-time.After(quiet - since):
		}
	}
}

// waitFor waits for ready, unless the socket ends first.
func waitFor(ctx context.Context, ready, done <-chan struct{}, what string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	select {
	case <-ready:
		return nil
	case <-done:
		return fmt.Errorf("the socket closed before %s", what)
	case <-ctx.Done():
		return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
	}
}
