package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/a-h/templ"
	"github.com/coder/websocket"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/live"
	"github.com/kefu-im/kefu/queue"
	"github.com/kefu-im/kefu/views/console"
	"github.com/kefu-im/kefu/views/widget"
)

// OnEvent turns one bus event into jobs for this instance's sockets. It runs
// on the bus goroutine: it loads what every recipient shares once, and
// leaves per-screen rendering to each socket's own writer.
func (h *Handler) OnEvent(ctx context.Context, payload string) {
	var ev chat.Event
	if err := json.Unmarshal([]byte(payload), &ev); err != nil {
		h.Logger.Error("bad bus event", "err", err)
		return
	}
	var err error
	switch ev.Type {
	case chat.EventMessage:
		err = h.onMessage(ctx, ev)
	case chat.EventQueue, chat.EventAssigned:
		err = h.onQueue(ctx, ev)
	case chat.EventUserDisabled, chat.EventSignedOut:
		for _, c := range h.clients.ForUser(ev.UserID) {
			c.conn.Close(statusDisabled, "signed out")
		}
	case chat.EventSessionEnded:
		h.closeSession(ev)
	case chat.EventSettings:
		err = h.onSettings(ctx)
	case chat.EventRead, chat.EventMembers:
		for _, c := range h.clients.ForUser(ev.UserID) {
			c.conn.Enqueue(c.listUpdate(ev.ConversationID))
		}
	case chat.EventFriends:
		err = h.onFriends(ctx, ev.UserID)
	}
	if err != nil && ctx.Err() == nil {
		h.Logger.Error("bus event failed", "type", ev.Type, "conversation_id", ev.ConversationID, "err", err)
	}
}

func (h *Handler) onMessage(ctx context.Context, ev chat.Event) error {
	msg, err := h.DB.Message(ctx, ev.MessageID)
	if err != nil {
		return err
	}
	conv, err := h.DB.Conversation(ctx, msg.ConversationID)
	if err != nil {
		return err
	}
	var recipients []int64
	if conv.Kind == chat.Support {
		// Its visitor and whoever is an agent now: an agent taken off the
		// list keeps a member row of the chats they read, and no access.
		agents, err := h.DB.AgentList(ctx)
		if err != nil {
			return err
		}
		recipients = append(recipients, conv.VisitorID)
		for _, id := range h.clients.Users() {
			if agents.Has(id) {
				recipients = append(recipients, id)
			}
		}
	} else if recipients, err = h.DB.MemberIDs(ctx, conv.ID); err != nil {
		return err
	}
	local := make(map[int64][]*client)
	var localIDs []int64
	for _, id := range recipients {
		if cs := h.clients.ForUser(id); len(cs) > 0 && local[id] == nil {
			local[id] = cs
			localIDs = append(localIDs, id)
		}
	}
	if len(local) == 0 {
		return nil
	}
	// One summary and one unread query serve every local recipient.
	sum, err := h.DB.SummaryOf(ctx, conv.ID)
	if err != nil {
		return err
	}
	unread, err := h.DB.Unread(ctx, conv.ID, localIDs)
	if err != nil {
		return err
	}
	for id, cs := range local {
		s := sum
		s.Unread = unread[id]
		if conv.Kind == chat.Direct {
			// Its title is the other person's name, which depends on who looks.
			if s, err = h.DB.Summary(ctx, conv.ID, chat.Viewer{UserID: id}); err != nil {
				return err
			}
		}
		for _, c := range cs {
			c.conn.Enqueue(c.deliver(msg, &s))
		}
	}
	return nil
}

// Resync asks every local socket to rebuild its view from the database,
// after the bus may have missed events.
func (h *Handler) Resync(ctx context.Context) {
	for _, c := range h.clients.All() {
		c.conn.Enqueue(c.resync())
	}
}

func isNotFound(err error) bool { return errors.Is(err, chat.ErrNotFound) }

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// queueView is the queue as waiting visitors and agents see it, loaded once per change.
type queueView struct {
	entries []chat.QueueEntry
	recent  []time.Time
	anyone  bool
	loads   map[int64]*console.Load // each agent's open chats and capacity
}

