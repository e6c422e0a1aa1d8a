// Package widget holds the widget's page, drawn in an iframe on host
// sites, and the fragments pushed to it live: availability, pre-chat
// fields, the wait in the queue and the rating prompt.
package widget
