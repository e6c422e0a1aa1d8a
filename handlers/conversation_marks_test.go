package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

// say stores a message from sender in conversation id.
func say(t *testing.T, db *store.DB, id, sender int64, body string) {
	t.Helper()
	if _, _, err := db.SendMessage(context.Background(), store.Send{ConversationID: id, SenderID: sender,
		ClientMsgID: fmt.Sprint(sender, body), Body: body}); err != nil {
		t.Fatal(err)
	}
}

// TestPinAndHideForms: the header's pin and hide forms work posted plainly
// (a redirect) and in place (fragments); a stranger, a support chat and a
// pin past the cap are refused and change nothing.
func TestPinAndHideForms(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	ann, bob, cat := k.person("Ann"), k.person("Bob"), k.person("Cat")
	conv, err := k.db.StartDirect(ctx, ann.ID, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	say(t, k.db, conv.ID, bob.ID, "hello")
	path := fmt.Sprintf("/console/c/%d", conv.ID)
	item := fmt.Sprintf(`id="conv-%d"`, conv.ID)
	if _, page := ann.b.get(path); !strings.Contains(page, `data-testid="pin-conversation"`) || !strings.Contains(page, `data-testid="hide-conversation"`) {
		t.Fatal("the header offers no pin or hide")
	}

	// Pinned by a plain form: back to the chat, marked in the list.
	resp, _ := ann.b.post(path+"/pin", url.Values{"pin": {"1"}, "_csrf": {ann.b.csrf(path)}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != path {
		t.Fatalf("pin: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
	if _, page := ann.b.get(path); !strings.Contains(page, `data-testid="pin-mark"`) || !strings.Contains(page, `data-testid="unpin-conversation"`) {
		t.Fatal("the pinned chat shows no pin mark or no unpin")
	}
	// Unpinned in place: the form comes back as it now stands.
	resp, body := ann.b.postWith(path+"/pin", url.Values{"pin": {"0"}, "_csrf": {ann.b.csrf(path)}}, k.inPlace(path))
	wantFragment(t, "unpin in place", resp, body, http.StatusOK, `data-target="#pin-form"`, `data-testid="pin-conversation"`, "Unpinned.")
	if s, _ := k.db.Summary(ctx, conv.ID, chat.Viewer{UserID: ann.ID}); s.PinnedAt != nil {
		t.Fatal("still pinned")
	}

	// A stranger's pin is refused, and nothing is stored.
	resp, body = cat.b.postWith(path+"/pin", url.Values{"pin": {"1"}, "_csrf": {cat.b.csrf("/console")}}, k.inPlace("/console"))
	wantFragment(t, "a stranger's pin", resp, body, http.StatusNotFound)
	if m, _ := k.db.Marks(ctx, cat.ID); len(m.Pinned) != 0 {
		t.Fatal("a stranger's pin was stored")
	}

	// Hidden in place: out of the list, until Bob writes again.
	resp, body = ann.b.postWith(path+"/hide", url.Values{"_csrf": {ann.b.csrf(path)}}, k.inPlace(path))
	wantFragment(t, "hide in place", resp, body, http.StatusOK, fmt.Sprintf(`data-target="#conv-%d" data-swap="remove"`, conv.ID),
		"Hidden from your list until a new message comes.")
	if _, page := ann.b.get("/console"); strings.Contains(page, item) {
		t.Fatal("the hidden chat is listed")
	}
	say(t, k.db, conv.ID, bob.ID, "again")
	if _, page := ann.b.get("/console"); !strings.Contains(page, item) {
		t.Fatal("a new message did not bring the hidden chat back")
	}
	// A plain hide goes back to the console.
	resp, _ = ann.b.post(path+"/hide", url.Values{"_csrf": {ann.b.csrf(path)}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console" {
		t.Fatalf("hide: %s to %q", resp.Status, resp.Header.Get("Location"))
	}

	// An agent's support chat is not hidden, and offers no hide.
	k.ensureAgent()
	alex := k.agent()
	id := queuedChat(t, k, "help")
	chatPage := fmt.Sprintf("/console/c/%d", id)
	if _, page := alex.get(chatPage); strings.Contains(page, `data-testid="hide-conversation"`) || !strings.Contains(page, `data-testid="pin-conversation"`) {
		t.Fatal("a support chat offers hide, or no pin")
	}
	resp, body = alex.postWith(chatPage+"/hide", url.Values{"_csrf": {alex.csrf(chatPage)}}, k.inPlace(chatPage))
	wantFragment(t, "hide a support chat", resp, body, http.StatusForbidden, "it cannot be hidden")
	// Pinned by an agent who has no member row in it.
	resp, _ = alex.post(chatPage+"/pin", url.Values{"pin": {"1"}, "_csrf": {alex.csrf(chatPage)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("an agent's pin: %s", resp.Status)
	}

	// Past the cap.
	for i := range chat.MaxPinned {
		g, err := k.db.CreateGroup(ctx, ann.ID, fmt.Sprint("g", i), []int64{bob.ID})
		if err != nil {
			t.Fatal(err)
		}
		if err := k.db.SetPinned(ctx, ann.ID, g, true); err != nil {
			t.Fatal(err)
		}
	}
	resp, body = ann.b.postWith(path+"/pin", url.Values{"pin": {"1"}, "_csrf": {ann.b.csrf(path)}}, k.inPlace(path))
	wantFragment(t, "a pin past the cap", resp, body, http.StatusBadRequest, "You can pin at most 20 conversations")
	if s, _ := k.db.Summary(ctx, conv.ID, chat.Viewer{UserID: ann.ID}); s.PinnedAt != nil {
		t.Fatal("a pin past the cap was stored")
	}
}

// TestTotalUnreadBadge: every console page's top bar counts the member's
// unread; their console socket keeps it current as messages come, with no
// count for a muted conversation, and as they read.
func TestTotalUnreadBadge(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	ann, bob, cat := k.person("Ann"), k.person("Bob"), k.person("Cat")
	withBob, err := k.db.StartDirect(ctx, ann.ID, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	withCat, err := k.db.StartDirect(ctx, ann.ID, cat.ID)
	if err != nil {
		t.Fatal(err)
	}
	say(t, k.db, withBob.ID, bob.ID, "one")
	badge := func(n int) string {
		return fmt.Sprintf(`data-testid="total-unread" title="Unread messages">%d</span>`, n)
	}
	for _, page := range []string{"/console", "/console/people", "/console/search?q=x", "/console/blocks", "/console/notifications"} {
		if _, body := ann.b.get(page); !strings.Contains(body, badge(1)) {
			t.Fatalf("%s shows no total unread of 1", page)
		}
	}

	live := ann.b.console()
	live.send(map[string]any{"type": "resume"})
	live.waitFor(badge(1))
	say(t, k.db, withBob.ID, bob.ID, "two")
	live.waitFor(badge(2))
	say(t, k.db, withCat.ID, cat.ID, "three")
	live.waitFor(badge(3))

	// Muting Bob leaves his two out, and his next message adds nothing.
	if resp, _ := ann.b.post(fmt.Sprintf("/console/c/%d/mute", withBob.ID), url.Values{"mute": {"1"}, "_csrf": {ann.b.csrf("/console")}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("mute: %s", resp.Status)
	}
	live.waitFor(badge(1))
	say(t, k.db, withBob.ID, bob.ID, "muted")
	say(t, k.db, withCat.ID, cat.ID, "four")
	live.waitFor(badge(2))

	// Reading Cat's brings it down to none.
	live.send(map[string]any{"type": "read", "conversation_id": withCat.ID, "seq": 2})
	live.waitFor(`id="total-unread" class="unread" hidden`)

	// Pinned, Cat's chat goes to the top; a new message keeps it there,
	// though the delivery is everyone's and says nothing of pins.
	if resp, _ := ann.b.post(fmt.Sprintf("/console/c/%d/pin", withCat.ID), url.Values{"pin": {"1"}, "_csrf": {ann.b.csrf("/console")}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("pin: %s", resp.Status)
	}
	pinnedItem := fmt.Sprintf(`<li id="conv-%d" class="conv" data-testid="conversation" data-sort="1.`, withCat.ID)
	live.waitForAll(`data-swap="sorted"`, pinnedItem, `data-pinned="1"`)
	live.skip()
	say(t, k.db, withCat.ID, cat.ID, "five")
	live.waitForAll(`data-swap="sorted"`, fmt.Sprintf(`<li id="conv-%d" class="conv has-unread" data-testid="conversation" data-sort="1.`, withCat.ID),
		`data-pinned="1"`, badge(1))

	// A count made between a message's commit and its delivery has the
	// message already: the delivery adds nothing to it. Cat's "six" is
	// stored with its event held back, Ann's unpin counts again (2), and
	// only then does kefu hear of "six".
	var held heldEvents
	say(t, k.db.WithPublisher(&held), withCat.ID, cat.ID, "six")
	live.skip()
	if resp, _ := ann.b.post(fmt.Sprintf("/console/c/%d/pin", withCat.ID), url.Values{"pin": {"0"}, "_csrf": {ann.b.csrf("/console")}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("unpin: %s", resp.Status)
	}
	live.waitFor(badge(2))
	live.skip()
	conn, err := pgx.Connect(ctx, k.url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, payload := range held {
		if _, err := conn.Exec(ctx, "SELECT pg_notify($1, $2)", store.BusChannel, string(payload)); err != nil {
			t.Fatal(err)
		}
	}
	if six := live.waitFor(`data-testid="preview">six</span>`); strings.Contains(six, `id="total-unread"`) {
		t.Fatalf("the delivery of \"six\" counted it again:\n%s", six)
	}
	say(t, k.db, withCat.ID, cat.ID, "seven")
	live.waitFor(badge(3))
}

// heldEvents is a store.Publisher that keeps what it is given, for a test
// to publish later.
type heldEvents [][]byte

func (h *heldEvents) Publish(payload []byte) { *h = append(*h, payload) }
