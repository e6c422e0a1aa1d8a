package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/store"
	"github.com/kefu-im/kefu/views/console"
	"github.com/kefu-im/kefu/views/thread"
)

// searchShow finds what the member may see that holds ?q=: conversations by
// title or by their visitor's name or email, and messages (notes for agents
// only). ?before=<message id> pages through older messages. People get the
// results page; callers that ask for JSON get the same results as JSON.
func (h *Handler) searchShow(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	acct := accountFrom(ctx)
	raw := r.URL.Query().Get("q")
	q, err := chat.ValidateSearchQuery(raw)
	var before int64
	if err == nil && r.URL.Query().Has("before") {
		before, err = strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
		if err != nil || before < 1 {
			err = chat.Invalid("before", "error.search.before")
		}
	}
	if err != nil {
		if wantsJSON(r) {
			h.fail(w, r, err)
			return
		}
		nav, nerr := h.nav(r, "search")
		if nerr != nil {
			h.fail(w, r, nerr)
			return
		}
		h.render(w, r, http.StatusBadRequest, console.Search(console.SearchProps{Nav: nav, Query: raw, Refusal: reason(i18n.From(ctx), err)}))
		return
	}
	res, err := h.DB.Search(ctx, acct.viewer(), q, before, store.SearchLimit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	more := ""
	if res.More {
		last := res.Messages[len(res.Messages)-1].Message
		more = "/console/search?" + url.Values{"q": {q}, "before": {strconv.FormatInt(last.ID, 10)}}.Encode()
	}
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, searchJSON(r, q, res, more))
		return
	}
	nav, err := h.nav(r, "search")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := console.SearchProps{Nav: nav, Query: q, Conversations: res.Conversations, More: more}
	for _, hit := range res.Messages {
		p.Messages = append(p.Messages, console.SearchHit{Message: hit.Message, Conversation: hit.Conversation})
	}
	h.render(w, r, http.StatusOK, console.Search(p))
}

// searchResult is what a search found, as JSON.
type searchResult struct {
	Query         string                `json:"query"`
	Conversations []searchConversation  `json:"conversations"`
	Messages      []searchMessageResult `json:"messages"`
	// Next is the URL of the next page of messages; empty when there is none.
	Next string `json:"next"`
}

type searchConversation struct {
	ID    int64  `json:"id"`
	Kind  string `json:"kind"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

type searchMessageResult struct {
	ID             int64     `json:"id"`
	ConversationID int64     `json:"conversation_id"`
	Conversation   string    `json:"conversation_title"`
	Seq            int64     `json:"seq"`
	Type           string    `json:"type"`
	Sender         string    `json:"sender"`
	Text           string    `json:"text"`
	CreatedAt      time.Time `json:"created_at"`
	URL            string    `json:"url"`
}

func searchJSON(r *http.Request, q string, res store.SearchResults, next string) searchResult {
	ctx := r.Context()
	out := searchResult{Query: q, Conversations: []searchConversation{}, Messages: []searchMessageResult{}, Next: next}
	for _, c := range res.Conversations {
		out.Conversations = append(out.Conversations, searchConversation{ID: c.ID, Kind: string(c.Kind),
			Title: chat.NameIn(i18n.From(ctx), c.Title), URL: "/console/c/" + itoa(c.ID)})
	}
	for _, hit := range res.Messages {
		m := hit.Message
		out.Messages = append(out.Messages, searchMessageResult{ID: m.ID, ConversationID: m.ConversationID,
			Conversation: chat.NameIn(i18n.From(ctx), hit.Conversation.Title), Seq: m.Seq, Type: string(m.Type),
			Sender: m.SenderName, Text: thread.Text(ctx, m), CreatedAt: m.CreatedAt, URL: console.HitURL(m)})
	}
	return out
}
