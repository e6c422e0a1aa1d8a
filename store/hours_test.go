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
	bad.Days[time.Tuesday] = chat.DayHours{Open: 600, Close: 600}
	says(t, "closing as it opens", db.SetSiteHours(ctx, alex.ID, s.ID, bad), "error.hours.range")
	if got, _ := db.SiteHours(ctx, s.ID); !reflect.DeepEqual(got, h) {
		t.Fatalf("refused hours changed them: %+v", got)
	}
	if err := db.SetSiteHours(ctx, alex.ID, s.ID+1000, h); err == nil {
		t.Fatal("hours set for a site that does not exist")
	}
}

// Two rounds at once, as two instances make them, send each auto-reply to
// each chat exactly once: the outside-hours one to the chats that started
// while their site was closed, the waiting one to every chat of an open
// site still unassigned once its site's wait has passed (never to one
// whose site is closed), and none to a site without auto-replies.
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
	// Open all day, every day, with a waiting reply.
	var open chat.Hours
	for d := range open.Days {
		open.Days[d] = chat.DayHours{Open: 0, Close: 24 * 60}
	}
	open.WaitMinutes = 5
	open.Waiting = chat.Replies{EN: "One moment", ZH: "请稍候"}
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
	// The rounds run after the last chat was queued, by the database's clock:
	// on a slow machine that is well after now.
	now = time.Now()
	// One the team took before its wait was over: it never hears the waiting reply.
	if err := db.EnsureAgent(ctx, alex.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.Take(ctx, inTime[0], alex.ID, now); err != nil {
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
	for i, id := range inTime[1:] {
		if got := lines(t, db, id, chat.ReaderVisitor); count(got, chat.LineAutoOutside)+count(got, chat.LineAutoWaiting) != 0 {
			t.Fatalf("open site's chat %d, before its wait, was shown %v", i, got)
		}
	}
	rounds(now.Add(6 * time.Minute))
	rounds(now.Add(7 * time.Minute))
	for i, id := range late {
		got := lines(t, db, id, chat.ReaderVisitor)
		if count(got, chat.LineAutoOutside) != 1 || count(got, chat.LineAutoWaiting) != 0 {
			t.Fatalf("closed site's chat %d was shown %v, want the outside-hours reply once and no waiting one", i, got)
		}
	}
	for i, id := range inTime[1:] {
		got := lines(t, db, id, chat.ReaderVisitor)
		if count(got, chat.LineAutoOutside) != 0 || count(got, chat.LineAutoWaiting) != 1 {
			t.Fatalf("open site's chat %d was shown %v, want the waiting reply once", i, got)
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
	if got := lines(t, db, inTime[0], chat.ReaderVisitor); count(got, chat.LineAutoWaiting) != 0 {
		t.Fatalf("a taken chat heard the waiting reply: %v", got)
	}
	// A visitor who writes again after a resolve starts a new round, which
	// hears them again, once each.
	reopen := func(id, site int64) {
		if err := db.Take(ctx, id, alex.ID, now); err != nil {
			t.Fatal(err)
		}
		if err := db.Resolve(ctx, id, alex.ID, now); err != nil {
			t.Fatal(err)
		}
		c, err := db.Conversation(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.SendFromVisitor(ctx, store.Send{SenderID: c.VisitorID, Body: "me again", SiteID: site}); err != nil {
			t.Fatal(err)
		}
	}
	reopen(late[1], closedID)
	reopen(inTime[1], openID)
	later := time.Now()
	rounds(later.Add(time.Second))
	rounds(later.Add(6 * time.Minute))
	if got := lines(t, db, late[1], chat.ReaderVisitor); count(got, chat.LineAutoOutside) != 2 || count(got, chat.LineAutoWaiting) != 0 {
		t.Fatalf("a reopened chat of the closed site was shown %v, want the outside-hours reply once more", got)
	}
	if got := lines(t, db, inTime[1], chat.ReaderVisitor); count(got, chat.LineAutoOutside) != 0 || count(got, chat.LineAutoWaiting) != 2 {
		t.Fatalf("a reopened chat of the open site was shown %v, want the waiting reply once more", got)
	}
	for _, id := range other {
		if got := lines(t, db, id, chat.ReaderAgent); count(got, chat.LineAutoOutside)+count(got, chat.LineAutoWaiting) != 0 {
			t.Fatalf("chat %d of a site without hours was sent %v", id, got)
		}
	}
}

// TestWaitingReplyCountsFromOpening: a chat that starts before its site
// opens hears the waiting reply the wait after the opening, not at once;
// one whose wait ended long ago (the wait was just turned on) hears none.
func TestWaitingReplyCountsFromOpening(t *testing.T) {
	t.Parallel()
	db, alex := newAdmin(t)
	ctx := context.Background()
	now := time.Now()
	// A zone where it is midday now, and one day's hours there opening an
	// hour from now.
	off := 12 - now.UTC().Hour()
	zone := fmt.Sprintf("Etc/GMT%+d", -off)
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	local := now.In(loc)
	opens := local.Truncate(time.Minute).Add(time.Hour)
	h := chat.Hours{Zone: zone, WaitMinutes: 5, Waiting: chat.Replies{EN: "One moment", ZH: "请稍候"}}
	h.Days[local.Weekday()] = chat.DayHours{Open: opens.Hour()*60 + opens.Minute(), Close: 23 * 60}
	s, err := db.CreateSite(ctx, alex.ID, chat.Site{Name: "Shop"}, "secret")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetSiteHours(ctx, alex.ID, s.ID, h); err != nil {
		t.Fatal(err)
	}
	early := siteChat(t, db, s.ID, "anyone there?").ID
	waited := func(at time.Time) int {
		t.Helper()
		if _, err := db.AutoReply(ctx, at); err != nil {
			t.Fatal(err)
		}
		return count(lines(t, db, early, chat.ReaderVisitor), chat.LineAutoWaiting)
	}
	for _, at := range []time.Time{now.Add(6 * time.Minute), opens.Add(time.Second), opens.Add(4 * time.Minute)} {
		if got := waited(at); got != 0 {
			t.Fatalf("at %v, before the wait after the opening %v, the chat heard the waiting reply", at, opens)
		}
	}
	if got := waited(opens.Add(5*time.Minute + time.Second)); got != 1 {
		t.Fatalf("the wait after the opening, the chat heard the waiting reply %d times, want once", got)
	}

	// Another site, open all day, whose wait an admin turns on with a chat
	// queued for an hour already: it is not told late.
	var open chat.Hours
	for d := range open.Days {
		open.Days[d] = chat.DayHours{Open: 0, Close: 24 * 60}
	}
	s2, err := db.CreateSite(ctx, alex.ID, chat.Site{Name: "Open"}, "secret")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetSiteHours(ctx, alex.ID, s2.ID, open); err != nil {
		t.Fatal(err)
	}
	old := siteChat(t, db, s2.ID, "hello").ID
	if _, err := db.AutoReply(ctx, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	open.WaitMinutes = 5
	if err := db.SetSiteHours(ctx, alex.ID, s2.ID, open); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AutoReply(ctx, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := lines(t, db, old, chat.ReaderVisitor); count(got, chat.LineAutoWaiting) != 0 {
		t.Fatalf("a chat queued an hour before the wait was turned on heard %v", got)
	}
}

// TestWaitingReplyOnANightShift: a chat that queues after midnight on a
// night shift hears the waiting reply the wait after it queued: the team
// opened the evening before and is open still.
func TestWaitingReplyOnANightShift(t *testing.T) {
	t.Parallel()
	db, alex := newAdmin(t)
	ctx := context.Background()
	now := time.Now()
	// A zone where it is one in the morning now, and a night shift there
	// every night from 22:00 to 06:00.
	off := 1 - now.UTC().Hour()
	if off < -12 {
		off += 24
	}
	zone := fmt.Sprintf("Etc/GMT%+d", -off)
	h := chat.Hours{Zone: zone, WaitMinutes: 5}
	for d := range h.Days {
		h.Days[d] = chat.DayHours{Open: 22 * 60, Close: 6 * 60}
	}
	s, err := db.CreateSite(ctx, alex.ID, chat.Site{Name: "Nights"}, "secret")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetSiteHours(ctx, alex.ID, s.ID, h); err != nil {
		t.Fatal(err)
	}
	if !h.Open(now) {
		t.Fatalf("the night shift in %s is closed at %v", zone, now)
	}
	id := siteChat(t, db, s.ID, "anyone up?").ID
	for _, c := range []struct {
		at   time.Duration
		want int
	}{{4 * time.Minute, 0}, {5*time.Minute + time.Second, 1}} {
		at, want := c.at, c.want
		if _, err := db.AutoReply(ctx, now.Add(at)); err != nil {
			t.Fatal(err)
		}
		if got := lines(t, db, id, chat.ReaderVisitor); count(got, chat.LineAutoWaiting) != want || count(got, chat.LineAutoOutside) != 0 {
			t.Fatalf("%v after it queued, the chat heard %v; want %d waiting replies and no outside one", at, got, want)
		}
	}
}
