// Package mail holds what kefu's emails show and the pages their links
// open: an email's HTML part (its plain-text part is written beside it, in
// package mail), the conversation a visitor's link reopens, and the
// unsubscribe page.
package mail
