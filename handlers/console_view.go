package handlers

// The console's loader: what the console shows, gathered from the store
// for the page and for the socket that keeps the page current. It only
// reads: opening a conversation marks it read through the socket, and an
// agent's routing profile is made by their socket.

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/views/console"
	"github.com/kefu-im/kefu/views/thread"
)

// listLimit is how many conversations the console's list shows.
const listLimit = 100

// consoleLists is what a console shows beside its open thread: the
// conversation list and, for an agent, the queue with their own load.
type consoleLists struct {
	conversations []chat.Summary
	queue         []chat.QueueEntry
	queueAt       time.Time     // when the queue was read (queueView.loaded)
	load          *console.Load // nil: unknown, as for an agent without a routing profile yet
}

// loadConsoleLists loads the console's lists as v sees them, for the page
// and for a socket that (re)connects.
func (h *Handler) loadConsoleLists(ctx context.Context, v chat.Viewer) (consoleLists, error) {
	var l consoleLists
	var err error
	if l.conversations, err = h.DB.Summaries(ctx, v, listLimit); err != nil {
		return l, err
	}
	if v.IsAgent {
		view, err := h.loadQueueView(ctx)
		if err != nil {
			return l, err
		}
		l.queue, l.queueAt, l.load = view.entries, view.loaded, view.loads[v.UserID]
	}
	return l, nil
}

// loadConsole loads the console page of acct with conversation open (zero:
// none), which acct may see, its thread loaded back to the message at seq
// at (0: its last page). The open conversation is shown read: the page's
// socket marks it so as the page opens.
func (h *Handler) loadConsole(ctx context.Context, acct account, open chat.Conversation, at int64) (console.Props, error) {
	p := console.Props{User: acct.User}
	v := acct.viewer()
	if open.ID != 0 {
		if err := h.loadOpen(ctx, acct, open, at, &p); err != nil {
			return p, err
		}
	}
	lists, err := h.loadConsoleLists(ctx, v)
	if err != nil {
		return p, err
	}
	p.Conversations = lists.conversations
	for i := range p.Conversations {
		if p.Conversations[i].ID == open.ID {
			p.Conversations[i].Unread = 0
		}
	}
	if acct.Agent {
		p.IsAgent, p.Queue, p.Load = true, lists.queue, lists.load
		if err := h.loadAgentPanel(ctx, acct, &p); err != nil {
			return p, err
		}
	}
	return p, nil
}

// aroundMax is the most messages a thread opened at an older message (a
// search result) loads: from a little before it to the newest.
const aroundMax = 20 * chat.PageSize

// loadOpen fills what the console shows of conversation c: its thread,
// back to the message at seq at when it is older than the last page, and
// the panels beside it.
func (h *Handler) loadOpen(ctx context.Context, acct account, c chat.Conversation, at int64, p *console.Props) error {
	open, err := h.DB.Summary(ctx, c.ID, acct.viewer())
	if err != nil {
		return err
	}
	open.Unread = 0
	limit := chat.PageSize
	if at > 0 && at <= c.LastSeq {
		// Seqs count every message, some of which the reader may not see:
		// this many hold the message and a few before it.
		limit = int(min(max(c.LastSeq-at+1+5, int64(limit)), aroundMax))
	}
	msgs, more, err := h.DB.History(ctx, c.ID, 0, limit, memberReader(acct.Agent))
	if err != nil {
		return err
	}
	p.Open = &open
	if p.Muted, err = h.DB.Muted(ctx, acct.ID, c.ID); err != nil {
		return err
	}
	if c.Kind == chat.Support && acct.Agent {
		if p.Visitor, err = h.visitorInfo(ctx, c.ID); err != nil {
			return err
		}
	}
	if c.Kind == chat.Group {
		if p.Group, err = h.groupPanel(ctx, acct, c.ID); err != nil {
			return err
		}
	}
	p.History = thread.PageProps{Messages: msgs, More: more, ViewerID: acct.ID, OlderURL: historyURL(c.ID)}
	return nil
}

