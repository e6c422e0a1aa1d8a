package mail_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/kefu-im/kefu/chat"
)

func pngOf(t testing.TB, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// filePart is a MIME part of a file: headers, then data in base64.
func filePart(headers string, data []byte) string {
	return headers + "\nContent-Transfer-Encoding: base64\n\n" + wrap(base64.StdEncoding.EncodeToString(data)) + "\n"
}

// withFiles is a reply from from to to, with id, whose text is body and
// which carries parts after it (multipart/mixed).
func withFiles(from, to, id, body string, parts ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: Sam <%s>\nTo: %s\nSubject: Re: Help replied\nMessage-ID: <%s>\nMIME-Version: 1.0\n"+
		"Content-Type: multipart/mixed; boundary=\"mixed\"\n\n--mixed\nContent-Type: text/plain; charset=utf-8\n\n%s\n", from, to, id, body)
	for _, p := range parts {
		b.WriteString("--mixed\n" + p)
	}
	b.WriteString("--mixed--\n")
	return b.String()
}

// visitorMessages returns what visitor v said in conversation id, oldest first.
func (w *inboundWorld) visitorMessages(t testing.TB, id int64, v chat.User) []chat.Message {
	t.Helper()
	msgs, _, err := w.db.History(context.Background(), id, 0, 50, chat.ReaderAgent)
	if err != nil {
		t.Fatal(err)
	}
	var said []chat.Message
	for _, m := range msgs {
		if m.SenderID == v.ID {
			said = append(said, m)
		}
	}
	return said
}

// TestAnEmailReplysFilesJoinTheConversationOnce: a reply's text is one
// message, then its attachment and the image pasted into it (inline, with
// a Content-ID, its name in RFC 2047 words as QQ Mail writes it) are each
// the visitor's image, re-encoded with a thumbnail; the same email
// delivered again adds nothing.
func TestAnEmailReplysFilesJoinTheConversationOnce(t *testing.T) {
	t.Parallel()
	w := newInboundWorld(t)
	v, id, e := w.emailed(t, "sam@example.net")
	to := strings.Trim(e.To, "<>")
	related := "Content-Type: multipart/related; boundary=\"rel\"\n\n--rel\n" +
		"Content-Type: text/html; charset=utf-8\n\n<div>See <img src=\"cid:ii_1\"></div>\n--rel\n" +
		filePart("Content-Type: image/png; name=\"=?UTF-8?B?"+base64.StdEncoding.EncodeToString([]byte("截图.png"))+"?=\"\n"+
			"Content-Disposition: inline\nContent-ID: <ii_1>", pngOf(t, 500, 400)) +
		"--rel--\n"
	raw := withFiles("sam@example.net", to, "CAF=files@mail.gmail.com", "Here is the label.\n\nOn Mon, Help wrote:\n> It left today.",
		related,
		filePart("Content-Type: image/png; name=\"label.png\"\nContent-Disposition: attachment; filename=\"label.png\"", pngOf(t, 64, 48)))
	for range 2 {
		if err := w.send("sam@example.net", []string{to}, raw); err != nil {
			t.Fatalf("delivering the reply: %v", err)
		}
	}
	said := w.visitorMessages(t, id, v)
	if len(said) != 4 {
		t.Fatalf("the visitor said %d messages, want the first, the text and two images: %+v", len(said), said)
	}
	if said[1].Body != "Here is the label." || said[1].Attachment != nil {
		t.Errorf("the reply's text: %+v", said[1])
	}
	for i, want := range []struct {
		name string
		w, h int
	}{{"截图.png", 500, 400}, {"label.png", 64, 48}} {
		m := said[2+i]
		a := m.Attachment
		if m.Type != chat.Image || a == nil || a.Name != want.name || a.ContentType != "image/png" || a.Width != want.w || a.Height != want.h {
			t.Errorf("file %d: %+v %+v; want the image %s", i, m, a, want.name)
			continue
		}
		_, conv, thumb, err := w.db.File(context.Background(), a.Token, true)
		if cfg, derr := png.DecodeConfig(bytes.NewReader(thumb)); err != nil || derr != nil || conv != id || max(cfg.Width, cfg.Height) > chat.ThumbSide {
			t.Errorf("file %d: thumbnail %+v in conversation %d, %v %v", i, cfg, conv, err, derr)
		}
	}
}

