package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/views/console"
)

// peopleLimit is how many people a search shows.
const peopleLimit = 50

// peopleShow is "new conversation with…": find a person by name or email,
// then message them or invite them as a friend.
func (h *Handler) peopleShow(w http.ResponseWriter, r *http.Request) {
	h.renderPeople(w, r, http.StatusOK, "")
}

func (h *Handler) renderPeople(w http.ResponseWriter, r *http.Request, status int, refusal string) {
	nav, q, people, err := h.peopleFor(r, "people")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, status, console.People(console.PeopleProps{Nav: nav, Query: q, People: people, Refusal: refusal}))
}

// peopleFor loads what a console page that picks people needs: its top bar,
// the search in ?q= and the members it finds.
func (h *Handler) peopleFor(r *http.Request, active string) (console.Nav, string, []chat.User, error) {
	q := strings.TrimSpace(r.FormValue("q"))
	people, err := h.DB.People(r.Context(), accountFrom(r.Context()).ID, q, peopleLimit)
	if err != nil {
		return console.Nav{}, q, nil, err
	}
	nav, err := h.nav(r, active)
	return nav, q, people, err
}

// directCreate starts (or opens) the direct conversation with the person in
// "to", if the conversation_grade allows. JSON callers get the conversation's
// id, or 403 conversation_not_allowed; people get the conversation, or the
// refusal in the page they came from.
func (h *Handler) directCreate(w http.ResponseWriter, r *http.Request) {
	acct := accountFrom(r.Context())
	to, err := strconv.ParseInt(r.PostFormValue("to"), 10, 64)
	if err != nil || to < 1 {
		h.fail(w, r, chat.Invalid("to", "error.people.to"))
		return
	}
	c, err := h.DB.StartDirect(r.Context(), acct.ID, to)
	if h.refusedIn(w, r, err, h.renderPeople) {
		return
	}
	h.done(w, r, "/console/c/"+itoa(c.ID), map[string]any{"conversation_id": c.ID, "url": "/console/c/" + itoa(c.ID)})
}

// nav is what every console page's top bar needs.
func (h *Handler) nav(r *http.Request, active string) (console.Nav, error) {
	acct := accountFrom(r.Context())
	n, err := h.DB.InviteCount(r.Context(), acct.ID)
	if err != nil {
		return console.Nav{}, err
	}
	unread, err := h.DB.TotalUnread(r.Context(), acct.viewer())
	return console.Nav{User: acct.User, CSRF: h.csrfToken(r), Active: active, IsAgent: acct.Agent, Invites: n, Unread: unread}, err
}
