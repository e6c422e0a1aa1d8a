package handlers

import "github.com/go-chi/chi/v5"

// apiRoutes is the host API, for host sites' backends.
func (h *Handler) apiRoutes(r chi.Router) {}
