package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/outbox"
	"github.com/kefu-im/kefu/store"
)

// addWebhook adds a webhook for events and returns it.
func addWebhook(t *testing.T, db *store.DB, actorID int64, events ...string) store.Webhook {
	t.Helper()
	w, err := db.CreateWebhook(context.Background(), actorID, store.NewWebhook{URL: "https://hooks.example.com/kefu",
		Events: events, Secret: "whsec_" + auth.NewToken()})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// deliveries returns webhook id's deliveries, oldest first.
func deliveries(t *testing.T, db *store.DB, id int64) []store.Delivery {
	t.Helper()
	all, err := db.RecentDeliveries(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	ds := all[id]
	slices.Reverse(ds)
	return ds
}

// eventLine describes a delivery in one line: its event and what its data says.
func eventLine(t *testing.T, d store.Delivery) string {
	t.Helper()
	var data struct {
		ConversationID  int64   `json:"conversation_id"`
		SenderID        *int64  `json:"sender_id"`
		Type            string  `json:"type"`
		Body            string  `json:"body"`
		Seq             int64   `json:"seq"`
		MessageID       int64   `json:"message_id"`
		VisitorID       int64   `json:"visitor_id"`
		AgentID         int64   `json:"agent_id"`
		PreviousAgentID int64   `json:"previous_agent_id"`
		Reason          string  `json:"reason"`
		CreatedAt       *string `json:"created_at"`
	}
	if err := json.Unmarshal(d.Payload, &data); err != nil {
		t.Fatalf("delivery %s: %v", d.DeliveryID, err)
	}
	if d.Event == store.EventMessageCreated {
		if data.MessageID == 0 || data.Seq == 0 || data.CreatedAt == nil {
			t.Fatalf("message.created without id, seq or time: %s", d.Payload)
		}
		sender := "kefu"
		if data.SenderID != nil {
			sender = fmt.Sprint(*data.SenderID)
		}
		return fmt.Sprintf("%s c%d %s %s %q", d.Event, data.ConversationID, sender, data.Type, data.Body)
	}
	return fmt.Sprintf("%s c%d visitor=%d agent=%d previous=%d %s", d.Event, data.ConversationID, data.VisitorID, data.AgentID,
		data.PreviousAgentID, data.Reason)
}

func TestWebhookEventsComeFromTheStoreOperations(t *testing.T) {
	t.Parallel()
	db, alex := newAdmin(t)
	ctx := context.Background()
	now := time.Now()
	sam, err := db.CreateMember(ctx, store.NewMember{Email: "sam@example.com", Name: "Sam", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetAgent(ctx, alex.ID, sam.ID, true); err != nil { // Sam is customer service too
		t.Fatal(err)
	}
	for _, id := range []int64{alex.ID, sam.ID} {
		if err := db.EnsureAgent(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	all := addWebhook(t, db, alex.ID, store.WebhookEvents...)
	messagesOnly := addWebhook(t, db, alex.ID, store.EventMessageCreated)
	off := addWebhook(t, db, alex.ID, store.WebhookEvents...)
	if err := db.SetWebhookEnabled(ctx, alex.ID, off.ID, false); err != nil {
		t.Fatal(err)
	}

	visitor, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: visitor.ID, Body: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	c := m.ConversationID
	steps := []struct {
		what string
		do   func() error
	}{
		{"take", func() error { return db.Take(ctx, c, alex.ID, now) }},
		{"transfer with a note", func() error { return db.Transfer(ctx, c, alex.ID, sam.ID, "a private note", now) }},
		{"resolve", func() error { return db.Resolve(ctx, c, sam.ID, now) }},
		{"write again", func() error {
			_, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: visitor.ID, Body: "again"})
			return err
		}},
		{"take again", func() error { return db.Take(ctx, c, alex.ID, now) }},
		{"sweep", func() error {
			back, err := db.Sweep(ctx, now.Add(4*time.Minute), 30*time.Second, 3*time.Minute)
			if err == nil && len(back) != 1 {
				err = fmt.Errorf("handed back %v, want the one chat", back)
			}
			return err
		}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.what, err)
		}
	}

	var got []string
	for _, d := range deliveries(t, db, all.ID) {
		if d.Status != store.DeliveryPending || d.Attempts != 0 || d.DeliveryID == "" {
			t.Fatalf("new delivery = %+v, want pending, not yet attempted, with an id", d)
		}
		got = append(got, eventLine(t, d))
	}
	v, a, s := visitor.ID, alex.ID, sam.ID
	want := []string{
		fmt.Sprintf("conversation.queued c%d visitor=%d agent=0 previous=0 new", c, v),
		fmt.Sprintf(`message.created c%d %d text "hello"`, c, v),
		fmt.Sprintf(`message.created c%d kefu system "Alex joined the chat."`, c),
		fmt.Sprintf("conversation.assigned c%d visitor=0 agent=%d previous=0 ", c, a),
		fmt.Sprintf(`message.created c%d kefu system "Alex transferred the chat to Sam."`, c),
		fmt.Sprintf(`message.created c%d kefu system "Sam joined the chat."`, c),
		fmt.Sprintf("conversation.assigned c%d visitor=0 agent=%d previous=0 ", c, s),
		fmt.Sprintf(`message.created c%d kefu system "Sam marked the chat resolved."`, c),
		fmt.Sprintf("conversation.resolved c%d visitor=0 agent=%d previous=0 ", c, s),
		fmt.Sprintf("conversation.queued c%d visitor=%d agent=0 previous=0 reopened", c, v),
		fmt.Sprintf(`message.created c%d %d text "again"`, c, v),
		fmt.Sprintf(`message.created c%d kefu system "Alex joined the chat."`, c),
		fmt.Sprintf("conversation.assigned c%d visitor=0 agent=%d previous=0 ", c, a),
		fmt.Sprintf(`message.created c%d kefu system "Alex went offline, so the chat is back in the queue."`, c),
		fmt.Sprintf("conversation.queued c%d visitor=0 agent=0 previous=%d offline", c, a),
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("deliveries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	var msgs []string
	for _, d := range deliveries(t, db, messagesOnly.ID) {
		msgs = append(msgs, eventLine(t, d))
	}
	var wantMsgs []string
	for _, w := range want {
		if strings.HasPrefix(w, store.EventMessageCreated) {
			wantMsgs = append(wantMsgs, w)
		}
	}
	if strings.Join(msgs, "\n") != strings.Join(wantMsgs, "\n") {
		t.Fatalf("message.created webhook got:\n%s\nwant:\n%s", strings.Join(msgs, "\n"), strings.Join(wantMsgs, "\n"))
	}
	if ds := deliveries(t, db, off.ID); len(ds) != 0 {
		t.Fatalf("a disabled webhook got %d deliveries", len(ds))
	}
}

func TestRolledBackChangeEnqueuesNothing(t *testing.T) {
	t.Parallel()
	db, alex := newAdmin(t)
	ctx := context.Background()
	w := addWebhook(t, db, alex.ID, store.WebhookEvents...)
	visitor, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}

	// Refused by the grade before anything is written.
	if err := db.SetGrade(ctx, alex.ID, chat.GradeKinOnly); err != nil {
		t.Fatal(err)
	}
	var refused *chat.RefusedError
	if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: visitor.ID, Body: "hello"}); !errors.As(err, &refused) {
		t.Fatalf("send under grade 200: err = %v, want a refusal", err)
	}
	if err := db.SetGrade(ctx, alex.ID, chat.GradeAnyone); err != nil {
		t.Fatal(err)
	}
	// Fails after the chat was queued and conversation.queued enqueued, in
	// the same transaction: the message's type breaks a constraint.
	if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: visitor.ID, Body: "hello", Type: "bogus"}); err == nil {
		t.Fatal("a message of an unknown type was stored")
	}
	if _, err := db.VisitorConversation(ctx, visitor.ID); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("the failed send left a conversation: err = %v", err)
	}
	if ds := deliveries(t, db, w.ID); len(ds) != 0 {
		t.Fatalf("rolled-back changes enqueued %d deliveries", len(ds))
	}

	if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: visitor.ID, Body: "hello"}); err != nil {
		t.Fatal(err)
	}
	if ds := deliveries(t, db, w.ID); len(ds) != 2 {
		t.Fatalf("a committed first message enqueued %d deliveries, want 2 (queued, message)", len(ds))
	}
}

