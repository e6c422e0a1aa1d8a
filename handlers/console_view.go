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
	inbox         console.Inbox // the list's view, with its counts and next page
	queue         []chat.QueueEntry
	queueAt       time.Time     // when the queue was read (queueView.loaded)
	load          *console.Load // nil: unknown, as for an agent without a routing profile yet
}

// loadConsoleLists loads the console's lists as v sees them, the list
// showing in, for the page and for a socket that (re)connects.
func (h *Handler) loadConsoleLists(ctx context.Context, v chat.Viewer, in console.Inbox) (consoleLists, error) {
	l := consoleLists{inbox: in}
	var err error
	if l.conversations, l.inbox.Next, err = h.DB.Inbox(ctx, v, inbox(in), listLimit); err != nil {
		return l, err
	}
	if l.inbox.Counts, err = h.DB.InboxCounts(ctx, v, in.Filter); err != nil {
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
// at (0: its last page), and the list in. The open conversation is shown
// read: the page's socket marks it so as the page opens.
func (h *Handler) loadConsole(ctx context.Context, acct account, open chat.Conversation, in console.Inbox, at int64) (console.Props, error) {
	p := console.Props{User: acct.User}
	v := acct.viewer()
	if open.ID != 0 {
		if err := h.loadOpen(ctx, acct, open, at, &p); err != nil {
			return p, err
		}
	}
	lists, err := h.loadConsoleLists(ctx, v, in)
	if err != nil {
		return p, err
	}
	p.Conversations, p.Inbox, p.LabelsCSS = lists.conversations, lists.inbox, labelsURL(in.Labels)
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
	if c.Kind == chat.Direct && open.PeerID != 0 {
		if p.Blocked, err = h.DB.HasBlocked(ctx, acct.ID, open.PeerID); err != nil {
			return err
		}
	}
	if c.Kind == chat.Group {
		if p.Group, err = h.groupPanel(ctx, acct, c.ID); err != nil {
			return err
		}
	}
	p.History = thread.PageProps{Messages: msgs, More: more, ViewerID: acct.ID, OlderURL: historyURL(c.ID)}
	if err := h.loadComposer(ctx, acct, c, &p.Composer); err != nil {
		return err
	}
	if g := p.Group; g != nil {
		p.History.Moderation = moderation(c.ID, g.Viewer, g.Pins)
		for _, u := range g.Members {
			if u.ID != acct.ID {
				p.Composer.Mentionable = append(p.Composer.Mentionable, u)
			}
		}
		p.Composer.MentionAll = chat.MayInGroup(g.Viewer, chat.ActMentionAll, "")
	}
	return nil
}

// moderation is what a member with role in group id, whose pinned
// messages are pins, may do to its messages: nil for a plain member.
func moderation(id int64, role chat.Role, pins []chat.Message) *thread.Moderation {
	if !chat.MayInGroup(role, chat.ActPin, "") {
		return nil
	}
	mod := &thread.Moderation{GroupID: id, Pinned: make(map[int64]bool, len(pins))}
	for _, m := range pins {
		mod.Pinned[m.ID] = true
	}
	return mod
}

// loadComposer fills the composer of conversation c: the member's draft
// there and, for an agent, the note switch (support chats) and the canned
// responses they may pick.
func (h *Handler) loadComposer(ctx context.Context, acct account, c chat.Conversation, p *console.ComposerProps) error {
	draft, err := h.DB.Draft(ctx, c.ID, acct.ID)
	if err != nil {
		return err
	}
	*p = console.ComposerProps{ConversationID: c.ID, Draft: draft, Agent: acct.Agent, NoteSwitch: acct.Agent && c.Kind == chat.Support}
	if acct.Agent {
		p.Canned, err = h.DB.CannedFor(ctx, acct.ID)
	}
	return err
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
	agents, loads, err := h.agentRoster(ctx)
	if err != nil {
		return err
	}
	var open chat.Conversation
	if p.Open != nil {
		open = p.Open.Conversation
	}
	p.Agents = transferTargets(agents, loads, acct.ID, open)
	if open.Kind == chat.Support {
		p.MaySnooze = mayDo(acct.ID, acct.IsAdmin, open)
		if p.Assignee, err = h.assigneeName(ctx, open.AssignedAgentID, agents); err != nil {
			return err
		}
		p.Labels, err = h.chatLabels(ctx, open.ID, true, "") // the page's form token is the caller's
	}
	return err
}

// mayDo reports whether viewerID may snooze support chat c: it is theirs,
// or they are an admin.
func mayDo(viewerID int64, admin bool, c chat.Conversation) bool {
	return c.AssignedAgentID == viewerID || admin
}

// chatLabels loads support chat id's labels, and for an agent (actions)
// the others they may put on it.
func (h *Handler) chatLabels(ctx context.Context, id int64, actions bool, csrf string) (*console.LabelsProps, error) {
	on, err := h.DB.ChatLabels(ctx, id)
	if err != nil {
		return nil, err
	}
	p := &console.LabelsProps{ID: id, On: on, Actions: actions, CSRF: csrf}
	if actions {
		all, err := h.DB.Labels(ctx)
		if err != nil {
			return nil, err
		}
		for _, l := range all {
			if !slices.ContainsFunc(on, func(o chat.Label) bool { return o.ID == l.ID }) {
				p.Off = append(p.Off, l)
			}
		}
	}
	return p, nil
}

// agentRoster loads customer service's members, with their presence and
// load as routing counts them.
func (h *Handler) agentRoster(ctx context.Context) ([]chat.User, map[int64]chat.AgentLoad, error) {
	agents, err := h.agentUsers(ctx)
	if err != nil {
		return nil, nil, err
	}
	ids := make([]int64, len(agents))
	for i, u := range agents {
		ids[i] = u.ID
	}
	ls, err := h.DB.Agents(ctx, h.Now(), h.Routing.Grace, ids)
	if err != nil {
		return nil, nil, err
	}
	loads := make(map[int64]chat.AgentLoad, len(ls))
	for _, l := range ls {
		loads[l.ID] = l
	}
	return agents, loads, nil
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
func transferTargets(agents []chat.User, loads map[int64]chat.AgentLoad, viewerID int64, c chat.Conversation) []chat.Agent {
	var out []chat.Agent
	for _, u := range agents {
		has := c.Status == chat.Assigned && u.ID == c.AssignedAgentID
		if u.ID != viewerID && !u.Disabled() && !has {
			l := loads[u.ID]
			state := chat.Away
			if l.Available {
				state = chat.Available
			}
			out = append(out, chat.Agent{UserID: u.ID, Name: u.DisplayName(), State: state, Online: l.Online, Open: l.Open, Capacity: l.Capacity})
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
func (h *Handler) chatState(ctx context.Context, id int64, viewer chat.User, csrf string) (console.ChatState, error) {
	conv, err := h.DB.Conversation(ctx, id)
	if err != nil {
		return console.ChatState{}, err
	}
	agents, loads, err := h.agentRoster(ctx)
	if err != nil {
		return console.ChatState{}, err
	}
	s, err := h.sharedChatState(ctx, conv, agents)
	s.Agents, s.CSRF, s.MaySnooze = transferTargets(agents, loads, viewer.ID, conv), csrf, mayDo(viewer.ID, viewer.IsAdmin, conv)
	return s, err
}

// sharedChatState is where support chat conv stands, as every agent sees
// it; each console adds whom its agent may transfer it to, whether they may
// snooze it, and its form token.
func (h *Handler) sharedChatState(ctx context.Context, conv chat.Conversation, agents []chat.User) (console.ChatState, error) {
	name, err := h.assigneeName(ctx, conv.AssignedAgentID, agents)
	return console.ChatState{ID: conv.ID, Status: conv.Status, Assignee: name, AssigneeID: conv.AssignedAgentID, Actions: true,
		SnoozedUntil: conv.SnoozedUntil, SnoozedUntilReply: conv.SnoozedUntilReply}, err
}

// groupPanel loads group id's members, their roles, its notice and pins
// and, for its owner and admins, the people they could add and who asks
// to join.
func (h *Handler) groupPanel(ctx context.Context, acct account, id int64) (*console.GroupPanel, error) {
	g, err := h.DB.GroupOf(ctx, id, acct.ID)
	if err != nil {
		return nil, err
	}
	panel := &console.GroupPanel{OwnerID: g.OwnerID, Members: g.Members, Viewer: g.RoleOf(acct.ID), Roles: g.Roles,
		Silenced: g.Silenced, AllSilenced: g.AllSilenced, Notice: g.Notice, Pins: g.Pins}
	if panel.Viewer.Manages() {
		panel.JoinToken = g.JoinToken
		if panel.Requests, err = h.DB.JoinRequests(ctx, id, acct.ID); err != nil {
			return nil, err
		}
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
	v := &console.VisitorInfo{ID: d.Visitor.ID, Name: d.Visitor.DisplayName(), Verified: d.Visitor.ExternalID != "", Email: d.Visitor.Email,
		Site: d.SiteName, Context: d.Context, Rating: d.Rating, Comment: d.Comment}
	if v.Email == "" {
		v.Email = d.Context["email"]
	}
	v.Browser = browserOf(ctx, d.Context["user_agent"])
	if l := d.Context["language"]; l != "" {
		v.Language = languageName(ctx, l)
	}
	v.ConversationID, v.Mail = id, h.Mail.On
	if v.Mail && d.Visitor.Email != "" {
		off, err := h.DB.Unsubscribed(ctx, d.Visitor.ID)
		var bounced bool
		if err == nil {
			bounced, err = h.DB.Bounced(ctx, d.Visitor.ID)
		}
		if err != nil {
			return nil, err
		}
		v.MailTo = !off && !bounced
	}
	return v, h.visitorHistory(ctx, v, d.Visitor.ID)
}
