package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

// The short way of a visitor's message, with a publisher, email off and no
// webhook listening for messages, commits it in the round trip that stores
// it. These tests hold it to what the whole way does.

// publishing is twoInstances with a recorder as here's publisher, and the
// visitor's first message, which starts their chat, sent through here.
func publishing(t *testing.T) (url string, here, there *store.DB, rec *recorder, admin, visitor chat.User, first chat.Message) {
	t.Helper()
	url, plain, there, admin, visitor := twoInstances(t)
	rec = &recorder{db: plain}
	here = plain.WithPublisher(rec)
	first, _, err := here.SendFromVisitor(context.Background(), store.Send{SenderID: visitor.ID, ClientMsgID: "1", Body: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	return url, here, there, rec, admin, visitor, first
}

// locker is a connection of its own to the database at url, which holds
// chats' rows locked as another transaction would.
func locker(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// holdChat begins a transaction on conn that holds the rows of conversations
// convs locked until it ends.
func holdChat(t *testing.T, conn *pgx.Conn, convs ...int64) pgx.Tx {
	t.Helper()
	ctx := context.Background()
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT 1 FROM conversations WHERE id = ANY($1) ORDER BY id FOR UPDATE", convs); err != nil {
		tx.Rollback(ctx)
		t.Fatal(err)
	}
	return tx
}

// awaitLockWaits waits until n statements at least wait for a lock in
// the database conn is on.
func awaitLockWaits(t *testing.T, conn *pgx.Conn, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var waiting int
		// Within a transaction, what pg_stat_activity says is read once,
		// and kept until the snapshot is cleared.
		if _, err := conn.Exec(context.Background(), "SELECT pg_stat_clear_snapshot()"); err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d statements wait for a lock, want %d at least", waiting, n)
		}
	}
}

// TestOneRoundTripKeepsSeqGapFreeAndQueuesPushes: a message taken the short
// way is announced after commit and queues a push for the assigned agent's
// browser; a resend of it, alone or many at once, stores nothing more and
// takes no seq, so the next message's seq follows on.
func TestOneRoundTripKeepsSeqGapFreeAndQueuesPushes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url, here, there, rec, admin, visitor, first := publishing(t)
	if err := here.SetCapacity(ctx, admin.ID, 5); err != nil {
		t.Fatal(err)
	}
	if err := here.Take(ctx, first.ConversationID, admin.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	subscribe(t, here, admin.ID, "https://push.example.com/alex")
	conv, err := here.Conversation(ctx, first.ConversationID)
	if err != nil {
		t.Fatal(err)
	}
	rec.take()

	send := func(id string) (chat.Message, bool) {
		t.Helper()
		msg, created, ok, err := here.SendToOpenChat(ctx, store.Send{SenderID: visitor.ID, ClientMsgID: id, Body: "message " + id})
		if err != nil || !ok {
			t.Fatalf("SendToOpenChat(%s) = %v, %v", id, ok, err)
		}
		return msg, created
	}
	second, created := send("2")
	if !created || second.Seq != conv.LastSeq+1 {
		t.Fatalf("second message: created %v, seq %d; want a new message at seq %d", created, second.Seq, conv.LastSeq+1)
	}
	if evs := rec.take(); len(evs) != 1 || evs[0].Type != chat.EventMessage || evs[0].MessageID != second.ID {
		t.Fatalf("announced %+v, want the second message's event", evs)
	}
	if len(rec.early) != 0 {
		t.Fatalf("messages %v were announced before they could be read", rec.early)
	}
	pushes, err := here.Pushes(ctx, admin.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(pushes) != 1 || pushes[0].Kind != store.PushMessage || pushes[0].Seq != second.Seq || pushes[0].ConversationID != first.ConversationID {
		t.Fatalf("pushes for the agent: %+v, want one for seq %d", pushes, second.Seq)
	}

	// A resend is left to the whole way, which answers with what is stored.
	if _, _, ok, err := here.SendToOpenChat(ctx, store.Send{SenderID: visitor.ID, ClientMsgID: "2", Body: "message 2"}); err != nil || ok {
		t.Fatalf("SendToOpenChat of a resend = %v, %v; want it left to the whole way", ok, err)
	}
	if again, created, err := here.SendFromVisitor(ctx, store.Send{SenderID: visitor.ID, ClientMsgID: "2", Body: "message 2"}); err != nil || created || again.ID != second.ID {
		t.Fatalf("resend: created %v, message %d, %v; want message %d again", created, again.ID, err, second.ID)
	}
	if third, _ := send("3"); third.Seq != second.Seq+1 {
		t.Fatalf("after a resend the next seq is %d, want %d", third.Seq, second.Seq+1)
	}

	// The same message sent on many connections at once is stored once.
	// The chat's row is held locked until two sends at least wait for it,
	// so that neither sees the other's message stored, whichever instances
	// and groups they come from.
	lock := locker(t, url)
	held := holdChat(t, lock, first.ConversationID)
	instances := []*store.DB{here, there.WithPublisher(rec)}
	const senders = 8
	var wg sync.WaitGroup
	got := make([]chat.Message, senders)
	made := make([]bool, senders)
	errs := make([]error, senders)
	for i := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], made[i], errs[i] = instances[i%2].SendFromVisitor(ctx, store.Send{SenderID: visitor.ID, ClientMsgID: "4", Body: "message 4"})
		}()
	}
	awaitLockWaits(t, lock, 2)
	if err := held.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	stored := 0
	for i := range senders {
		if errs[i] != nil {
			t.Fatalf("sender %d: %v", i, errs[i])
		}
		if made[i] {
			stored++
		}
		if got[i].ID != got[0].ID {
			t.Fatalf("senders were answered with messages %d and %d", got[0].ID, got[i].ID)
		}
	}
	if stored != 1 || got[0].Seq != second.Seq+2 {
		t.Fatalf("%d senders stored the message, at seq %d; want 1, at seq %d", stored, got[0].Seq, second.Seq+2)
	}
	if fifth, _ := send("5"); fifth.Seq != got[0].Seq+1 {
		t.Fatalf("after concurrent resends the next seq is %d, want %d", fifth.Seq, got[0].Seq+1)
	}
}

