package llm

import (
	"context"
	"sync"
)

// gate bounds the chat requests a client has at the endpoint at once,
// readers first. Local servers (Ollama, llama.cpp, vLLM with few slots)
// generate for one or a few requests at a time and queue the rest in
// arrival order, so a reader's question sent behind two background
// summaries waits for both. The gate keeps that queue on this side,
// where it can be reordered: a waiting reader is served before any
// background request, a background request starts only when a slot is
// free and no reader waits, and a reader who finds every slot taken
// makes a background request give its slot up (it fails with
// rag.ErrPreempted and is retried later).
type gate struct {
	mu      sync.Mutex
	free    int
	readers []*waiter
	bg      []*waiter
	// running are the background requests holding a slot, oldest
	// first; preempted ones have been told to stop but may still hold it.
	running []*bgHold
}

type waiter struct {
	ch      chan struct{} // closed when the slot is granted
	granted bool
	hold    *bgHold // set for background waiters
}

// bgHold is one background request's slot.
type bgHold struct {
	stop      context.CancelCauseFunc
	preempted bool
}

func newGate(slots int) *gate { return &gate{free: slots} }

// reader waits for a slot for a reader's request. The returned release
// gives it back; it must be called exactly once.
func (g *gate) reader(ctx context.Context) (release func(), err error) {
	g.mu.Lock()
	if g.free > 0 && len(g.readers) == 0 {
		g.free--
		g.mu.Unlock()
		return g.release, nil
	}
	w := &waiter{ch: make(chan struct{})}
	g.readers = append(g.readers, w)
	g.preemptLocked()
	g.mu.Unlock()
	if err := g.wait(ctx, w, nil); err != nil {
		return nil, err
	}
	return g.release, nil
}

// background waits for a slot for work no reader waits for. It returns
// a context derived from ctx that is cancelled with cause
// rag.ErrPreempted when a reader needs the slot. Once urgent is closed
// (a reader now waits for this work) the request waits and runs as a
// reader's: first in line after the readers, and never preempted.
func (g *gate) background(ctx context.Context, urgent <-chan struct{}) (context.Context, func(), error) {
	bctx, stop := context.WithCancelCause(ctx)
	h := &bgHold{stop: stop}
	g.mu.Lock()
	if g.free > 0 && len(g.readers) == 0 && len(g.bg) == 0 {
		g.free--
		g.running = append(g.running, h)
		g.mu.Unlock()
	} else {
		w := &waiter{ch: make(chan struct{}), hold: h}
		g.bg = append(g.bg, w)
		g.mu.Unlock()
		if err := g.wait(ctx, w, urgent); err != nil {
			stop(nil)
			return nil, nil, err
		}
	}
	done := make(chan struct{})
	if urgent != nil {
		// Promoted while it runs: readers no longer take its slot.
		go func() {
			select {
			case <-urgent:
				g.mu.Lock()
				if !h.preempted {
					g.dropLocked(h)
				}
				g.mu.Unlock()
			case <-done:
			}
		}()
	}
	release := func() {
		close(done)
		stop(nil)
		g.mu.Lock()
		g.dropLocked(h)
		g.mu.Unlock()
		g.release()
	}
	return bctx, release, nil
}

// wait blocks until w is granted a slot or ctx ends; on ctx's end a slot
// granted meanwhile is passed on. A background waiter moves to the
// readers' queue when urgent is closed.
func (g *gate) wait(ctx context.Context, w *waiter, urgent <-chan struct{}) error {
	for {
		select {
		case <-w.ch:
			return nil
		case <-urgent:
			urgent = nil
			g.mu.Lock()
			if !w.granted && w.hold != nil && g.removeLocked(&g.bg, w) {
				// A reader's from now on: no hold to preempt.
				w.hold = nil
				g.readers = append(g.readers, w)
				g.preemptLocked()
			}
			g.mu.Unlock()
			continue
		case <-ctx.Done():
		}
		break
	}
	g.mu.Lock()
	if w.granted {
		if w.hold != nil {
			g.dropLocked(w.hold)
		}
		g.mu.Unlock()
		g.release()
		return context.Cause(ctx)
	}
	if !g.removeLocked(&g.readers, w) {
		g.removeLocked(&g.bg, w)
	}
	g.mu.Unlock()
	return context.Cause(ctx)
}

// removeLocked takes w out of queue, reporting whether it was there.
func (g *gate) removeLocked(queue *[]*waiter, w *waiter) bool {
	for i, x := range *queue {
		if x == w {
			*queue = append((*queue)[:i], (*queue)[i+1:]...)
			return true
		}
	}
	return false
}

// dropLocked forgets a background request that no longer runs.
func (g *gate) dropLocked(h *bgHold) {
	for i, r := range g.running {
		if r == h {
			g.running = append(g.running[:i], g.running[i+1:]...)
			return
		}
	}
}

// release frees a slot, handing it to the first waiting reader, else to
// the first waiting background request.
func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case len(g.readers) > 0:
		w := g.readers[0]
		g.readers = g.readers[1:]
		w.granted = true
		close(w.ch)
	case len(g.bg) > 0:
		w := g.bg[0]
		g.bg = g.bg[1:]
		w.granted = true
		g.running = append(g.running, w.hold)
		close(w.ch)
	default:
		g.free++
	}
}

// preemptLocked makes background requests give up their slots until
// every waiting reader has one coming.
func (g *gate) preemptLocked() {
	coming := 0
	for _, h := range g.running {
		if h.preempted {
			coming++
		}
	}
	for _, h := range g.running {
		if coming >= len(g.readers) {
			return
		}
		if !h.preempted {
			h.preempted = true
			h.stop(errPreempted)
			coming++
		}
	}
}
