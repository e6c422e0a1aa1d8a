// Package console holds the console's pages and the fragments pushed to
// them live: the conversation list, the queue and an agent's state, chat
// actions and their outcomes, people, friends, groups and notifications.
package console
