package handlers

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/kefu-im/kefu/mail"
	"github.com/kefu-im/kefu/static"
)

// Routes lists every route kefu serves, grouped by how a caller proves who
// they are: nothing, a socket's own handshake, an API key, a visitor token,
// or a session cookie (member, agent, admin).
func (h *Handler) Routes() http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.Recoverer, h.securityHeaders, h.language)

	// Public, no session.
	r.Get("/healthz", h.healthShow)
	// Text assets travel gzipped to browsers that take it (every one does).
	gz := middleware.Compress(5, "text/css", "text/javascript", "application/javascript", "text/html")
	r.With(gz).Handle("/static/*", static.Handler())
	r.With(gz).Get("/widget.js", h.widgetScript)
	r.Get("/sw.js", h.serviceWorker)
	r.Get("/favicon.ico", favicon)
	r.Get("/favicon.svg", h.faviconBadged)
	r.Get("/widget/sites/{id}/theme.css", h.widgetTheme)
	// The launcher's poll, from host pages: a status token, not a session.
	r.With(answers(answerJSON)).Get("/widget/status", h.widgetStatusShow)
	r.Options("/widget/status", h.widgetStatusPreflight)
	r.With(answers(answerJSON)).Post("/widget/status/page", h.widgetStatusPageCreate)
	r.Options("/widget/status/page", h.widgetStatusPreflight)

	// WebSockets load their session themselves: scs's LoadAndSave would
	// buffer and time out a connection that lives for hours.
	r.With(h.sameOriginOnly).Get("/console/live", h.consoleLive)
	r.With(h.sameOriginOnly).Get("/widget/live", h.widgetLive)

	// The host API, for host sites' backends: API keys, not sessions; JSON only.
	r.Route("/api/v1", func(r chi.Router) {
		r.Use(answers(answerAPI), h.apiAuth)
		r.Put("/users/{external_id}", h.apiUserUpdate)
		r.Get("/users/{external_id}/conversations", h.apiUserConversations)
		r.Post("/users/{external_id}/messages", h.apiUserMessageCreate)
		r.Get("/conversations/{id}/messages", h.apiMessagesShow)
		r.Post("/conversations/{id}/messages", h.apiMessageCreate)
		r.Get("/files/{token}", h.apiFileShow)
		r.Get("/files/{token}/thumb", h.apiFileShow)
		r.Post("/conversations/{id}/messages/{message}/revoke", h.apiMessageRevoke)
		r.Post("/conversations/{id}/signals", h.apiSignalCreate)
		r.NotFound(func(w http.ResponseWriter, r *http.Request) { h.fail(w, r, errNoPage) })
		r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) { h.fail(w, r, errMethod) })
	})

	// The widget authenticates with the visitor token from the iframe's storage.
	r.Group(func(r chi.Router) {
		r.Use(h.framable)
		r.With(gz).Get("/widget", h.widgetShow)
		r.Get("/widget/aim", h.widgetAim)
		r.With(answers(answerJSON)).Post("/widget/visitors", h.visitorCreate)
		r.With(answers(answerJSON)).Get("/widget/session", h.widgetSessionShow)
		r.With(answers(answerJSON)).Post("/widget/identify", h.identifyCreate)
		r.With(answers(answerJSON)).Post("/widget/status/token", h.widgetStatusTokenCreate)
		r.Get("/widget/c/{id}/history", h.widgetHistoryShow)
		r.With(answers(answerJSON)).Post("/widget/files", h.widgetFileCreate)
	})

	// Files, to members by their session and to visitors by their token,
	// each under a policy of its own (files.go).
	// An email's links: the signed link in the path is the credential.
	r.Group(func(r chi.Router) {
		r.Use(h.limitBody)
		r.Get("/mail/c/{token}", h.mailConversationShow)
		r.Post("/mail/c/{token}", h.mailReplyCreate)
		r.Post("/mail/c/{token}/seen", h.mailSeenCreate)
		r.Get("/mail/c/{token}/files/{file}", h.mailFileShow)
		r.Get("/mail/c/{token}/files/{file}/thumb", h.mailFileShow)
		r.Get("/mail/unsubscribe/{token}", h.mailUnsubscribeShow(mail.UnsubscribePurpose, false))
		r.Post("/mail/unsubscribe/{token}", h.mailUnsubscribeCreate(mail.UnsubscribePurpose, false))
		r.Get("/mail/digest/{token}", h.mailUnsubscribeShow(mail.DigestPurpose, true))
		r.Post("/mail/digest/{token}", h.mailUnsubscribeCreate(mail.DigestPurpose, true))
	})

	r.With(h.Sessions.LoadAndSave).Get("/files/{token}", h.fileShow)
	r.With(h.Sessions.LoadAndSave).Get("/files/{token}/thumb", h.fileShow)

	// Cookie sessions, with CSRF checks on every unsafe method.
	r.Group(func(r chi.Router) {
		r.Use(h.Sessions.LoadAndSave, h.limitBody, h.csrf)
		r.Get("/", http.RedirectHandler("/console", http.StatusSeeOther).ServeHTTP)
		r.Get("/login", h.loginShow)
		r.Post("/login", h.loginCreate)
		r.Post("/logout", h.logout)

		// Members.
		r.Group(func(r chi.Router) {
			r.Use(h.signedIn)
			r.Get("/console", h.consoleShow)
			r.Get("/console/c/{id}", h.consoleShow)
			r.Get("/console/list", h.listShow)
			r.Get("/console/labels.css", h.labelsCSS)
			r.Get("/console/c/{id}/history", h.historyShow)
			r.Post("/console/c/{id}/messages", h.messageCreate)
			r.With(answers(answerJSON)).Post("/console/c/{id}/files", h.fileCreate)
			r.Post("/console/c/{id}/messages/{message}/revoke", h.messageRevoke)
			r.Post("/console/c/{id}/forward", h.forwardCreate)
			r.Post("/console/c/{id}/mute", h.conversationMute)
			r.Post("/console/c/{id}/pin", h.conversationPin)
			r.Post("/console/c/{id}/hide", h.conversationHide)
			r.Post("/console/language", h.languageUpdate)
			r.Get("/console/notifications", h.notificationsShow)
			r.With(answers(answerJSON)).Post("/console/push/subscriptions", h.pushSubscriptionCreate)
			r.Post("/console/push/subscriptions/{id}/revoke", h.pushSubscriptionRevoke)
			r.Post("/console/push/queue", h.pushQueueUpdate)
			r.Post("/console/notifications/digest", h.digestUpdate)
			r.Get("/console/people", h.peopleShow)
			r.Get("/console/search", h.searchShow)
			r.Post("/console/direct", h.directCreate)
			r.Get("/console/friends", h.friendsShow)
			r.Post("/console/friends/invites", h.inviteCreate)
			r.Post("/console/friends/invites/{id}/{answer}", h.inviteAnswer)
			r.Post("/console/friends/{id}/remove", h.friendRemove)
			r.Get("/console/groups/new", h.groupNew)
			r.Post("/console/groups", h.groupCreate)
			r.Post("/console/groups/{id}/members", h.groupMembersAdd)
			r.Post("/console/groups/{id}/remove", h.groupMemberRemove)
			r.Post("/console/groups/{id}/rename", h.groupRename)
			r.Post("/console/groups/{id}/leave", h.groupLeave)
			r.Get("/console/blocks", h.blocksShow)
			r.Post("/console/people/{id}/block", h.personBlock)
			r.Post("/console/people/{id}/unblock", h.personUnblock)
			r.Post("/console/groups/{id}/admins", h.groupAdminUpdate)
			r.Post("/console/groups/{id}/owner", h.groupOwnerUpdate)
			r.Post("/console/groups/{id}/silence", h.groupSilenceUpdate)
			r.Post("/console/groups/{id}/silence-all", h.groupSilenceAllUpdate)
			r.Post("/console/groups/{id}/notice", h.groupNoticeUpdate)
			r.Post("/console/groups/{id}/pins", h.groupPinUpdate)
			r.Get("/console/join/{token}", h.groupJoinShow)
			r.Post("/console/join/{token}", h.groupJoinCreate)
			r.Post("/console/groups/{id}/requests", h.groupRequestAnswer)

			// Agents: customer service.
			r.Group(func(r chi.Router) {
				r.Use(h.agentOnly)
				r.Post("/console/state", h.stateUpdate)
				r.Post("/console/queue/{id}/take", h.queueTake)
				r.Post("/console/c/{id}/resolve", h.conversationResolve)
				r.Post("/console/c/{id}/transfer", h.conversationTransfer)
				r.With(answers(answerJSON)).Get("/console/c/{id}/canned/{canned}", h.cannedFill)
				r.Get("/console/canned", h.cannedShow)
				r.Post("/console/canned", h.cannedSave)
				r.Post("/console/canned/{id}", h.cannedSave)
				r.Post("/console/canned/{id}/delete", h.cannedRemove)
				r.Post("/console/c/{id}/reopen", h.conversationReopen)
				r.Post("/console/c/{id}/transcript", h.conversationTranscript)
				r.Post("/console/c/{id}/snooze", h.conversationSnooze)
				r.Post("/console/c/{id}/labels", h.conversationLabelAdd)
				r.Post("/console/c/{id}/labels/{label}/remove", h.conversationLabelRemove)
				r.Post("/console/visitors/{id}/block", h.visitorBlock)
				r.Post("/console/blocks/{id}/lift", h.visitorBlockLift)
				r.Get("/console/reports", h.reportsShow)
				r.Get("/console/reports.csv", h.reportsCSV)
			})

			// Admins, on every method.
			r.Route("/admin", func(r chi.Router) {
				r.Use(h.adminOnly)
				r.Get("/", http.RedirectHandler("/admin/users", http.StatusSeeOther).ServeHTTP)
				r.Get("/users", h.adminUsersShow)
				r.Post("/users", h.adminUserCreate)
				r.Post("/users/{id}/disable", h.adminUserDisable)
				r.Post("/users/{id}/enable", h.adminUserEnable)
				r.Post("/users/{id}/password", h.adminPasswordUpdate)
				r.Post("/users/{id}/agent", h.adminAgentUpdate)
				r.Post("/users/{id}/capacity", h.adminCapacityUpdate)
				r.Get("/settings", h.adminSettingsShow)
				r.Post("/settings/grade", h.adminGradeUpdate)
				r.Post("/settings/agents", h.adminAgentsUpdate)
				r.Post("/settings/capacity", h.adminDefaultCapacityUpdate)
				r.Post("/settings/push", h.adminPushUpdate)
				r.Post("/settings/vapid", h.adminVAPIDRotate)
				r.Get("/mail", h.adminMailShow)
				r.Get("/audit", h.adminAuditShow)
				r.Get("/sites", h.adminSitesShow)
				r.Post("/sites", h.adminSiteCreate)
				r.Post("/sites/{id}", h.adminSiteUpdate)
				r.Post("/sites/{id}/secret", h.adminSiteSecretRotate)
				r.Post("/sites/{id}/hours", h.adminSiteHoursUpdate)
				r.Get("/labels", h.adminLabelsShow)
				r.Post("/labels", h.adminLabelCreate)
				r.Post("/labels/{id}", h.adminLabelUpdate)
				r.Post("/labels/{id}/delete", h.adminLabelRemove)
				r.Get("/api", h.adminAPIShow)
				r.Post("/api/keys", h.adminAPIKeyCreate)
				r.Post("/api/keys/{id}/revoke", h.adminAPIKeyRevoke)
				r.Post("/api/webhooks", h.adminWebhookCreate)
				r.Post("/api/webhooks/{id}/secret", h.adminWebhookSecretUpdate)
				r.Post("/api/webhooks/{id}/enable", h.adminWebhookEnable)
				r.Post("/api/webhooks/{id}/disable", h.adminWebhookDisable)
				r.Post("/api/webhooks/{id}/delete", h.adminWebhookRemove)
				r.Get("/canned", h.adminCannedShow)
				r.Post("/canned", h.adminCannedSave)
				r.Post("/canned/{id}", h.adminCannedSave)
				r.Post("/canned/{id}/delete", h.adminCannedRemove)
				r.Get("/words", h.adminWordsShow)
				r.Post("/words", h.adminWordsCreate)
				r.Post("/words/remove", h.adminWordRemove)
				r.Post("/words/mode", h.adminWordsModeUpdate)
				r.Get("/reports", h.adminReportsShow)
				r.Get("/reports.csv", h.adminReportsCSV)
			})
		})
	})
	// A signed-in member is told in their own language, as on every page.
	r.NotFound(h.Sessions.LoadAndSave(h.memberLanguage(func(w http.ResponseWriter, r *http.Request) { h.fail(w, r, errNoPage) })).ServeHTTP)
	r.MethodNotAllowed(h.Sessions.LoadAndSave(h.memberLanguage(func(w http.ResponseWriter, r *http.Request) { h.fail(w, r, errMethod) })).ServeHTTP)
	return r
}
