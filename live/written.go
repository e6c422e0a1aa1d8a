package live

import "context"

// written holds what runs once the frame of the job under way is written.
// It belongs to the connection's writer, as the job does.
type written struct {
	then []func()
}

type writtenKey struct{}

// withWritten returns ctx carrying w, for the jobs a connection runs.
func withWritten(ctx context.Context, w *written) context.Context {
	return context.WithValue(ctx, writtenKey{}, w)
}

// OnWritten runs f once the frame that the job running on ctx returns has
// been written to the socket: what is measured there (how long a message
// took to reach a browser) includes the write. f is not called when the
// job returns no frame or the write fails. Outside a job it does nothing.
// A panic in f closes the connection, as one in the job does; what else
// waits for that frame does not run.
func OnWritten(ctx context.Context, f func()) {
	if w, ok := ctx.Value(writtenKey{}).(*written); ok {
		w.then = append(w.then, f)
	}
}

// done runs what waits for the frame, when it was written, up to the
// first that panics, and forgets it all.
func (w *written) done(ok bool) {
	defer func() {
		clear(w.then)
		w.then = w.then[:0]
	}()
	if ok {
		for _, f := range w.then {
			f()
		}
	}
}
