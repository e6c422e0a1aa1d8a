package handlers

// Blocks: a member's block list, and the visitors agents block from the
// visitor panel.

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/views/console"
)

const blocksPage = "/console/blocks"

func (h *Handler) blocksShow(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	nav, err := h.nav(r, "blocks")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := console.BlocksProps{Nav: nav, Notice: h.Sessions.PopString(ctx, sessionConsoleNotice)}
	if p.People, err = h.DB.Blocked(ctx, nav.User.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	if nav.IsAgent {
		if p.Visitors, err = h.DB.VisitorBlocks(ctx); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	h.render(w, r, http.StatusOK, console.BlocksPage(p))
}

// blockDone goes back where the form was, saying notice once.
func (h *Handler) blockDone(w http.ResponseWriter, r *http.Request, notice string) {
	h.Sessions.Put(r.Context(), sessionConsoleNotice, notice)
	back := blocksPage
	if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host && strings.HasPrefix(ref.Path, "/console") {
		back = (&url.URL{Path: ref.Path, RawQuery: ref.RawQuery}).String()
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

func (h *Handler) personBlock(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.DB.Block(r.Context(), accountFrom(r.Context()).ID, id); err != nil {
		h.fail(w, r, err)
		return
	}
	h.blockDone(w, r, i18n.T(r.Context(), "console.block.done"))
}

func (h *Handler) personUnblock(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.DB.Unblock(r.Context(), accountFrom(r.Context()).ID, id); err != nil {
		h.fail(w, r, err)
		return
	}
	h.blockDone(w, r, i18n.T(r.Context(), "console.block.undone"))
}

// visitorBlock blocks a visitor from their panel and, for the time the
// form names, the address they last started a chat from.
func (h *Handler) visitorBlock(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d, err := chat.AddressBlockFor(r.PostFormValue("address"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	err = h.DB.BlockVisitor(r.Context(), accountFrom(r.Context()).ID, id, d)
	var notAddress *chat.ValidationError
	if errors.As(err, &notAddress) && notAddress.Field == "address" {
		// The visitor is blocked; the address, which many may share, is not.
		h.blockDone(w, r, i18n.T(r.Context(), notAddress.Say, notAddress.Args...))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.blockDone(w, r, i18n.T(r.Context(), "console.visitor.blockDone"))
}

func (h *Handler) visitorBlockLift(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.DB.LiftVisitorBlock(r.Context(), accountFrom(r.Context()).ID, id); err != nil {
		h.fail(w, r, err)
		return
	}
	h.Sessions.Put(r.Context(), sessionConsoleNotice, i18n.T(r.Context(), "console.blocks.lifted"))
	http.Redirect(w, r, blocksPage, http.StatusSeeOther)
}
