package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kefu-im/kefu/app"
	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/store/storetest"
)

func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// upload posts a multipart upload of data, named name, to path with
// client (nil: the default one) and header; fields are added beside it.
func (k *instance) upload(client *http.Client, path string, header http.Header, name string, data []byte, fields map[string]string) (*http.Response, string) {
	k.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, err := http.NewRequest(http.MethodPost, k.srv.URL+path, &body)
	if err != nil {
		k.t.Fatal(err)
	}
	req.Header = header.Clone()
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		k.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, string(out)
}

// visitorUpload is the widget's upload of a visitor holding token.
func (k *instance) visitorUpload(token, name string, data []byte, clientMsgID string) (*http.Response, string) {
	return k.upload(nil, "/widget/files", http.Header{"Authorization": {"Bearer " + token}}, name, data, map[string]string{"client_msg_id": clientMsgID})
}

// storedFile is the attachment of the message an upload's answer names.
func (k *instance) storedFile(answer string) chat.Message {
	k.t.Helper()
	var got struct{ ID int64 }
	if err := json.Unmarshal([]byte(answer), &got); err != nil || got.ID == 0 {
		k.t.Fatalf("upload answered %q", answer)
	}
	m, err := k.db.Message(context.Background(), got.ID)
	if err != nil || m.Attachment == nil {
		k.t.Fatalf("message %d: %+v, %v", got.ID, m, err)
	}
	return m
}

// fetch gets path with client (nil: the default one) and header.
func (k *instance) fetch(client *http.Client, path string, header http.Header) (*http.Response, []byte) {
	k.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, k.srv.URL+path, nil)
	if header != nil {
		req.Header = header
	}
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		k.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func (k *instance) countAttachments() int {
	k.t.Helper()
	var n int
	if err := k.db.Pool().QueryRow(context.Background(), "SELECT count(*) FROM attachments").Scan(&n); err != nil {
		k.t.Fatal(err)
	}
	return n
}

// visitorWithChat is a visitor who has written to customer service.
func (k *instance) visitorWithChat() (string, *socket) {
	k.t.Helper()
	token := k.visitorToken()
	w := k.liveWidget(token)
	w.send(map[string]any{"type": "send", "client_msg_id": "hello", "body": "hello", "email": "ada@example.com"})
	w.waitFor(`data-ack="hello"`)
	return token, w
}

