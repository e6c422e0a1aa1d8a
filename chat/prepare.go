package chat

import (
	"context"
	"net/http"
	"runtime"
	"strings"
)

// Preparer prepares the files people send (PrepareUpload), however they
// come: the widget's and the console's uploads, and the files of replies by
// email. It decodes and re-encodes a few images at a time, shared by all
// of them on one instance: each may take over a hundred megabytes at
// MaxImagePixels, and a burst of large images must not take all its memory.
type Preparer struct {
	// Max bounds a file, in bytes.
	Max   int64
	slots chan struct{}
}

// NewPreparer returns a Preparer of files of at most maxBytes, which
// decodes at most max(GOMAXPROCS, 2) images at once.
func NewPreparer(maxBytes int64) *Preparer {
	return &Preparer{Max: maxBytes, slots: make(chan struct{}, max(runtime.GOMAXPROCS(0), 2))}
}

// Prepare is PrepareUpload of the file named name, holding data, against
// p.Max; an image waits for a decoding slot first, or for ctx to end (its
// sender gave up), which returns ctx's error.
func (p *Preparer) Prepare(ctx context.Context, name string, data []byte) (Upload, error) {
	if strings.HasPrefix(http.DetectContentType(data), "image/") {
		release, err := p.Slot(ctx)
		if err != nil {
			return Upload{}, err
		}
		defer release()
	}
	return PrepareUpload(name, data, p.Max)
}

// Slot waits for one of p's image decoding slots, or for ctx to end, and
// returns what gives it back.
func (p *Preparer) Slot(ctx context.Context) (func(), error) {
	select {
	case p.slots <- struct{}{}:
		return func() { <-p.slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Slots is how many images p decodes at once.
func (p *Preparer) Slots() int { return cap(p.slots) }
