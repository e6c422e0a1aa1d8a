package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/mail"
)

func TestAMemberTurnsDigestsOffByTheLinkAndOnAgainOnTheNotificationsPage(t *testing.T) {
	t.Parallel()
	k, _ := newMailKefu(t)
	ctx := context.Background()
	id := k.addPlainMember("bea@example.com", "Bea", "bea password")
	bea := k.signInAs("bea@example.com", "bea password")
	if resp, body := bea.get("/console/notifications"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="digest-off"`) {
		t.Fatalf("the notifications page offers no way to stop digests: %s", resp.Status)
	}
	secret, err := k.db.MailSecret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	link := mail.DigestUnsubscribePath(id, secret, time.Now())
	b := k.browser() // a mail reader: no cookie
	if resp, body := b.get(link); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Stop getting emails about conversations you left unread?") {
		t.Fatalf("the digest's link: %s\n%s", resp.Status, body)
	}
	if resp, _ := b.send(http.MethodPost, link, url.Values{"List-Unsubscribe": {"One-Click"}}, http.Header{}); resp.StatusCode != http.StatusOK {
		t.Fatalf("one-click: %s", resp.Status)
	}
	if off, err := k.db.Unsubscribed(ctx, id); err != nil || !off {
		t.Fatalf("unsubscribed = %v, %v", off, err)
	}
	// A visitor's unsubscribe link does not stop a member's digests, nor the other way round.
	if resp, _ := b.get("/mail/unsubscribe/" + auth.SignLink(mail.DigestPurpose, id, time.Now().Add(time.Hour), secret)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a digest's link as a visitor's: %s", resp.Status)
	}
	_, body := bea.get("/console/notifications")
	if !strings.Contains(body, `data-testid="digest-on"`) {
		t.Fatalf("the notifications page does not say digests are off")
	}
	if resp, _ := bea.post("/console/notifications/digest", url.Values{"digest": {"1"}, "_csrf": {bea.csrf("/console/notifications")}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("turning digests on: %s", resp.Status)
	}
	if off, err := k.db.Unsubscribed(ctx, id); err != nil || off {
		t.Fatalf("after turning digests on: unsubscribed = %v, %v", off, err)
	}
}
