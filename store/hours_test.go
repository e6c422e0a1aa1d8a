package store_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

// siteChat has a new visitor of site write, and returns their chat.
func siteChat(t *testing.T, db *store.DB, site int64, body string) chat.Conversation {
	t.Helper()
	ctx := context.Background()
	v, err := db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: body, SiteID: site}); err != nil {
		t.Fatal(err)
	}
	c, err := db.VisitorConversation(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSiteHoursKept: hours are stored and read back as set; bad hours are
// refused with their sentence and change nothing; a site without hours is
// always open.
func TestSiteHoursKept(t *testing.T) {
	t.Parallel()
	db, alex := newAdmin(t)
	ctx := context.Background()
	s, err := db.CreateSite(ctx, alex.ID, chat.Site{Name: "Shop"}, "secret")
	if err != nil {
		t.Fatal(err)
	}
	if h, err := db.SiteHours(ctx, s.ID); err != nil || h.Scheduled() || !reflect.DeepEqual(h, chat.Hours{}) {
		t.Fatalf("a new site's hours = %+v, %v; want none", h, err)
	}
	h := chat.Hours{Zone: "Asia/Shanghai", Holidays: []string{"2026-10-01", "2026-12-25"}, WaitMinutes: 3,
		Waiting: chat.Replies{EN: "One moment", ZH: "请稍候"}, Outside: chat.Replies{ZH: "下班了"}}
	h.Days[time.Monday] = chat.DayHours{Open: 540, Close: 1080}
	if err := db.SetSiteHours(ctx, alex.ID, s.ID, h); err != nil {
		t.Fatal(err)
	}
	if got, err := db.SiteHours(ctx, s.ID); err != nil || !reflect.DeepEqual(got, h) {
		t.Fatalf("SiteHours = %+v, %v; want %+v", got, err, h)
	}
	bad := h
	bad.Zone = "Nowhere/Atall"
	says(t, "an unknown zone", db.SetSiteHours(ctx, alex.ID, s.ID, bad), "error.hours.zone")
	bad = h
	bad.Days[time.Tuesday] = chat.DayHours{Open: 600, Close: 540}
	says(t, "closing before opening", db.SetSiteHours(ctx, alex.ID, s.ID, bad), "error.hours.range")
	if got, _ := db.SiteHours(ctx, s.ID); !reflect.DeepEqual(got, h) {
		t.Fatalf("refused hours changed them: %+v", got)
	}
	if err := db.SetSiteHours(ctx, alex.ID, s.ID+1000, h); err == nil {
		t.Fatal("hours set for a site that does not exist")
	}
}

// Two rounds at once, as two instances make them, send each auto-reply to
// each chat exactly once: the outside-hours one to the chats that started
// while their site was closed, the waiting one to every chat still
// unassigned once its site's wait has passed, and none to a site without
// auto-replies.
func TestAutoRepliesExactlyOnceWithTwoRounds(t *testing.T) {
	t.Parallel()
	db, alex := newAdmin(t)
	ctx := context.Background()
	now := time.Now()
	site := func(name string, h chat.Hours) int64 {
		s, err := db.CreateSite(ctx, alex.ID, chat.Site{Name: name}, "secret")
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SetSiteHours(ctx, alex.ID, s.ID, h); err != nil {
			t.Fatal(err)
		}
		return s.ID
	}
	// Closed: open one hour three days from today only.
	var closed chat.Hours
	closed.Days[(now.UTC().Weekday()+3)%7] = chat.DayHours{Open: 540, Close: 600}
	closed.WaitMinutes = 5
	closed.Outside = chat.Replies{EN: "We're closed", ZH: "已下班"}
	// Open all day, every day, with no waiting reply.
	var open chat.Hours
	for d := range open.Days {
		open.Days[d] = chat.DayHours{Open: 0, Close: 24 * 60}
	}
	closedID, openID := site("Closed", closed), site("Open", open)
	plain, err := db.CreateSite(ctx, alex.ID, chat.Site{Name: "Plain"}, "secret")
	if err != nil {
		t.Fatal(err)
	}
	const n = 12
	var late, inTime, other []int64
	for i := range n {
		late = append(late, siteChat(t, db, closedID, fmt.Sprint("closed ", i)).ID)
		inTime = append(inTime, siteChat(t, db, openID, fmt.Sprint("open ", i)).ID)
		other = append(other, siteChat(t, db, plain.ID, fmt.Sprint("plain ", i)).ID)
	}
	// One the team took before its wait was over: it never hears the waiting reply.
	if err := db.EnsureAgent(ctx, alex.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.Take(ctx, late[0], alex.ID, now); err != nil {
		t.Fatal(err)
	}

	rounds := func(at time.Time) {
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for {
					got, err := db.AutoReply(ctx, at)
					if err != nil {
						t.Error(err)
						return
					}
					if got < store.AutoReplyBatch {
						return
					}
				}
			}()
		}
		close(start)
		wg.Wait()
	}
	rounds(now.Add(time.Second))
	rounds(now.Add(2 * time.Second)) // nothing more
	for i, id := range late[1:] {
		if got := lines(t, db, id, chat.ReaderVisitor); count(got, chat.LineAutoOutside) != 1 || count(got, chat.LineAutoWaiting) != 0 {
			t.Fatalf("closed site's chat %d, before its wait, was shown %v", i, got)
		}
	}
	rounds(now.Add(6 * time.Minute))
	rounds(now.Add(7 * time.Minute))
	for i, id := range late[1:] {
		got := lines(t, db, id, chat.ReaderVisitor)
		if count(got, chat.LineAutoOutside) != 1 || count(got, chat.LineAutoWaiting) != 1 {
			t.Fatalf("closed site's chat %d was shown %v, want each auto-reply once", i, got)
		}
	}
	msgs, err := db.MessagesAfter(ctx, late[1], 0, 10, chat.ReaderVisitor)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Code == chat.LineAutoOutside && (!reflect.DeepEqual(m.Args, []string{"We're closed", "已下班"}) || m.Text() != "We're closed") {
			t.Fatalf("the outside-hours reply = %+v (%q)", m, m.Text())
		}
	}
	if got := lines(t, db, late[0], chat.ReaderVisitor); count(got, chat.LineAutoWaiting) != 0 {
		t.Fatalf("a taken chat heard the waiting reply: %v", got)
	}
	// A visitor who writes again after a resolve starts a new round, which
	// hears them again, once each.
	again := late[1]
	if err := db.Take(ctx, again, alex.ID, now); err != nil {
		t.Fatal(err)
	}
	if err := db.Resolve(ctx, again, alex.ID, now); err != nil {
		t.Fatal(err)
	}
	c, err := db.Conversation(ctx, again)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: c.VisitorID, Body: "me again", SiteID: closedID}); err != nil {
		t.Fatal(err)
	}
	later := time.Now()
	rounds(later.Add(time.Second))
	rounds(later.Add(6 * time.Minute))
	if got := lines(t, db, again, chat.ReaderVisitor); count(got, chat.LineAutoOutside) != 2 || count(got, chat.LineAutoWaiting) != 2 {
		t.Fatalf("a reopened chat was shown %v, want each auto-reply once more", got)
	}
	for _, id := range append(inTime, other...) {
		if got := lines(t, db, id, chat.ReaderAgent); count(got, chat.LineAutoOutside)+count(got, chat.LineAutoWaiting) != 0 {
			t.Fatalf("chat %d of an open site or one without hours was sent %v", id, got)
		}
	}
}
