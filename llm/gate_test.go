package llm

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/chatpaper/chatpaper/rag"
)

func TestGateReadersFirst(t *testing.T) {
	t.Parallel()
	g := newGate(1)
	ctx := context.Background()

	// A background request holds the only slot; a second waits.
	bctx, bgRelease, err := g.background(ctx)
	if err != nil {
		t.Fatal(err)
	}
	secondGot := make(chan func(), 1)
	go func() {
		_, rel, err := g.background(ctx)
		if err != nil {
			t.Error(err)
			return
		}
		secondGot <- rel
	}()
	waitQueued(t, g, 0, 1)

	// A reader arrives: the running background request is told to give
	// way, and the reader gets the slot before the waiting background one.
	readerGot := make(chan func(), 1)
	go func() {
		rel, err := g.reader(ctx)
		if err != nil {
			t.Error(err)
			return
		}
		readerGot <- rel
	}()
	<-bctx.Done()
	if !errors.Is(context.Cause(bctx), rag.ErrPreempted) {
		t.Fatalf("background cause = %v, want ErrPreempted", context.Cause(bctx))
	}
	select {
	case <-readerGot:
		t.Fatal("reader got a slot that was still held")
	default:
	}
	bgRelease()
	readerRelease := <-readerGot
	select {
	case <-secondGot:
		t.Fatal("background request ran while a reader held the only slot")
	default:
	}
	readerRelease()
	(<-secondGot)()
	if g.free != 1 || len(g.readers)+len(g.bg)+len(g.running) != 0 {
		t.Errorf("gate not empty at the end: free %d, %d readers, %d background, %d running", g.free, len(g.readers), len(g.bg), len(g.running))
	}
}

func TestGateCancelledWaitPassesTheSlotOn(t *testing.T) {
	t.Parallel()
	g := newGate(1)
	rel, err := g.reader(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := g.reader(ctx)
		errc <- err
	}()
	waitQueued(t, g, 1, 0)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
	rel()
	if g.free != 1 {
		t.Errorf("free slots = %d, want 1", g.free)
	}
}

// waitQueued waits until the gate has the given waiters, without sleeping
// on a clock: it yields until the goroutines under test have queued.
func waitQueued(t *testing.T, g *gate, readers, bg int) {
	t.Helper()
	for i := 0; ; i++ {
		g.mu.Lock()
		r, b := len(g.readers), len(g.bg)
		g.mu.Unlock()
		if r == readers && b == bg {
			return
		}
		if i > 1e7 {
			t.Fatalf("gate has %d readers and %d background waiting, want %d and %d", r, b, readers, bg)
		}
		runtime.Gosched()
	}
}