// TestFilesServedOnlyToMembersAndNeverAsPages: an uploaded file is served
// from its own path under a sandboxing CSP with nosniff; an image inline,
// anything else (SVG, a PDF named .png) as a download; only the visitor
// and the agents fetch it; a resend stores nothing more.
func TestFilesServedOnlyToMembersAndNeverAsPages(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	token, _ := k.visitorWithChat()
	agent := k.agent()

	resp, body := k.visitorUpload(token, "shot.png", pngBytes(t, 800, 600), "up-1")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("upload = %s %s", resp.Status, body)
	}
	m := k.storedFile(body)
	if m.Type != chat.Image || m.Attachment.ContentType != "image/png" || m.Attachment.Width != 800 {
		t.Fatalf("stored %+v %+v", m, m.Attachment)
	}
	if resp, again := k.visitorUpload(token, "shot.png", pngBytes(t, 800, 600), "up-1"); resp.StatusCode != http.StatusOK || k.storedFile(again).ID != m.ID {
		t.Fatalf("resend = %s %s, want message %d", resp.Status, again, m.ID)
	}
	if n := k.countAttachments(); n != 1 {
		t.Fatalf("%d files stored after a resend, want 1", n)
	}

	url := "/files/" + m.Attachment.Token
	check := func(resp *http.Response, wantType, wantDisposition string) {
		t.Helper()
		h := resp.Header
		if resp.StatusCode != http.StatusOK || h.Get("Content-Type") != wantType || !strings.HasPrefix(h.Get("Content-Disposition"), wantDisposition) ||
			h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") ||
			!strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") || !strings.HasPrefix(h.Get("Cache-Control"), "private") {
			t.Fatalf("%s: %s %v; want %s, %s", resp.Request.URL.Path, resp.Status, h, wantType, wantDisposition)
		}
	}
	resp, data := k.fetch(agent.client, url, nil)
	check(resp, "image/png", "inline")
	if cfg, err := png.DecodeConfig(bytes.NewReader(data)); err != nil || cfg.Width != 800 {
		t.Fatalf("served image: %v %+v", err, cfg)
	}
	resp, data = k.fetch(nil, url+"/thumb", http.Header{"Authorization": {"Bearer " + token}})
	check(resp, "image/png", "inline")
	if cfg, err := png.DecodeConfig(bytes.NewReader(data)); err != nil || cfg.Width != chat.ThumbSide {
		t.Fatalf("served thumbnail: %v %+v", err, cfg)
	}

	stranger := k.visitorToken()
	for name, fetch := range map[string]func() *http.Response{
		"another visitor": func() *http.Response {
			r, _ := k.fetch(nil, url, http.Header{"Authorization": {"Bearer " + stranger}})
			return r
		},
		"a guessed token":  func() *http.Response { r, _ := k.fetch(agent.client, "/files/"+strings.Repeat("A", 43), nil); return r },
		"a token's prefix": func() *http.Response { r, _ := k.fetch(agent.client, url[:len(url)-1], nil); return r },
	} {
		if resp := fetch(); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %s, want 404", name, resp.Status)
		}
	}
	if resp, _ := k.fetch(nil, url, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no credentials: %s, want 401", resp.Status)
	}

	// The content decides, not the name; what is not an image kefu made is
	// downloaded, but for sound and video, which play in place.
	svg := []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>`)
	pdf := []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\n")
	mp3 := append([]byte("ID3\x03\x00\x00\x00\x00\x00\x00"), make([]byte, 64)...)
	for _, tt := range []struct {
		name, id, wantType, disposition string
		typ                             chat.MessageType
		data                            []byte
	}{
		{"pic.png", "svg", "text/xml; charset=utf-8", "attachment", chat.File, svg},
		{"photo.png", "pdf", "application/pdf", "attachment", chat.File, pdf},
		{"voice.txt", "mp3", "audio/mpeg", "inline", chat.File, mp3},
	} {
		resp, body := k.visitorUpload(token, tt.name, tt.data, tt.id)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s %s", tt.id, resp.Status, body)
		}
		f := k.storedFile(body)
		if f.Type != tt.typ {
			t.Fatalf("%s stored as %s", tt.id, f.Type)
		}
		resp, _ = k.fetch(agent.client, "/files/"+f.Attachment.Token, nil)
		check(resp, tt.wantType, tt.disposition)
		if resp, _ := k.fetch(agent.client, "/files/"+f.Attachment.Token+"/thumb", nil); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("%s has a thumbnail: %s", tt.id, resp.Status)
		}
	}
}

// TestFileRefusalsStoreNothing: a web page, an empty file, a file without
// a name, one over KEFU_MAX_UPLOAD and an upload without a CSRF token are
// refused with their reason, and nothing is stored.
func TestFileRefusalsStoreNothing(t *testing.T) {
	t.Parallel()
	k := startWith(t, storetest.URL(t), func(c *app.Config) { c.MaxUpload = 4 << 10 })
	k.ensureAgent()
	token, _ := k.visitorWithChat()
	for _, tt := range []struct {
		name   string
		data   []byte
		status int
		say    string
	}{
		{"page.txt", []byte("<!DOCTYPE html><html><body><script>alert(1)</script>"), http.StatusBadRequest, "cannot be sent"},
		{"empty.txt", nil, http.StatusBadRequest, "empty"},
		{"big.png", pngBytes(t, 2000, 2000), http.StatusRequestEntityTooLarge, "larger than"},
		{"bomb.bin", bytes.Repeat([]byte("x"), 200<<10), http.StatusRequestEntityTooLarge, "larger than"},
	} {
		resp, body := k.visitorUpload(token, tt.name, tt.data, "r-"+strings.Split(tt.name, ".")[0])
		if resp.StatusCode != tt.status || !strings.Contains(body, tt.say) {
			t.Errorf("%s: %s %s; want %d saying %q", tt.name, resp.Status, body, tt.status, tt.say)
		}
	}
	// A visitor who has not written yet sends no file: a chat may need the pre-chat fields first.
	if resp, body := k.visitorUpload(k.visitorToken(), "a.png", pngBytes(t, 4, 4), "first"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a first message as a file: %s %s", resp.Status, body)
	}
	agent := k.agent()
	conv := k.onlyConversation()
	path := fmt.Sprintf("/console/c/%d/files", conv)
	if resp, _ := k.upload(agent.client, path, http.Header{"Origin": {k.srv.URL}, "Accept": {"application/json"}}, "a.png", pngBytes(t, 4, 4), nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a console upload without its CSRF token: %s", resp.Status)
	}
	if n := k.countAttachments(); n != 0 {
		t.Fatalf("%d files stored by refused uploads", n)
	}
	csrf := agent.csrf(fmt.Sprintf("/console/c/%d", conv))
	// An upload's token is in its header: one in the form is not looked for,
	// which would read the whole file before the upload's time is set.
	if resp, _ := k.upload(agent.client, path, http.Header{"Origin": {k.srv.URL}, "Accept": {"application/json"}}, "a.png", pngBytes(t, 4, 4),
		map[string]string{"client_msg_id": "c0", "_csrf": csrf}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a console upload with its CSRF token in the form, not the header: %s", resp.Status)
	}
	if n := k.countAttachments(); n != 0 {
		t.Fatalf("%d files stored by refused uploads", n)
	}
	resp, body := k.upload(agent.client, path, http.Header{"Origin": {k.srv.URL}, "Accept": {"application/json"}, "X-Csrf-Token": {csrf}}, "a.png", pngBytes(t, 4, 4), map[string]string{"client_msg_id": "c1"})
	if resp.StatusCode != http.StatusOK || k.storedFile(body).Type != chat.Image {
		t.Fatalf("the agent's upload: %s %s", resp.Status, body)
	}
}

// onlyConversation is the id of the one conversation there is.
func (k *instance) onlyConversation() int64 {
	k.t.Helper()
	var id int64
	if err := k.db.Pool().QueryRow(context.Background(), "SELECT id FROM conversations").Scan(&id); err != nil {
		k.t.Fatal(err)
	}
	return id
}

// TestFileShownLiveOnAnotherInstance: an image a visitor uploads through
// one instance reaches, live, the agent's console and the visitor's widget
// on another: the console names its thumbnail, the widget leaves it to its
// script to fetch with the visitor's token.
func TestFileShownLiveOnAnotherInstance(t *testing.T) {
	t.Parallel()
	k1 := newKefu(t)
	k2 := start(t, k1.url)
	token, _ := k1.visitorWithChat()
	conv := k1.onlyConversation()
	agent := k2.agent()
	console := agent.console()
	c, err := k2.db.Conversation(context.Background(), conv)
	if err != nil {
		t.Fatal(err)
	}
	console.send(map[string]any{"type": "resume", "conversation_id": conv, "seq": c.LastSeq})
	widget := k2.liveWidget(token)
	console.skip()
	widget.skip()

	resp, body := k1.visitorUpload(token, "screen.png", pngBytes(t, 640, 480), "live-1")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("upload = %s %s", resp.Status, body)
	}
	m := k1.storedFile(body)
	console.waitForAll(`src="/files/`+m.Attachment.Token+`/thumb"`, `data-viewer="/files/`+m.Attachment.Token+`"`, `data-testid="image-thumb"`)
	frame := widget.waitFor(`data-src="/files/` + m.Attachment.Token + `/thumb"`)
	if strings.Contains(frame, `src="/files/`+m.Attachment.Token) && !strings.Contains(frame, `data-src="/files/`+m.Attachment.Token) {
		t.Fatalf("the widget is sent a file's URL to load without its token: %s", frame)
	}
}

// TestHostAPIAndWebhooksTellOfFiles: the host API lists an image message
// with its type and attachment, whose URL serves the file to the API key
// (under the files' policy) and to no key that may not read the
// conversation; the message.created webhook carries the same attachment.
func TestHostAPIAndWebhooksTellOfFiles(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	ctx := context.Background()
	if _, err := k.db.CreateWebhook(ctx, 0, store.NewWebhook{URL: "https://hooks.example.com/kefu", Events: []string{store.EventMessageCreated}, Secret: "s"}); err != nil {
		t.Fatal(err)
	}
	token, _ := k.visitorWithChat()
	resp, body := k.visitorUpload(token, "shot.png", pngBytes(t, 40, 30), "api-1")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("upload = %s %s", resp.Status, body)
	}
	m := k.storedFile(body)
	key := k.apiKeyOf("shop", 0, 0)
	status, raw := k.apiCall(key, http.MethodGet, fmt.Sprintf("/api/v1/conversations/%d/messages", m.ConversationID), "")
	type message struct {
		ID         int64
		Type       string
		Body       string
		Attachment *struct {
			Name        string `json:"name"`
			ContentType string `json:"content_type"`
			Size        int64  `json:"size"`
			Width       int    `json:"width"`
			Height      int    `json:"height"`
			URL         string `json:"url"`
		}
	}
	list := apiDecode[struct{ Messages []message }](t, raw)
	var got *message
	for i := range list.Messages {
		if list.Messages[i].ID == m.ID {
			got = &list.Messages[i]
		}
	}
	want := "/api/v1/files/" + m.Attachment.Token
	if status != http.StatusOK || got == nil || got.Type != "image" || got.Body != "shot.png" || got.Attachment == nil ||
		got.Attachment.URL != want || got.Attachment.ContentType != "image/png" || got.Attachment.Width != 40 || got.Attachment.Size != m.Attachment.Size {
		t.Fatalf("the API lists %d %s; want the image with its attachment at %s", status, raw, want)
	}
	resp, data := k.fetch(nil, want, http.Header{"Authorization": {"Bearer " + key}})
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") || len(data) != int(m.Attachment.Size) {
		t.Fatalf("the API key fetches %s %v, %d bytes", resp.Status, resp.Header, len(data))
	}
	site, err := k.db.CreateSite(ctx, 0, chat.Site{Name: "Other", Origins: []string{"https://other.example.com"}}, "other secret")
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := k.fetch(nil, want, http.Header{"Authorization": {"Bearer " + k.apiKeyOf("other", site.ID, 0)}}); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("another site's key fetches the file: %s", resp.Status)
	}

	var payload string
	if err := k.db.Pool().QueryRow(ctx, `SELECT payload::text FROM webhook_deliveries WHERE event = $1 AND payload->>'message_id' = $2`,
		store.EventMessageCreated, fmt.Sprint(m.ID)).Scan(&payload); err != nil {
		t.Fatal(err)
	}
	var hook struct {
		Type       string
		Attachment *struct {
			URL  string `json:"url"`
			Name string `json:"name"`
		}
	}
	if err := json.Unmarshal([]byte(payload), &hook); err != nil || hook.Type != "image" || hook.Attachment == nil || hook.Attachment.URL != want || hook.Attachment.Name != "shot.png" {
		t.Fatalf("message.created = %s", payload)
	}
}

// TestWidgetUploadsAreLimitedPerVisitor: a visitor whose upload budget is
// spent is told to wait (429), and the file is not stored.
func TestWidgetUploadsAreLimitedPerVisitor(t *testing.T) {
	t.Parallel()
	k := newKefu(t)
	token, _ := k.visitorWithChat()
	v, err := k.db.VisitorByToken(context.Background(), auth.TokenHash(token))
	if err != nil {
		t.Fatal(err)
	}
	budget := store.Budget{Name: "widget_uploads", Limit: 60, Window: 10 * time.Minute}
	for range budget.Limit {
		if err := k.db.SpendBudget(context.Background(), budget, fmt.Sprintf("visitor:%d", v.ID)); err != nil {
			t.Fatal(err)
		}
	}
	resp, body := k.visitorUpload(token, "a.png", pngBytes(t, 4, 4), "over")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("an upload past the budget: %s %s", resp.Status, body)
	}
	if n := k.countAttachments(); n != 0 {
		t.Fatalf("%d files stored past the budget", n)
	}
	// Another visitor has a budget of their own.
	other, _ := k.visitorWithChat()
	if resp, body := k.visitorUpload(other, "a.png", pngBytes(t, 4, 4), "theirs"); resp.StatusCode != http.StatusOK {
		t.Fatalf("another visitor's upload: %s %s", resp.Status, body)
	}
}

// TestImageDecodesWaitForASlot: an instance decodes a few uploaded images
// at once. While every slot is taken, an image upload waits, and gives up
// with its request, storing nothing; a file that is not an image does not
// wait. Once a slot is free, the image goes.
func TestImageDecodesWaitForASlot(t *testing.T) {
	t.Parallel()
	k := start(t, storetest.URL(t))
	k.ensureAgent()
	token, _ := k.visitorWithChat()
	files := k.app.Handler().Files
	var releases []func()
	for range files.Slots() {
		release, err := files.Slot(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, release)
	}
	if resp, body := k.visitorUpload(token, "notes.txt", []byte("the rain gauge's manual"), "txt"); resp.StatusCode != http.StatusOK {
		t.Fatalf("a text file while every image slot is taken: %s %s", resp.Status, body)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("client_msg_id", "img")
	fw, _ := mw.CreateFormFile("file", "a.png")
	_, _ = fw.Write(pngBytes(t, 4, 4))
	_ = mw.Close()
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, k.srv.URL+"/widget/files", bytes.NewReader(body.Bytes()))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("an image upload while every slot is taken: %s, want it to wait", resp.Status)
	}
	if n := k.countAttachments(); n != 1 {
		t.Fatalf("%d files stored, want the text file only", n)
	}
	releases[0]()
	if resp, body := k.visitorUpload(token, "a.png", pngBytes(t, 4, 4), "img"); resp.StatusCode != http.StatusOK || k.storedFile(body).Type != chat.Image {
		t.Fatalf("an image upload once a slot is free: %s %s", resp.Status, body)
	}
}
