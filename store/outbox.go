package store

// What the outboxes (push_outbox, webhook_deliveries) share. Each is
// claimed with FOR UPDATE SKIP LOCKED and a lease, in a statement that
// commits before anything is sent, and finished with an outbox.Outcome.

import "strings"

// maxOutboxError bounds the error kept with an outbox row.
const maxOutboxError = 500

// clipError cuts msg to maxOutboxError bytes, on a character boundary.
func clipError(msg string) string {
	if len(msg) > maxOutboxError {
		msg = strings.ToValidUTF8(msg[:maxOutboxError], "")
	}
	return msg
}
