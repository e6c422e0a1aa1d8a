package handlers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kefu-im/kefu/chat"
)

// TestWidgetHomeKeepsToTheVisitorsOwn: a visitor's home lists their support
// chat and their chat with an author, with unread counts, and stays live:
// the author's next message updates its row (escaped) while the widget
// shows customer service. Another visitor writing to the same author and
// to customer service never appears on it, on the page or live.
func TestWidgetHomeKeepsToTheVisitorsOwn(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	admin, _, err := k.db.MemberByEmail(ctx, agentEmail)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.db.SetAgentList(ctx, 0, chat.AgentList{IDs: []int64{admin.ID}}); err != nil {
		t.Fatal(err)
	}
	author := k.person("Author")
	authorLive := author.b.console()
	authorLive.send(map[string]any{"type": "resume"})

	write := func(v *socket, id string, to int64, body string) {
		t.Helper()
		v.send(map[string]any{"type": "send", "client_msg_id": id, "body": body, "to": to})
		if got := v.waitFor(`data-ack="` + id + `"`); strings.Contains(got, "data-refused") {
			t.Fatalf("%s was refused: %s", body, got)
		}
	}
	tokenA, tokenB := k.visitorToken(), k.visitorToken()
	ada, bob := mustVisitor(t, k.db, tokenA), mustVisitor(t, k.db, tokenB)
	a, b := k.liveWidget(tokenA), k.liveWidget(tokenB)
	write(a, "a1", 0, "Ada asks support")
	write(a, "a2", author.ID, "Ada asks the author")
	write(b, "b1", 0, "Bob asks support")
	write(b, "b2", author.ID, "Bob asks the author")
	authorLive.waitFor("Bob asks the author")
	adaDirect, err := k.db.DirectConversation(ctx, ada.ID, author.ID)
	if err != nil {
		t.Fatal(err)
	}
	bobDirect, err := k.db.DirectConversation(ctx, bob.ID, author.ID)
	if err != nil {
		t.Fatal(err)
	}
	authorSays := func(conv chat.Conversation, id, body string) {
		t.Helper()
		authorLive.send(map[string]any{"type": "send", "conversation_id": conv.ID, "client_msg_id": id, "body": body})
		authorLive.waitFor(`data-ack="` + id + `"`)
	}
	authorSays(adaDirect, "r1", "First answer")

	// Ada opens the widget again, on customer service, and asks for her home.
	home := k.liveWidget(tokenA)
	home.send(map[string]any{"type": "home"})
	got := home.waitFor(`data-target="#home"`)
	for _, want := range []string{`data-testid="home-row-0"`, fmt.Sprintf(`data-testid="home-row-%d"`, author.ID),
		"Author", "First answer", "Ada asks support", `data-show`, `data-testid="home-unread">1<`,
		// The home's header is customer service's team, not the author's.
		`data-target="#home-team"`, "We&#39;re away right now"} {
		if !strings.Contains(got, want) {
			t.Fatalf("the home lacks %s:\n%s", want, got)
		}
	}
	// Live: the author writes again, in a conversation the widget does not show.
	authorSays(adaDirect, "r2", "<b>Second</b> answer")
	got = home.waitFor(`&lt;b&gt;Second&lt;/b&gt; answer`)
	if !strings.Contains(got, `data-testid="home-unread">2<`) || strings.Contains(got, "<b>Second") {
		t.Fatalf("the home's row after the author's second message:\n%s", got)
	}
	// The author answers Bob, then Ada: Ada hears of hers only.
	authorSays(bobDirect, "r3", "For Bob only")
	authorSays(adaDirect, "r4", "Third answer")
	home.waitFor("Third answer")
	if all := home.all() + a.all(); strings.Contains(all, "Bob") || strings.Contains(all, fmt.Sprintf("home-row-%d\"", bob.ID)) {
		t.Fatalf("Ada's widget shows something of Bob's:\n%s", all)
	}
	// Reading a conversation clears its count on the next home. Homes drawn
	// before the read may still be on their way: the test waits past them,
	// and fails if no home without the count comes.
	home.send(map[string]any{"type": "read", "conversation_id": adaDirect.ID, "seq": 5})
	home.send(map[string]any{"type": "home"})
	for {
		got = home.waitFor(`data-target="#home"`)
		row := got[strings.Index(got, fmt.Sprintf(`home-row-%d"`, author.ID)):]
		if row = row[:strings.Index(row, "</li>")]; !strings.Contains(row, "home-unread") && strings.Contains(row, "Third answer") {
			break
		}
	}
}