// TestAnEmailReplysFilesKefuDoesNotKeepAreLeftOut: a web page and a file
// over the upload limit are not stored, while the text and a file kefu
// keeps are; a reply with no text and nothing kefu keeps is refused, and
// one with a file alone is stored.
func TestAnEmailReplysFilesKefuDoesNotKeepAreLeftOut(t *testing.T) {
	t.Parallel()
	w := newInboundWorld(t)
	v, id, e := w.emailed(t, "sam@example.net")
	to := strings.Trim(e.To, "<>")
	page := filePart("Content-Type: text/html; name=\"page.html\"\nContent-Disposition: attachment; filename=\"page.html\"",
		[]byte("<!DOCTYPE html><html><script>alert(1)</script></html>"))
	big := filePart("Content-Type: application/pdf\nContent-Disposition: attachment; filename=\"big.pdf\"",
		append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), inboundMaxUpload)...))
	notes := filePart("Content-Type: text/plain; name=\"notes.txt\"\nContent-Disposition: attachment; filename=\"notes.txt\"",
		[]byte("the rain gauge's serial number"))
	if err := w.send("sam@example.net", []string{to}, withFiles("sam@example.net", to, "m1@example.net", "Three files.", page, big, notes)); err != nil {
		t.Fatalf("delivering the reply: %v", err)
	}
	said := w.visitorMessages(t, id, v)
	if len(said) != 3 || said[1].Body != "Three files." || said[2].Type != chat.File || said[2].Attachment == nil ||
		said[2].Attachment.Name != "notes.txt" {
		t.Fatalf("the visitor said %+v; want the text and notes.txt alone", said)
	}

	err := w.send("sam@example.net", []string{to}, withFiles("sam@example.net", to, "m2@example.net", "", page, big))
	if code(err) != 550 {
		t.Errorf("a reply without text and with no file kefu keeps: %v, want 550", err)
	}
	if n := len(w.visitorMessages(t, id, v)); n != 3 {
		t.Fatalf("a refused reply stored %d messages", n-3)
	}

	if err := w.send("sam@example.net", []string{to}, withFiles("sam@example.net", to, "m3@example.net", "> quoted only", page,
		filePart("Content-Type: image/png", pngOf(t, 8, 8)))); err != nil {
		t.Fatalf("a reply with an image alone: %v", err)
	}
	said = w.visitorMessages(t, id, v)
	if len(said) != 4 || said[3].Type != chat.Image || said[3].Attachment.Name != "Attachment 2.png" {
		t.Fatalf("the visitor said %+v; want the image, named by its place", said)
	}
}

// TestAnEmailReplyAddsAtMostTenFiles: the files after the tenth are
// dropped.
func TestAnEmailReplyAddsAtMostTenFiles(t *testing.T) {
	t.Parallel()
	w := newInboundWorld(t)
	v, id, e := w.emailed(t, "sam@example.net")
	to := strings.Trim(e.To, "<>")
	var parts []string
	for i := range 12 {
		parts = append(parts, filePart(fmt.Sprintf("Content-Type: text/plain\nContent-Disposition: attachment; filename=\"%d.txt\"", i),
			[]byte(fmt.Sprintf("file %d", i))))
	}
	if err := w.send("sam@example.net", []string{to}, withFiles("sam@example.net", to, "many@example.net", "Many files.", parts...)); err != nil {
		t.Fatalf("delivering the reply: %v", err)
	}
	said := w.visitorMessages(t, id, v)
	if len(said) != 2+10 || said[len(said)-1].Attachment == nil || said[len(said)-1].Attachment.Name != "9.txt" {
		t.Fatalf("the visitor said %d messages (the last %+v); want the text and the first ten files", len(said), said[len(said)-1])
	}
}

// TestAnEmailReplyWithoutMIMEHeadersIsItsText: a message with no
// Content-Type is plain text (RFC 2045), not a file.
func TestAnEmailReplyWithoutMIMEHeadersIsItsText(t *testing.T) {
	t.Parallel()
	w := newInboundWorld(t)
	v, id, e := w.emailed(t, "sam@example.net")
	to := strings.Trim(e.To, "<>")
	raw := "From: sam@example.net\nTo: " + to + "\nMessage-ID: <plain@example.net>\nSubject: Re\n\nThank you!\n"
	if err := w.send("sam@example.net", []string{to}, raw); err != nil {
		t.Fatalf("delivering the reply: %v", err)
	}
	said := w.visitorMessages(t, id, v)
	if last := said[len(said)-1]; len(said) != 2 || last.Body != "Thank you!" || last.Attachment != nil {
		t.Fatalf("the visitor said %d messages, the last %+v; want the text alone", len(said), last)
	}
}
