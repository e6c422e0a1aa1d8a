package handlers

import (
	"net/http"

	"github.com/kefu-im/kefu/views/admin"
)

// mailFailuresShown is how many failed emails the admin page lists.
const mailFailuresShown = 50

// adminMailShow says whether email is on and where replies come back, and
// lists the newest emails that failed for good: refused by the server
// (5xx), given up after every attempt, or bounced after they were sent.
func (h *Handler) adminMailShow(w http.ResponseWriter, r *http.Request) {
	failures, err := h.DB.MailFailures(r.Context(), mailFailuresShown)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := admin.MailProps{Frame: h.adminFrame(r), On: h.Mail.On, From: h.Mail.From, ReplyDomain: h.Mail.ReplyDomain}
	for _, f := range failures {
		p.Failures = append(p.Failures, admin.MailFailure{At: f.At, Kind: string(f.Kind), To: f.Email, ConversationID: f.ConversationID,
			Answer: f.Error, Bounced: f.Bounced})
	}
	h.render(w, r, http.StatusOK, admin.MailPage(p))
}
