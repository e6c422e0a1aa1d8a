package store_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"testing"
	"time"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

func testUpload(t *testing.T, name string) *chat.Upload {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 600, 400))); err != nil {
		t.Fatal(err)
	}
	u, err := chat.PrepareUpload(name, buf.Bytes(), chat.DefaultMaxUpload)
	if err != nil {
		t.Fatal(err)
	}
	return &u
}

func countAttachments(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.Pool().QueryRow(context.Background(), "SELECT count(*) FROM attachments").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFileSentOnceAndFetchedByMembersOnly: an image is stored with its
// message; a resend with the same client_msg_id returns the stored message
// and stores no second file; the conversation's agent and visitor fetch it,
// another visitor and an unknown token find nothing.
func TestFileSentOnceAndFetchedByMembersOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	up := testUpload(t, "shot.png")
	snd := store.Send{SenderID: f.visitor.ID, ClientMsgID: "file-1", Type: up.Type, Body: up.Name, File: up}
	m, created, err := f.db.SendFromVisitor(ctx, snd)
	if err != nil || !created || m.Type != chat.Image || m.Attachment == nil || m.Attachment.Width != 600 {
		t.Fatalf("send = %+v, %v, %v", m, created, err)
	}
	again, created, err := f.db.SendFromVisitor(ctx, snd)
	if err != nil || created || again.ID != m.ID || again.Attachment == nil || again.Attachment.Token != m.Attachment.Token {
		t.Fatalf("resend = %+v, %v, %v; want the stored message", again, created, err)
	}
	if n := countAttachments(t, f.db); n != 1 {
		t.Fatalf("%d attachments stored, want 1", n)
	}
	hist, _, err := f.db.History(ctx, f.conv.ID, 0, 10, chat.ReaderAgent)
	if err != nil || len(hist) != 2 || hist[1].Attachment == nil || hist[1].Attachment.Name != "shot.png" {
		t.Fatalf("history = %+v, %v", hist, err)
	}
	tok := m.Attachment.Token
	for _, v := range []chat.Viewer{{UserID: f.agent.ID, IsAgent: true}, {UserID: f.visitor.ID}} {
		a, data, err := f.db.FileFor(ctx, tok, v, false)
		if err != nil || a.ContentType != "image/png" || !bytes.Equal(data, up.Data) {
			t.Fatalf("%+v fetches %+v, %d bytes, %v", v, a, len(data), err)
		}
		if _, thumb, err := f.db.FileFor(ctx, tok, v, true); err != nil || !bytes.Equal(thumb, up.Thumb) {
			t.Fatalf("%+v fetches a thumbnail of %d bytes, %v", v, len(thumb), err)
		}
	}
	other, err := f.db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.db.FileFor(ctx, tok, chat.Viewer{UserID: other.ID}, false); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("another visitor fetches the file: %v", err)
	}
	member, err := f.db.CreateMember(ctx, store.NewMember{Email: "bo@example.com", Name: "Bo", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.db.FileFor(ctx, tok, chat.Viewer{UserID: member.ID}, false); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("a member who is no agent fetches a support chat's file: %v", err)
	}
	if _, _, err := f.db.FileFor(ctx, tok[:42]+"x", chat.Viewer{UserID: f.agent.ID, IsAgent: true}, false); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("a guessed token: %v", err)
	}
	// Revoked, its bytes go with it.
	if _, err := f.db.Revoke(ctx, m.ConversationID, m.ID, chat.Viewer{UserID: f.visitor.ID}, m.CreatedAt.Add(time.Minute)); err != nil {
		t.Fatalf("the visitor revokes the file: %v", err)
	}
	if _, _, err := f.db.FileFor(ctx, tok, chat.Viewer{UserID: f.agent.ID, IsAgent: true}, false); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("the revoked file is fetched: %v", err)
	}
	if n := countAttachments(t, f.db); n != 0 {
		t.Fatalf("%d attachments left after the revoke, want 0", n)
	}
}

// TestRefusedFileStoresNothing: a file refused by the conversation_grade
// policy leaves neither a message nor its bytes.
func TestRefusedFileStoresNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	if err := f.db.SetAgentList(ctx, f.agent.ID, chat.AgentList{IDs: []int64{f.agent.ID}}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.SetGrade(ctx, f.agent.ID, chat.GradeKinOnly); err != nil {
		t.Fatal(err)
	}
	v, err := f.db.CreateVisitor(ctx, auth.TokenHash(auth.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	up := testUpload(t, "shot.png")
	_, _, err = f.db.SendFromVisitor(ctx, store.Send{SenderID: v.ID, ClientMsgID: "f1", Type: up.Type, Body: up.Name, File: up})
	var refused *chat.RefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("send = %v, want a refusal", err)
	}
	// In the visitor's own chat, too: the policy is checked for files as for text.
	_, _, err = f.db.SendMessage(ctx, store.Send{ConversationID: f.conv.ID, SenderID: f.visitor.ID, ClientMsgID: "f2", Type: up.Type, Body: up.Name, File: up})
	if !errors.As(err, &refused) {
		t.Fatalf("send in the open chat = %v, want a refusal", err)
	}
	if n := countAttachments(t, f.db); n != 0 {
		t.Fatalf("%d attachments stored by refused sends", n)
	}
}

// TestMaskedFileName: in mask mode a file's name is stored masked, in its
// message and in its attachment alike, on the visitor's way and the
// console's.
func TestMaskedFileName(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.db.AddSensitiveWords(ctx, f.agent.ID, []string{"spam"}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.SetWordFilter(ctx, f.agent.ID, chat.FilterMask); err != nil {
		t.Fatal(err)
	}
	up := testUpload(t, "spam.png")
	from, _, err := f.db.SendFromVisitor(ctx, store.Send{SenderID: f.visitor.ID, ClientMsgID: "mf1", Type: up.Type, Body: up.Name, File: up})
	if err != nil {
		t.Fatal(err)
	}
	to, _, err := f.db.SendMessage(ctx, store.Send{ConversationID: f.conv.ID, SenderID: f.agent.ID, ClientMsgID: "mf2", Type: up.Type, Body: up.Name, File: up})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []chat.Message{from, to} {
		if m.Body != "****.png" || m.Attachment == nil || m.Attachment.Name != "****.png" {
			t.Errorf("sent: %q, %+v", m.Body, m.Attachment)
		}
		a, _, err := f.db.FileFor(ctx, m.Attachment.Token, chat.Viewer{UserID: f.agent.ID, IsAgent: true}, false)
		if err != nil || a.Name != "****.png" {
			t.Errorf("stored attachment: %+v, %v", a, err)
		}
	}
}
