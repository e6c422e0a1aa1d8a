package handlers

// Images and files: sent from the console and the widget as a multipart
// upload, stored with their message, and served from /files/{token} with a
// policy of their own, to those who may see the conversation.

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

const (
	// cspFile is the policy of a served file: nothing in it runs, loads or
	// frames anything, whatever a browser takes it for.
	cspFile = "default-src 'none'; sandbox; frame-ancestors 'none'"
	// uploadTime is how long an upload may take to arrive: longer than the
	// server's read timeout, which is for forms and pages.
	uploadTime = 5 * time.Minute
	// formSlack is what a multipart body may hold beside the file: its
	// boundaries and the few small fields.
	formSlack = 64 << 10
	// uploadMemory is how much of an upload is held in memory while it
	// arrives; the rest of a larger file waits in a temporary file.
	uploadMemory = 1 << 20
)

// errNoFile is an upload without a file in its "file" part.
var errNoFile = chat.Invalid("file", "error.file.missing")

// limitBody bounds the body of every cookie-session request, before the
// CSRF check may read a form from it: no form is larger than an upload.
func (h *Handler) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, h.MaxUpload+formSlack)
		}
		next.ServeHTTP(w, r)
	})
}

// readUpload reads a multipart upload: the file (prepared by h.Files,
// against h.MaxUpload) and its client_msg_id. Nothing of a refused upload
// is kept.
func (h *Handler) readUpload(w http.ResponseWriter, r *http.Request) (chat.Upload, string, error) {
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(uploadTime))
	r.Body = http.MaxBytesReader(w, r.Body, h.MaxUpload+formSlack)
	if err := r.ParseMultipartForm(uploadMemory); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return chat.Upload{}, "", chat.TooLarge(h.MaxUpload)
		}
		return chat.Upload{}, "", errNoFile
	}
	defer func() { _ = r.MultipartForm.RemoveAll() }()
	clientMsgID := r.FormValue("client_msg_id")
	if err := chat.ValidateClientMsgID(clientMsgID); err != nil {
		return chat.Upload{}, "", err
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		return chat.Upload{}, "", errNoFile
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, h.MaxUpload+1))
	if err != nil {
		return chat.Upload{}, "", errNoFile
	}
	up, err := h.Files.Prepare(r.Context(), hdr.Filename, data)
	return up, clientMsgID, err
}

// sentFile answers an upload that was stored (or found stored, sent
// before with the same client_msg_id): its message, as JSON for scripts,
// or back to the conversation for a form.
func (h *Handler) sentFile(w http.ResponseWriter, r *http.Request, m chat.Message, back string) {
	if !wantsJSON(r) && back != "" {
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": m.ID, "conversation_id": m.ConversationID, "seq": m.Seq,
		"client_msg_id": m.ClientMsgID, "type": m.Type})
}

// fileCreate is a member's upload into conversation {id}: multipart with
// "file" and "client_msg_id", stored as an image or file message by the
// path of every message (the grade policy, the resend rule, the bus).
func (h *Handler) fileCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	acct := accountFrom(ctx)
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	up, clientMsgID, err := h.readUpload(w, r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.DB.ConversationFor(ctx, id, acct.viewer())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	m, _, err := h.stored(h.DB.SendMessage(ctx, store.Send{ConversationID: c.ID, SenderID: acct.ID, ClientMsgID: clientMsgID,
		Type: up.Type, Body: up.Name, File: &up}))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.sentFile(w, r, m, "/console/c/"+strconv.FormatInt(c.ID, 10))
}

// widgetFileCreate is a visitor's upload, with their token, spending from
// their uploadBudget: into the conversation the widget shows (the form's
// "to": a person, 0: customer service). A file does not start a support chat, which may need the
// pre-chat fields first: the visitor writes before they send files there.
func (h *Handler) widgetFileCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v, err := h.visitor(r, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	if err == nil {
		err = h.DB.SpendBudget(ctx, uploadBudget, "visitor:"+strconv.FormatInt(v.ID, 10))
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	up, clientMsgID, err := h.readUpload(w, r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	to, _ := strconv.ParseInt(r.FormValue("to"), 10, 64)
	snd := store.Send{SenderID: v.ID, ClientMsgID: clientMsgID, Type: up.Type, Body: up.Name, File: &up}
	direct, err := h.directTarget(ctx, to)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var m chat.Message
	if direct {
		m, _, err = h.stored(h.DB.SendDirect(ctx, snd, to))
	} else {
		if _, err = h.DB.VisitorConversation(ctx, v.ID); isNotFound(err) {
			err = chat.Invalid("file", "error.file.firstMessage")
		} else if err == nil {
			if to != 0 {
				snd.TargetID, snd.TargetUntil = to, h.Now().Add(h.Routing.TargetWait)
			}
			m, _, err = h.stored(h.DB.SendFromVisitor(ctx, snd))
		}
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.sentFile(w, r, m, "")
}

// fileShow serves attachment {token} (/thumb: its thumbnail) to a member
// by their session or a visitor by their token (the widget fetches with
// it), if they may see its conversation; anyone else finds nothing. Only
// images kefu re-encoded, sound and video are inline; everything else is
// a download, and nothing served runs script on kefu's origin.
func (h *Handler) fileShow(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var v chat.Viewer
	if bearer := r.Header.Get("Authorization"); bearer != "" {
		visitor, err := h.visitor(r, strings.TrimPrefix(bearer, "Bearer "))
		if err != nil {
			h.fail(w, r, err)
			return
		}
		v = chat.Viewer{UserID: visitor.ID}
	} else {
		acct, err := h.account(ctx)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		v = acct.viewer()
	}
	thumb := strings.HasSuffix(r.URL.Path, "/thumb")
	a, data, err := h.DB.FileFor(ctx, chi.URLParam(r, "token"), v, thumb)
	h.serveFile(w, r, a, data, thumb, err)
}

// apiFileShow serves attachment {token} to the host API, with a key that
// may read its conversation.
func (h *Handler) apiFileShow(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	thumb := strings.HasSuffix(r.URL.Path, "/thumb")
	a, conv, data, err := h.DB.File(ctx, chi.URLParam(r, "token"), thumb)
	if err == nil {
		_, err = h.DB.ConversationForKey(ctx, conv, apiKeyFrom(ctx))
	}
	h.serveFile(w, r, a, data, thumb, err)
}

// serveFile writes a file found (or err), under its own policy.
func (h *Handler) serveFile(w http.ResponseWriter, r *http.Request, a chat.Attachment, data []byte, thumb bool, err error) {
	if err == nil && thumb && a.Media() != "image" {
		err = chat.ErrNotFound
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Security-Policy", cspFile)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	hd.Set("Cache-Control", "private, max-age=3600")
	hd.Set("Content-Type", a.ContentType)
	disposition := "attachment"
	if a.Inline() {
		disposition = "inline"
	}
	if d := mime.FormatMediaType(disposition, map[string]string{"filename": a.Name}); d != "" {
		disposition = d
	}
	hd.Set("Content-Disposition", disposition)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
}
