package handlers

import "github.com/go-chi/chi/v5"

// adminAPIRoutes are the admin's pages for API keys and webhooks.
func (h *Handler) adminAPIRoutes(r chi.Router) {}
