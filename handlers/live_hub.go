package handlers

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/live"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/views/console"
	"github.com/kefu-im/kefu/views/thread"
)

// statusDisabled closes the sockets of a user who was disabled or whose
// sessions ended: live.js does not reconnect after it, and the page's next
// request asks them to sign in.
const statusDisabled websocket.StatusCode = 4403

// statusReload closes a console socket whose user became, or stopped being,
// customer service: live.js reloads the page, which then shows (or no
// longer shows) the queue, and the new socket keeps them online (or not).
const statusReload websocket.StatusCode = 4001

// eventLanes is how many events of different conversations the hub turns
// into jobs at once.
const eventLanes = 4

// hub is this instance's live sockets, console and widget, and the turning
// of events into jobs for each of them. It takes each event (this
// instance's own from its live.Loopback, the others' off the bus) onto the
// lane of its conversation, so that one conversation's events are
// handled in order and different conversations' side by side; it loads
// what every recipient shares once, and leaves what depends on a browser's
// screen to each socket's own writer.
type hub struct {
	h *Handler
	// db is h.DB on the deliveries' own connections: every read that shows
	// stored messages goes there, so that sends cannot starve it.
	db       *store.DB
	consoles *live.Registry[*consoleSocket]
	widgets  *live.Registry[*widgetSocket]
	lanes    *live.Lanes // run until the server's base context ends
	unread   *unreadCounts
	hours    hoursWatch

	// mu orders running.Add before running.Wait, and closing stops new sockets.
	mu      sync.Mutex
	closing bool
	running sync.WaitGroup
}

func newHub(h *Handler) *hub {
	return &hub{h: h, db: h.DB.Deliveries(), consoles: live.NewRegistry[*consoleSocket](), widgets: live.NewRegistry[*widgetSocket](),
		lanes: live.NewLanes(h.Base, eventLanes), unread: newUnreadCounts()}
}

// OnEvent turns one bus event into jobs for this instance's sockets.
func (h *Handler) OnEvent(ctx context.Context, ev chat.Event) { h.hub.onEvent(ctx, ev) }

// Resync asks every local socket to rebuild its view from the database,
// after the bus may have missed events.
func (h *Handler) Resync(ctx context.Context) { h.hub.resync() }

// WaitSockets waits, up to limit, for every WebSocket to finish closing
// after the base context ended, and for the events being handled.
func (h *Handler) WaitSockets(limit time.Duration) bool { return h.hub.wait(limit) }

// serve upgrades the request to a live connection, hands it to open, which
// makes and registers the socket, and runs the socket on a goroutine of its
// own until it ends, then calls the closed that open returned. The handler
// returns at once, so that nothing of the request is kept for the hours a
// socket may live; the socket ends with the server's base context.
func (hb *hub) serve(w http.ResponseWriter, r *http.Request, open func(*live.Conn) (onFrame func(context.Context, []byte), closed func())) {
	// The server's read and write timeouts are for requests, not for a socket
	// that lives for hours; live.Conn bounds every write itself.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	conn, err := live.Accept(w, r, hb.h.Live, &websocket.AcceptOptions{
		Subprotocols: []string{protocol},
		// sameOrigin has checked scheme, host and port; Accept's own check compares hosts only.
		InsecureSkipVerify: true,
	})
	if err != nil {
		return // Accept has answered the request.
	}
	hb.mu.Lock()
	if hb.closing {
		hb.mu.Unlock()
		conn.Close(websocket.StatusGoingAway, "server shutting down")
		_ = conn.Run(hb.h.Base, func(context.Context, []byte) {})
		return
	}
	hb.running.Add(1)
	hb.mu.Unlock()
	onFrame, closed := open(conn)
	// The socket's frames and jobs run on the server's context, not the
	// handshake's, in the language of the reader the handshake found.
	base := i18n.With(hb.h.Base, i18n.From(r.Context()))
	if thread.IsFetchedByScript(r.Context()) {
		base = thread.FetchedByScript(base)
	}
	go func() {
		defer hb.running.Done()
		defer closed()
		var p *live.PanicError
		if err := conn.Run(base, onFrame); errors.As(err, &p) {
			hb.h.Logger.Error("live socket closed after a panic", "panic", p.Value, "stack", string(p.Stack))
		}
	}()
}

func (hb *hub) wait(limit time.Duration) bool {
	hb.mu.Lock()
	hb.closing = true
	hb.mu.Unlock()
	done := make(chan struct{})
	go func() {
		hb.running.Wait()
		hb.lanes.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(limit):
		return false
	}
}

// onEvent hands one bus event to its conversation's lane (events of no
// conversation go to the first).
func (hb *hub) onEvent(ctx context.Context, ev chat.Event) {
	hb.lanes.Add(ctx, ev.ConversationID, func(ctx context.Context) { hb.handle(ctx, ev) })
}

