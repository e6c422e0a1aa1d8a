package handlers

import "github.com/go-chi/chi/v5"

// adminSiteRoutes are the admin's pages for the sites that embed the widget.
func (h *Handler) adminSiteRoutes(r chi.Router) {}
