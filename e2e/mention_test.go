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

// TestGroupMention: in a group, Ann types "@" and the composer offers the
// members (and @all, as she owns the group); typing narrows it to Bob, and
// Enter writes his name out. Bob's console list, live, marks the group
// "@ me"; opening it shows the mention highlighted, and reading it takes
// the mark away. The owner pins the message to the top of the group.
func TestGroupMention(t *testing.T) {
	t.Parallel() // its own kefu and browser
	ctx, cancel := context.WithTimeout(t.Context(), 3*testTimeout)
	defer cancel()
	base, db, _ := kefuOnOwnDatabase(t, ctx, "mention")
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
	id, err := db.CreateGroup(ctx, ann.ID, "Garden crew", []int64{bob.ID, cat.ID})
	if err != nil {
		t.Fatal(err)
	}
	groupURL := fmt.Sprintf("%s/console/c/%d", base, id)
	mark := fmt.Sprintf(`#conv-%d [data-testid=mention-mark]`, id)

	browser := startBrowser(t, ctx)
	annTab, bobTab := newTab(t, browser), newTab(t, browser)
	signIn(t, annTab, base, ann.Email, memberPassword)
	signIn(t, bobTab, base, bob.Email, memberPassword)
	do(t, bobTab, "Bob's list shows the group, with nothing for him",
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#conv-%d`, id))),
		until(`!document.querySelector("[data-testid=mention-mark]")`))

	offered := `Array.from(document.querySelectorAll("#mention-list [data-mention]:not([hidden])"), li => li.dataset.mention).join(",")`
	do(t, annTab, "Ann opens the group and types @: the members are offered",
		chromedp.Navigate(groupURL),
		until(`document.body.dataset.liveState === "open"`),
		until(`document.activeElement === document.querySelector("textarea[data-testid=composer]")`),
		chromedp.KeyEvent("Look @"),
		chromedp.WaitVisible(chromedp.CSS(`#mention-list`)),
		until(offered+` === "all,Bob Chen,Cat"`),
		chromedp.KeyEvent("b"),
		until(offered+` === "Bob Chen"`))
	screenshot(t, annTab, "mention-picker.png")
	do(t, annTab, "Enter picks Bob, and the next Enter sends",
		chromedp.KeyEvent("\r", asBrowsers),
		composerHolds("Look @Bob Chen "),
		chromedp.WaitNotVisible(chromedp.CSS(`#mention-list`)),
		chromedp.KeyEvent("the roses are out\r", asBrowsers),
		hasText(stored, "Look @Bob Chen the roses are out"),
		hasText(`#messages .msg.mine .mention`, "@Bob Chen"))
	var stored1 []int64
	if err := db.Pool().QueryRow(ctx, "SELECT mentions FROM messages WHERE conversation_id = $1 AND type = 'text'", id).Scan(&stored1); err != nil ||
		len(stored1) != 1 || stored1[0] != bob.ID {
		t.Fatalf("stored mentions = %v, %v", stored1, err)
	}

	do(t, annTab, "Ann, the owner, pins the message: it shows at the top of the group",
		chromedp.Navigate(groupURL),
		chromedp.WaitVisible(chromedp.CSS(`#messages [data-testid=pin]`)))
	submit(t, annTab, "pin the message", `#messages [data-testid=pin]`, 200)
	do(t, annTab, "the pinned message is at the top", hasText(`[data-testid=pins] .pin-body`, "Look @Bob Chen the roses are out"))
	screenshot(t, annTab, "group-pinned.png")

	do(t, bobTab, "Bob's list marks the group @ me, live", hasText(mark, "@ me"))
	screenshot(t, bobTab, "mention-list.png")
	do(t, bobTab, "Bob opens the group: the mention is highlighted",
		chromedp.Navigate(groupURL),
		until(`document.body.dataset.liveState === "open"`),
		hasText(`#messages .msg .mention`, "@Bob Chen"))
	screenshot(t, bobTab, "mention-thread.png")
	waitDB(t, "Bob has read the mention", func() bool {
		var read bool
		_ = db.Pool().QueryRow(ctx, "SELECT mention_seq <= last_read_seq FROM conversation_members WHERE conversation_id = $1 AND user_id = $2",
			id, bob.ID).Scan(&read)
		return read
	})
	do(t, bobTab, "once read, the list has no mark",
		chromedp.Navigate(base+"/console"),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#conv-%d`, id))),
		until(`!document.querySelector("[data-testid=mention-mark]")`))
}
