package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

// TestDraftKeptPerMemberAndDroppedBySending: a draft is kept per
// conversation and member, replaced, dropped when emptied, and dropped
// when its member sends a message there (a reply or a note), not when
// someone else does.
func TestDraftKeptPerMemberAndDroppedBySending(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	other, err := f.db.CreateMember(ctx, store.NewMember{Email: "bo@example.com", Name: "Bo", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	draft := func(userID int64) string {
		t.Helper()
		d, err := f.db.Draft(ctx, f.conv.ID, userID)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := draft(f.agent.ID); d != "" {
		t.Fatalf("a draft before any was saved: %q", d)
	}
	// The agent has no conversation_members row yet: the draft is kept all the same.
	for _, body := range []string{"Dear customer", "Dear customer, your <b>order</b>"} {
		if err := f.db.SaveDraft(ctx, f.conv.ID, f.agent.ID, body); err != nil {
			t.Fatal(err)
		}
		if d := draft(f.agent.ID); d != body {
			t.Fatalf("draft = %q, want %q", d, body)
		}
	}
	if d := draft(other.ID); d != "" {
		t.Fatalf("another member reads the agent's draft: %q", d)
	}
	if err := f.db.SaveDraft(ctx, f.conv.ID, f.agent.ID, ""); err != nil {
		t.Fatal(err)
	}
	if d := draft(f.agent.ID); d != "" {
		t.Fatalf("an emptied draft is kept: %q", d)
	}
	long := strings.Repeat("客", chat.MaxBodyChars+1)
	if err := f.db.SaveDraft(ctx, f.conv.ID, f.agent.ID, long); err == nil {
		t.Fatal("a draft longer than a message is stored")
	}

	// Someone else's message leaves the draft; the member's own drops it.
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.db.SaveDraft(ctx, f.conv.ID, f.agent.ID, "half written"))
	must(f.db.SaveDraft(ctx, f.conv.ID, other.ID, "the other's"))
	if _, _, err := f.db.SendFromVisitor(ctx, store.Send{SenderID: f.visitor.ID, Body: "still there?"}); err != nil {
		t.Fatal(err)
	}
	if d := draft(f.agent.ID); d != "half written" {
		t.Fatalf("the visitor's message dropped the agent's draft: %q", d)
	}
	if _, _, err := f.db.SendMessage(ctx, store.Send{ConversationID: f.conv.ID, SenderID: f.agent.ID, Type: chat.Note, Body: "a note"}); err != nil {
		t.Fatal(err)
	}
	if d := draft(f.agent.ID); d != "" {
		t.Fatalf("the agent's note left their draft: %q", d)
	}
	if d := draft(other.ID); d != "the other's" {
		t.Fatalf("the agent's note dropped another member's draft: %q", d)
	}
}

// say is the catalog id a validation error says, or "" for another error.
func say(err error) string {
	var ve *chat.ValidationError
	if errors.As(err, &ve) {
		return ve.Say
	}
	return ""
}

// TestCannedLimitsAndDuplicates: a canned response's shortcut and text are
// checked at their limits, unknown placeholders and taken shortcuts are
// refused with their own sentences, and nothing refused is stored.
func TestCannedLimitsAndDuplicates(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	bo, err := f.db.CreateMember(ctx, store.NewMember{Email: "bo@example.com", Name: "Bo", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, shortcut, body, say string
	}{
		{"no shortcut", " ", "hi", "canned.invalid.shortcutEmpty"},
		{"just a slash", "/", "hi", "canned.invalid.shortcutEmpty"},
		{"shortcut too long", strings.Repeat("a", 33), "hi", "canned.invalid.shortcutLong"},
		{"upper case", "Hello", "hi", "canned.invalid.shortcutChars"},
		{"a space", "hel lo", "hi", "canned.invalid.shortcutChars"},
		{"not ascii", "你好", "hi", "canned.invalid.shortcutChars"},
		{"no text", "hi", "  \n ", "canned.invalid.bodyEmpty"},
		{"text too long", "hi", strings.Repeat("字", chat.MaxCannedChars+1), "canned.invalid.bodyLong"},
		{"unknown placeholder", "hi", "Hello {{visitor.phone}}", "canned.invalid.placeholder"},
		{"misspelt placeholder", "hi", "Hello {{ Visitor.Name }}", "canned.invalid.placeholder"},
		{"nul", "hi", "a\x00b", "error.body.nul"},
	} {
		if _, err := f.db.SaveCanned(ctx, f.agent.ID, chat.Canned{Shortcut: tc.shortcut, Body: tc.body}); say(err) != tc.say {
			t.Errorf("%s: err = %v, want %s", tc.name, err, tc.say)
		}
	}
	if cs, err := f.db.Canned(ctx, 0); err != nil || len(cs) != 0 {
		t.Fatalf("refused responses were stored: %+v, %v", cs, err)
	}

	// At the limits, and a leading "/" dropped.
	max := chat.Canned{Shortcut: "/" + strings.Repeat("a", 32), Body: "  " + strings.Repeat("字", chat.MaxCannedChars) + " "}
	saved, err := f.db.SaveCanned(ctx, f.agent.ID, max)
	if err != nil || saved.Shortcut != strings.Repeat("a", 32) || saved.Body != strings.Repeat("字", chat.MaxCannedChars) || saved.ID == 0 {
		t.Fatalf("SaveCanned at the limits = %+v, %v", saved, err)
	}
	hello, err := f.db.SaveCanned(ctx, f.agent.ID, chat.Canned{Shortcut: "hello_1-x", Body: "Hi {{ visitor.name }}, I am {{agent.name}}."})
	if err != nil {
		t.Fatal(err)
	}
	// A shortcut is unique among the shared ones, and among each agent's own.
	if _, err := f.db.SaveCanned(ctx, f.agent.ID, chat.Canned{Shortcut: "hello_1-x", Body: "again"}); say(err) != "canned.invalid.shortcutTaken" {
		t.Fatalf("a second shared /hello_1-x: %v", err)
	}
	mine, err := f.db.SaveCanned(ctx, bo.ID, chat.Canned{OwnerID: bo.ID, Shortcut: "hello_1-x", Body: "Bo's own"})
	if err != nil {
		t.Fatalf("an agent's own response with a shared one's shortcut: %v", err)
	}
	if _, err := f.db.SaveCanned(ctx, f.agent.ID, chat.Canned{OwnerID: f.agent.ID, Shortcut: "hello_1-x", Body: "Alex's own"}); err != nil {
		t.Fatalf("two agents' own responses with one shortcut: %v", err)
	}
	if _, err := f.db.SaveCanned(ctx, bo.ID, chat.Canned{OwnerID: bo.ID, Shortcut: "hello_1-x", Body: "twice"}); say(err) != "canned.invalid.shortcutTaken" {
		t.Fatalf("Bo's second /hello_1-x: %v", err)
	}
	// A change to a taken shortcut is refused too, and changes nothing.
	if _, err := f.db.SaveCanned(ctx, f.agent.ID, chat.Canned{ID: saved.ID, Shortcut: "hello_1-x", Body: "x"}); say(err) != "canned.invalid.shortcutTaken" {
		t.Fatalf("renaming to a taken shortcut: %v", err)
	}
	// A change finds only its owner's: Bo's is not shared, nor Alex's.
	if _, err := f.db.SaveCanned(ctx, f.agent.ID, chat.Canned{ID: mine.ID, Shortcut: "bo", Body: "taken over"}); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("changing Bo's response as a shared one: %v", err)
	}
	if _, err := f.db.SaveCanned(ctx, f.agent.ID, chat.Canned{ID: mine.ID, OwnerID: f.agent.ID, Shortcut: "bo", Body: "taken over"}); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("changing Bo's response as Alex's: %v", err)
	}
	if err := f.db.RemoveCanned(ctx, f.agent.ID, mine.ID, f.agent.ID); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("removing Bo's response as Alex's: %v", err)
	}
	changed, err := f.db.SaveCanned(ctx, f.agent.ID, chat.Canned{ID: hello.ID, Shortcut: "hi", Body: "Hello {{site.name}}"})
	if err != nil || changed.ID != hello.ID {
		t.Fatalf("changing a shared response = %+v, %v", changed, err)
	}
	shared, err := f.db.Canned(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]string, 0, len(shared))
	for _, c := range shared {
		got = append(got, c.Shortcut+"="+c.Body[:min(len(c.Body), 18)])
	}
	if want := []string{strings.Repeat("a", 32) + "=" + strings.Repeat("字", 6), "hi=Hello {{site.name}"}; !slices.Equal(got, want) {
		t.Fatalf("shared = %q, want %q", got, want)
	}
	if err := f.db.RemoveCanned(ctx, f.agent.ID, saved.ID, 0); err != nil {
		t.Fatal(err)
	}
	// Changes to the shared ones are audited; an agent's own are theirs alone.
	log, _, err := f.db.AuditLog(ctx, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range log {
		if strings.HasPrefix(e.Action, "canned.") {
			actions = append(actions, e.Action)
		}
	}
	if want := []string{"canned.delete", "canned.update", "canned.create", "canned.create"}; !slices.Equal(actions, want) {
		t.Fatalf("audited = %q, want %q", actions, want)
	}
}

