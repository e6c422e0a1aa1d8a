package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

// groupWorld is a group Ops owned by Alex, with Kim, Sam and Lee in it,
// and Max, who is not.
type groupWorld struct {
	db                  *store.DB
	alex, kim, sam, lee chat.User
	max                 chat.User
	id                  int64
}

func newGroupWorld(t *testing.T) groupWorld {
	t.Helper()
	ctx := context.Background()
	db, alex := newAdmin(t)
	w := groupWorld{db: db, alex: alex}
	for _, p := range []struct {
		u    *chat.User
		name string
	}{{&w.kim, "Kim"}, {&w.sam, "Sam"}, {&w.lee, "Lee"}, {&w.max, "Max"}} {
		var err error
		if *p.u, err = db.CreateMember(ctx, store.NewMember{Email: p.name + "@example.com", Name: p.name, PasswordHash: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	if w.id, err = db.CreateGroup(ctx, alex.ID, "Ops", []int64{w.kim.ID, w.sam.ID, w.lee.ID}); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w groupWorld) group(t *testing.T) store.Group {
	t.Helper()
	g, err := w.db.GroupOf(context.Background(), w.id, w.alex.ID)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// lastLine is the code of the group's newest system line.
func (w groupWorld) lastLine(t *testing.T) chat.SystemCode {
	t.Helper()
	msgs, _, err := w.db.History(context.Background(), w.id, 0, 1, chat.ReaderMember)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("History = %v, %v", msgs, err)
	}
	return msgs[0].Code
}

func (w groupWorld) say(sender chat.User, body string) (chat.Message, error) {
	m, _, err := w.db.SendMessage(context.Background(), store.Send{ConversationID: w.id, SenderID: sender.ID, Body: body})
	return m, err
}

// TestGroupRoles: the owner appoints admins and hands the group over;
// admins remove plain members but not the owner or each other; plain
// members manage nothing; each change is a system line.
func TestGroupRoles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newGroupWorld(t)
	db := w.db
	if r := w.group(t).RoleOf(w.alex.ID); r != chat.Owner {
		t.Fatalf("creator's role = %q", r)
	}
	if err := db.SetAdmin(ctx, w.id, w.kim.ID, w.sam.ID, true); !errors.Is(err, chat.ErrNotAllowed) {
		t.Fatalf("a member appoints: %v", err)
	}
	if err := db.SetAdmin(ctx, w.id, w.alex.ID, w.kim.ID, true); err != nil {
		t.Fatal(err)
	}
	if c := w.lastLine(t); c != chat.LineAdminAppointed {
		t.Fatalf("line = %s", c)
	}
	if err := db.SetAdmin(ctx, w.id, w.alex.ID, w.sam.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := db.SetAdmin(ctx, w.id, w.alex.ID, w.sam.ID, false); err != nil {
		t.Fatal(err)
	}
	if c := w.lastLine(t); c != chat.LineAdminDismissed {
		t.Fatalf("line = %s", c)
	}
	if err := db.SetAdmin(ctx, w.id, w.alex.ID, w.lee.ID, true); err != nil {
		t.Fatal(err)
	}
	g := w.group(t)
	if g.RoleOf(w.kim.ID) != chat.Admin || g.RoleOf(w.sam.ID) != chat.Member || g.RoleOf(w.lee.ID) != chat.Admin {
		t.Fatalf("roles = %v", g.Roles)
	}
	// Kim, an admin, removes neither the owner nor another admin, nor appoints.
	for _, err := range []error{
		db.RemoveGroupMember(ctx, w.id, w.kim.ID, w.alex.ID),
		db.RemoveGroupMember(ctx, w.id, w.kim.ID, w.lee.ID),
		db.SetAdmin(ctx, w.id, w.kim.ID, w.sam.ID, true),
		db.HandOver(ctx, w.id, w.kim.ID, w.sam.ID),
	} {
		if !errors.Is(err, chat.ErrNotAllowed) {
			t.Errorf("an admin over their station: %v", err)
		}
	}
	if err := db.RemoveGroupMember(ctx, w.id, w.sam.ID, w.kim.ID); !errors.Is(err, chat.ErrNotAllowed) {
		t.Errorf("a member removes: %v", err)
	}
	if err := db.RemoveGroupMember(ctx, w.id, w.kim.ID, w.sam.ID); err != nil {
		t.Fatal(err)
	}
	if c := w.lastLine(t); c != chat.LineMemberRemoved {
		t.Fatalf("line = %s", c)
	}
	// Someone not in the group is not found.
	if err := db.RemoveGroupMember(ctx, w.id, w.kim.ID, w.max.ID); !errors.Is(err, chat.ErrNotFound) {
		t.Errorf("remove a stranger: %v", err)
	}
	if err := db.SetAdmin(ctx, w.id, w.max.ID, w.kim.ID, false); !errors.Is(err, chat.ErrNotFound) {
		t.Errorf("a stranger acts: %v", err)
	}
	// The owner hands over to Kim, and is a plain member after.
	if err := db.HandOver(ctx, w.id, w.alex.ID, w.kim.ID); err != nil {
		t.Fatal(err)
	}
	g = w.group(t)
	if g.OwnerID != w.kim.ID || g.RoleOf(w.kim.ID) != chat.Owner || g.RoleOf(w.alex.ID) != chat.Member {
		t.Fatalf("after handing over: owner %d, roles %v", g.OwnerID, g.Roles)
	}
	if c := w.lastLine(t); c != chat.LineHandedOver {
		t.Fatalf("line = %s", c)
	}
	if err := db.SetAdmin(ctx, w.id, w.alex.ID, w.lee.ID, false); !errors.Is(err, chat.ErrNotAllowed) {
		t.Errorf("the old owner appoints: %v", err)
	}
	// An owner who leaves hands the group to an admin first.
	if err := db.LeaveGroup(ctx, w.id, w.kim.ID); err != nil {
		t.Fatal(err)
	}
	if g := w.group(t); g.OwnerID != w.lee.ID || g.RoleOf(w.lee.ID) != chat.Owner {
		t.Fatalf("after the owner left: owner %d, roles %v", g.OwnerID, g.Roles)
	}
}

// TestSilencedMemberRefused: a muted member's message is refused with
// chat.ErrSilenced and stores nothing; admins and the owner still write
// when everyone is muted; a silence for a time ends by itself.
func TestSilencedMemberRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newGroupWorld(t)
	db := w.db
	if err := db.SetAdmin(ctx, w.id, w.alex.ID, w.kim.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := db.Silence(ctx, w.id, w.sam.ID, w.lee.ID, time.Time{}); !errors.Is(err, chat.ErrNotAllowed) {
		t.Fatalf("a member mutes: %v", err)
	}
	if err := db.Silence(ctx, w.id, w.kim.ID, w.alex.ID, time.Time{}); !errors.Is(err, chat.ErrNotAllowed) {
		t.Fatalf("an admin mutes the owner: %v", err)
	}
	if err := db.Silence(ctx, w.id, w.kim.ID, w.sam.ID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if c := w.lastLine(t); c != chat.LineSilencedOpen {
		t.Fatalf("line = %s", c)
	}
	before := w.group(t).LastSeq
	if _, err := w.say(w.sam, "let me speak"); !errors.Is(err, chat.ErrSilenced) {
		t.Fatalf("a muted member writes: %v", err)
	}
	if g := w.group(t); g.LastSeq != before {
		t.Fatalf("a refused message took a seq: %d → %d", before, g.LastSeq)
	}
	if _, ok := w.group(t).Silenced[w.sam.ID]; !ok {
		t.Fatal("Sam not shown muted")
	}
	if _, err := w.say(w.lee, "I may"); err != nil {
		t.Fatal(err)
	}
	if err := db.Unsilence(ctx, w.id, w.kim.ID, w.sam.ID); err != nil {
		t.Fatal(err)
	}
	if c := w.lastLine(t); c != chat.LineUnsilenced {
		t.Fatalf("line = %s", c)
	}
	if _, err := w.say(w.sam, "thanks"); err != nil {
		t.Fatal(err)
	}
	// Everyone muted: the owner and admins still write.
	if err := db.SilenceAll(ctx, w.id, w.kim.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := w.say(w.lee, "hm"); !errors.Is(err, chat.ErrSilenced) {
		t.Fatalf("a member writes when all are muted: %v", err)
	}
	for _, u := range []chat.User{w.alex, w.kim} {
		if _, err := w.say(u, "still here"); err != nil {
			t.Fatalf("%s when all are muted: %v", u.Name, err)
		}
	}
	// The owner mutes an admin, who is refused too, even when all are muted.
	if err := db.Silence(ctx, w.id, w.alex.ID, w.kim.ID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.say(w.kim, "me too?"); !errors.Is(err, chat.ErrSilenced) {
		t.Fatalf("a muted admin writes: %v", err)
	}
	if err := db.Unsilence(ctx, w.id, w.alex.ID, w.kim.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.SilenceAll(ctx, w.id, w.alex.ID, false); err != nil {
		t.Fatal(err)
	}
	if c := w.lastLine(t); c != chat.LineAllUnsilenced {
		t.Fatalf("line = %s", c)
	}
	// For a time: refused until then, free after.
	if err := db.Silence(ctx, w.id, w.alex.ID, w.lee.ID, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.say(w.lee, "x"); !errors.Is(err, chat.ErrSilenced) {
		t.Fatalf("muted for an hour: %v", err)
	}
	if err := db.Silence(ctx, w.id, w.alex.ID, w.lee.ID, time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.say(w.lee, "free again"); err != nil {
		t.Fatalf("a silence that ended: %v", err)
	}
	// Someone not in the group is not found, muted or not.
	if _, err := w.say(w.max, "hi"); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("a stranger writes: %v", err)
	}
}

// TestGroupMentions: a mention is stored by id, marks the conversation
// for the one mentioned until they read it; @all is for owners and admins.
func TestGroupMentions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newGroupWorld(t)
	db := w.db
	plain, err := w.say(w.sam, "no one in particular, mail me at x@y.z")
	if err != nil || len(plain.Mentions) != 0 || plain.MentionAll {
		t.Fatalf("plain message = %+v, %v", plain, err)
	}
	m, err := w.say(w.sam, "@Kim and @Lee, look")
	if err != nil {
		t.Fatal(err)
	}
	want := []chat.Mention{{UserID: w.kim.ID, Name: "Kim"}, {UserID: w.lee.ID, Name: "Lee"}}
	if len(m.Mentions) != 2 || m.Mentions[0] != want[0] || m.Mentions[1] != want[1] {
		t.Fatalf("mentions = %+v", m.Mentions)
	}
	stored, err := db.Message(ctx, m.ID)
	if err != nil || len(stored.Mentions) != 2 || stored.Mentions[1] != want[1] {
		t.Fatalf("stored mentions = %+v, %v", stored.Mentions, err)
	}
	mentioned := func(u chat.User) bool {
		t.Helper()
		s, err := db.Summary(ctx, w.id, chat.Viewer{UserID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		return s.Mentioned
	}
	if !mentioned(w.kim) || !mentioned(w.lee) || mentioned(w.alex) || mentioned(w.sam) {
		t.Fatal("the @ me marks are wrong")
	}
	if err := db.MarkRead(ctx, w.id, w.kim.ID, m.Seq); err != nil {
		t.Fatal(err)
	}
	if mentioned(w.kim) || !mentioned(w.lee) {
		t.Fatal("reading does not clear the mark")
	}
	// @all: refused for a member, storing nothing; marks everyone else for an admin.
	if _, err := w.say(w.sam, "@all lunch?"); !errors.Is(err, chat.ErrMentionAll) {
		t.Fatalf("a member's @all: %v", err)
	}
	if err := db.SetAdmin(ctx, w.id, w.alex.ID, w.kim.ID, true); err != nil {
		t.Fatal(err)
	}
	all, err := w.say(w.kim, "@all lunch!")
	if err != nil || !all.MentionAll {
		t.Fatalf("an admin's @all = %+v, %v", all, err)
	}
	if !mentioned(w.alex) || !mentioned(w.sam) || mentioned(w.kim) {
		t.Fatal("@all marks everyone but its writer")
	}
	// An email-like word is no @all, and a name not in the group no mention.
	if m, err := w.say(w.sam, "write to ops@all.example or @Max"); err != nil || m.MentionAll || len(m.Mentions) != 0 {
		t.Fatalf("no mention = %+v, %v", m, err)
	}
}

// TestJoinByRequestAndPins: someone asks to join; a plain member cannot
// answer, an admin approves; the conversation_grade policy still decides;
// up to five messages are pinned.
func TestJoinByRequestAndPins(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newGroupWorld(t)
	db := w.db
	if err := db.SetAdmin(ctx, w.id, w.alex.ID, w.kim.ID, true); err != nil {
		t.Fatal(err)
	}
	token := w.group(t).JoinToken
	if token == "" {
		t.Fatal("the group has no join link")
	}
	for _, bad := range []string{"", "x", "00000000-0000-0000-0000-000000000000", token + "0"} {
		if _, err := db.AskToJoin(ctx, bad, w.max.ID); !errors.Is(err, chat.ErrNotFound) {
			t.Fatalf("asking by %q: %v", bad, err)
		}
		if _, err := db.GroupCardFor(ctx, bad, w.max.ID); !errors.Is(err, chat.ErrNotFound) {
			t.Fatalf("the card by %q: %v", bad, err)
		}
	}
	if _, err := db.AskToJoin(ctx, token, w.sam.ID); !errors.Is(err, chat.ErrConflict) {
		t.Fatalf("a member asks: %v", err)
	}
	if id, err := db.AskToJoin(ctx, token, w.max.ID); err != nil || id != w.id {
		t.Fatalf("AskToJoin = %d, %v", id, err)
	}
	if c, err := db.GroupCardFor(ctx, token, w.max.ID); err != nil || c.ID != w.id || c.Title != "Ops" || !c.Asked || c.Member {
		t.Fatalf("the card = %+v, %v", c, err)
	}
	if c := w.lastLine(t); c != chat.LineJoinAsked {
		t.Fatalf("line = %s", c)
	}
	if reqs, err := db.JoinRequests(ctx, w.id, w.sam.ID); err != nil || len(reqs) != 0 {
		t.Fatalf("a member sees requests: %v, %v", reqs, err)
	}
	if reqs, err := db.JoinRequests(ctx, w.id, w.kim.ID); err != nil || len(reqs) != 1 || reqs[0].ID != w.max.ID {
		t.Fatalf("requests = %v, %v", reqs, err)
	}
	if err := db.AnswerJoin(ctx, w.id, w.sam.ID, w.max.ID, true); !errors.Is(err, chat.ErrNotAllowed) {
		t.Fatalf("a member approves: %v", err)
	}
	// Only kin may talk now: Kim and Max have no ties, so Kim cannot let him in.
	if err := db.SetGrade(ctx, 0, chat.GradeKinOnly); err != nil {
		t.Fatal(err)
	}
	var refused *chat.RefusedError
	if err := db.AnswerJoin(ctx, w.id, w.kim.ID, w.max.ID, true); !errors.As(err, &refused) {
		t.Fatalf("approval under the policy: %v", err)
	}
	if err := db.SetGrade(ctx, 0, chat.GradeAnyone); err != nil {
		t.Fatal(err)
	}
	if err := db.AnswerJoin(ctx, w.id, w.kim.ID, w.max.ID, true); err != nil {
		t.Fatal(err)
	}
	if g := w.group(t); g.RoleOf(w.max.ID) != chat.Member {
		t.Fatalf("Max not let in: %v", g.Roles)
	}
	if c := w.lastLine(t); c != chat.LineJoinApproved {
		t.Fatalf("line = %s", c)
	}
	if err := db.AnswerJoin(ctx, w.id, w.kim.ID, w.max.ID, true); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("answered twice: %v", err)
	}

	// Pins: up to five, by the owner and admins.
	var ids []int64
	for range chat.MaxPins + 1 {
		m, err := w.say(w.sam, "pin me")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	if err := db.Pin(ctx, w.id, w.sam.ID, ids[0]); !errors.Is(err, chat.ErrNotAllowed) {
		t.Fatalf("a member pins: %v", err)
	}
	for _, id := range ids[:chat.MaxPins] {
		if err := db.Pin(ctx, w.id, w.kim.ID, id); err != nil {
			t.Fatal(err)
		}
	}
	var ve *chat.ValidationError
	if err := db.Pin(ctx, w.id, w.kim.ID, ids[chat.MaxPins]); !errors.As(err, &ve) {
		t.Fatalf("a sixth pin: %v", err)
	}
	if err := db.Unpin(ctx, w.id, w.alex.ID, ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := db.Pin(ctx, w.id, w.kim.ID, ids[chat.MaxPins]); err != nil {
		t.Fatal(err)
	}
	if g := w.group(t); len(g.Pins) != chat.MaxPins || g.Pins[0].ID != ids[chat.MaxPins] {
		t.Fatalf("pins = %v", g.Pins)
	}
	if err := db.SetNotice(ctx, w.id, w.kim.ID, "  Stand-up at 10  "); err != nil {
		t.Fatal(err)
	}
	if g := w.group(t); g.Notice != "Stand-up at 10" {
		t.Fatalf("notice = %q", g.Notice)
	}
	if err := db.SetNotice(ctx, w.id, w.sam.ID, "mine"); !errors.Is(err, chat.ErrNotAllowed) {
		t.Fatalf("a member sets the notice: %v", err)
	}
}

// TestMentionPushesInAMutedGroup: a member who muted a group hears of no
// ordinary message there, but of one that mentions them, and it is not
// cancelled as muted when it is sent.
func TestMentionPushesInAMutedGroup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newPushWorld(t)
	db := w.db
	g, err := db.CreateGroup(ctx, w.alex.ID, "Ops", []int64{w.sam.ID, w.kim.ID})
	if err != nil {
		t.Fatal(err)
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
	m, _, err := db.SendMessage(ctx, store.Send{ConversationID: g, SenderID: w.alex.ID, Body: "@Sam standup"})
	if err != nil {
		t.Fatal(err)
	}
	got := pending(t, db, w.sam.ID)
	if len(got) != 1 || got[0].Seq != m.Seq || got[0].Kind != store.PushMessage {
		t.Fatalf("a mention in a muted group: %+v", got)
	}
	due, err := db.ClaimPushes(ctx, time.Now(), time.Second, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range due {
		if p.UserID == w.sam.ID {
			found = true
			if p.Muted {
				t.Errorf("the mention's notification is taken as muted: %+v", p)
			}
		}
	}
	if !found {
		t.Fatal("the mention's notification was not claimed")
	}
}

// TestGroupEventsInWebhooks: a group's role events reach webhooks as lines
// with their code and arguments, and a mention with whom it names.
func TestGroupEventsInWebhooks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newGroupWorld(t)
	hook := addWebhook(t, w.db, w.alex.ID, store.EventMessageCreated)
	if err := w.db.SetAdmin(ctx, w.id, w.alex.ID, w.kim.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := w.say(w.kim, "@Sam @all ready?"); err != nil {
		t.Fatal(err)
	}
	ds := deliveries(t, w.db, hook.ID)
	if len(ds) < 2 {
		t.Fatalf("%d deliveries", len(ds))
	}
	type data struct {
		Code       string         `json:"code"`
		Args       []string       `json:"args"`
		Body       string         `json:"body"`
		Mentions   []chat.Mention `json:"mentions"`
		MentionAll bool           `json:"mention_all"`
	}
	var line, text data
	if err := json.Unmarshal(ds[len(ds)-2].Payload, &line); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(ds[len(ds)-1].Payload, &text); err != nil {
		t.Fatal(err)
	}
	if line.Code != string(chat.LineAdminAppointed) || fmt.Sprint(line.Args) != "[Alex Kim]" || line.Body != "Alex made Kim an admin." {
		t.Errorf("the role event: %+v", line)
	}
	if len(text.Mentions) != 1 || text.Mentions[0] != (chat.Mention{UserID: w.sam.ID, Name: "Sam"}) || !text.MentionAll || text.Code != "" {
		t.Errorf("the mention: %+v", text)
	}
}

// TestMentionMatchesWholeNames: a group's text mentions a member only
// where their name ends (chat.MentionEnds), and at each @ only those with
// the longest name that does, as chat.Segments highlights them: "@Alice"
// does not mention Al, in English and in Chinese.
func TestMentionMatchesWholeNames(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, owner := newAdmin(t)
	byName := map[string]chat.User{}
	var ids []int64
	for i, name := range []string{"Al", "Alice", "Bo", "Bo Li", "小明", "小明明", "张三"} {
		u, err := db.CreateMember(ctx, store.NewMember{Email: fmt.Sprintf("m%d@example.com", i), Name: name, PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		byName[name] = u
		ids = append(ids, u.ID)
	}
	group, err := db.CreateGroup(ctx, owner.ID, "Names", ids)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		sender, body string
		want         []string // by name, in the order of their ids
	}{
		{"Bo", "@Alice hi", []string{"Alice"}},
		{"Bo", "@Al, @Alice", []string{"Al", "Alice"}},
		{"Bo", "@Al2 @Al_x @Al你好", nil},
		{"Al", "@Bo Li, look", []string{"Bo Li"}},
		{"Bo Li", "@Bo Li @Alice。", []string{"Alice"}},
		{"Bo Li", "@Bo Li said hi", nil},
		{"Bo", "@小明明你好，@小明在吗", []string{"小明", "小明明"}},
		{"Bo", "请@张三看一下", []string{"张三"}},
		{"Bo", "@小明你好", []string{"小明"}},
		{"Bo", "mail bo@Alice.example", []string{"Alice"}},
	}
	for i, c := range cases {
		sender := byName[c.sender]
		m, _, err := db.SendMessage(ctx, store.Send{ConversationID: group, SenderID: sender.ID, Body: c.body, ClientMsgID: fmt.Sprintf("m%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		var got, highlighted []string
		for _, x := range m.Mentions {
			got = append(got, x.Name)
		}
		seen := map[string]bool{}
		for _, seg := range chat.Segments(m.Body, sender.Name, m.Mentions, m.MentionAll) {
			if name := seg.Text[1:]; seg.Mention && !seen[name] {
				seen[name] = true
				highlighted = append(highlighted, name)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) || len(seen) != len(got) {
			t.Errorf("%s: %q mentions %q, highlighted %q; want %q", c.sender, c.body, got, highlighted, c.want)
		}
		for _, name := range got {
			if !seen[name] {
				t.Errorf("%q: %s is mentioned but not highlighted", c.body, name)
			}
		}
	}
}
