package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/store"
)

// transcripts counts conversation id's transcripts in the outbox.
func (k *instance) transcripts(t *testing.T, id int64) int {
	t.Helper()
	ms, err := k.db.Mails(context.Background(), id, 20)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range ms {
		if m.Kind == store.MailTranscript {
			n++
		}
	}
	return n
}

func TestAgentEmailsTheTranscriptToTheVisitorOrThemselvesFromTheVisitorPanel(t *testing.T) {
	t.Parallel()
	k, srv := newMailKefu(t)
	_, id := k.mailedChat(t, "It left today.")
	page := "/console/c/" + strconv.FormatInt(id, 10)
	b := k.agent()
	resp, body := b.get(page)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="transcript-visitor"`) || !strings.Contains(body, `data-testid="transcript-me"`) {
		t.Fatalf("the visitor panel offers no transcript: %s", resp.Status)
	}
	action := page + "/transcript"
	if resp, _ := b.post(action, url.Values{"to": {"visitor"}}); resp.StatusCode != http.StatusForbidden || k.transcripts(t, id) != 0 {
		t.Fatalf("a post without the CSRF token: %s, %d queued; want 403, none", resp.Status, k.transcripts(t, id))
	}
	csrf := b.csrf(page)
	for _, to := range []string{"visitor", "me", "me"} {
		if resp, _ := b.post(action, url.Values{"to": {to}, "_csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("transcript to %s: %s", to, resp.Status)
		}
	}
	if _, body := b.get(page); !strings.Contains(body, "The transcript is already on its way.") {
		t.Errorf("asking twice does not say one is on its way")
	}
	k.mailRound(t, 3) // the reply email, and the two transcripts
	to := map[string][]string{}
	for _, m := range srv.Messages() {
		to[m.To[0]] = append(to[m.To[0]], m.Header.Get("Subject"))
	}
	if len(to["sam@example.net"]) != 2 || len(to[agentEmail]) != 1 || !strings.HasPrefix(to[agentEmail][0], "Conversation with") {
		t.Fatalf("emails %v; want the reply and the transcript to Sam, and the agent's copy", to)
	}

	// A member who is not an agent may not ask.
	k.addPlainMember("bea@example.com", "Bea", "bea password")
	bea := k.signInAs("bea@example.com", "bea password")
	if resp, _ := bea.post(action, url.Values{"to": {"me"}, "_csrf": {bea.csrf("/console")}}); resp.StatusCode != http.StatusSeeOther ||
		resp.Header.Get("Location") != "/console" {
		t.Errorf("a member who is not an agent: %s to %q, want refused back to /console", resp.Status, resp.Header.Get("Location"))
	}
	if n := k.transcripts(t, id); n != 2 {
		t.Errorf("%d transcripts, want the agent's two", n)
	}
}

func TestNoTranscriptWhileEmailIsOff(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	_, id := k.mailedChat(t, "It left today.")
	page := "/console/c/" + strconv.FormatInt(id, 10)
	b := k.agent()
	if _, body := b.get(page); strings.Contains(body, `data-testid="transcript-form"`) {
		t.Errorf("email off, yet the panel offers a transcript")
	}
	resp, _ := b.post(page+"/transcript", url.Values{"to": {"visitor"}, "_csrf": {b.csrf(page)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("transcript with email off: %s", resp.Status)
	}
	if _, body := b.get(page); !strings.Contains(body, "Email is not set up on this server.") || k.transcripts(t, id) != 0 {
		t.Fatalf("email off: the refusal is not said, or %d transcripts were queued", k.transcripts(t, id))
	}
}

func TestVisitorAsksForTheTranscriptFromTheWidgetAfterTheResolve(t *testing.T) {
	t.Parallel()
	k, srv := newMailKefu(t)
	ctx := context.Background()
	k.agent().onDuty(k.adminID())
	token := k.visitorToken()
	v, err := k.db.VisitorByToken(ctx, auth.TokenHash(token))
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := k.db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, Body: "Where is my order?"})
	if err != nil {
		t.Fatal(err)
	}
	id := m.ConversationID
	k.take(t, id)
	k.replyAs(t, id, "It left today.")
	if err := k.db.Resolve(ctx, id, k.adminID(), time.Now()); err != nil {
		t.Fatal(err)
	}
	w := k.liveWidget(token)
	if shown := w.all(); !strings.Contains(shown, `data-testid="transcript"`) || !strings.Contains(shown, `data-testid="transcript-email"`) {
		t.Fatalf("the resolved chat's widget offers no transcript with a field for the address:\n%s", shown)
	}
	w.send(map[string]any{"type": "transcript", "conversation_id": id, "email": "sam@example.net\r\nBcc: eve@example.org"})
	// The refusal, with the address kept in the field for the visitor to mend.
	if frame := w.waitFor("Enter an email address such as name@example.com."); !strings.Contains(frame, `value="sam@example.net`) {
		t.Fatalf("the refused address is not kept in the field:\n%s", frame)
	}
	if u, err := k.db.User(ctx, v.ID); err != nil || u.Email != "" || k.transcripts(t, id) != 0 {
		t.Fatalf("a bad address changed %+v (%v) or queued %d", u, err, k.transcripts(t, id))
	}
	w.send(map[string]any{"type": "transcript", "conversation_id": id, "email": "sam@example.net"})
	w.waitFor(`data-testid="transcript-done"`)
	w.send(map[string]any{"type": "transcript", "conversation_id": id})
	w.waitFor("The transcript is already on its way.")
	k.mailRound(t, 1)
	got := srv.Messages()
	if len(got) != 1 || got[0].To[0] != "sam@example.net" {
		t.Fatalf("%d emails; want the transcript to the address given", len(got))
	}
	parts, err := got[0].Parts()
	if err != nil {
		t.Fatal(err)
	}
	for _, media := range []string{"text/plain", "text/html"} {
		if !strings.Contains(parts[media], "Where is my order?") || !strings.Contains(parts[media], "It left today.") {
			t.Errorf("the %s part lacks the messages:\n%s", media, parts[media])
		}
	}

	// Another visitor's widget cannot ask for this chat's transcript.
	other := k.liveWidget(k.visitorToken())
	other.send(map[string]any{"type": "transcript", "conversation_id": id, "email": "eve@example.org"})
	other.waitFor(`data-target="#composer-error"`)
	if n := k.transcripts(t, id); n != 1 {
		t.Errorf("%d transcripts after another visitor asked; want 1", n)
	}
}