// TestOneRoundTripLeavesWebhooksAndSnoozedChatsToTheWholeWay: an instance
// that has not heard of a webhook added elsewhere does not store a message
// as if none listened; and a snoozed chat's message wakes it.
func TestOneRoundTripLeavesWebhooksAndSnoozedChatsToTheWholeWay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, here, there, _, admin, visitor, first := publishing(t)
	if s, err := here.KnownSettings(ctx); err != nil || s.MessageHooks {
		t.Fatalf("known settings %+v, %v; want no message webhooks", s, err)
	}
	hook := addWebhook(t, there, admin.ID, store.EventMessageCreated)
	_, _, ok, err := here.SendToOpenChat(ctx, store.Send{SenderID: visitor.ID, ClientMsgID: "2", Body: "anyone?"})
	if err != nil || ok {
		t.Fatalf("SendToOpenChat with a webhook added elsewhere = %v, %v; want it left to the whole way", ok, err)
	}
	second, created, err := here.SendFromVisitor(ctx, store.Send{SenderID: visitor.ID, ClientMsgID: "2", Body: "anyone?"})
	if err != nil || !created || second.Seq != first.Seq+1 {
		t.Fatalf("SendFromVisitor = %+v, %v, %v", second, created, err)
	}
	if s, _ := here.KnownSettings(ctx); !s.MessageHooks {
		t.Fatalf("known settings %+v, want the message webhook known", s)
	}
	if _, _, ok, err := here.SendToOpenChat(ctx, store.Send{SenderID: visitor.ID, ClientMsgID: "3", Body: "hello?"}); err != nil || !ok {
		t.Fatalf("SendToOpenChat = %v, %v", ok, err)
	}
	if n := len(deliveries(t, here, hook.ID)); n != 2 {
		t.Fatalf("%d deliveries queued, want one for each message since the webhook was added", n)
	}

	if err := there.DeleteWebhook(ctx, admin.ID, hook.ID); err != nil {
		t.Fatal(err)
	}
	here.ForgetSettings() // as the bus has every instance do after a change
	if err := here.SetCapacity(ctx, admin.ID, 5); err != nil {
		t.Fatal(err)
	}
	if err := here.Take(ctx, first.ConversationID, admin.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := here.Snooze(ctx, first.ConversationID, admin.ID, false, chat.Snooze{UntilReply: true}, time.Now()); err != nil {
		t.Fatal(err)
	}
	reply, created, err := here.SendFromVisitor(ctx, store.Send{SenderID: visitor.ID, ClientMsgID: "4", Body: "back again"})
	if err != nil || !created {
		t.Fatalf("SendFromVisitor to the snoozed chat = %v, %v", created, err)
	}
	conv, err := here.Conversation(ctx, first.ConversationID)
	if err != nil {
		t.Fatal(err)
	}
	if conv.Snoozed() || conv.LastSeq != reply.Seq+1 {
		t.Fatalf("after the visitor's reply: snoozed %v, last seq %d; want awake, with the line saying so after seq %d", conv.Snoozed(), conv.LastSeq, reply.Seq)
	}
}

