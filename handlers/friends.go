package handlers

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/views/console"
)

// friendsShow lists the member's friends and their invitations, received and sent.
func (h *Handler) friendsShow(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	acct := accountFrom(ctx)
	friends, err := h.DB.Friends(ctx, acct.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	received, sent, err := h.DB.Invites(ctx, acct.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	nav, err := h.nav(r, "friends")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := console.FriendsProps{Nav: nav, Friends: friends, Notice: h.Sessions.PopString(ctx, sessionFriendsNotice)}
	for _, in := range received {
		p.Received = append(p.Received, console.Invite{ID: in.ID, Who: in.From, Message: in.Message, At: in.CreatedAt})
	}
	for _, in := range sent {
		p.Sent = append(p.Sent, console.Invite{ID: in.ID, Who: in.To, Message: in.Message, At: in.CreatedAt})
	}
	h.render(w, r, http.StatusOK, console.Friends(p))
}

// sessionFriendsNotice is a one-time notice shown by the friends page.
const sessionFriendsNotice = "friends_notice"

// inviteCreate invites the member in "to" to be friends, with an optional message.
func (h *Handler) inviteCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	acct := accountFrom(ctx)
	to, err := strconv.ParseInt(r.PostFormValue("to"), 10, 64)
	if err != nil || to < 1 {
		h.fail(w, r, chat.Invalid("to", "error.friends.to"))
		return
	}
	friends, err := h.DB.InviteFriend(ctx, acct.ID, to, r.PostFormValue("message"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	notice := i18n.T(ctx, "console.friends.invited")
	if friends {
		notice = i18n.T(ctx, "console.friends.nowFriends")
	}
	h.Sessions.Put(ctx, sessionFriendsNotice, notice)
	h.done(w, r, "/console/friends", map[string]any{"friends": friends})
}

// inviteAnswer accepts, declines or cancels invitation {id}.
func (h *Handler) inviteAnswer(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	acct := accountFrom(ctx)
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	switch chi.URLParam(r, "answer") {
	case "accept":
		err = h.DB.AnswerInvite(ctx, acct.ID, id, true)
	case "decline":
		err = h.DB.AnswerInvite(ctx, acct.ID, id, false)
	case "cancel":
		err = h.DB.CancelInvite(ctx, acct.ID, id)
	default:
		err = errNoPage
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.done(w, r, "/console/friends", map[string]any{"invitation": id})
}

// friendRemove ends the friendship with member {id}.
func (h *Handler) friendRemove(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.DB.RemoveFriend(ctx, accountFrom(ctx).ID, id); err != nil {
		h.fail(w, r, err)
		return
	}
	h.done(w, r, "/console/friends", map[string]any{"removed": id})
}
