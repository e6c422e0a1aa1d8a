package handlers

import "github.com/go-chi/chi/v5"

// adminRoutes are the admin pages.
func (h *Handler) adminRoutes(r chi.Router) {}
