package handlers

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/views/console"
	"github.com/kefu-im/kefu/views/thread"
)

// listLimit is how many conversations the console's list shows.
const listLimit = 100

// consoleShow renders the console, with conversation {id} open when given.
func (h *Handler) consoleShow(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	acct := accountFrom(ctx)
	nav, err := h.nav(r, "conversations")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := console.Props{User: acct.User, CSRF: nav.CSRF, Invites: nav.Invites, Flash: h.consoleFlash(r)}
	if chi.URLParam(r, "id") != "" {
		id, err := pathID(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		c, err := h.DB.ConversationFor(ctx, id, acct.viewer())
		if isNotFound(err) && !acct.Agent {
			// Taken off customer service while this chat was open: back to
			// the console, told why, rather than "There is nothing here".
			worked, werr := h.DB.WorkedOn(ctx, id, acct.ID)
			if werr != nil {
				h.fail(w, r, werr)
				return
			}
			if worked {
				h.refused(w, r, chat.ErrNotFound, sayChatClosed, "/console")
				return
			}
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		// Opening a conversation reads it, as in every chat app.
		if err := h.DB.MarkRead(ctx, c.ID, acct.ID, c.LastSeq); err != nil {
			h.fail(w, r, err)
			return
		}
		open, err := h.DB.Summary(ctx, c.ID, acct.viewer())
		if err != nil {
			h.fail(w, r, err)
			return
		}
		msgs, more, err := h.DB.History(ctx, c.ID, 0, chat.PageSize, acct.Agent)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		p.Open = &open
		if p.Muted, err = h.DB.Muted(ctx, acct.ID, c.ID); err != nil {
			h.fail(w, r, err)
			return
		}
		if c.Kind == chat.Support && acct.Agent {
			if p.Visitor, err = h.visitorInfo(r, c.ID); err != nil {
				h.fail(w, r, err)
				return
			}
		}
		if c.Kind == chat.Group {
			if p.Group, err = h.groupPanel(r, c.ID); err != nil {
				h.fail(w, r, err)
				return
			}
		}
		p.History = thread.PageProps{Messages: msgs, More: more, ViewerID: acct.ID, OlderURL: historyURL(c.ID)}
	}
	if p.Conversations, err = h.DB.Summaries(ctx, acct.viewer(), listLimit); err != nil {
		h.fail(w, r, err)
		return
	}
	if acct.Agent {
		if err := h.agentPanel(r, acct, &p); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	h.render(w, r, http.StatusOK, console.Page(p))
}

func historyURL(id int64) string { return "/console/c/" + strconv.FormatInt(id, 10) + "/history" }

// historyShow answers "load earlier messages" with the page before ?before=<seq>.
func (h *Handler) historyShow(w http.ResponseWriter, r *http.Request) {
	acct := accountFrom(r.Context())
	h.olderPage(w, r, acct.viewer(), historyURL)
}

// olderPage writes the history page before ?before= of conversation {id}, if v may see it.
func (h *Handler) olderPage(w http.ResponseWriter, r *http.Request, v chat.Viewer, url func(int64) string) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	before, err := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	if err != nil || before < 1 {
		h.fail(w, r, chat.Invalid("before", "before must be a message number."))
		return
	}
	c, err := h.DB.ConversationFor(r.Context(), id, v)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	msgs, more, err := h.DB.History(r.Context(), c.ID, before, chat.PageSize, v.IsAgent)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, thread.Older(thread.PageProps{Messages: msgs, More: more, ViewerID: v.UserID, OlderURL: url(c.ID)}))
}

// messageCreate is the composer without JavaScript: store, then back to the conversation.
func (h *Handler) messageCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	acct := accountFrom(ctx)
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	body, err := chat.ValidateBody(r.PostFormValue("body"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	clientMsgID := r.PostFormValue("client_msg_id")
	if err := chat.ValidateClientMsgID(clientMsgID); err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.DB.ConversationFor(ctx, id, acct.viewer())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if _, _, err := h.DB.SendMessage(ctx, store.Send{ConversationID: c.ID, SenderID: acct.ID, ClientMsgID: clientMsgID, Body: body}); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/console/c/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
}

// agentPanel fills what only agents see: their state, the queue, the agents
// a chat can be transferred to, and who has the open chat.
func (h *Handler) agentPanel(r *http.Request, acct account, p *console.Props) error {
	ctx := r.Context()
	if err := h.DB.EnsureAgent(ctx, acct.ID, h.Routing.Capacity); err != nil {
		return err
	}
	var err error
	p.IsAgent = true
	if p.State, err = h.DB.AgentState(ctx, acct.ID); err != nil {
		return err
	}
	if p.Queue, err = h.DB.Queue(ctx); err != nil {
		return err
	}
	loads, err := h.DB.Agents(ctx, h.Now(), h.Routing.Grace, []int64{acct.ID})
	if err != nil {
		return err
	}
	for _, l := range loads {
		p.Load = &console.Load{Open: l.Open, Capacity: l.Capacity}
	}
	agents, err := h.DB.AgentList(ctx)
	if err != nil {
		return err
	}
	users, err := h.DB.Users(ctx, agents.IDs)
	if err != nil {
		return err
	}
	for _, u := range users {
		if p.Open != nil && u.ID == p.Open.AssignedAgentID {
			p.Assignee = u.DisplayName()
		}
		if u.ID != acct.ID && !u.Disabled() {
			p.Agents = append(p.Agents, chat.Agent{UserID: u.ID, Name: u.DisplayName()})
		}
	}
	return nil
}

// groupPanel loads group id's members, and the people its owner could add.
func (h *Handler) groupPanel(r *http.Request, id int64) (*console.GroupPanel, error) {
	acct := accountFrom(r.Context())
	g, err := h.DB.GroupOf(r.Context(), id, acct.ID)
	if err != nil {
		return nil, err
	}
	panel := &console.GroupPanel{OwnerID: g.OwnerID, Members: g.Members}
	if g.OwnerID == acct.ID {
		people, err := h.DB.People(r.Context(), acct.ID, "", peopleLimit)
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
func (h *Handler) visitorInfo(r *http.Request, id int64) (*console.VisitorInfo, error) {
	d, err := h.DB.SupportDetailsOf(r.Context(), id)
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
