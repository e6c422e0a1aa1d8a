package main

// R7: the CPU a web push costs kefu's push worker, from its outbox to a push
// service, beside webpush-go sending the same push to the same service as
// its README shows. The push service is a child process, so that its CPU
// counts on neither side.

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/push"
	"github.com/kefu-im/kefu/store"
)

func (b *bench) pushes(ctx context.Context) error {
	n := b.opts.pushes
	b.progress("R7: %d web pushes each", n)
	receiver, err := startChild(ctx, time.Minute, "receive")
	if err != nil {
		return err
	}
	defer receiver.stop()
	db, _, err := b.pg.openDatabase(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	p256dh, secret, err := browserKeys()
	if err != nil {
		return err
	}
	kefuCPU, err := kefuPushes(ctx, db, receiver.ready, p256dh, secret, n)
	if err != nil {
		return err
	}
	keys, err := push.LoadKeys(ctx, db)
	if err != nil {
		return err
	}
	sub := &webpush.Subscription{Endpoint: receiver.ready + "/push/reference", Keys: webpush.Keys{P256dh: p256dh, Auth: secret}}
	body, _ := json.Marshal(map[string]string{"title": "New chat for you: Visitor", "body": "hello", "url": "/console/c/1",
		"tag": "conversation-1", "kind": "assigned"})
	began := cpuTime()
	for range n {
		resp, err := webpush.SendNotificationWithContext(ctx, body, sub, &webpush.Options{Subscriber: "kefu@localhost",
			TTL: 3600, VAPIDPublicKey: keys.Public, VAPIDPrivateKey: keys.Private})
		if err != nil {
			return err
		}
		resp.Body.Close()
	}
	refCPU := (cpuTime() - began) / time.Duration(n)
	load := loadAverage()
	got, err := receiver.count(ctx)
	if err != nil {
		return err
	}
	if got != int64(2*n) {
		return fmt.Errorf("the push service received %d pushes, want %d", got, 2*n)
	}
	us := func(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d.Nanoseconds())/1000) }
	b.rows = append(b.rows, row{figure: fmt.Sprintf("R7 CPU per web push, %d pushes", n), kefu: us(kefuCPU),
		reference: us(refCPU) + " webpush-go", ratio: ratio(float64(kefuCPU), float64(refCPU)), target: "≤ 0.7", load: load})
	return nil
}

// browserKeys are a subscribed browser's keys, as PushManager makes them.
func browserKeys() (p256dh, secret string, err error) {
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return "", "", err
	}
	s := make([]byte, 16)
	rand.Read(s)
	return base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes()), base64.RawURLEncoding.EncodeToString(s), nil
}

// kefuPushes has an agent with n subscribed browsers (the same keys, each
// its own endpoint) get a chat, which is n notifications, and returns the
// CPU the push worker spends on each while it sends them all.
func kefuPushes(ctx context.Context, db *store.DB, service, p256dh, secret string, n int) (time.Duration, error) {
	agentID, err := ensureAgent(ctx, db)
	if err != nil {
		return 0, err
	}
	if err := db.SetAgentCapacity(ctx, 0, agentID, 1000); err != nil {
		return 0, err
	}
	worker := push.NewWorker(db, push.Config{AllowPrivate: true}, slog.New(slog.DiscardHandler)) // no quiet period
	if err := worker.Prepare(ctx); err != nil {
		return 0, err
	}
	visitor, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		return 0, err
	}
	msg, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: visitor.ID, Body: "hello"})
	if err != nil {
		return 0, err
	}
	// What the new chat put in the outbox finds no browser yet.
	if _, err := rounds(ctx, worker); err != nil {
		return 0, err
	}
	err = inParallel(n, 8, func(i int) error {
		_, err := db.SavePushSubscription(ctx, agentID, fmt.Sprintf("%s/push/%d", service, i), p256dh, secret, "bench")
		return err
	})
	if err != nil {
		return 0, err
	}
	if err := db.Take(ctx, msg.ConversationID, agentID, time.Now()); err != nil {
		return 0, err
	}
	began := cpuTime()
	sent, err := rounds(ctx, worker)
	if err != nil {
		return 0, err
	}
	if sent != n {
		return 0, fmt.Errorf("the push worker handled %d notifications, want %d", sent, n)
	}
	return (cpuTime() - began) / time.Duration(n), nil
}

// rounds runs the worker's rounds until one finds nothing due, and returns how many it handled.
func rounds(ctx context.Context, w *push.Worker) (int, error) {
	total := 0
	for {
		n, err := w.Round(ctx)
		if err != nil || n == 0 {
			return total, err
		}
		total += n
	}
}