// sendSome has a new visitor write n messages and returns the webhook's deliveries.
func sendSome(t *testing.T, db *store.DB, n int) {
	t.Helper()
	ctx := context.Background()
	v, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: fmt.Sprint("message ", i)}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDeliveriesAreLeasedAndRetried(t *testing.T) {
	t.Parallel()
	db, alex := newAdmin(t)
	ctx := context.Background()
	w := addWebhook(t, db, alex.ID, store.EventMessageCreated)
	sendSome(t, db, 2)
	now := time.Now()
	const lease = 30 * time.Second

	due, err := db.ClaimDeliveries(ctx, now, lease, 10)
	if err != nil || len(due) != 2 {
		t.Fatalf("claim = %d deliveries, %v; want 2", len(due), err)
	}
	for _, d := range due {
		if d.Attempts != 1 || d.URL != w.URL || d.Secret != w.Secret || d.WebhookID != w.ID {
			t.Fatalf("claimed %+v, want attempt 1 to %s with its secret", d, w.URL)
		}
	}
	if again, err := db.ClaimDeliveries(ctx, now.Add(lease-time.Second), lease, 10); err != nil || len(again) != 0 {
		t.Fatalf("claim while leased = %d, %v; want none", len(again), err)
	}
	// The worker died: its lease expires and the deliveries are claimed again.
	again, err := db.ClaimDeliveries(ctx, now.Add(lease), lease, 10)
	if err != nil || len(again) != 2 || again[0].Attempts != 2 || again[0].DeliveryID != due[0].DeliveryID {
		t.Fatalf("claim after the lease = %+v, %v; want both again, attempt 2, same ids", again, err)
	}
	now = now.Add(lease)
	first, second := again[0], again[1]

	// The dead worker's late answer for attempt 1 changes nothing.
	if err := db.FinishDelivery(ctx, first.ID, 1, outbox.Outcome{Status: 500, Error: "late", At: now, RetryAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishDelivery(ctx, first.ID, first.Attempts, outbox.Outcome{Status: 204, Done: true, At: now}); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishDelivery(ctx, second.ID, 2, outbox.Outcome{Status: 503, Error: "HTTP 503 Service Unavailable",
		At: now, RetryAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	byID := map[string]store.Delivery{}
	for _, d := range deliveries(t, db, w.ID) {
		byID[d.DeliveryID] = d
	}
	if d := byID[first.DeliveryID]; d.Status != store.DeliveryDelivered || d.LastStatus != 204 || d.LastError != "" || d.FinishedAt == nil {
		t.Fatalf("delivered = %+v", d)
	}
	if d := byID[second.DeliveryID]; d.Status != store.DeliveryPending || d.LastStatus != 503 || d.Attempts != 2 ||
		!d.NextAttemptAt.Equal(now.Add(time.Hour).Truncate(time.Microsecond)) {
		t.Fatalf("failed attempt = %+v, want pending, 503, retry in an hour", d)
	}
	if due, _ := db.ClaimDeliveries(ctx, now.Add(59*time.Minute), lease, 10); len(due) != 0 {
		t.Fatalf("claimed %d before the retry was due", len(due))
	}
	due, err = db.ClaimDeliveries(ctx, now.Add(time.Hour), lease, 10)
	if err != nil || len(due) != 1 || due[0].DeliveryID != second.DeliveryID || due[0].Attempts != 3 {
		t.Fatalf("claim at the retry = %+v, %v", due, err)
	}
	if err := db.FinishDelivery(ctx, due[0].ID, 3, outbox.Outcome{Error: "connection refused", At: now, GiveUp: true}); err != nil {
		t.Fatal(err)
	}
	if d := deliveries(t, db, w.ID)[1]; d.Status != store.DeliveryFailed || d.LastError != "connection refused" || d.LastStatus != 0 {
		t.Fatalf("given up = %+v", d)
	}
	if due, _ := db.ClaimDeliveries(ctx, now.Add(100*time.Hour), lease, 10); len(due) != 0 {
		t.Fatalf("claimed %d finished deliveries", len(due))
	}
	// Finished deliveries are purged after a while; pending ones never.
	sendSome(t, db, 1)
	if err := db.PurgeDeliveries(ctx, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if ds := deliveries(t, db, w.ID); len(ds) != 1 || ds[0].Status != store.DeliveryPending {
		t.Fatalf("after the purge: %+v, want the pending delivery only", ds)
	}
}

func TestConcurrentWorkersClaimEachDeliveryOnce(t *testing.T) {
	t.Parallel()
	db, alex := newAdmin(t)
	ctx := context.Background()
	addWebhook(t, db, alex.ID, store.EventMessageCreated)
	const n = 40
	sendSome(t, db, n)
	now := time.Now()
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				due, err := db.ClaimDeliveries(ctx, now, time.Minute, 3)
				if err != nil {
					t.Error(err)
					return
				}
				if len(due) == 0 {
					return
				}
				mu.Lock()
				for _, d := range due {
					seen[d.DeliveryID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Fatalf("claimed %d distinct deliveries, want %d", len(seen), n)
	}
	for id, times := range seen {
		if times != 1 {
			t.Fatalf("delivery %s claimed %d times", id, times)
		}
	}
}

func TestDisabledWebhookHoldsItsDeliveries(t *testing.T) {
	t.Parallel()
	db, alex := newAdmin(t)
	ctx := context.Background()
	w := addWebhook(t, db, alex.ID, store.EventMessageCreated)
	sendSome(t, db, 2)
	if err := db.SetWebhookEnabled(ctx, alex.ID, w.ID, false); err != nil {
		t.Fatal(err)
	}
	sendSome(t, db, 1)
	if due, err := db.ClaimDeliveries(ctx, time.Now(), time.Minute, 10); err != nil || len(due) != 0 {
		t.Fatalf("claimed %d deliveries of a disabled webhook, %v", len(due), err)
	}
	if err := db.SetWebhookEnabled(ctx, alex.ID, w.ID, true); err != nil {
		t.Fatal(err)
	}
	if due, err := db.ClaimDeliveries(ctx, time.Now(), time.Minute, 10); err != nil || len(due) != 2 {
		t.Fatalf("claimed %d once enabled again, %v; want the 2 from before it was disabled", len(due), err)
	}
	if err := db.DeleteWebhook(ctx, alex.ID, w.ID); err != nil {
		t.Fatal(err)
	}
	if hooks, _ := db.Webhooks(ctx); len(hooks) != 0 {
		t.Fatalf("webhooks after delete: %+v", hooks)
	}
	if err := db.SetWebhookEnabled(ctx, alex.ID, w.ID, true); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("enable a deleted webhook: err = %v, want ErrNotFound", err)
	}
}

func TestWebhookChangesAreValidatedAndAudited(t *testing.T) {
	t.Parallel()
	db, alex := newAdmin(t)
	ctx := context.Background()
	for _, c := range []struct {
		url    string
		events []string
		field  string
	}{
		{"ftp://hooks.example.com/", []string{store.EventMessageCreated}, "url"},
		{"hooks.example.com/kefu", []string{store.EventMessageCreated}, "url"},
		{"https://user:pass@hooks.example.com/", []string{store.EventMessageCreated}, "url"},
		{"https://hooks.example.com/", nil, "events"},
		{"https://hooks.example.com/", []string{"message.deleted"}, "events"},
	} {
		_, err := db.CreateWebhook(ctx, alex.ID, store.NewWebhook{URL: c.url, Events: c.events, Secret: "whsec_x"})
		var ve *chat.ValidationError
		if !errors.As(err, &ve) || ve.Field != c.field {
			t.Errorf("CreateWebhook(%q, %q): err = %v, want invalid %s", c.url, c.events, err, c.field)
		}
	}
	if hooks, _ := db.Webhooks(ctx); len(hooks) != 0 {
		t.Fatalf("refused webhooks were stored: %+v", hooks)
	}

	w, err := db.CreateWebhook(ctx, alex.ID, store.NewWebhook{URL: " https://hooks.example.com/kefu ",
		Events: []string{store.EventConversationResolved, store.EventMessageCreated, store.EventMessageCreated}, Secret: "whsec_first"})
	if err != nil {
		t.Fatal(err)
	}
	if w.URL != "https://hooks.example.com/kefu" || !slices.Equal(w.Events, []string{store.EventMessageCreated, store.EventConversationResolved}) || !w.Enabled {
		t.Fatalf("created %+v, want the URL trimmed and the events in order, once each", w)
	}
	if err := db.RotateWebhookSecret(ctx, alex.ID, w.ID, "whsec_second"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetWebhookEnabled(ctx, alex.ID, w.ID, false); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteWebhook(ctx, alex.ID, w.ID); err != nil {
		t.Fatal(err)
	}
	entries, _, err := db.AuditLog(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Action, "webhook.") {
			continue
		}
		if strings.Contains(string(e.Old)+string(e.New), "whsec_") {
			t.Fatalf("the audit log holds a secret: %s", e.Action)
		}
		if e.Subject != fmt.Sprintf("webhook %d", w.ID) || e.ActorID == nil || *e.ActorID != alex.ID {
			t.Fatalf("audit entry %+v", e)
		}
		actions = append(actions, e.Action)
	}
	slices.Reverse(actions)
	if want := "webhook.create webhook.rotate_secret webhook.disable webhook.delete"; strings.Join(actions, " ") != want {
		t.Fatalf("audited %q, want %q", actions, want)
	}
}
