package handlers

// The pages an email's links open, with no host site and no visitor token:
// the link itself, signed by kefu, is what lets its holder in. A
// conversation's link shows the visitor's conversation and takes their
// reply; the unsubscribe link stops their emails, with one click from a
// mail reader (RFC 8058) or a button on its page.

import (
	"cmp"
	"errors"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/mail"
	"github.com/kefu-im/kefu/store"
	views "github.com/kefu-im/kefu/views/mail"
	"github.com/kefu-im/kefu/views/thread"
)

// mailLink returns the id the link in the path, signed for purpose, names;
// when it reads nothing it answers the request itself (403 forged, 410
// expired) and returns false.
func (h *Handler) mailLink(w http.ResponseWriter, r *http.Request, purpose string) (int64, bool) {
	secret, err := h.DB.MailSecret(r.Context())
	if err != nil && !errors.Is(err, chat.ErrNotFound) {
		h.fail(w, r, err)
		return 0, false
	}
	// Without a secret, kefu never sent an email: every link is forged.
	id, err := auth.VerifyLink(chi.URLParam(r, "token"), purpose, secret, h.Now())
	switch {
	case errors.Is(err, auth.ErrLinkExpired):
		h.render(w, r, http.StatusGone, views.LinkRefused(i18n.T(r.Context(), "mail.link.expired")))
		return 0, false
	case err != nil:
		h.render(w, r, http.StatusForbidden, views.LinkRefused(i18n.T(r.Context(), "mail.link.forged")))
		return 0, false
	}
	return id, true
}

// mailConversation returns the conversation the link in the path names,
// and its visitor, who must still be welcome.
func (h *Handler) mailConversation(w http.ResponseWriter, r *http.Request) (chat.Conversation, chat.User, bool) {
	id, ok := h.mailLink(w, r, mail.ConversationPurpose)
	if !ok {
		return chat.Conversation{}, chat.User{}, false
	}
	c, err := h.DB.Conversation(r.Context(), id)
	if err == nil && c.Kind != chat.Support {
		err = chat.ErrNotFound
	}
	var v chat.User
	if err == nil {
		v, err = h.DB.User(r.Context(), c.VisitorID)
	}
	if err == nil && v.Disabled() {
		err = chat.ErrNotAllowed
	}
	if err != nil {
		h.fail(w, r, err)
		return c, v, false
	}
	return c, v, true
}

// mailConversationShow shows the conversation an email's link opens, as
// the widget does. Showing it changes nothing: mail providers fetch the
// links of the emails they receive to check them, and that fetch must not
// read the replies for the visitor. The page's script says when a person
// has it in front of them (mailSeenCreate).
func (h *Handler) mailConversationShow(w http.ResponseWriter, r *http.Request) {
	c, v, ok := h.mailConversation(w, r)
	if !ok {
		return
	}
	h.showMailConversation(w, r, c, v, http.StatusOK, views.ConversationProps{})
}

