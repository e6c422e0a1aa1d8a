package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/storetest"
)

// BenchmarkVisitorMessage is a visitor's message to their open, assigned
// chat: "awake", as almost every message is, and "waking" a chat snoozed
// until they write (snoozed again, untimed, before each message), which
// adds the wake's statements to the message's second round trip.
func BenchmarkVisitorMessage(b *testing.B) {
	for _, waking := range []bool{false, true} {
		name := "awake"
		if waking {
			name = "waking"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			db := storetest.DB(b)
			agent, _, err := db.EnsureAdmin(ctx, store.NewMember{Email: "alex@example.com", Name: "Alex", PasswordHash: "x"})
			if err != nil {
				b.Fatal(err)
			}
			v, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
			if err != nil {
				b.Fatal(err)
			}
			m, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: "hello"})
			if err == nil {
				err = db.EnsureAgent(ctx, agent.ID)
			}
			if err == nil {
				err = db.Take(ctx, m.ConversationID, agent.ID, time.Now())
			}
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; b.Loop(); i++ {
				if waking {
					b.StopTimer()
					if err := db.Snooze(ctx, m.ConversationID, agent.ID, false, chat.Snooze{UntilReply: true}, time.Now()); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, ClientMsgID: fmt.Sprint("m", i), Body: "still there?"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
