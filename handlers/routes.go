package handlers

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/kefu-im/kefu/static"
)

// Routes lists every route kefu serves.
func (h *Handler) Routes() http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.Recoverer, h.securityHeaders)

	// Public, no session.
	r.Get("/healthz", h.healthShow)
	// Text assets travel gzipped to browsers that take it (every one does).
	gz := middleware.Compress(5, "text/css", "text/javascript", "application/javascript", "text/html")
	r.With(gz).Handle("/static/*", static.Handler())
	r.With(gz).Get("/widget.js", h.widgetScript)
	r.Get("/sw.js", h.serviceWorker)
	r.Get("/widget/sites/{id}/theme.css", h.widgetTheme)

	// WebSockets load their session themselves: scs's LoadAndSave would
	// buffer and time out a connection that lives for hours.
	r.With(h.sameOriginOnly).Get("/console/live", h.consoleLive)
	r.With(h.sameOriginOnly).Get("/widget/live", h.widgetLive)

	// The host API authenticates with API keys, not sessions.
	r.Route("/api/v1", h.apiRoutes)

	// The widget authenticates with the visitor token from the iframe's storage.
	r.Group(func(r chi.Router) {
		r.Use(h.framable)
		r.With(gz).Get("/widget", h.widgetShow)
		r.Get("/widget/aim", h.widgetAim)
		r.Post("/widget/visitors", h.visitorCreate)
		r.Get("/widget/session", h.widgetSessionShow)
		r.Post("/widget/identify", h.identifyCreate)
		r.Get("/widget/c/{id}/history", h.widgetHistoryShow)
	})

	// Cookie sessions, with CSRF checks on every unsafe method.
	r.Group(func(r chi.Router) {
		r.Use(h.Sessions.LoadAndSave, h.csrf)
		r.Get("/", http.RedirectHandler("/console", http.StatusSeeOther).ServeHTTP)
		r.Get("/login", h.loginShow)
		r.Post("/login", h.loginCreate)
		r.Post("/logout", h.logout)
		r.Group(func(r chi.Router) {
			r.Use(h.signedIn)
			r.Get("/console", h.consoleShow)
			r.Get("/console/c/{id}", h.consoleShow)
			r.Get("/console/c/{id}/history", h.historyShow)
			r.Post("/console/c/{id}/messages", h.messageCreate)
			r.Get("/console/notifications", h.notificationsShow)
			r.Post("/console/push/subscriptions", h.pushSubscriptionCreate)
			r.Post("/console/push/subscriptions/{id}/revoke", h.pushSubscriptionRevoke)
			r.Post("/console/push/queue", h.pushQueueUpdate)
			r.Post("/console/c/{id}/mute", h.conversationMute)
			r.Get("/console/people", h.peopleShow)
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
			r.Route("/admin", h.adminRoutes)
			r.Group(func(r chi.Router) {
				r.Use(h.agentOnly)
				r.Post("/console/state", h.stateUpdate)
				r.Post("/console/queue/{id}/take", h.queueTake)
				r.Post("/console/c/{id}/resolve", h.conversationResolve)
				r.Post("/console/c/{id}/transfer", h.conversationTransfer)
			})
		})
	})
	r.NotFound(func(w http.ResponseWriter, r *http.Request) { h.fail(w, r, errNoPage) })
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) { h.fail(w, r, errMethod) })
	return r
}
