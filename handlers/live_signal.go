package handlers

// Online-only signals: frames that reach whoever has a conversation open
// at that moment, on every instance, over the bus, and are never stored,
// pushed or counted as unread. Typing is one kind (live_typing.go); a host
// site's backend sends its own (POST /api/v1/conversations/{id}/signals),
// which a page's scripts hear as the DOM event "kefu:signal".

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/live"
	"github.com/kefu-im/kefu/views/thread"
)

// onSignal shows signal ev to the others on this instance who may see its
// conversation: typing in the thread, a host's kind to the page's scripts.
func (hb *hub) onSignal(ctx context.Context, ev chat.Event) error {
	sg := ev.Signal
	if sg == nil || (sg.Kind == chat.SignalTyping && sg.Typing == nil) {
		return nil
	}
	conv, local, err := hb.others(ctx, ev)
	if err != nil || len(local) == 0 {
		return err
	}
	for _, c := range local {
		if sg.Kind == chat.SignalTyping {
			c.connection().Enqueue(c.typing(conv, ev))
		} else {
			c.connection().Enqueue(c.signal(conv, ev))
		}
	}
	return nil
}

// signalJob hands signal ev to a page whose open thread (openID) is conv's.
func signalJob(conv chat.Conversation, ev chat.Event, t *threadSeq, openID *int64) live.Job {
	return func(ctx context.Context) ([]byte, error) {
		if !t.resumed || *openID != conv.ID {
			return nil, nil
		}
		return render(ctx, thread.Signal(conv.ID, ev.Signal.Kind, string(ev.Signal.Data)))
	}
}

func (s *consoleSocket) signal(conv chat.Conversation, ev chat.Event) live.Job {
	return signalJob(conv, ev, &s.screen.threads, &s.screen.openID)
}

func (s *widgetSocket) signal(conv chat.Conversation, ev chat.Event) live.Job {
	return signalJob(conv, ev, &s.screen.threads, &s.screen.openID)
}

// apiSignalCreate sends an online-only signal to whoever has conversation
// {id} open now: {"kind": "…", "data": any JSON}. A member's key signals as
// its member, in conversations they may see; a host key in any. Nothing is
// stored: 202, whether anyone was there or not.
func (h *Handler) apiSignalCreate(w http.ResponseWriter, r *http.Request) {
	k := apiKeyFrom(r.Context())
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in struct {
		Kind string          `json:"kind"`
		Data json.RawMessage `json:"data"`
	}
	if err := readJSON(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	sg, err := chat.ValidateSignal(in.Kind, in.Data)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.DB.ConversationForKey(r.Context(), id, k)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.DB.Announce(r.Context(), chat.Event{Type: chat.EventSignal, ConversationID: c.ID, UserID: k.UserID, Signal: &sg}); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"conversation_id": c.ID, "kind": sg.Kind})
}