// TestWidgetSaysTheGradeBeforeTyping: aimed at a member the grade does not
// let a visitor write to, the widget says so on resume, before any send,
// and offers customer service; when the grade allows it again the
// composer comes back. Aimed at customer service, the header shows who is
// there; aimed at the author, whether they are online.
func TestWidgetSaysTheGradeBeforeTyping(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	admin, _, err := k.db.MemberByEmail(ctx, agentEmail)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.db.SetAgentList(ctx, 0, chat.AgentList{IDs: []int64{admin.ID}}); err != nil {
		t.Fatal(err)
	}
	agentLive := k.agent().console()
	agentLive.send(map[string]any{"type": "resume"})
	author := k.person("Author")
	k.setGrade(chat.GradeServiceOrKin)

	token := k.visitorToken()
	v := k.widget(token)
	v.send(map[string]any{"type": "resume", "to": author.ID})
	got := v.waitFor(`data-testid="grade-refused"`)
	for _, want := range []string{"Author can&#39;t take messages here. Our customer service can help.", `data-testid="offer-support"`,
		`data-testid="presence">Author is offline`} {
		if !strings.Contains(got, want) {
			t.Fatalf("the widget aimed at the author lacks %s:\n%s", want, got)
		}
	}
	// The grade goes down: the composer is back, live.
	k.setGrade(chat.GradeAnyone)
	v.waitFor(`<template data-target="#availability" data-swap="innerHTML"></template>`)

	// Aimed at customer service: the team, available now.
	v.send(map[string]any{"type": "resume", "to": 0})
	got = v.waitFor(`data-testid="team-faces"`)
	if !strings.Contains(got, `title="Alex" aria-hidden="true">A</span>`) || !strings.Contains(got, "We&#39;re online") ||
		strings.Contains(got, "grade-refused") {
		t.Fatalf("the header of customer service:\n%s", got)
	}
	// Alex with a chat and room for no other is still on duty: the visitor
	// is told someone is there, as the queue tells them while they wait.
	// With no capacity, Alex is not.
	k.take(t, k.waitingChat("Another visitor asks", 0))
	for _, c := range []struct {
		capacity int
		want     string
	}{{1, "We&#39;re online"}, {0, "We&#39;re away right now"}} {
		if err := k.db.SetCapacity(ctx, admin.ID, c.capacity); err != nil {
			t.Fatal(err)
		}
		v.skip()
		v.send(map[string]any{"type": "resume", "to": 0})
		if _, err := v.tryWaitFor(`data-testid="presence">` + c.want); err != nil {
			t.Fatalf("Alex with 1 chat and a capacity of %d: the header never said %q: %v", c.capacity, c.want, err)
		}
	}
	// The author opens their console: online.
	authorLive := author.b.console()
	authorLive.send(map[string]any{"type": "resume"})
	authorLive.waitFor(`data-target`)
	v.send(map[string]any{"type": "resume", "to": author.ID})
	if _, err := v.tryWaitFor(`data-testid="presence">Author is online`); err != nil {
		t.Fatalf("the author, console open, is not online: %v", err)
	}
}

// TestWidgetAimedAtAVisitorNamesNobody: a widget aimed at another visitor's
// id (ids are shared with members) says nothing of them, under any grade:
// no name, no presence; a message to them is refused and stores nothing.
func TestWidgetAimedAtAVisitorNamesNobody(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	k.visitorToken()
	var bea int64
	if err := k.db.Pool().QueryRow(ctx, "UPDATE users SET name = 'Bea Private' WHERE kind = 'visitor' RETURNING id").Scan(&bea); err != nil {
		t.Fatal(err)
	}
	for _, grade := range []int{chat.GradeAnyone, chat.GradeKinOnly} {
		k.setGrade(grade)
		v := k.widget(k.visitorToken())
		v.send(map[string]any{"type": "resume", "to": bea})
		v.waitFor(`data-target="#team"`)
		v.send(map[string]any{"type": "send", "client_msg_id": "c1", "body": "hello", "to": bea})
		v.waitFor(`data-refused="c1"`)
		if all := v.all(); strings.Contains(all, "Bea") {
			t.Fatalf("grade %d: the widget aimed at a visitor names her:\n%s", grade, all)
		}
	}
	var n int
	if err := k.db.Pool().QueryRow(ctx, "SELECT count(*) FROM conversations WHERE kind = 'direct'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d direct conversations with a visitor (%v)", n, err)
	}
}
