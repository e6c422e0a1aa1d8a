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
	// conversation moves to the top of the list.
	movedRe = regexp.MustCompile(`data-target="#conversation-list" data-swap="afterbegin">\s*<li id="conv-(\d+)"`)
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

// visitor is a visitor's widget socket, and their support chat.
type visitor struct {
	id    int64
	conv  int64
	ws    *websocket.Conn
	shown chan struct{} // closed once the widget shows its queue status: the resume is answered
	// outcomes carries the answers to sends for whoever waits on them; an
	// answer nobody waits for is dropped, and only counted.
	outcomes chan outcome
	retried  atomic.Int64
	refused  atomic.Int64
	done     chan struct{} // closed when the socket ends
}

// openWidget opens visitor id's widget socket with their token, resumes
// as live.js does on open, and returns once kefu has answered.
func openWidget(ctx context.Context, k *instance, id int64, token string) (*visitor, error) {
	ws, err := dialSocket(ctx, k, "/widget/live", http.Header{}, "kefu.v1", "kefu.token."+token)
	if err != nil {
		return nil, err
	}
	v := &visitor{id: id, ws: ws, shown: make(chan struct{}), outcomes: make(chan outcome, 4), done: make(chan struct{})}
	go v.read()
	if err := writeFrame(ctx, ws, map[string]any{"type": "resume"}); err != nil {
		return nil, err
	}
	return v, waitFor(ctx, v.shown, v.done, "the widget's answer to resume")
}

func (v *visitor) read() {
	defer close(v.done)
	var once sync.Once
	for {
		_, data, err := v.ws.Read(context.Background())
		if err != nil {
			return
		}
		f := string(data)
		if strings.Contains(f, `data-target="#queue-status"`) {
			once.Do(func() { close(v.shown) })
		}
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
	ws     *websocket.Conn
	listed chan struct{} // closed once the list is shown: the resume is answered
	done   chan struct{}
	last   atomic.Int64 // when the last frame arrived, in Unix nanoseconds
	moved  atomic.Int64 // deliveries received, all told

	mu      sync.Mutex
	onMoved func(conv int64, at time.Time)
}

// openConsole opens the console socket with the agent's session cookie and
// returns once it shows the conversation list.
func openConsole(ctx context.Context, k *instance, cookie string) (*console, error) {
	ws, err := dialSocket(ctx, k, "/console/live", http.Header{"Cookie": {cookie}}, "kefu.v1")
	if err != nil {
		return nil, err
	}
	c := &console{ws: ws, listed: make(chan struct{}), done: make(chan struct{})}
	go c.read()
	if err := writeFrame(ctx, ws, map[string]any{"type": "resume"}); err != nil {
		return nil, err
	}
	return c, waitFor(ctx, c.listed, c.done, "the console's list")
}

func (c *console) read() {
	defer close(c.done)
	var once sync.Once
	for {
		_, data, err := c.ws.Read(context.Background())
		at := time.Now()
		if err != nil {
			return
		}
		c.last.Store(at.UnixNano())
		f := string(data)
		if strings.Contains(f, `data-target="#conversation-list" data-swap="innerHTML"`) {
			once.Do(func() { close(c.listed) })
		}
		c.mu.Lock()
		hear := c.onMoved
		c.mu.Unlock()
		for _, m := range movedRe.FindAllStringSubmatch(f, -1) {
			c.moved.Add(1)
			if hear != nil {
				id, _ := strconv.ParseInt(m[1], 10, 64)
				hear(id, at)
			}
		}
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