func (h *Handler) loadQueueView(ctx context.Context) (queueView, error) {
	var v queueView
	var err error
	if v.entries, err = h.DB.Queue(ctx); err != nil {
		return v, err
	}
	if v.recent, err = h.DB.RecentAssignments(ctx, 20); err != nil {
		return v, err
	}
	agents, err := h.DB.AgentList(ctx)
	if err != nil {
		return v, err
	}
	loads, err := h.DB.Agents(ctx, h.Now(), h.Routing.Grace, agents.IDs)
	if err != nil {
		return v, err
	}
	v.loads = make(map[int64]*console.Load, len(loads))
	for _, l := range loads {
		v.anyone = v.anyone || (l.Online && l.Available && l.Capacity > 0)
		v.loads[l.ID] = &console.Load{Open: l.Open, Capacity: l.Capacity}
	}
	return v, nil
}

// waitFor is what the visitor sees of the queue.
func (v queueView) waitFor(visitorID int64) widget.Wait {
	for _, e := range v.entries {
		if e.VisitorID == visitorID {
			d, ok := queue.EstimateWait(e.Position, v.recent)
			return widget.Wait{Position: e.Position, Estimate: d, Known: ok, Anyone: v.anyone}
		}
	}
	return widget.Wait{}
}

// onQueue shows a changed queue: the queue panel in agents' consoles, a cue
// for the agent who got a chat, and each waiting visitor's place in line.
func (h *Handler) onQueue(ctx context.Context, ev chat.Event) error {
	clients := h.clients.All()
	if len(clients) == 0 {
		return nil
	}
	view, err := h.loadQueueView(ctx)
	if err != nil {
		return err
	}
	agents, err := h.DB.AgentList(ctx)
	if err != nil {
		return err
	}
	var badge templ.Component // the open chat's new status, for consoles showing it
	if ev.ConversationID != 0 {
		conv, err := h.DB.Conversation(ctx, ev.ConversationID)
		if err != nil {
			return err
		}
		var assignee string
		if conv.AssignedAgentID != 0 {
			u, err := h.DB.User(ctx, conv.AssignedAgentID)
			if err != nil {
				return err
			}
			assignee = u.DisplayName()
		}
		badge = console.StatusChanged(conv.Status, assignee)
	}
	var assignedTitle string
	if ev.Type == chat.EventAssigned && len(h.clients.ForUser(ev.UserID)) > 0 {
		s, err := h.DB.SummaryOf(ctx, ev.ConversationID)
		if err != nil {
			return err
		}
		assignedTitle = s.Title
	}
	for _, c := range clients {
		switch {
		case c.widget:
			c.conn.Enqueue(c.queueChanged(view, ev.ConversationID))
		case agents.Has(c.user.ID):
			comps := []templ.Component{console.Queue(view.entries, c.csrf, view.loads[c.user.ID])}
			if ev.Type == chat.EventAssigned && ev.UserID == c.user.ID {
				comps = append(comps, console.Assigned(ev.ConversationID, assignedTitle))
			}
			c.conn.Enqueue(c.queueUpdate(ev.ConversationID, badge, comps))
		}
	}
	return nil
}

// queueUpdate sends comps, and badge when this console has conversation id open.
func (c *client) queueUpdate(id int64, badge templ.Component, comps []templ.Component) live.Job {
	return func(ctx context.Context) ([]byte, error) {
		if badge != nil && id == c.screen.openID {
			comps = append(comps, badge)
		}
		return render(ctx, comps...)
	}
}

// statusDisabled closes the sockets of a user who was disabled or whose
// sessions ended: live.js does not reconnect after it, and the page's next
// request asks them to sign in.
const statusDisabled websocket.StatusCode = 4403

// statusReload closes a console socket whose user became, or stopped being,
// customer service: live.js reloads the page, which then shows (or no
// longer shows) the queue, and the new socket keeps them online (or not).
const statusReload websocket.StatusCode = 4001

// onSettings reloads the consoles of users whose role changed, and tells
// widgets whether chat is open.
func (h *Handler) onSettings(ctx context.Context) error {
	settings, err := h.DB.Settings(ctx)
	if err != nil {
		return err
	}
	for _, c := range h.clients.All() {
		switch {
		case c.widget:
			c.conn.Enqueue(c.settingsChanged(settings))
		case settings.Agents.Has(c.user.ID) != c.agent:
			c.conn.Close(statusReload, "role changed")
		}
	}
	return nil
}

// onFriends updates the count of invitations waiting in userID's consoles.
func (h *Handler) onFriends(ctx context.Context, userID int64) error {
	cs := h.clients.ForUser(userID)
	if len(cs) == 0 {
		return nil
	}
	n, err := h.DB.InviteCount(ctx, userID)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if !c.widget {
			c.conn.Enqueue(frameJob(console.InvitesChanged(n)))
		}
	}
	return nil
}