// TestOneRoundTripsThatArriveTogetherCommitTogether: the visitors' messages
// that arrive while as many groups as commit at once are under way go in
// the next transaction, all of them, each at the next seq of its own chat
// (two of one chat at its next two) and announced once; and when one of
// them fails (a text PostgreSQL refuses, a resend), the others are stored
// all the same (after a resend, still together), and it is not.
func TestOneRoundTripsThatArriveTogetherCommitTogether(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url, here, _, rec, _, first, firstMsg := publishing(t)
	here.SetGroupLockWaitForTest(time.Minute) // the held sends wait in their groups
	const held = store.GroupsAtOnce           // visitors whose chats are held, one send in each group
	visitors := []chat.User{first}
	lastSeq := map[int64]int64{first.ID: firstMsg.Seq}
	chatOf := map[int64]int64{first.ID: firstMsg.ConversationID}
	for i := range held - 1 + 4 {
		v, err := here.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
		if err != nil {
			t.Fatal(err)
		}
		msg, _, err := here.SendFromVisitor(ctx, store.Send{SenderID: v.ID, ClientMsgID: "start", Body: fmt.Sprint("hello from ", i)})
		if err != nil {
			t.Fatal(err)
		}
		visitors, lastSeq[v.ID], chatOf[v.ID] = append(visitors, v), msg.Seq, msg.ConversationID
	}
	rec.take()
	lock := locker(t, url)

	type sent struct {
		msg     chat.Message
		ok      bool
		err     error
		visitor int64
	}
	// round holds the chats of the first visitors locked while their
	// messages wait for them, one in each group under way, so that the
	// sends of the others wait for those to commit; then it lets them go,
	// and returns what each was told. The others are the visitors after
	// the held ones, in turn, each sending the next of bodies[1:] (a body
	// is its message's client id too); from has them sent by whom it says
	// instead.
	round := func(bodies []string, from ...int) (heldSends, rest []sent) {
		t.Helper()
		var convs []int64
		for _, v := range visitors[:held] {
			convs = append(convs, chatOf[v.ID])
		}
		tx := holdChat(t, lock, convs...)
		defer tx.Rollback(ctx)
		send := func(v int64, body string, into *sent) {
			into.visitor = v
			into.msg, _, into.ok, into.err = here.SendToOpenChat(ctx, store.Send{SenderID: v, ClientMsgID: body, Body: body})
		}
		var wg sync.WaitGroup
		heldSends = make([]sent, held)
		for i, v := range visitors[:held] {
			wg.Go(func() { send(v.ID, fmt.Sprintf("%s (held %d)", bodies[0], i), &heldSends[i]) })
			awaitLockWaits(t, lock, i+1)
		}
		rest = make([]sent, len(bodies)-1)
		for i, body := range bodies[1:] {
			v := visitors[held+i]
			if from != nil {
				v = visitors[from[i]]
			}
			wg.Go(func() { send(v.ID, body, &rest[i]) })
		}
		for deadline := time.Now().Add(10 * time.Second); here.WaitingToCommit() < len(rest); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d sends wait to commit, want %d", here.WaitingToCommit(), len(rest))
			}
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		return heldSends, rest
	}
	// xmin says which transaction stored a message.
	storedBy := func(id int64) string {
		t.Helper()
		var xmin string
		if err := lock.QueryRow(ctx, "SELECT xmin::text FROM messages WHERE id = $1", id).Scan(&xmin); err != nil {
			t.Fatal(err)
		}
		return xmin
	}
	check := func(s sent) {
		t.Helper()
		if s.err != nil || !s.ok || s.msg.Seq != lastSeq[s.visitor]+1 {
			t.Fatalf("visitor %d: ok %v, seq %d, %v; want their message stored at seq %d", s.visitor, s.ok, s.msg.Seq, s.err, lastSeq[s.visitor]+1)
		}
		lastSeq[s.visitor] = s.msg.Seq
	}

	heldSends, together := round([]string{"a", "b", "c", "d", "e"})
	announced := map[int64]int{}
	for _, h := range heldSends {
		check(h)
		announced[h.msg.ID] = 0
	}
	if held > 1 && storedBy(heldSends[0].msg.ID) == storedBy(heldSends[1].msg.ID) {
		t.Fatalf("the held messages were stored by one transaction, %s; want a group each", storedBy(heldSends[0].msg.ID))
	}
	for _, s := range together {
		check(s)
		for _, h := range heldSends {
			if storedBy(s.msg.ID) != storedBy(together[0].msg.ID) || storedBy(s.msg.ID) == storedBy(h.msg.ID) {
				t.Fatalf("the messages that waited were stored by transactions %s and %s, a held one by %s; want one of their own",
					storedBy(together[0].msg.ID), storedBy(s.msg.ID), storedBy(h.msg.ID))
			}
		}
		announced[s.msg.ID] = 0
	}
	for _, ev := range rec.take() {
		announced[ev.MessageID]++
	}
	for id, n := range announced {
		if n != 1 {
			t.Fatalf("message %d was announced %d times, want once", id, n)
		}
	}

	// A text PostgreSQL refuses (it holds a NUL) fails the group's
	// transaction: the others go again alone, and are stored.
	heldSends, apart := round([]string{"f", "g", "h\x00", "i", "j"})
	for _, h := range heldSends {
		check(h)
	}
	for i, s := range apart {
		if i == 1 {
			if s.err == nil {
				t.Fatalf("a text with a NUL: stored at seq %d, want an error", s.msg.Seq)
			}
			conv, err := here.Conversation(ctx, chatOf[s.visitor])
			if err != nil {
				t.Fatal(err)
			}
			if conv.LastSeq != lastSeq[s.visitor] {
				t.Fatalf("after the refused text the chat's last seq is %d, want %d", conv.LastSeq, lastSeq[s.visitor])
			}
			continue
		}
		check(s)
	}
	if evs := rec.take(); len(evs) != held+3 {
		t.Fatalf("announced %d events, want the %d messages stored", len(evs), held+3)
	}

	// Two messages of one chat in the group take the chat's next two seqs,
	// each its own, in the order they joined it.
	twice := held
	heldSends, same := round([]string{"k", "l", "m", "n", "o"}, twice, twice, held+1, held+2)
	for _, h := range heldSends {
		check(h)
	}
	check(same[2])
	check(same[3])
	one, two := same[0], same[1]
	if two.msg.Seq < one.msg.Seq {
		one, two = two, one
	}
	check(one)
	check(two)
	if storedBy(one.msg.ID) != storedBy(two.msg.ID) || storedBy(one.msg.ID) != storedBy(same[3].msg.ID) {
		t.Fatalf("the messages that waited were stored by transactions %s, %s and %s; want one",
			storedBy(one.msg.ID), storedBy(two.msg.ID), storedBy(same[3].msg.ID))
	}
	seqOf := map[int64]int64{}
	for _, s := range append(heldSends, one, two, same[2], same[3]) {
		var body string
		if err := lock.QueryRow(ctx, "SELECT body FROM messages WHERE conversation_id = $1 AND seq = $2",
			s.msg.ConversationID, s.msg.Seq).Scan(&body); err != nil || body != s.msg.Body {
			t.Fatalf("at seq %d of chat %d: %q, %v; want the message said to be there, %q", s.msg.Seq, s.msg.ConversationID, body, err, s.msg.Body)
		}
		seqOf[s.msg.ID] = s.msg.Seq
	}
	var readTo int64
	if err := lock.QueryRow(ctx, "SELECT last_read_seq FROM conversation_members WHERE conversation_id = $1 AND user_id = $2",
		chatOf[visitors[twice].ID], visitors[twice].ID).Scan(&readTo); err != nil || readTo != two.msg.Seq {
		t.Fatalf("the visitor who sent two has read to %d, %v; want %d", readTo, err, two.msg.Seq)
	}
	for _, ev := range rec.take() {
		seq, ok := seqOf[ev.MessageID]
		if !ok || ev.Seq != seq {
			t.Fatalf("announced message %d at seq %d; want each message stored once, at its own seq (%v)", ev.MessageID, ev.Seq, seqOf)
		}
		delete(seqOf, ev.MessageID)
	}
	if len(seqOf) > 0 {
		t.Fatalf("messages %v were not announced", seqOf)
	}

	// A resend in the group fails it: the others commit again as a group,
	// and are stored; the resend stores nothing, and is left to the whole
	// way, which answers it.
	heldSends, again := round([]string{"p", "q", "c", "r", "s"})
	for _, h := range heldSends {
		check(h)
	}
	for i, s := range again {
		if i == 1 {
			if s.err != nil || s.ok {
				t.Fatalf("a resend in the group: ok %v, seq %d, %v; want it left to the whole way", s.ok, s.msg.Seq, s.err)
			}
			continue
		}
		check(s)
		if storedBy(s.msg.ID) != storedBy(again[0].msg.ID) {
			t.Fatalf("the others of a group with a resend were stored by transactions %s and %s; want one",
				storedBy(again[0].msg.ID), storedBy(s.msg.ID))
		}
	}
	if evs := rec.take(); len(evs) != held+3 {
		t.Fatalf("announced %d events, want the %d messages stored", len(evs), held+3)
	}
}