// TestCannedVisibility: an agent is offered the shared responses and their
// own, never another agent's, and cannot fetch another's by its id.
func TestCannedVisibility(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	bo, err := f.db.CreateMember(ctx, store.NewMember{Email: "bo@example.com", Name: "Bo", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	save := func(actor int64, c chat.Canned) chat.Canned {
		t.Helper()
		c, err := f.db.SaveCanned(ctx, actor, c)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	shared := save(f.agent.ID, chat.Canned{Shortcut: "thanks", Body: "Thank you!"})
	alexs := save(f.agent.ID, chat.Canned{OwnerID: f.agent.ID, Shortcut: "thanks", Body: "Thanks, Alex here."})
	bos := save(bo.ID, chat.Canned{OwnerID: bo.ID, Shortcut: "bye", Body: "Bye from Bo"})

	ids := func(cs []chat.Canned) []int64 {
		var out []int64
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	forAlex, err := f.db.CannedFor(ctx, f.agent.ID)
	if err != nil || !slices.Equal(ids(forAlex), []int64{alexs.ID, shared.ID}) {
		t.Fatalf("Alex is offered %+v, %v; want their own /thanks, then the shared one", forAlex, err)
	}
	forBo, err := f.db.CannedFor(ctx, bo.ID)
	if err != nil || !slices.Equal(ids(forBo), []int64{bos.ID, shared.ID}) {
		t.Fatalf("Bo is offered %+v, %v", forBo, err)
	}
	if _, err := f.db.CannedOf(ctx, bos.ID, f.agent.ID); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("Alex fetched Bo's response: %v", err)
	}
	if c, err := f.db.CannedOf(ctx, shared.ID, bo.ID); err != nil || c.Body != "Thank you!" {
		t.Fatalf("Bo fetches the shared one = %+v, %v", c, err)
	}
	if own, err := f.db.Canned(ctx, bo.ID); err != nil || !slices.Equal(ids(own), []int64{bos.ID}) {
		t.Fatalf("Bo's own = %+v, %v", own, err)
	}
}

// TestFillValuesOfAConversation: the placeholders stand for the visitor's
// name and email and the site's name, as stored, and for nothing where a
// conversation has none.
func TestFillValuesOfAConversation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	site, err := f.db.CreateSite(ctx, f.agent.ID, chat.Site{Name: "Shop <1>", Origins: []string{"https://shop.example"}, Colour: chat.DefaultColour,
		PrechatName: chat.FieldOptional, PrechatEmail: chat.FieldOptional}, auth.NewToken())
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := f.db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: "hi", SiteID: site.ID, VisitorName: "Mei <script>", VisitorEmail: "mei@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	values, err := f.db.FillValues(ctx, m.ConversationID)
	if err != nil {
		t.Fatal(err)
	}
	if want := (chat.FillValues{VisitorName: "Mei <script>", VisitorEmail: "mei@example.com", SiteName: "Shop <1>"}); values != want {
		t.Fatalf("FillValues = %+v, want %+v", values, want)
	}
	values.AgentName = "Alex"
	c := chat.Canned{Body: "Hi {{visitor.name}} ({{ visitor.email }}), {{agent.name}} of {{site.name}} here."}
	if got, want := c.Fill(values), "Hi Mei <script> (mei@example.com), Alex of Shop <1> here."; got != want {
		t.Fatalf("Fill = %q, want %q (plain text: escaped where shown)", got, want)
	}
	// The fixture's visitor gave nothing, from no site: empty values.
	values, err = f.db.FillValues(ctx, f.conv.ID)
	if err != nil || values != (chat.FillValues{}) {
		t.Fatalf("FillValues of an anonymous chat = %+v, %v", values, err)
	}
	if got := c.Fill(values); got != "Hi  (),  of  here." {
		t.Fatalf("Fill with nothing known = %q", got)
	}
	if _, err := f.db.FillValues(ctx, 1<<40); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("FillValues of no conversation: %v", err)
	}
}
