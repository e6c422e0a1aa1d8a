package store_test

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/outbox"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/storetest"
)

var b64 = base64.RawURLEncoding

// vapidPair generates a VAPID key pair as a browser-facing server would.
func vapidPair() (public, private string, err error) {
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return "", "", err
	}
	return b64.EncodeToString(k.PublicKey().Bytes()), b64.EncodeToString(k.Bytes()), nil
}

// browserKeys are a subscription's p256dh and auth, as a browser makes them.
func browserKeys(t *testing.T) (p256dh, authSecret string) {
	t.Helper()
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	secret := make([]byte, 16)
	rand.Read(secret)
	return b64.EncodeToString(k.PublicKey().Bytes()), b64.EncodeToString(secret)
}

// subscribe saves a browser for userID and returns its id.
func subscribe(t *testing.T, db *store.DB, userID int64, endpoint string) int64 {
	t.Helper()
	p, a := browserKeys(t)
	id, err := db.SavePushSubscription(context.Background(), userID, endpoint, p, a, "Firefox on Linux")
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// pending returns userID's pending notifications, newest first.
func pending(t *testing.T, db *store.DB, userID int64) []store.Push {
	t.Helper()
	all, err := db.Pushes(context.Background(), userID, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Push
	for _, p := range all {
		if p.SentAt == nil && p.CancelledAt == nil {
			out = append(out, p)
		}
	}
	return out
}

func TestVAPIDRowSeededOnceThenReplaced(t *testing.T) {
	t.Parallel()
	db, alex := newAdmin(t)
	ctx := context.Background()
	if _, _, err := db.VAPID(ctx); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("VAPID before any keys = %v, want ErrNotFound", err)
	}

	// Instances starting together each offer a pair: all get the one stored first.
	type pair struct{ public, private string }
	got := make([]pair, 8)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() {
			pub, priv, err := vapidPair()
			if err != nil {
				t.Error(err)
			}
			if got[i].public, got[i].private, err = db.SeedVAPID(ctx, pub, priv); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	first := got[0]
	for _, p := range got {
		if p != first || p.public == "" || p.private == "" {
			t.Fatalf("instances got different keys: %v", got)
		}
	}
	if pub, priv, err := db.VAPID(ctx); err != nil || (pair{pub, priv}) != first {
		t.Fatalf("VAPID later = %s, %v", pub, err)
	}

	subscribe(t, db, alex.ID, "https://push.example.net/a")
	pub, priv, _ := vapidPair()
	if err := db.ReplaceVAPID(ctx, alex.ID, pub, priv); err != nil {
		t.Fatal(err)
	}
	if p, q, err := db.VAPID(ctx); err != nil || p != pub || q != priv {
		t.Fatalf("after replacing, VAPID = %s, %v", p, err)
	}
	if subs, err := db.PushSubscriptions(ctx, alex.ID); err != nil || len(subs) != 0 {
		t.Fatalf("subscriptions after rotation = %v, %v; want none", subs, err)
	}
	entries, _, err := db.AuditLog(ctx, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, e := range entries {
		if e.Subject != store.SettingVAPID {
			continue
		}
		seen = append(seen, e.Action)
		for _, private := range []string{first.private, priv} {
			if strings.Contains(string(e.Old)+string(e.New), private) {
				t.Fatalf("the audit log holds a private key: %s", e.Action)
			}
		}
		if e.Action == "vapid.rotate" && (*e.ActorID != alex.ID || !strings.Contains(string(e.New), pub) ||
			!strings.Contains(string(e.Old), first.public) || !strings.Contains(string(e.New), `"subscriptions_removed": 1`)) {
			t.Fatalf("rotation audited as %s → %s by %v", e.Old, e.New, e.ActorID)
		}
	}
	if strings.Join(seen, ",") != "vapid.rotate,setting.seed" {
		t.Fatalf("vapid audit entries = %v", seen)
	}
}

func TestSavePushSubscriptionValidatesAndMoves(t *testing.T) {
	t.Parallel()
	db, alex := newAdmin(t)
	ctx := context.Background()
	sam, err := db.CreateMember(ctx, store.NewMember{Email: "sam@example.com", Name: "Sam", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	p, a := browserKeys(t)
	short := b64.EncodeToString(make([]byte, 15))
	offCurve := b64.EncodeToString(append([]byte{4}, make([]byte, 64)...))
	for _, c := range []struct{ name, endpoint, p256dh, auth, field string }{
		{"http endpoint", "http://push.example.net/x", p, a, "endpoint"},
		{"no endpoint", "", p, a, "endpoint"},
		{"not a URL", "push service", p, a, "endpoint"},
		{"credentials", "https://u:pw@push.example.net/x", p, a, "endpoint"},
		{"p256dh not base64url", "https://push.example.net/x", "not base64!", a, "p256dh"},
		{"p256dh too short", "https://push.example.net/x", p[:40], a, "p256dh"},
		{"p256dh off the curve", "https://push.example.net/x", offCurve, a, "p256dh"},
		{"auth too short", "https://push.example.net/x", p, short, "auth"},
		{"no auth", "https://push.example.net/x", p, "", "auth"},
	} {
		_, err := db.SavePushSubscription(ctx, alex.ID, c.endpoint, c.p256dh, c.auth, "Chrome on Linux")
		var ve *chat.ValidationError
		if !errors.As(err, &ve) || ve.Field != c.field {
			t.Errorf("%s: SavePushSubscription = %v, want a validation error on %s", c.name, err, c.field)
		}
	}
	for _, endpoint := range []string{"http://127.0.0.1:8443/push/1", "http://localhost/push/2"} {
		if _, err := db.SavePushSubscription(ctx, alex.ID, endpoint, p, a, "Test"); err != nil {
			t.Errorf("local endpoint %s refused: %v", endpoint, err)
		}
	}
	// Keys with padding are the same keys.
	id, err := db.SavePushSubscription(ctx, alex.ID, "https://push.example.net/phone", p+"=", a+"==", strings.Repeat("x", 300))
	if err != nil {
		t.Fatal(err)
	}
	subs, err := db.PushSubscriptions(ctx, alex.ID)
	if err != nil || len(subs) != 3 || subs[2].ID != id || len([]rune(subs[2].Label)) != 100 || subs[2].LastSentAt != nil {
		t.Fatalf("PushSubscriptions = %+v, %v", subs, err)
	}
	// The same browser, now signed in as Sam: the subscription moves to Sam.
	again, err := db.SavePushSubscription(ctx, sam.ID, "https://push.example.net/phone", p, a, "Safari on iPhone")
	if err != nil || again != id {
		t.Fatalf("re-saved endpoint = %d, %v; want id %d", again, err, id)
	}
	if subs, _ := db.PushSubscriptions(ctx, alex.ID); len(subs) != 2 {
		t.Fatalf("alex keeps %d subscriptions, want 2", len(subs))
	}
	if subs, _ := db.PushSubscriptions(ctx, sam.ID); len(subs) != 1 || subs[0].Label != "Safari on iPhone" {
		t.Fatalf("sam's subscriptions = %+v", subs)
	}
	if err := db.DeletePushSubscription(ctx, alex.ID, id); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("deleting someone else's subscription = %v, want ErrNotFound", err)
	}
	if err := db.DeletePushSubscription(ctx, sam.ID, id); err != nil {
		t.Fatal(err)
	}
	if subs, _ := db.PushSubscriptions(ctx, sam.ID); len(subs) != 0 {
		t.Fatalf("after delete: %+v", subs)
	}
}

// pushWorld is an admin agent (Alex), a second agent (Kim), a member who
// is not customer service (Sam), each with a browser subscribed, and no
// quiet period.
type pushWorld struct {
	db             *store.DB
	alex, kim, sam chat.User
	subs           map[int64]int64 // user id → subscription id
}

func newPushWorld(t *testing.T) pushWorld {
	t.Helper()
	ctx := context.Background()
	db, alex := newAdmin(t)
	w := pushWorld{db: db, alex: alex, subs: map[int64]int64{}}
	var err error
	if w.kim, err = db.CreateMember(ctx, store.NewMember{Email: "kim@example.com", Name: "Kim", PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	if w.sam, err = db.CreateMember(ctx, store.NewMember{Email: "sam@example.com", Name: "Sam", PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetAgent(ctx, alex.ID, w.kim.ID, true); err != nil {
		t.Fatal(err)
	}
	for _, u := range []chat.User{alex, w.kim} {
		if err := db.EnsureAgent(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	for i, u := range []chat.User{alex, w.kim, w.sam} {
		w.subs[u.ID] = subscribe(t, db, u.ID, fmt.Sprintf("https://push.example.net/%d", i))
	}
	if err := db.SetPushQuiet(ctx, 0); err != nil {
		t.Fatal(err)
	}
	return w
}

// visitorSays has a new visitor write body, starting a queued chat.
func (w pushWorld) visitorSays(t *testing.T, body string) (chat.User, chat.Message) {
	t.Helper()
	ctx := context.Background()
	v, err := w.db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := w.db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	return v, m
}

func TestNotificationsEnqueuedWithTheChange(t *testing.T) {
	t.Parallel()
	w := newPushWorld(t)
	db := w.db
	ctx := context.Background()
	if err := db.SetPushQueue(ctx, w.kim.ID, true); err != nil {
		t.Fatal(err)
	}
	if on, err := db.PushQueue(ctx, w.kim.ID); err != nil || !on {
		t.Fatalf("PushQueue = %v, %v", on, err)
	}
	if on, err := db.PushQueue(ctx, w.sam.ID); err != nil || on {
		t.Fatalf("PushQueue of a member without a profile = %v, %v", on, err)
	}

	// A chat joins the queue: only Kim asked to hear of it.
	v, m := w.visitorSays(t, "  Where is\n my   order?  ")
	conv := m.ConversationID
	if len(pending(t, db, w.alex.ID)) != 0 || len(pending(t, db, w.sam.ID)) != 0 {
		t.Fatal("a queued chat notified someone who did not ask")
	}
	got := pending(t, db, w.kim.ID)
	if len(got) != 1 || got[0].Kind != store.PushQueued || got[0].SubscriptionID != w.subs[w.kim.ID] ||
		got[0].ConversationID != conv || got[0].Seq != m.Seq {
		t.Fatalf("kim's notifications = %+v", got)
	}

	// Alex takes it: the assignment notifies Alex, of the visitor's last words.
	if err := db.Take(ctx, conv, w.alex.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	got = pending(t, db, w.alex.ID)
	if len(got) != 1 || got[0].Kind != store.PushAssigned || got[0].ConversationID != conv || got[0].Seq != m.Seq {
		t.Fatalf("alex's notifications after the take = %+v", got)
	}

	// The visitor writes again: Alex's one notification for the chat is updated.
	long := strings.Repeat("é", 130)
	m2, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: long})
	if err != nil {
		t.Fatal(err)
	}
	got2 := pending(t, db, w.alex.ID)
	if len(got2) != 1 || got2[0].ID != got[0].ID || got2[0].Kind != store.PushMessage || got2[0].Seq != m2.Seq ||
		got2[0].Revision != 1 {
		t.Fatalf("after a second message: %+v", got2)
	}
	// Alex's reply notifies nobody: not its sender, and visitors have no browsers here.
	if _, _, err := db.SendMessage(ctx, store.Send{ConversationID: conv, SenderID: w.alex.ID, Body: "Let me look"}); err != nil {
		t.Fatal(err)
	}
	if got3 := pending(t, db, w.alex.ID); len(got3) != 1 || got3[0].Revision != 1 {
		t.Fatalf("alex's own reply changed his notifications: %+v", got3)
	}

	// A direct conversation: the other member is told, the sender never.
	d, err := db.StartDirect(ctx, w.sam.ID, w.alex.ID)
	if err != nil {
		t.Fatal(err)
	}
	lunch, _, err := db.SendMessage(ctx, store.Send{ConversationID: d.ID, SenderID: w.sam.ID, Body: "lunch?"})
	if err != nil {
		t.Fatal(err)
	}
	if got := pending(t, db, w.sam.ID); len(got) != 0 {
		t.Fatalf("the sender was notified: %+v", got)
	}
	got = pending(t, db, w.alex.ID)
	if len(got) != 2 || got[0].ConversationID != d.ID || got[0].Kind != store.PushMessage || got[0].Seq != lunch.Seq {
		t.Fatalf("alex's notifications = %+v", got)
	}

	// Message text hidden: it holds for what is sent from then on.
	if err := db.SetPushHideText(ctx, w.alex.ID, true); err != nil {
		t.Fatal(err)
	}
	if hide, err := db.PushHideText(ctx); err != nil || !hide {
		t.Fatalf("PushHideText = %v, %v", hide, err)
	}
	if _, _, err := db.SendMessage(ctx, store.Send{ConversationID: d.ID, SenderID: w.alex.ID, Body: "sure, 12:30"}); err != nil {
		t.Fatal(err)
	}
	entries, _, _ := db.AuditLog(ctx, 0, 1)
	if entries[0].Subject != store.SettingPushHideText || string(entries[0].Old) != "false" || string(entries[0].New) != "true" {
		t.Fatalf("audit = %+v", entries[0])
	}

	// Claimed, each carries the facts its words are written from, as they
	// stand, and the public key of the pair to sign it with.
	public, _, err := db.SeedVAPID(ctx, "the-public-key", "the-private-key")
	if err != nil {
		t.Fatal(err)
	}
	due, err := db.ClaimPushes(ctx, time.Now(), time.Second, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	type facts struct {
		kind, sender, visitor, text string
		hide                        bool
	}
	visitor := chat.VisitorName(v.ID)
	want := map[int64]facts{
		w.subs[w.kim.ID]:  {store.PushQueued, visitor, visitor, "  Where is\n my   order?  ", true},
		w.subs[w.alex.ID]: {store.PushMessage, visitor, visitor, long, true},
		w.subs[w.sam.ID]:  {store.PushMessage, "Alex", "", "sure, 12:30", true},
	}
	if len(due) != 4 {
		t.Fatalf("claimed %d notifications, want 4", len(due))
	}
	for _, p := range due {
		if p.VAPIDPublic != public {
			t.Errorf("notification %d came with the public key %q, want %q", p.ID, p.VAPIDPublic, public)
		}
		f := facts{p.Kind, p.Sender, p.Visitor, p.Text, p.HideText}
		if p.ConversationID == d.ID && p.UserID == w.alex.ID {
			if f != (facts{store.PushMessage, "Sam", "", "lunch?", true}) {
				t.Errorf("alex's direct notification: %+v", f)
			}
			continue
		}
		if f != want[p.SubscriptionID] {
			t.Errorf("notification %d of user %d: %+v, want %+v", p.ID, p.UserID, f, want[p.SubscriptionID])
		}
	}
}

func TestNoNotificationsForAwayOrMuted(t *testing.T) {
	t.Parallel()
	w := newPushWorld(t)
	db := w.db
	ctx := context.Background()
	if err := db.SetPushQueue(ctx, w.kim.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := db.SetAgentState(ctx, w.kim.ID, chat.Away); err != nil {
		t.Fatal(err)
	}
	_, m := w.visitorSays(t, "hello")
	if got := pending(t, db, w.kim.ID); len(got) != 0 {
		t.Fatalf("an agent who is away was notified: %+v", got)
	}

	g, err := db.CreateGroup(ctx, w.alex.ID, "Ops", []int64{w.sam.ID})
	if err != nil {
		t.Fatal(err)
	}
	// Sam may not mute a support chat (not customer service) nor anything he cannot see.
	if err := db.SetMuted(ctx, w.sam.ID, m.ConversationID, true); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("SetMuted on a chat sam cannot see = %v", err)
	}
	if err := db.SetMuted(ctx, w.kim.ID, g, true); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("SetMuted on a group kim is not in = %v", err)
	}
	// An agent may mute a support chat they never opened.
	if err := db.SetMuted(ctx, w.kim.ID, m.ConversationID, true); err != nil {
		t.Fatal(err)
	}
	if muted, err := db.Muted(ctx, w.kim.ID, m.ConversationID); err != nil || !muted {
		t.Fatalf("Muted = %v, %v", muted, err)
	}
	if err := db.SetMuted(ctx, w.sam.ID, g, true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SendMessage(ctx, store.Send{ConversationID: g, SenderID: w.alex.ID, Body: "standup"}); err != nil {
		t.Fatal(err)
	}
	if got := pending(t, db, w.sam.ID); len(got) != 0 {
		t.Fatalf("a muted group notified: %+v", got)
	}
	if err := db.SetMuted(ctx, w.sam.ID, g, false); err != nil {
		t.Fatal(err)
	}
	if muted, _ := db.Muted(ctx, w.sam.ID, g); muted {
		t.Fatal("still muted")
	}
	if _, _, err := db.SendMessage(ctx, store.Send{ConversationID: g, SenderID: w.alex.ID, Body: "standup now"}); err != nil {
		t.Fatal(err)
	}
	if got := pending(t, db, w.sam.ID); len(got) != 1 || got[0].Kind != store.PushMessage || got[0].ConversationID != g {
		t.Fatalf("unmuted group: %+v", got)
	}
}

func TestClaimSeesClosedConsoleAndKeepsUpdatesMadeMidAttempt(t *testing.T) {
	t.Parallel()
	w := newPushWorld(t)
	db := w.db
	ctx := context.Background()
	v, m := w.visitorSays(t, "hello")
	if err := db.Take(ctx, m.ConversationID, w.alex.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	const grace = 30 * time.Second
	if err := db.TouchPresence(ctx, "sock-1", w.alex.ID, now); err != nil {
		t.Fatal(err)
	}
	due, err := db.ClaimPushes(ctx, now, grace, time.Minute, 10)
	if err != nil || len(due) != 1 || !due[0].Live || due[0].Stale || due[0].Read || due[0].Endpoint != "https://push.example.net/0" {
		t.Fatalf("claim with the console open = %+v, %v", due, err)
	}
	// Leased: nobody else claims it.
	if again, err := db.ClaimPushes(ctx, now, grace, time.Minute, 10); err != nil || len(again) != 0 {
		t.Fatalf("claimed a leased notification: %+v, %v", again, err)
	}
	// The console closes: routing still counts Alex online, push does not.
	if err := db.ClosePresence(ctx, "sock-1", now); err != nil {
		t.Fatal(err)
	}
	loads, err := db.Agents(ctx, now.Add(time.Second), grace, []int64{w.alex.ID})
	if err != nil || len(loads) != 1 || !loads[0].Online {
		t.Fatalf("after close, routing sees %+v, %v", loads, err)
	}
	// The visitor writes while the first attempt is under way.
	again, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: "are you there?"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.FinishPushes(ctx, due[:1], []outbox.Outcome{{At: now, Done: true}}); err != nil {
		t.Fatal(err)
	}
	got := pending(t, db, w.alex.ID)
	if len(got) != 1 || got[0].Revision != 1 || got[0].Seq != again.Seq {
		t.Fatalf("an update made mid-attempt was lost: %+v", got)
	}
	due, err = db.ClaimPushes(ctx, time.Now(), grace, time.Minute, 10)
	if err != nil || len(due) != 1 || due[0].Live || due[0].Kind != store.PushMessage || due[0].Attempts != 2 {
		t.Fatalf("claim after close = %+v, %v", due, err)
	}
	if err := db.FinishPushes(ctx, due[:1], []outbox.Outcome{{At: now, Done: true}}); err != nil {
		t.Fatal(err)
	}
	if got := pending(t, db, w.alex.ID); len(got) != 0 {
		t.Fatalf("still pending after it was sent: %+v", got)
	}
	subs, _ := db.PushSubscriptions(ctx, w.alex.ID)
	if subs[0].LastSentAt == nil {
		t.Fatal("last_sent_at not recorded")
	}
	// Sent and cancelled notifications are purged once old.
	if err := db.PurgePushes(ctx, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if all, _ := db.Pushes(ctx, w.alex.ID, 10); len(all) != 0 {
		t.Fatalf("after purge: %+v", all)
	}
	// A new message after one was sent is a new notification.
	if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: "hello?"}); err != nil {
		t.Fatal(err)
	}
	if got := pending(t, db, w.alex.ID); len(got) != 1 || got[0].Revision != 0 {
		t.Fatalf("after a sent one: %+v", got)
	}
}

func TestFinishPushesRecordsEachOutcomeOfAGroup(t *testing.T) {
	t.Parallel()
	w := newPushWorld(t)
	db := w.db
	ctx := context.Background()
	for i := range 3 {
		subscribe(t, db, w.alex.ID, fmt.Sprintf("https://push.example.net/alex/%d", i))
	}
	_, m := w.visitorSays(t, "hello")
	if err := db.Take(ctx, m.ConversationID, w.alex.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	due, err := db.ClaimPushes(ctx, now, time.Second, time.Minute, 10)
	if err != nil || len(due) != 4 {
		t.Fatalf("claimed %d notifications, %v; want one for each of Alex's 4 browsers", len(due), err)
	}
	retryAt := now.Add(time.Hour)
	lost := due[3]
	lost.Attempts-- // an attempt whose lease a newer one took
	err = db.FinishPushes(ctx, []store.DuePush{due[0], due[1], due[2], lost}, []outbox.Outcome{
		{At: now, Status: 201, Done: true},
		{At: now, Status: 404, GiveUp: true, Error: "HTTP 404 Not Found"},
		{At: now, Status: 503, Error: "HTTP 503 Service Unavailable", RetryAt: retryAt},
		{At: now, Status: 201, Done: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	all, err := db.Pushes(ctx, w.alex.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]store.Push{}
	for _, p := range all {
		byID[p.ID] = p
	}
	if p := byID[due[0].ID]; p.SentAt == nil || p.CancelledAt != nil || p.LastError != "" {
		t.Errorf("delivered: %+v, want sent", p)
	}
	if p := byID[due[1].ID]; p.SentAt != nil || p.CancelledAt == nil || p.LastError != "HTTP 404 Not Found" {
		t.Errorf("given up: %+v, want cancelled with its error", p)
	}
	if p := byID[due[2].ID]; p.SentAt != nil || p.CancelledAt != nil || p.NextAttemptAt.Before(retryAt.Add(-time.Millisecond)) ||
		p.LastError != "HTTP 503 Service Unavailable" {
		t.Errorf("to retry: %+v, want pending until %s", p, retryAt)
	}
	if p := byID[due[3].ID]; p.SentAt != nil || p.CancelledAt != nil || p.LastError != "" {
		t.Errorf("lost lease: %+v, want unchanged", p)
	}
	subs, err := db.PushSubscriptions(ctx, w.alex.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range subs {
		if sent := s.LastSentAt != nil; sent != (s.ID == due[0].SubscriptionID) {
			t.Errorf("subscription %d last sent at %v; only the delivered one's is recorded", s.ID, s.LastSentAt)
		}
	}
	// The one to retry waits; the one whose lease was lost is still leased.
	if again, err := db.ClaimPushes(ctx, now.Add(2*time.Minute), time.Second, time.Minute, 10); err != nil || len(again) != 1 ||
		again[0].ID != due[3].ID {
		t.Fatalf("claim after the lease = %+v, %v; want only the one whose outcome was not recorded", again, err)
	}
	if err := db.FinishPushes(ctx, nil, nil); err != nil {
		t.Fatalf("an empty group: %v", err)
	}
}

func TestQuietPeriodDelaysNotifications(t *testing.T) {
	t.Parallel()
	w := newPushWorld(t)
	ctx := context.Background()
	if err := w.db.SetPushQuiet(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	_, m := w.visitorSays(t, "hello")
	start := time.Now()
	if err := w.db.Take(ctx, m.ConversationID, w.alex.ID, start); err != nil {
		t.Fatal(err)
	}
	got := pending(t, w.db, w.alex.ID)
	if len(got) != 1 || got[0].NotBefore.Before(start.Add(50*time.Second)) || !got[0].NextAttemptAt.Equal(got[0].NotBefore) {
		t.Fatalf("with a minute's quiet: %+v", got)
	}
	if due, err := w.db.ClaimPushes(ctx, time.Now(), time.Second, time.Minute, 10); err != nil || len(due) != 0 {
		t.Fatalf("claimed during the quiet period: %+v, %v", due, err)
	}
	if due, err := w.db.ClaimPushes(ctx, time.Now().Add(2*time.Minute), time.Second, time.Minute, 10); err != nil || len(due) != 1 {
		t.Fatalf("claim after the quiet period: %+v, %v", due, err)
	}
}

func TestEnqueueIsOneStatementWithoutSubscriptions(t *testing.T) {
	t.Parallel()
	// Nobody subscribed: sending still works and nothing is enqueued.
	db := storetest.DB(t)
	ctx := context.Background()
	if _, _, err := db.EnsureAdmin(ctx, store.NewMember{Email: "alex@example.com", Name: "Alex", PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	v, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: "hi"}); err != nil {
		t.Fatal(err)
	}
	if due, err := db.ClaimPushes(ctx, time.Now().Add(time.Hour), time.Second, time.Minute, 10); err != nil || len(due) != 0 {
		t.Fatalf("claimed %+v, %v", due, err)
	}
}

// TestOlderInstanceStillEnqueuesPushes: during a rolling upgrade an older
// kefu, still running on the same database, writes each notification with
// its words and urgency; its messages are stored as before, beside the new
// code's notifications, which write neither.
func TestOlderInstanceStillEnqueuesPushes(t *testing.T) {
	t.Parallel()
	w := newPushWorld(t)
	ctx := context.Background()
	_, m := w.visitorSays(t, "hello")
	if err := w.db.Take(ctx, m.ConversationID, w.alex.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	// The statement the older kefu runs for a message (its parts that
	// touch the columns it knows).
	older := `INSERT INTO push_outbox AS o (subscription_id, user_id, conversation_id, kind, seq, payload, urgency,
			not_before, next_attempt_at)
		VALUES ($1, $2, $3, 'message', $4, jsonb_build_object('title', 'Visitor', 'body', 'hello again'), 'normal', now(), now())
		ON CONFLICT (subscription_id, conversation_id) WHERE sent_at IS NULL AND cancelled_at IS NULL DO UPDATE SET
			kind = excluded.kind, seq = excluded.seq, payload = excluded.payload, urgency = excluded.urgency,
			revision = o.revision + 1`
	for _, u := range []chat.User{w.kim, w.sam} {
		if _, err := w.db.Pool().Exec(ctx, older, w.subs[u.ID], u.ID, m.ConversationID, m.Seq); err != nil {
			t.Fatalf("the older kefu's notification for %s: %v", u.Name, err)
		}
	}
	// One of them updates the new code's pending notification for Alex.
	if _, err := w.db.Pool().Exec(ctx, older, w.subs[w.alex.ID], w.alex.ID, m.ConversationID, m.Seq); err != nil {
		t.Fatalf("the older kefu's update of a pending notification: %v", err)
	}
	for _, u := range []chat.User{w.alex, w.kim, w.sam} {
		if got := pending(t, w.db, u.ID); len(got) != 1 || got[0].Seq != m.Seq {
			t.Fatalf("%s's notifications = %+v", u.Name, got)
		}
	}
}
