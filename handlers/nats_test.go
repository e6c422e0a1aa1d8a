package handlers_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/live/natstest"
	"github.com/kefu-im/kefu/store/storetest"
)

// TestTwoInstancesOnNATS: with the bus on NATS, a visitor's messages sent
// through one instance reach the agent's console on the other, each once
// and in order, though the NATS server goes away while they are sent. The
// messages stored while it is away are the last ones: no later message
// brings them by filling its gap.
func TestTwoInstancesOnNATS(t *testing.T) {
	t.Parallel()
	nats := natstest.Start(t)
	dbURL := storetest.URL(t)
	a := startWithBus(t, dbURL, nats.URL())
	a.ensureAgent()
	b := startWithBus(t, dbURL, nats.URL())

	visitorOnA, agentOnB, conv := chatAcross(t, a, b)
	agentOnB.send(map[string]any{"type": "resume", "conversation_id": conv.ID, "seq": conv.LastSeq})

	send := func(i int) {
		id := fmt.Sprintf("m%d", i)
		visitorOnA.send(map[string]any{"type": "send", "client_msg_id": id, "body": fmt.Sprintf("message %d", i)})
		visitorOnA.waitFor(fmt.Sprintf(`data-ack="%s"`, id))
	}
	const before, during = 20, 20
	for i := range before {
		send(i)
	}
	nats.Stop()
	for i := before; i < before+during; i++ {
		send(i) // stored and acknowledged: the database needs no bus
	}
	nats.Restart()
	// No message follows those: the agent's console gets them from the bus,
	// or from the resync after it reconnects.
	agentOnB.waitFor(fmt.Sprintf(`<li id="msg-%d"`, lastID(t, a, conv.ID)))

	// A last message marks the end of what to look at.
	send(before + during)
	agentOnB.waitFor(fmt.Sprintf(`<li id="msg-%d"`, lastID(t, a, conv.ID)))
	stored, err := a.db.MessagesAfter(context.Background(), conv.ID, conv.LastSeq, 1000, chat.ReaderAgent)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, m := range stored {
		want = append(want, fmt.Sprint(m.ID))
	}
	if got := bubbles(agentOnB.all()); !slices.Equal(got, want) {
		t.Fatalf("the agent's console on B showed bubbles %v; want %v: each message once, in order", got, want)
	}
}

// lastID is the id of the newest message of conversation id.
func lastID(t *testing.T, k *instance, id int64) int64 {
	t.Helper()
	c, err := k.db.Conversation(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := k.db.MessagesAfter(context.Background(), id, c.LastSeq-1, 1, chat.ReaderAgent)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("the newest message of conversation %d: %v, %v", id, msgs, err)
	}
	return msgs[0].ID
}
