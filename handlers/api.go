package handlers

// The host API: JSON over HTTP for host sites' backends, authenticated with
// an API key (Authorization: Bearer <key>). A host key manages its site's
// users and may reach any conversation of that site; a member's key acts as
// its member only. A member's key is refused (403 not_allowed) on every
// /users/… route and on system messages, whatever the user or conversation;
// a conversation its member is not in is not found (404), so that its
// existence does not leak.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kefu-im/kefu/auth"
	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/store"
)

// Host API limits.
const (
	maxAPIBody = 64 << 10
	// apiPageSize and apiMaxPage bound GET …/messages?limit=.
	apiPageSize = 50
	apiMaxPage  = 200
	// apiConversationsLimit is how many of a user's conversations are listed, newest activity first.
	apiConversationsLimit = 200
)

// apiKeyCtx is where a request's authenticated key is kept.
type apiKeyCtx struct{}

// apiAuth lets through requests that carry a live API key. A revoked key,
// or a member's key whose member is disabled, stops working at once.
func (h *Handler) apiAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, key, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
		if key = strings.TrimSpace(key); !strings.EqualFold(scheme, "Bearer") || key == "" {
			h.fail(w, r, chat.ErrUnauthorized)
			return
		}
		k, err := h.DB.AuthenticateAPIKey(r.Context(), auth.TokenHash(key), h.Now())
		if errors.Is(err, chat.ErrNotFound) {
			err = chat.ErrUnauthorized
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), apiKeyCtx{}, k)))
	})
}

func apiKeyFrom(ctx context.Context) store.APIKey {
	k, _ := ctx.Value(apiKeyCtx{}).(store.APIKey)
	return k
}

// apiUser is a user as the API shows them.
type apiUser struct {
	ID         int64  `json:"id"`
	ExternalID string `json:"external_id"`
	Name       string `json:"name"`
	Email      string `json:"email"`
	Avatar     string `json:"avatar"`
}

// apiConversation is one of a user's conversations.
type apiConversation struct {
	ID   int64                 `json:"id"`
	Kind chat.ConversationKind `json:"kind"`
	// Status is a support chat's: queued, assigned or resolved.
	Status        chat.Status `json:"status,omitempty"`
	LastSeq       int64       `json:"last_seq"`
	LastMessageAt *time.Time  `json:"last_message_at"`
	Unread        int64       `json:"unread"`
}

// apiMessage is a message as the API shows it.
type apiMessage struct {
	ID             int64            `json:"id"`
	ConversationID int64            `json:"conversation_id"`
	Seq            int64            `json:"seq"`
	SenderID       *int64           `json:"sender_id"` // null: a system line
	SenderName     string           `json:"sender_name,omitempty"`
	ClientMsgID    string           `json:"client_msg_id,omitempty"`
	Type           chat.MessageType `json:"type"`
	Body           string           `json:"body"`
	// Attachment is an image's or a file's (type image or file).
	Attachment *chat.HostAttachment `json:"attachment,omitempty"`
	// Forwarded is a merged message's messages, as they were.
	Forwarded []chat.Forwarded `json:"forwarded,omitempty"`
	CreatedAt time.Time        `json:"created_at"`
	// RevokedAt is when the message was revoked (its body is then empty).
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	// Code and Args: a system line's (see docs/api.md).
	Code chat.SystemCode `json:"code,omitempty"`
	Args []string        `json:"args,omitempty"`
	// Mentions and MentionAll: whom a group text names with @.
	Mentions   []chat.Mention `json:"mentions,omitempty"`
	MentionAll bool           `json:"mention_all,omitempty"`
}

func apiMessageOf(m chat.Message) apiMessage {
	out := apiMessage{ID: m.ID, ConversationID: m.ConversationID, Seq: m.Seq, SenderName: m.SenderName,
		ClientMsgID: m.ClientMsgID, Type: m.Type, Body: m.Text(), Attachment: m.Attachment.ForHost(), Forwarded: m.Forwarded,
		CreatedAt: m.CreatedAt, RevokedAt: m.RevokedAt, Code: m.Code, Mentions: m.Mentions, MentionAll: m.MentionAll}
	if m.RevokedAt != nil {
		out.Body = ""
	}
	if m.Code != "" {
		out.Args = m.Args
	}
	if m.SenderID != 0 {
		out.SenderID = &m.SenderID
	}
	return out
}

// hostKey refuses a member's key: it acts as its member and nobody else.
func hostKey(k store.APIKey) error {
	if k.UserID != 0 {
		return fmt.Errorf("a member's key (%d) on a host key's route: %w", k.ID, chat.ErrNotAllowed)
	}
	return nil
}

// validExternalUser checks what the host sent of a user, naming the field at fault.
func validExternalUser(e chat.ExternalUser) error {
	if e.Email != "" && !chat.ValidEmail(e.Email) {
		return chat.Invalid("email", "error.api.email")
	}
	err := e.Validate()
	var ve *chat.ValidationError
	if errors.As(err, &ve) && ve.Field == "sub" {
		return chat.Invalid("external_id", ve.Say, ve.Args...)
	}
	return err
}

// apiExternalUser returns the user {external_id} of the key's site.
func (h *Handler) apiExternalUser(r *http.Request) (chat.User, error) {
	k := apiKeyFrom(r.Context())
	if err := hostKey(k); err != nil {
		return chat.User{}, err
	}
	ext := externalID(r)
	if err := validExternalUser(chat.ExternalUser{ExternalID: ext}); err != nil {
		return chat.User{}, err
	}
	return h.DB.ExternalUserByID(r.Context(), k.SiteID, ext)
}