// showMailConversation writes conversation c's page for its visitor v with
// status, and with p's refused reply, if any.
func (h *Handler) showMailConversation(w http.ResponseWriter, r *http.Request, c chat.Conversation, v chat.User, status int, p views.ConversationProps) {
	msgs, _, err := h.DB.History(r.Context(), c.ID, c.LastSeq+1, chat.PageSize, chat.ReaderVisitor)
	var team string
	if err == nil {
		team, err = h.DB.MailTeam(r.Context(), c.ID)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// The page's images and files are fetched under the link, the one
	// credential its reader holds (mailFileShow).
	r = r.WithContext(thread.FilesAt(r.Context(), mailLinkPath(r)+"/files/"))
	p.Team, p.Messages, p.VisitorID, p.Action = cmp.Or(team, i18n.T(r.Context(), "mail.team")), msgs, v.ID, mailLinkPath(r)
	h.render(w, r, status, views.ConversationPage(p))
}

// mailLinkPath is the path of the conversation's link in r's path.
func mailLinkPath(r *http.Request) string {
	return "/mail/c/" + chi.URLParam(r, "token")
}

// mailFileShow serves attachment {file} (/thumb: its thumbnail) to the
// holder of a conversation's link, if it is a file of that conversation
// (and not revoked, which takes it away): the files of the page the link
// opens, under the policy of every served file.
func (h *Handler) mailFileShow(w http.ResponseWriter, r *http.Request) {
	c, _, ok := h.mailConversation(w, r)
	if !ok {
		return
	}
	thumb := strings.HasSuffix(r.URL.Path, "/thumb")
	a, conv, data, err := h.DB.File(r.Context(), chi.URLParam(r, "file"), thumb)
	if err == nil && conv != c.ID {
		err = chat.ErrNotFound // another conversation's file is not this link's
	}
	h.serveFile(w, r, a, data, thumb, err)
}

// mailSeenCreate records that the visitor has the conversation's page in
// front of them: its script posts here once the page is shown. They read
// the replies, and count as present, so no email tells them again.
func (h *Handler) mailSeenCreate(w http.ResponseWriter, r *http.Request) {
	c, v, ok := h.mailConversation(w, r)
	if !ok {
		return
	}
	if err := h.mailVisitorSeen(r, c, v); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// mailVisitorSeen records that visitor v is looking at conversation c
// through an email's link: they read it up to its last message, and are
// seen as an open widget's visitor is.
func (h *Handler) mailVisitorSeen(r *http.Request, c chat.Conversation, v chat.User) error {
	if err := h.DB.MarkRead(r.Context(), c.ID, v.ID, c.LastSeq); err != nil {
		return err
	}
	return h.DB.TouchWidget(r.Context(), v.ID, "", h.Now())
}

// mailReplyCreate stores the visitor's reply from the conversation's page,
// as the widget would: in their open chat, or a new one. Replying reads
// the conversation, as viewing it does.
func (h *Handler) mailReplyCreate(w http.ResponseWriter, r *http.Request) {
	c, v, ok := h.mailConversation(w, r)
	if !ok {
		return
	}
	raw, id := r.PostFormValue("body"), r.PostFormValue("client_msg_id")
	body, err := chat.ValidateBody(raw)
	if err == nil {
		err = chat.ValidateClientMsgID(id)
	}
	if err == nil {
		// A form sent twice (a double click, a reload) stores one message.
		_, _, err = h.stored(h.DB.SendFromVisitor(r.Context(), store.Send{SenderID: v.ID, ClientMsgID: id, Body: body,
			Address: clientAddr(r)}))
	}
	if err != nil {
		// A refusal keeps what the visitor wrote, beside why.
		if status, _, say := publicError(i18n.From(r.Context()), err); status < http.StatusInternalServerError {
			h.showMailConversation(w, r, c, v, status, views.ConversationProps{Body: raw, Error: say})
			return
		}
		h.fail(w, r, err)
		return
	}
	if err := h.mailVisitorSeen(r, c, v); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, r.URL.Path, http.StatusSeeOther)
}

// mailUnsubscribeShow serves an email's link signed for purpose that stops
// emails: it asks, with one button. digest: the link stops a member's
// digests, not a visitor's emails.
func (h *Handler) mailUnsubscribeShow(purpose string, digest bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := h.mailLink(w, r, purpose)
		if !ok {
			return
		}
		off, err := h.DB.Unsubscribed(r.Context(), id)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.render(w, r, http.StatusOK, views.UnsubscribePage(views.UnsubscribeProps{Action: r.URL.Path, Done: off, Digest: digest}))
	}
}

// mailUnsubscribeCreate stops the emails of the link signed for purpose:
// the page's button, or a mail reader's one click (List-Unsubscribe-Post).
func (h *Handler) mailUnsubscribeCreate(purpose string, digest bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := h.mailLink(w, r, purpose)
		if !ok {
			return
		}
		if err := h.DB.Unsubscribe(r.Context(), id); err != nil {
			h.fail(w, r, err)
			return
		}
		h.render(w, r, http.StatusOK, views.UnsubscribePage(views.UnsubscribeProps{Done: true, Digest: digest}))
	}
}