// loadAgentPanel fills what only agents see beside the queue: their state,
// the agents a chat can be transferred to (neither they nor the one who has
// the open chat), and who has the open chat.
func (h *Handler) loadAgentPanel(ctx context.Context, acct account, p *console.Props) error {
	var err error
	p.State, err = h.DB.AgentState(ctx, acct.ID)
	if errors.Is(err, chat.ErrNotFound) {
		// No routing profile yet: their console's socket makes one, available.
		p.State, err = chat.Available, nil
	}
	if err != nil {
		return err
	}
	agents, err := h.agentUsers(ctx)
	if err != nil {
		return err
	}
	var open chat.Conversation
	if p.Open != nil {
		open = p.Open.Conversation
	}
	p.Agents = transferTargets(agents, acct.ID, open)
	if open.Kind == chat.Support {
		p.Assignee, err = h.assigneeName(ctx, open.AssignedAgentID, agents)
	}
	return err
}

// agentUsers loads customer service's members.
func (h *Handler) agentUsers(ctx context.Context) ([]chat.User, error) {
	agents, err := h.DB.AgentList(ctx)
	if err != nil {
		return nil, err
	}
	return h.DB.Users(ctx, agents.IDs)
}

// transferTargets are the agents whom viewerID may hand chat c to: every
// active one but themselves and the one who has it.
func transferTargets(agents []chat.User, viewerID int64, c chat.Conversation) []chat.Agent {
	var out []chat.Agent
	for _, u := range agents {
		has := c.Status == chat.Assigned && u.ID == c.AssignedAgentID
		if u.ID != viewerID && !u.Disabled() && !has {
			out = append(out, chat.Agent{UserID: u.ID, Name: u.DisplayName()})
		}
	}
	return out
}

// assigneeName names the agent a support chat is assigned to (none: ""),
// who may since have left customer service.
func (h *Handler) assigneeName(ctx context.Context, id int64, agents []chat.User) (string, error) {
	if id == 0 {
		return "", nil
	}
	for _, u := range agents {
		if u.ID == id {
			return u.DisplayName(), nil
		}
	}
	u, err := h.DB.User(ctx, id)
	return u.DisplayName(), err
}

// chatState loads where support chat id stands now, and what agent
// viewerID can do with it, for a fragment of their console.
func (h *Handler) chatState(ctx context.Context, id, viewerID int64, csrf string) (console.ChatState, error) {
	conv, err := h.DB.Conversation(ctx, id)
	if err != nil {
		return console.ChatState{}, err
	}
	agents, err := h.agentUsers(ctx)
	if err != nil {
		return console.ChatState{}, err
	}
	s, err := h.sharedChatState(ctx, conv, agents)
	s.Agents, s.CSRF = transferTargets(agents, viewerID, conv), csrf
	return s, err
}

// sharedChatState is where support chat conv stands, as every agent sees
// it; each console adds whom its agent may transfer it to, and its form token.
func (h *Handler) sharedChatState(ctx context.Context, conv chat.Conversation, agents []chat.User) (console.ChatState, error) {
	name, err := h.assigneeName(ctx, conv.AssignedAgentID, agents)
	return console.ChatState{ID: conv.ID, Status: conv.Status, Assignee: name, AssigneeID: conv.AssignedAgentID, Actions: true}, err
}

// groupPanel loads group id's members, and the people its owner could add.
func (h *Handler) groupPanel(ctx context.Context, acct account, id int64) (*console.GroupPanel, error) {
	g, err := h.DB.GroupOf(ctx, id, acct.ID)
	if err != nil {
		return nil, err
	}
	panel := &console.GroupPanel{OwnerID: g.OwnerID, Members: g.Members}
	if g.OwnerID == acct.ID {
		people, err := h.DB.People(ctx, acct.ID, "", peopleLimit)
		if err != nil {
			return nil, err
		}
		for _, u := range people {
			if !slices.ContainsFunc(g.Members, func(m chat.User) bool { return m.ID == u.ID }) {
				panel.Candidates = append(panel.Candidates, u)
			}
		}
	}
	return panel, nil
}

// visitorInfo loads what agents see of support chat id's visitor.
func (h *Handler) visitorInfo(ctx context.Context, id int64) (*console.VisitorInfo, error) {
	d, err := h.DB.SupportDetailsOf(ctx, id)
	if err != nil {
		return nil, err
	}
	v := &console.VisitorInfo{Name: d.Visitor.DisplayName(), Verified: d.Visitor.ExternalID != "", Email: d.Visitor.Email,
		Site: d.SiteName, Context: d.Context, Rating: d.Rating, Comment: d.Comment}
	if v.Email == "" {
		v.Email = d.Context["email"]
	}
	return v, nil
}