// apiUserUpdate creates the user {external_id} of the key's site, or
// replaces their name, email and avatar.
func (h *Handler) apiUserUpdate(w http.ResponseWriter, r *http.Request) {
	k := apiKeyFrom(r.Context())
	if err := hostKey(k); err != nil {
		h.fail(w, r, err)
		return
	}
	var in struct {
		Name   string `json:"name"`
		Email  string `json:"email"`
		Avatar string `json:"avatar"`
	}
	if err := readJSON(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	e := chat.ExternalUser{SiteID: k.SiteID, ExternalID: externalID(r), Name: strings.TrimSpace(in.Name),
		Email: strings.TrimSpace(in.Email), Avatar: strings.TrimSpace(in.Avatar)}
	if err := validExternalUser(e); err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := h.DB.UpsertExternalUser(r.Context(), e)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apiUser{ID: u.ID, ExternalID: u.ExternalID, Name: u.Name, Email: u.Email, Avatar: u.Avatar})
}

// apiUserConversations lists the user's support chats and direct
// conversations, newest activity first, with what they have not read.
func (h *Handler) apiUserConversations(w http.ResponseWriter, r *http.Request) {
	u, err := h.apiExternalUser(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sums, err := h.DB.Summaries(r.Context(), chat.Viewer{UserID: u.ID}, apiConversationsLimit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := []apiConversation{}
	for _, s := range sums {
		c := apiConversation{ID: s.ID, Kind: s.Kind, LastSeq: s.LastSeq, LastMessageAt: s.LastMessageAt, Unread: s.Unread}
		switch s.Kind {
		case chat.Support:
			c.Status = s.Status
		case chat.Direct:
		default:
			continue
		}
		out = append(out, c)
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversations": out})
}

// apiUserMessageCreate sends a message as the user into their support chat,
// starting one (queued) if they have none. A resent client_msg_id answers
// 200 with the message stored the first time; a new message is 201.
func (h *Handler) apiUserMessageCreate(w http.ResponseWriter, r *http.Request) {
	k := apiKeyFrom(r.Context())
	if err := hostKey(k); err != nil {
		h.fail(w, r, err)
		return
	}
	var in struct {
		Body        string `json:"body"`
		ClientMsgID string `json:"client_msg_id"`
	}
	if err := readJSON(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	body, err := chat.ValidateBody(in.Body)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := chat.ValidateClientMsgID(in.ClientMsgID); err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := h.apiExternalUser(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if u.Disabled() {
		h.fail(w, r, fmt.Errorf("user %d is disabled: %w", u.ID, chat.ErrNotAllowed))
		return
	}
	msg, created, err := h.stored(h.DB.SendFromVisitor(r.Context(), store.Send{SenderID: u.ID, ClientMsgID: in.ClientMsgID, Body: body, SiteID: k.SiteID}))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, sentStatus(created), apiMessageOf(msg))
}

func sentStatus(created bool) int {
	if created {
		return http.StatusCreated
	}
	return http.StatusOK
}

// apiMessagesShow returns a conversation's messages after after_seq, oldest
// first, at most limit; agents' private notes are never among them.
func (h *Handler) apiMessagesShow(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	after, limit := int64(0), apiPageSize
	if s := q.Get("after_seq"); s != "" {
		if after, err = strconv.ParseInt(s, 10, 64); err != nil || after < 0 {
			h.fail(w, r, chat.Invalid("after_seq", "error.api.afterSeq"))
			return
		}
	}
	if s := q.Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > apiMaxPage {
			h.fail(w, r, chat.Invalid("limit", "error.api.limit", "Max", apiMaxPage))
			return
		}
	}
	c, err := h.DB.ConversationForKey(r.Context(), id, apiKeyFrom(r.Context()))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	msgs, err := h.DB.MessagesAfter(r.Context(), c.ID, after, limit+1, chat.ReaderMember)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	more := len(msgs) > limit
	if more {
		msgs = msgs[:limit]
	}
	out := make([]apiMessage, 0, len(msgs))
	next := after
	for _, m := range msgs {
		out = append(out, apiMessageOf(m))
		next = m.Seq
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": out, "next_after_seq": next, "has_more": more})
}

// apiMessageCreate sends into a conversation: a host key sends a system
// line ("type":"system"); a member's key sends a text message as its member
// (idempotent by client_msg_id, like a user's message).
func (h *Handler) apiMessageCreate(w http.ResponseWriter, r *http.Request) {
	k := apiKeyFrom(r.Context())
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in struct {
		Body        string           `json:"body"`
		Type        chat.MessageType `json:"type"`
		ClientMsgID string           `json:"client_msg_id"`
	}
	if err := readJSON(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	s := store.Send{ConversationID: id, ClientMsgID: in.ClientMsgID}
	switch {
	case k.UserID == 0 && in.Type == chat.System:
		if in.ClientMsgID != "" {
			h.fail(w, r, chat.Invalid("client_msg_id", "error.api.systemClientMsgID"))
			return
		}
		s.Type = chat.System
	case k.UserID == 0:
		h.fail(w, r, chat.Invalid("type", "error.api.hostType"))
		return
	case in.Type == chat.System:
		h.fail(w, r, fmt.Errorf("a member's key (%d) sending a system message: %w", k.ID, chat.ErrNotAllowed))
		return
	case in.Type == "" || in.Type == chat.Text:
		s.SenderID = k.UserID
	default:
		h.fail(w, r, chat.Invalid("type", "error.api.memberType"))
		return
	}
	if s.Body, err = chat.ValidateBody(in.Body); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := chat.ValidateClientMsgID(in.ClientMsgID); err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.DB.ConversationForKey(r.Context(), id, k)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	s.ConversationID = c.ID
	msg, created, err := h.stored(h.DB.SendMessage(r.Context(), s))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, sentStatus(created), apiMessageOf(msg))
}