// TestOneRoundTripWaitsForNoOtherVisitorsLock: a message whose chat's row
// another transaction holds does not hold up the messages of other
// visitors on the instance, which commit while it waits; it is stored once
// the row is free.
func TestOneRoundTripWaitsForNoOtherVisitorsLock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url, here, _, rec, _, visitor, first := publishing(t)
	other, err := here.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	started, _, err := here.SendFromVisitor(ctx, store.Send{SenderID: other.ID, ClientMsgID: "1", Body: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	rec.take()
	lock := locker(t, url)
	held := holdChat(t, lock, first.ConversationID)
	defer held.Rollback(ctx)
	type outcome struct {
		msg chat.Message
		ok  bool
		err error
	}
	send := func(v int64, id string) chan outcome {
		out := make(chan outcome, 1)
		go func() {
			msg, _, ok, err := here.SendToOpenChat(ctx, store.Send{SenderID: v, ClientMsgID: id, Body: "message " + id})
			out <- outcome{msg, ok, err}
		}()
		return out
	}
	blocked := send(visitor.ID, "2")
	awaitLockWaits(t, lock, 1)
	select {
	case o := <-send(other.ID, "2"):
		if o.err != nil || !o.ok || o.msg.Seq != started.Seq+1 {
			t.Fatalf("the other visitor's message: ok %v, seq %d, %v; want it stored at seq %d", o.ok, o.msg.Seq, o.err, started.Seq+1)
		}
	case o := <-blocked:
		t.Fatalf("the message whose chat is held locked was answered (%v, %v) before the lock was let go", o.ok, o.err)
	case <-time.After(10 * time.Second):
		t.Fatal("the other visitor's message waited for the held chat's lock")
	}
	if err := held.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if o := <-blocked; o.err != nil || !o.ok || o.msg.Seq != first.Seq+1 {
		t.Fatalf("the held chat's message: ok %v, seq %d, %v; want it stored at seq %d", o.ok, o.msg.Seq, o.err, first.Seq+1)
	}
	if evs := rec.take(); len(evs) != 2 {
		t.Fatalf("announced %d events, want the 2 messages", len(evs))
	}
}

// TestOneRoundTripTakesNoMessageIntoAChatChangedMeanwhile: a message whose
// chat is resolved, or moved to another visitor (a sign-in's carry-over),
// while it waits for the chat's row is not stored in it, and takes no seq;
// it is left to the whole way, which starts the visitor a new chat.
func TestOneRoundTripTakesNoMessageIntoAChatChangedMeanwhile(t *testing.T) {
	t.Parallel()
	for _, change := range []struct {
		name, sql string
	}{
		{"resolved", "UPDATE conversations SET status = 'resolved', resolved_at = now() WHERE id = $1"},
		{"moved to another visitor", "UPDATE conversations SET visitor_id = $2 WHERE id = $1"},
	} {
		t.Run(change.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			url, here, _, _, _, visitor, first := publishing(t)
			here.SetGroupLockWaitForTest(time.Minute) // the send waits in its group
			other, err := here.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
			if err != nil {
				t.Fatal(err)
			}
			lock := locker(t, url)
			tx, err := lock.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx)
			args := []any{first.ConversationID, other.ID}
			if !strings.Contains(change.sql, "$2") {
				args = args[:1]
			}
			if _, err := tx.Exec(ctx, change.sql, args...); err != nil {
				t.Fatal(err)
			}
			type outcome struct {
				ok  bool
				err error
			}
			sent := make(chan outcome, 1)
			go func() {
				_, _, ok, err := here.SendToOpenChat(ctx, store.Send{SenderID: visitor.ID, ClientMsgID: "2", Body: "just then"})
				sent <- outcome{ok, err}
			}()
			awaitLockWaits(t, lock, 1)
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			if o := <-sent; o.err != nil || o.ok {
				t.Fatalf("a message to a chat %s meanwhile: ok %v, %v; want it left to the whole way", change.name, o.ok, o.err)
			}
			conv, err := here.Conversation(ctx, first.ConversationID)
			if err != nil || conv.LastSeq != first.Seq {
				t.Fatalf("the chat's last seq is %d (%v), want %d", conv.LastSeq, err, first.Seq)
			}
		})
	}
}
