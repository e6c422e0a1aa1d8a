package handlers

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/views/console"
	"github.com/kefu-im/kefu/views/thread"
)

// consoleShow renders the console, with conversation {id} open when given.
func (h *Handler) consoleShow(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	acct := accountFrom(ctx)
	nav, err := h.nav(r, "conversations")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	in, err := h.inboxFor(ctx, r.URL.Query(), acct.viewer())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	flash := h.consoleFlash(r)
	var open chat.Conversation
	if chi.URLParam(r, "id") != "" {
		id, err := pathID(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		open, err = h.DB.ConversationFor(ctx, id, acct.viewer())
		if isNotFound(err) && !acct.Agent {
			// Taken off customer service while this chat was open: back to
			// the console, told why, rather than "There is nothing here".
			worked, werr := h.DB.WorkedOn(ctx, id, acct.ID)
			if werr != nil {
				h.fail(w, r, werr)
				return
			}
			if worked {
				h.refused(w, r, chat.ErrNotFound, "console.refusal.chatClosed", "/console")
				return
			}
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
	}
	// ?m=<seq>: a search result, to be loaded and shown.
	var at int64
	if m := r.URL.Query().Get("m"); m != "" && open.ID != 0 {
		if at, err = strconv.ParseInt(m, 10, 64); err != nil || at < 1 {
			h.fail(w, r, chat.Invalid("m", "error.console.at"))
			return
		}
	}
	p, err := h.loadConsole(ctx, acct, open, in, at)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p.CSRF, p.Invites, p.Unread, p.Flash, p.Composer.CSRF = nav.CSRF, nav.Invites, nav.Unread, flash, nav.CSRF
	if p.Labels != nil {
		p.Labels.CSRF = p.CSRF
	}
	if p.History.Moderation != nil {
		p.History.Moderation.CSRF = p.CSRF
	}
	h.render(w, r, http.StatusOK, console.Page(p))
}

func historyURL(id int64) string { return "/console/c/" + itoa(id) + "/history" }

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// historyShow answers "load earlier messages" with the page before ?before=<seq>.
func (h *Handler) historyShow(w http.ResponseWriter, r *http.Request) {
	acct := accountFrom(r.Context())
	h.olderPage(w, r, acct.viewer(), memberReader(acct.Agent), historyURL)
}

// memberReader is how a member reads threads: an agent sees notes too.
func memberReader(agent bool) chat.Reader {
	if agent {
		return chat.ReaderAgent
	}
	return chat.ReaderMember
}

// olderPage writes the history page before ?before= of conversation {id},
// if v may see it, with the messages reader is shown.
func (h *Handler) olderPage(w http.ResponseWriter, r *http.Request, v chat.Viewer, reader chat.Reader, url func(int64) string) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	before, err := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	if err != nil || before < 1 {
		h.fail(w, r, chat.Invalid("before", "console.invalid.before"))
		return
	}
	c, err := h.DB.ConversationFor(r.Context(), id, v)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	msgs, more, err := h.DB.History(r.Context(), c.ID, before, chat.PageSize, reader)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := thread.PageProps{Messages: msgs, More: more, ViewerID: v.UserID, OlderURL: url(c.ID)}
	if c.Kind == chat.Group && reader != chat.ReaderVisitor {
		// A group's owner and admins pin and revoke in earlier pages too.
		g, err := h.DB.GroupOf(r.Context(), c.ID, v.UserID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if p.Moderation = moderation(c.ID, g.RoleOf(v.UserID), g.Pins); p.Moderation != nil {
			p.Moderation.CSRF = h.Sessions.GetString(r.Context(), sessionCSRF)
		}
	}
	h.render(w, r, http.StatusOK, thread.Older(p))
}

// messageCreate is the composer without JavaScript: store (a reply, or an
// agent's private note: type=note), then back to the conversation.
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
	typ, err := composedType(r.PostFormValue("type"), acct.Agent, c)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if _, _, err := h.stored(h.DB.SendMessage(ctx, store.Send{ConversationID: c.ID, SenderID: acct.ID, ClientMsgID: clientMsgID, Type: typ, Body: body})); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/console/c/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
}

// languageUpdate records the language the member chose for kefu to speak to
// them ("": their browser's), and goes back to the page they chose it on,
// which now speaks it.
func (h *Handler) languageUpdate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := r.PostFormValue("language")
	if err := h.DB.SetLanguage(ctx, accountFrom(ctx).ID, lang); err != nil {
		h.fail(w, r, err)
		return
	}
	h.done(w, r, backTo(r), map[string]any{"language": lang})
}
