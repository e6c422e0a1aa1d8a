package handlers

import (
	"context"
	"time"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/queue"
	"github.com/kefu-im/kefu/views/console"
	"github.com/kefu-im/kefu/views/widget"
)

// queueView is the queue as waiting visitors and agents see it: loaded once
// per change for every socket, and by the pages that show it. A widget's
// own reads hold its visitor's entry alone (loadWaitView).
type queueView struct {
	// loaded is when its reading began: it shows at least every change
	// committed before then. A socket shows a view only if none it showed
	// was loaded later, as views loaded for different events may reach it
	// out of order.
	loaded  time.Time
	entries []chat.QueueEntry
	recent  []time.Time
	anyone  bool
	loads   map[int64]*console.Load // each agent's open chats and capacity
}

// loadQueueView reads the whole queue: the positions of every waiting
// visitor, which a queue event shows each widget, and the previews of the
// chats agents' consoles list.
func (h *Handler) loadQueueView(ctx context.Context) (queueView, error) {
	v := queueView{loaded: time.Now()}
	var err error
	if v.entries, err = h.DB.Queue(ctx, console.QueueShown); err != nil {
		return v, err
	}
	return v, h.loadAgentsView(ctx, &v)
}

// loadWaitView is the queue as one visitor's widget shows it: their own
// place in line (none for visitorID 0), counted on the queue's index up to
// that place, with no previews read, since every widget page and socket
// reads it.
func (h *Handler) loadWaitView(ctx context.Context, visitorID int64) (queueView, error) {
	v := queueView{loaded: time.Now()}
	if visitorID != 0 {
		e, err := h.DB.QueuePlace(ctx, visitorID)
		switch {
		case err == nil:
			v.entries = []chat.QueueEntry{e}
		case !isNotFound(err):
			return v, err
		}
	}
	return v, h.loadAgentsView(ctx, &v)
}

// loadAgentsView adds to v what the queue's pace and the agents' presence
// say: the recent assignments, which estimate the wait of v's entries (read
// only when it has some), and each agent's load.
func (h *Handler) loadAgentsView(ctx context.Context, v *queueView) error {
	if len(v.entries) > 0 {
		var err error
		if v.recent, err = h.DB.RecentAssignments(ctx, 20); err != nil {
			return err
		}
	}
	agents, err := h.DB.AgentList(ctx)
	if err != nil {
		return err
	}
	loads, err := h.DB.Agents(ctx, h.Now(), h.Routing.Grace, agents.IDs)
	if err != nil {
		return err
	}
	v.loads = make(map[int64]*console.Load, len(loads))
	for _, l := range loads {
		v.anyone = v.anyone || l.OnDuty()
		v.loads[l.ID] = &console.Load{Open: l.Open, Capacity: l.Capacity}
	}
	return nil
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
