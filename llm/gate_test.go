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
	bctx, bgRelease, err := g.background(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	secondGot := make(chan func(), 1)
	go func() {
		_, rel, err := g.background(ctx, nil)
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

// TestGateUrgentBackground: background work a reader now waits for (its
// urgent channel closed) is served as a reader's: it leaves the
// background queue, and once running it no longer gives its slot up.
func TestGateUrgentBackground(t *testing.T) {
	t.Parallel()
	g := newGate(1)
	ctx := context.Background()
	firstCtx, firstRelease, err := g.background(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	urgent := make(chan struct{})
	got := make(chan context.Context, 1)
	var secondRelease func()
	go func() {
		c, rel, err := g.background(ctx, urgent)
		if err != nil {
			t.Error(err)
			return
		}
		secondRelease = rel
		got <- c
	}()
	waitQueued(t, g, 0, 1)
	// A reader now waits for the second: it becomes a reader's request,
	// and the first gives way to it.
	close(urgent)
	<-firstCtx.Done()
	if !errors.Is(context.Cause(firstCtx), rag.ErrPreempted) {
		t.Fatalf("first background cause = %v, want ErrPreempted", context.Cause(firstCtx))
	}
	firstRelease()
	secondCtx := <-got
	// Running and urgent: a reader arriving now waits its turn.
	readerGot := make(chan func(), 1)
	go func() {
		rel, err := g.reader(ctx)
		if err != nil {
			t.Error(err)
			return
		}
		readerGot <- rel
	}()
	waitQueued(t, g, 1, 0)
	if secondCtx.Err() != nil {
		t.Fatal("urgent background work was preempted by a reader")
	}
	secondRelease()
	(<-readerGot)()
	if g.free != 1 {
		t.Errorf("free slots = %d, want 1", g.free)
	}
}