// handle turns one bus event into jobs for this instance's sockets.
func (hb *hub) handle(ctx context.Context, ev chat.Event) {
	var err error
	switch ev.Type {
	case chat.EventMessage:
		err = hb.onMessage(ctx, ev)
	case chat.EventQueue, chat.EventAssigned:
		err = hb.onQueue(ctx, ev)
	case chat.EventUserDisabled, chat.EventSignedOut:
		hb.closeUser(ev.UserID)
	case chat.EventSessionEnded:
		hb.closeSession(ev)
	case chat.EventSettings:
		err = hb.onSettings(ctx)
	case chat.EventRead, chat.EventMembers:
		hb.unread.forget(ev)
		for _, c := range hb.consoles.ForUser(ev.UserID) {
			c.conn.Enqueue(c.listUpdate(ev.ConversationID, ev.Type == chat.EventMembers))
		}
		if ev.Type == chat.EventRead {
			err = hb.onSeen(ctx, ev)
		}
	case chat.EventSignal:
		err = hb.onSignal(ctx, ev)
	case chat.EventRevoked:
		err = hb.onRevoked(ctx, ev)
	case chat.EventLabels:
		hb.onLabels(ev)
	case chat.EventWoke:
		err = hb.onWoke(ctx, ev)
	case chat.EventFriends:
		err = hb.onFriends(ctx, ev.UserID)
	case chat.EventMarked:
		for _, c := range hb.consoles.ForUser(ev.UserID) {
			c.conn.Enqueue(c.marked(ev.ConversationID))
		}
	case chat.EventHours:
		err = hb.showHours(ctx, true)
	case chat.EventVisitorBlocked:
		for _, c := range hb.widgets.ForUser(ev.UserID) {
			c.conn.Enqueue(c.showBlocked())
		}
	}
	if err != nil && ctx.Err() == nil {
		hb.h.Logger.Error("bus event failed", "type", ev.Type, "conversation_id", ev.ConversationID, "err", err)
	}
}

// liveSocket is what the hub asks of every socket, console or widget alike.
type liveSocket interface {
	connection() *live.Conn
	// deliver shows a stored message, summed up by sum (nil: the sender's own, resent).
	deliver(msg chat.Message, sum *chat.Summary) live.Job
	// resync catches the browser up after the bus may have missed events.
	resync() live.Job
	// typing shows that ev's user is typing in conv.
	typing(conv chat.Conversation, ev chat.Event) live.Job
	// signal hands a host's online-only signal ev in conv to the page.
	signal(conv chat.Conversation, ev chat.Event) live.Job
	// seen shows that ev's user has read conv up to ev.Seq.
	seen(conv chat.Conversation, ev chat.Event, marks []chat.ReadMark) live.Job
	// revoked shows msg, just revoked, in place.
	revoked(msg chat.Message) live.Job
}

// forUser returns userID's sockets on this instance, console and widget.
func (hb *hub) forUser(userID int64) []liveSocket {
	var out []liveSocket
	for _, c := range hb.consoles.ForUser(userID) {
		out = append(out, c)
	}
	for _, c := range hb.widgets.ForUser(userID) {
		out = append(out, c)
	}
	return out
}

// onMessage delivers a stored message to its recipients' sockets on this
// instance. The message and its conversation's summary, carried by the
// event or else read once, serve every socket; only the unread counts,
// which consoles' lists show, are each recipient's own, and they are
// counted together.
func (hb *hub) onMessage(ctx context.Context, ev chat.Event) error {
	if !hb.anyoneOnline() {
		return nil
	}
	db := hb.db
	var msg chat.Message
	var sum chat.Summary
	if d := ev.Delivery; d != nil {
		msg, sum = d.Message, d.Summary()
	} else {
		var err error
		if msg, err = db.Message(ctx, ev.MessageID); err != nil {
			return err
		}
		if sum, err = db.SummaryOf(ctx, msg.ConversationID); err != nil {
			return err
		}
	}
	conv := sum.Conversation
	recipients, err := hb.recipients(ctx, conv)
	if err != nil {
		return err
	}
	local := make(map[int64][]liveSocket)
	var listed []int64 // recipients whose consoles list the conversation
	for _, id := range recipients {
		if cs := hb.forUser(id); len(cs) > 0 && local[id] == nil {
			local[id] = cs
			if len(hb.consoles.ForUser(id)) > 0 {
				listed = append(listed, id)
			}
		}
	}
	if len(local) == 0 {
		return nil
	}
	var unread map[int64]int64
	var marks map[int64]bool
	if len(listed) > 0 && conv.Kind != chat.Direct {
		var err error
		if unread, marks, err = hb.unread.after(ctx, db, msg, listed); err != nil {
			return err
		}
	}
	for id, cs := range local {
		s := sum
		s.Unread, s.Mentioned = unread[id], marks[id]
		if conv.Kind == chat.Direct {
			var err error
			// Its title is the other person's name, which depends on who looks.
			if s, err = db.Summary(ctx, conv.ID, chat.Viewer{UserID: id}); err != nil {
				return err
			}
		}
		for _, c := range cs {
			c.connection().Enqueue(c.deliver(msg, &s))
		}
	}
	return nil
}

