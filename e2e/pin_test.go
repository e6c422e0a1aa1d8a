package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

// TestPinConversationOnTop: Ann pins her oldest conversation from its
// header, in place; her list puts it on top, live, and a new message in
// another conversation moves that one up under the pin, not above it. The
// top bar's badge counts the new message, live.
func TestPinConversationOnTop(t *testing.T) {
	t.Parallel() // its own kefu and browser
	ctx, cancel := context.WithTimeout(t.Context(), 3*testTimeout)
	defer cancel()
	base, db, _ := kefuOnOwnDatabase(t, ctx, "pin")
	hash, err := auth.HashPassword(memberPassword)
	if err != nil {
		t.Fatal(err)
	}
	var people []chat.User
	for _, p := range []struct{ email, name string }{{"ann@example.com", "Ann Lee"}, {"bob@example.com", "Bob Chen"}, {"cat@example.com", "Cat"}} {
		u, err := db.CreateMember(ctx, store.NewMember{Email: p.email, Name: p.name, PasswordHash: hash})
		if err != nil {
			t.Fatal(err)
		}
		people = append(people, u)
	}
	ann, bob, cat := people[0], people[1], people[2]
	var convs []int64
	for i, other := range []chat.User{bob, cat} {
		c, err := db.StartDirect(ctx, ann.ID, other.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.SendMessage(ctx, store.Send{ConversationID: c.ID, SenderID: ann.ID, ClientMsgID: fmt.Sprint("hi", i), Body: "hello"}); err != nil {
			t.Fatal(err)
		}
		convs = append(convs, c.ID)
	}
	withBob, withCat := convs[0], convs[1]
	order := `Array.from(document.querySelectorAll("#conversation-list > li"), li => li.id).join(",")`
	byActivity := fmt.Sprintf(`"conv-%d,conv-%d"`, withCat, withBob)
	pinnedFirst := fmt.Sprintf(`"conv-%d,conv-%d"`, withBob, withCat)

	browser := startBrowser(t, ctx)
	tab := newTab(t, browser)
	signIn(t, tab, base, ann.Email, memberPassword)
	do(t, tab, "Ann opens Bob's chat, the older one, below Cat's",
		chromedp.Navigate(fmt.Sprintf("%s/console/c/%d", base, withBob)),
		until(`document.body.dataset.liveState === "open"`),
		until(order+` === `+byActivity),
		chromedp.Click(chromedp.CSS(`[data-testid=pin-conversation]`)))
	do(t, tab, "pinned in place: the list puts it on top, marked, and the header offers Unpin",
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=unpin-conversation]`)),
		until(order+` === `+pinnedFirst),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#conv-%d [data-testid=pin-mark]`, withBob))))

	if _, _, err := db.SendMessage(ctx, store.Send{ConversationID: withCat, SenderID: cat.ID, ClientMsgID: "news", Body: "news"}); err != nil {
		t.Fatal(err)
	}
	do(t, tab, "Cat writes: her chat moves up, under the pin, and the badge counts it",
		hasText(fmt.Sprintf(`#conv-%d [data-testid=preview]`, withCat), "news"),
		until(order+` === `+pinnedFirst),
		hasText(`#total-unread:not([hidden])`, "1"))
	screenshot(t, tab, "conversation-pinned.png")
}
