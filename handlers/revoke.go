package handlers

// Revoking a message: from a console or a widget by a frame, from a console
// without JavaScript by a form, and from the host API with a member's key.
// Whoever may see the thread sees the message revoked at once, on every
// instance (chat.EventRevoked).

import (
	"context"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/live"
	"github.com/kefu-im/kefu/views/thread"
)

// revokeFrame revokes a message of the console's member.
func (s *consoleSocket) revokeFrame(ctx context.Context, f inFrame) error {
	v, err := s.viewer(ctx)
	if err != nil {
		return err
	}
	_, err = s.h.DB.Revoke(ctx, f.ConversationID, f.MessageID, v, s.h.Now())
	return err
}

// revokeFrame revokes one of the visitor's own messages.
func (s *widgetSocket) revokeFrame(ctx context.Context, f inFrame) error {
	_, err := s.h.DB.Revoke(ctx, f.ConversationID, f.MessageID, s.viewer(), s.h.Now())
	return err
}

// messageRevoke is the console's revoke form, for a page without JavaScript.
func (h *Handler) messageRevoke(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	msgID, err := strconv.ParseInt(chi.URLParam(r, "message"), 10, 64)
	if err != nil {
		h.fail(w, r, errNoPage)
		return
	}
	back := "/console/c/" + itoa(id)
	msg, err := h.DB.Revoke(ctx, id, msgID, accountFrom(ctx).viewer(), h.Now())
	if err != nil {
		h.refused(w, r, err, "", back)
		return
	}
	h.done(w, r, back, map[string]any{"conversation_id": id, "message_id": msg.ID, "revoked_at": msg.RevokedAt})
}

// apiMessageRevoke revokes a message with a member's key, as its member
// would: a host key speaks for nobody, so it revokes nothing.
func (h *Handler) apiMessageRevoke(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	k := apiKeyFrom(ctx)
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	msgID, err := strconv.ParseInt(chi.URLParam(r, "message"), 10, 64)
	if err != nil {
		h.fail(w, r, errNoPage)
		return
	}
	if k.UserID == 0 {
		h.fail(w, r, chat.ErrNotAllowed)
		return
	}
	agents, err := h.DB.AgentList(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	msg, err := h.DB.Revoke(ctx, id, msgID, chat.Viewer{UserID: k.UserID, IsAgent: agents.Has(k.UserID)}, h.Now())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apiMessageOf(msg))
}

// onRevoked shows a revoked message in place on the threads of this
// instance that show it, and the list items it may have summed up.
func (hb *hub) onRevoked(ctx context.Context, ev chat.Event) error {
	if !hb.anyoneOnline() {
		return nil
	}
	msg, err := hb.db.Message(ctx, ev.MessageID)
	if err != nil {
		return err
	}
	conv, err := hb.db.Conversation(ctx, msg.ConversationID)
	if err != nil {
		return err
	}
	ids, err := hb.recipients(ctx, conv)
	if err != nil {
		return err
	}
	done := map[int64]bool{}
	for _, id := range ids {
		if done[id] {
			continue
		}
		done[id] = true
		for _, c := range hb.forUser(id) {
			c.connection().Enqueue(c.revoked(msg))
		}
		for _, c := range hb.consoles.ForUser(id) {
			c.conn.Enqueue(c.listUpdate(conv.ID, false))
		}
	}
	return nil
}

// revokedJob shows msg revoked on a thread t that shows it: one the browser
// has been sent up to msg or past it. A thread sent it later reads it
// revoked from the database.
func revokedJob(t *threadSeq, msg chat.Message) live.Job {
	return func(ctx context.Context) ([]byte, error) {
		sent, ok := t.sent[msg.ConversationID]
		if !t.resumed || !ok || msg.Seq > sent || !t.reader.Sees(msg) {
			return nil, nil
		}
		return render(ctx, thread.Revoked(msg, msg.SenderID == t.viewerID))
	}
}

func (s *consoleSocket) revoked(msg chat.Message) live.Job { return revokedJob(&s.screen.threads, msg) }

func (s *widgetSocket) revoked(msg chat.Message) live.Job { return revokedJob(&s.screen.threads, msg) }
