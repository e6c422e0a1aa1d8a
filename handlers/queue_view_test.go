package handlers

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kefu-im/kefu/chat"
)

// TestAnOlderQueueViewNeverReplacesANewer: views loaded for different
// events may reach a socket out of order; the one loaded earlier, which may
// show a chat still waiting that a later one shows taken, is not shown.
func TestAnOlderQueueViewNeverReplacesANewer(t *testing.T) {
	ctx := context.Background()
	s := &consoleSocket{socket: socket{user: chat.User{ID: 1}}}
	taken := queueView{loaded: time.Now()}
	waiting := queueView{loaded: taken.loaded.Add(-time.Millisecond),
		entries: []chat.QueueEntry{{ConversationID: 9, Position: 1, QueuedAt: time.Now(), Preview: "still waiting"}}}

	frame, err := s.queueChanged(queueChange{view: taken})(ctx)
	if err != nil || !strings.Contains(string(frame), `data-target="#queue"`) {
		t.Fatalf("the newer view: %q, %v; want the queue panel", frame, err)
	}
	frame, err = s.queueChanged(queueChange{view: waiting})(ctx)
	if err != nil || strings.Contains(string(frame), "still waiting") {
		t.Fatalf("the older view, arriving late, was shown: %q, %v", frame, err)
	}
	frame, err = s.queueChanged(queueChange{view: queueView{loaded: time.Now(), entries: waiting.entries}})(ctx)
	if err != nil || !strings.Contains(string(frame), "still waiting") {
		t.Fatalf("a view loaded later still: %q, %v; want it shown", frame, err)
	}
}
