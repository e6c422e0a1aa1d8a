package live

import (
	"context"
	"testing"
)

func TestOnWrittenRunsOnceItsFrameIsWritten(t *testing.T) {
	c, client, _ := pair(t, context.Background(), DefaultOptions)
	written := make(chan string, 8)
	// Registered by a job that writes nothing: never run.
	c.Enqueue(func(ctx context.Context) ([]byte, error) {
		OnWritten(ctx, func() { written <- "no frame" })
		return nil, nil
	})
	c.Enqueue(func(ctx context.Context) ([]byte, error) {
		OnWritten(ctx, func() { written <- "first" })
		OnWritten(ctx, func() { written <- "second" })
		return []byte("frame"), nil
	})
	// Outside a job, OnWritten does nothing.
	OnWritten(context.Background(), func() { written <- "outside" })
	if _, b, err := client.Read(context.Background()); err != nil || string(b) != "frame" {
		t.Fatalf("read %q, %v", b, err)
	}
	// One more frame: its writing follows the first's callbacks.
	c.Send([]byte("after"))
	if _, b, err := client.Read(context.Background()); err != nil || string(b) != "after" {
		t.Fatalf("read %q, %v", b, err)
	}
	close(written)
	var got []string
	for s := range written {
		got = append(got, s)
	}
	if len(got) != 2 || got[0] != "first" || got[1] != "second" {
		t.Fatalf("ran %q, want first and second, in order", got)
	}
}
