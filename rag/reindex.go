package rag

import (
	"context"
	"fmt"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/store"
)

// links returns the paper's reference links, or none when the store
// cannot say: enrichment is an addition, and a paper is served without
// it rather than not at all.
func (e *Engine) links(ctx context.Context, id string) []paper.ReferenceLink {
	ls, err := e.store.ReferenceLinks(ctx, id)
	if err != nil {
		if ctx.Err() == nil {
			e.log.Warn("reference links unavailable; serving the paper without enrichment", "paper", id, "err", err)
		}
		return nil
	}
	return ls
}

// Reindex takes in a stored paper's current enrichment: its references
// gain their cited works' metadata and status, and the cited works'
// abstracts become retrievable chunks. Vectors of unchanged chunks are
// reused; only new chunks are embedded. The stored chunks are replaced
// (summaries kept) unless the paper was replaced or deleted meanwhile,
// in which case there is nothing to do. Other processes sharing the
// store pick the change up when they next load the paper.
func (e *Engine) Reindex(ctx context.Context, id string) error {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	p, err := e.store.Paper(ctx, id)
	if err != nil {
		return fmt.Errorf("reindex %q: %w", id, err)
	}
	hash := store.ContentHash(p)
	if e.versions != nil {
		if hash, err = e.versions.PaperHash(ctx, id); err != nil {
			return fmt.Errorf("reindex %q: %w", id, err)
		}
	}
	ep := p.Enriched(e.links(ctx, id))
	chunks := Chunks(ep)
	stored, name, err := e.store.Chunks(ctx, id)
	if err != nil {
		return fmt.Errorf("reindex %q: %w", id, err)
	}
	have := make(map[string][]float32, len(stored))
	if name == e.embedder.Name() {
		for _, c := range stored {
			have[c.ID+"\x00"+c.Text] = c.Vector
		}
	}
	vecs := make([][]float32, len(chunks))
	var todo []paper.Chunk
	var at []int
	for i, c := range chunks {
		if v, ok := have[c.ID+"\x00"+c.Text]; ok {
			vecs[i] = v
			continue
		}
		todo = append(todo, c)
		at = append(at, i)
	}
	if len(todo) > 0 {
		fresh, err := e.embedChunks(ctx, todo)
		if err != nil {
			return fmt.Errorf("reindex %q: %w", id, err)
		}
		for j, i := range at {
			vecs[i] = fresh[j]
		}
	}
	if err := e.store.ReplaceChunks(ctx, id, hash, e.embedder.Name(), embedded(chunks, vecs)); err != nil {
		if IsNotFound(err) {
			return nil // replaced or deleted since: its own ingest indexed it
		}
		return fmt.Errorf("reindex %q: %w", id, err)
	}
	lp, err := e.index(ctx, ep, hash, chunks, vecs)
	if err != nil {
		e.forget(id)
		return fmt.Errorf("reindex %q: %w", id, err)
	}
	e.mu.Lock()
	e.retireLocked(e.cache.put(lp))
	e.mu.Unlock()
	return nil
}