// recipients returns who may see conversation conv live: a support chat's
// visitor and whoever is an agent now and online here (an agent taken off
// the list keeps a member row of the chats they read, and no access); any
// other conversation's members.
func (hb *hub) recipients(ctx context.Context, conv chat.Conversation) ([]int64, error) {
	if conv.Kind != chat.Support {
		return hb.db.MemberIDs(ctx, conv.ID)
	}
	settings, err := hb.db.KnownSettings(ctx)
	if err != nil {
		return nil, err
	}
	recipients := []int64{conv.VisitorID}
	if settings.Agents.Unrestricted {
		return recipients, nil // a list that names nobody
	}
	for _, id := range settings.Agents.IDs {
		if hb.online(id) && !slices.Contains(recipients, id) {
			recipients = append(recipients, id)
		}
	}
	return recipients, nil
}

// anyoneOnline reports whether any socket is open on this instance.
func (hb *hub) anyoneOnline() bool { return !hb.consoles.Empty() || !hb.widgets.Empty() }

// online reports whether userID has a socket open on this instance.
func (hb *hub) online(userID int64) bool { return hb.consoles.Has(userID) || hb.widgets.Has(userID) }

func (hb *hub) resync() {
	hb.h.DB.ForgetSettings() // the bus may have missed their change
	hb.unread.reset()
	hb.hours.mu.Lock()
	hb.hours.stale = true
	hb.hours.mu.Unlock()
	for _, c := range hb.consoles.All() {
		c.conn.Enqueue(c.resync())
	}
	for _, c := range hb.widgets.All() {
		c.conn.Enqueue(c.resync())
	}
}

// onQueue shows a changed queue: the queue panel in agents' consoles, a cue
// for the agent who got a chat, and each waiting visitor's place in line.
func (hb *hub) onQueue(ctx context.Context, ev chat.Event) error {
	db := hb.h.DB
	consoles, widgets := hb.consoles.All(), hb.widgets.All()
	if len(consoles)+len(widgets) == 0 {
		return nil
	}
	view, err := hb.h.loadQueueView(ctx)
	if err != nil {
		return err
	}
	agents, err := db.AgentList(ctx)
	if err != nil {
		return err
	}
	var change queueChange
	change.view, change.event = view, ev
	if ev.ConversationID != 0 {
		conv, err := db.Conversation(ctx, ev.ConversationID)
		if err != nil {
			return err
		}
		if change.agents, change.loads, err = hb.h.agentRoster(ctx); err != nil {
			return err
		}
		state, err := hb.h.sharedChatState(ctx, conv, change.agents)
		if err != nil {
			return err
		}
		change.conv, change.state = conv, &state
	}
	if ev.Type == chat.EventAssigned && len(hb.consoles.ForUser(ev.UserID)) > 0 {
		s, err := db.SummaryOf(ctx, ev.ConversationID)
		if err != nil {
			return err
		}
		change.assignedTitle = s.Title
	}
	for _, c := range widgets {
		c.conn.Enqueue(c.queueChanged(view, ev.ConversationID))
	}
	for _, c := range consoles {
		if agents.Has(c.user.ID) {
			c.conn.Enqueue(c.queueChanged(change))
		}
	}
	return nil
}

// queueChange is what a change of the queue shows agents' consoles.
type queueChange struct {
	view  queueView
	event chat.Event
	// conv is the changed chat and state where it stands now, for consoles
	// that show it or a notice about it; agents are customer service, whom
	// a console may transfer it to.
	conv   chat.Conversation
	state  *console.ChatState
	agents []chat.User
	loads  map[int64]chat.AgentLoad // the agents' presence and load
	// assignedTitle names the chat the event assigned, for its agent's cue.
	assignedTitle string
}

// onSettings reloads the consoles of users whose role changed, and tells
// widgets whether chat is open.
func (hb *hub) onSettings(ctx context.Context) error {
	hb.h.DB.ForgetSettings()
	settings, err := hb.h.DB.Settings(ctx)
	if err != nil {
		return err
	}
	for _, c := range hb.consoles.All() {
		if settings.Agents.Has(c.user.ID) != c.agent {
			c.conn.Close(statusReload, "role changed")
		}
	}
	for _, c := range hb.widgets.All() {
		c.conn.Enqueue(c.settingsChanged(settings))
	}
	return nil
}

// onFriends updates the count of invitations waiting in userID's consoles.
func (hb *hub) onFriends(ctx context.Context, userID int64) error {
	cs := hb.consoles.ForUser(userID)
	if len(cs) == 0 {
		return nil
	}
	n, err := hb.h.DB.InviteCount(ctx, userID)
	if err != nil {
		return err
	}
	for _, c := range cs {
		c.conn.Enqueue(frameJob(console.InvitesChanged(n)))
	}
	return nil
}

// closeUser closes every socket of a user who was disabled or signed out everywhere.
func (hb *hub) closeUser(userID int64) {
	for _, c := range hb.forUser(userID) {
		c.connection().Close(statusDisabled, "signed out")
	}
}

// closeSession closes this instance's console sockets that were opened with
// the session ev names.
func (hb *hub) closeSession(ev chat.Event) {
	for _, c := range hb.consoles.ForUser(ev.UserID) {
		if chat.SessionKey(c.session) == ev.Session {
			c.conn.Close(statusDisabled, "signed out")
		}
	}
}
