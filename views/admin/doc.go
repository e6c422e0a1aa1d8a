// Package admin holds the admin pages: members and their roles, the
// settings, the sites that embed the widget, API keys and webhooks, the
// audit log, and the page that asks to confirm a change.
package admin
