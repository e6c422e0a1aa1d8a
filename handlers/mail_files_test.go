package handlers_test

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/mail"
	"github.com/kefu-im/kefu/store"
)

// sendFile stores an image or file from sender in conversation id, as an
// upload would.
func (k *instance) sendFile(id, sender int64, name string, data []byte) chat.Message {
	k.t.Helper()
	up, err := chat.PrepareUpload(name, data, chat.DefaultMaxUpload)
	if err != nil {
		k.t.Fatal(err)
	}
	m, _, err := k.db.SendMessage(context.Background(), store.Send{ConversationID: id, SenderID: sender, Type: up.Type, Body: up.Name, File: &up})
	if err != nil {
		k.t.Fatal(err)
	}
	return m
}

// TestEmailLinkPageShowsFilesServedOnlyUnderItsLink: the page an email's
// link opens shows an agent's image as a thumbnail and a file as a
// download, both under the link; they are served, under the policy of
// every file, to that link only, and no other conversation's file is.
func TestEmailLinkPageShowsFilesServedOnlyUnderItsLink(t *testing.T) {
	t.Parallel()
	k, srv := newMailKefu(t)
	ctx := context.Background()
	_, id := k.mailedChat(t, "Here is the label.")
	img := k.sendFile(id, k.adminID(), "label.png", pngBytes(t, 800, 600))
	doc := k.sendFile(id, k.adminID(), "invoice.pdf", []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"))
	if n, err := k.app.Mail().Round(ctx); err != nil || n != 1 {
		t.Fatalf("round claimed %d, %v; want 1", n, err)
	}
	parts, err := srv.Messages()[0].Parts()
	if err != nil {
		t.Fatal(err)
	}
	m := linkRe.FindStringSubmatch(parts["text/plain"])
	if m == nil {
		t.Fatalf("no link in:\n%s", parts["text/plain"])
	}
	link := m[1]

	b := k.browser() // no cookie, no visitor token: the link alone
	resp, body := b.get(link)
	thumb := link + "/files/" + img.Attachment.Token + "/thumb"
	full := link + "/files/" + img.Attachment.Token
	file := link + "/files/" + doc.Attachment.Token
	for _, want := range []string{`src="` + thumb + `"`, `data-viewer="` + full + `"`, `href="` + file + `"`, "invoice.pdf"} {
		if !strings.Contains(body, want) {
			t.Fatalf("GET the link: %s; no %s in\n%s", resp.Status, want, body)
		}
	}
	if strings.Contains(body, `"/files/`) {
		t.Errorf("the link's page names a file by /files/, which its reader cannot open:\n%s", body)
	}

	check := func(path, wantType, wantDisposition string) []byte {
		t.Helper()
		resp, data := k.fetch(b.client, path, nil)
		h := resp.Header
		if resp.StatusCode != http.StatusOK || h.Get("Content-Type") != wantType || !strings.HasPrefix(h.Get("Content-Disposition"), wantDisposition) ||
			h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") ||
			h.Get("Cross-Origin-Resource-Policy") != "same-origin" || !strings.HasPrefix(h.Get("Cache-Control"), "private") {
			t.Fatalf("GET %s: %s %v; want %s, %s", path, resp.Status, h, wantType, wantDisposition)
		}
		return data
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(check(thumb, "image/png", "inline"))); err != nil || cfg.Width != chat.ThumbSide {
		t.Errorf("the thumbnail: %+v, %v", cfg, err)
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(check(full, "image/png", "inline"))); err != nil || cfg.Width != 800 {
		t.Errorf("the image: %+v, %v", cfg, err)
	}
	check(file, "application/pdf", "attachment")
	if resp, _ := k.fetch(b.client, file+"/thumb", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a file's thumbnail: %s, want 404", resp.Status)
	}

	// Another conversation, with a file of its own and a link of its own.
	other, err := k.db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	om, _, err := k.db.SendFromVisitor(ctx, store.Send{SenderID: other.ID, Body: "Mine too?"})
	if err != nil {
		t.Fatal(err)
	}
	k.take(t, om.ConversationID)
	otherImg := k.sendFile(om.ConversationID, k.adminID(), "theirs.png", pngBytes(t, 40, 30))
	secret, err := k.db.MailSecret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	otherLink := "/mail/c/" + auth.SignLink(mail.ConversationPurpose, om.ConversationID, time.Now().Add(time.Hour), secret)
	if resp, _ := k.fetch(b.client, otherLink+"/files/"+otherImg.Attachment.Token+"/thumb", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("the other conversation's file by its own link: %s", resp.Status)
	}
	forged := link[:len(link)-1] + map[bool]string{true: "0", false: "1"}[!strings.HasSuffix(link, "0")]
	expired := "/mail/c/" + auth.SignLink(mail.ConversationPurpose, id, time.Now().Add(-time.Minute), secret)
	unsubscribe := "/mail/c/" + auth.SignLink(mail.UnsubscribePurpose, id, time.Now().Add(time.Hour), secret)
	refused := map[string]int{
		link + "/files/" + otherImg.Attachment.Token + "/thumb": http.StatusNotFound, // another conversation's file
		link + "/files/" + otherImg.Attachment.Token:            http.StatusNotFound,
		otherLink + "/files/" + img.Attachment.Token + "/thumb": http.StatusNotFound, // this file, by another conversation's link
		link + "/files/" + strings.Repeat("A", 43):              http.StatusNotFound, // a guessed token
		forged + "/files/" + img.Attachment.Token + "/thumb":    http.StatusForbidden,
		unsubscribe + "/files/" + img.Attachment.Token:          http.StatusForbidden,
		expired + "/files/" + img.Attachment.Token:              http.StatusGone,
	}
	for path, want := range refused {
		resp, data := k.fetch(b.client, path, nil)
		if resp.StatusCode != want || bytes.Contains(data, []byte("PNG")) {
			t.Errorf("GET %s: %s, want %d and no image", path, resp.Status, want)
		}
	}

	// A revoked file leaves the page and is served no more.
	if _, err := k.db.Revoke(ctx, id, img.ID, chat.Viewer{UserID: k.adminID(), IsAgent: true}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if resp, _ := k.fetch(b.client, thumb, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a revoked image's thumbnail: %s, want 404", resp.Status)
	}
}
