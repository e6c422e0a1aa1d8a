package main

// R7: the CPU a web push costs kefu's push worker, from its outbox to a push
// service, beside webpush-go sending the same push to the same service as
// its README shows. The push service is a child process, so that its CPU
// counts on neither side. A CPU profile of the figure is written, its
// samples labelled side=kefu or side=webpush-go.

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/pprof"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/push"
	"github.com/kefu-im/kefu/store"
)

// r7Block is how many pushes each side sends in its turn: eight of the
// push worker's rounds. The first turn of each side is not counted: it
// opens the connections to the push service and prepares the worker's
// statements on its connections, which a running instance has done long
// before.
var r7Block = 8 * push.DefaultConfig.Batch

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
	worker, err := queuePushes(ctx, db, receiver.ready, p256dh, secret, r7Block+n)
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
	opts := &webpush.Options{Subscriber: "kefu@localhost", TTL: 3600, VAPIDPublicKey: keys.Public, VAPIDPrivateKey: keys.Private}
	// The two take turns, blocks of the worker's rounds then as many pushes
	// of webpush-go's, so that both are measured under the same load; each
	// block ends by collecting its garbage, so that each pays for its own.
	var kefuCPU, refCPU time.Duration
	handled, counted, warm := 0, 0, true
	stopProfile, err := b.startPushProfile()
	if err != nil {
		return err
	}
	defer stopProfile()
	kefuSide, refSide := pprof.WithLabels(ctx, pprof.Labels("side", "kefu")), pprof.WithLabels(ctx, pprof.Labels("side", "webpush-go"))
	runtime.GC() // what came before is not theirs
	for {
		began := cpuTime()
		block := 0
		pprof.SetGoroutineLabels(kefuSide)
		for block < r7Block {
			round, err := worker.Round(kefuSide)
			if err != nil {
				return err
			}
			if round == 0 {
				break
			}
			block += round
		}
		if block == 0 {
			break
		}
		runtime.GC()
		handled += block
		if !warm {
			kefuCPU += cpuTime() - began
			counted += block
		}
		began = cpuTime()
		pprof.SetGoroutineLabels(refSide)
		for range block {
			resp, err := webpush.SendNotificationWithContext(refSide, body, sub, opts)
			if err != nil {
				return err
			}
			resp.Body.Close()
		}
		runtime.GC()
		if !warm {
			refCPU += cpuTime() - began
		}
		warm = false
	}
	pprof.SetGoroutineLabels(ctx)
	stopProfile()
	load := loadAverage()
	got, err := receiver.count(ctx)
	if err != nil {
		return err
	}
	if handled != r7Block+n || got != int64(2*handled) {
		return fmt.Errorf("the push worker handled %d notifications and the push service received %d pushes; want %d and %d",
			handled, got, r7Block+n, 2*(r7Block+n))
	}
	us := func(d time.Duration) string {
		return fmt.Sprintf("%.0f µs", float64(d.Nanoseconds())/1000/float64(counted))
	}
	b.rows = append(b.rows, row{figure: fmt.Sprintf("R7 CPU per web push, %d pushes after %d", counted, handled-counted), kefu: us(kefuCPU),
		reference: us(refCPU) + " webpush-go", ratio: ratio(float64(kefuCPU), float64(refCPU)), target: "≤ 0.7", load: load})
	return nil
}

// startPushProfile starts R7's CPU profile; the function it returns stops
// it and notes where it is, once.
func (b *bench) startPushProfile() (func(), error) {
	path, stop, err := b.cpuProfile("cpu-r7-push.pprof")
	if err != nil {
		return nil, err
	}
	stopped := false
	return func() {
		if stopped {
			return
		}
		stopped = true
		stop()
		b.notes = append(b.notes, "R7's CPU profile, its samples labelled side=kefu or side=webpush-go: "+path)
	}, nil
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

// queuePushes has an agent with n subscribed browsers (the same keys, each
// its own endpoint) get a chat, which puts n notifications in the outbox, and
// returns the push worker that is to send them.
func queuePushes(ctx context.Context, db *store.DB, service, p256dh, secret string, n int) (*push.Worker, error) {
	agentID, err := ensureAgent(ctx, db)
	if err != nil {
		return nil, err
	}
	if err := db.SetAgentCapacity(ctx, 0, agentID, 1000); err != nil {
		return nil, err
	}
	worker := push.NewWorker(db, push.Config{AllowPrivate: true}, slog.New(slog.DiscardHandler)) // no quiet period
	if err := worker.Prepare(ctx); err != nil {
		return nil, err
	}
	visitor, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		return nil, err
	}
	msg, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: visitor.ID, Body: "hello"})
	if err != nil {
		return nil, err
	}
	// What the new chat put in the outbox finds no browser yet.
	for {
		if round, err := worker.Round(ctx); err != nil || round == 0 {
			if err != nil {
				return nil, err
			}
			break
		}
	}
	err = inParallel(n, 8, func(i int) error {
		_, err := db.SavePushSubscription(ctx, agentID, fmt.Sprintf("%s/push/%d", service, i), p256dh, secret, "bench")
		return err
	})
	if err != nil {
		return nil, err
	}
	return worker, db.Take(ctx, msg.ConversationID, agentID, time.Now())
}
