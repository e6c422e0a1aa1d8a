package live

// MarkBytes is what a Loopback's mark adds to an event.
const MarkBytes = markBytes

// SetLocalBacklogForTest sets how many events may wait for l's handler.
func SetLocalBacklogForTest(l *Loopback, n int) {
	l.mu.Lock()
	l.limit = n
	l.mu.Unlock()
}
