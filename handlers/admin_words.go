package handlers

// The admin's sensitive-word filter: its list, and what it does.

import (
	"net/http"
	"strings"

	"github.com/kefu-im/kefu/chat"
	"github.com/kefu-im/kefu/i18n"
	"github.com/kefu-im/kefu/views/admin"
)

func (h *Handler) adminWordsShow(w http.ResponseWriter, r *http.Request) {
	words, err := h.DB.SensitiveWords(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	settings, err := h.DB.Settings(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, admin.WordsPage(admin.WordsProps{Frame: h.adminFrame(r), Mode: settings.Words.Mode, Words: words, Max: chat.MaxWords}))
}

// adminWordsCreate adds the words of a textarea, one a line.
func (h *Handler) adminWordsCreate(w http.ResponseWriter, r *http.Request) {
	var words []string
	for _, line := range strings.Split(r.PostFormValue("words"), "\n") {
		if strings.TrimSpace(line) != "" {
			words = append(words, line)
		}
	}
	n, err := h.DB.AddSensitiveWords(r.Context(), accountFrom(r.Context()).ID, words)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.adminDone(w, r, i18n.N(r.Context(), "words.added", n), "/admin/words")
}

func (h *Handler) adminWordRemove(w http.ResponseWriter, r *http.Request) {
	word := r.PostFormValue("word")
	if err := h.DB.RemoveSensitiveWord(r.Context(), accountFrom(r.Context()).ID, word); err != nil {
		h.fail(w, r, err)
		return
	}
	h.adminDone(w, r, i18n.T(r.Context(), "words.removed", "Word", word), "/admin/words")
}

func (h *Handler) adminWordsModeUpdate(w http.ResponseWriter, r *http.Request) {
	if err := h.DB.SetWordFilter(r.Context(), accountFrom(r.Context()).ID, chat.FilterMode(r.PostFormValue("mode"))); err != nil {
		h.fail(w, r, err)
		return
	}
	h.adminDone(w, r, i18n.T(r.Context(), "words.mode.saved"), "/admin/words")
}
