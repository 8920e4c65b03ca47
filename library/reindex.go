package library

import (
	"context"
	"errors"
	"fmt"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/store"
)

// versionAndLinks returns the paper's Store.PaperVersion and its
// reference links for a load, in one store read. A missing paper is an
// error wrapping store.ErrNotFound. When the one read fails otherwise,
// it cannot tell which half failed, so the two are read apart: a store
// that cannot give the version fails the load, as a failed
// Store.PaperVersion always did, while links that cannot be read (a
// cited work that does not decode, a read failing only then) leave the
// paper served without enrichment, as links says.
func (l *Library) versionAndLinks(ctx context.Context, id string) (string, []paper.ReferenceLink, error) {
	version, ls, err := l.store.PaperVersionAndLinks(ctx, id)
	if err == nil || errors.Is(err, store.ErrNotFound) {
		return version, ls, err
	}
	if version, err = l.store.PaperVersion(ctx, id); err != nil {
		return "", nil, err
	}
	return version, l.links(ctx, id), nil
}

// links returns the paper's reference links, or none when the store
// cannot say: enrichment is an addition, and a paper is served without
// it rather than not at all.
func (l *Library) links(ctx context.Context, id string) []paper.ReferenceLink {
	ls, err := l.store.ReferenceLinks(ctx, id)
	if err != nil {
		if ctx.Err() == nil {
			l.log.Warn("reference links unavailable; serving the paper without enrichment", "paper", id, "err", err)
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
// store see the paper's version change at their next revalidation and
// reload it.
func (l *Library) Reindex(ctx context.Context, id string) error {
	wl := l.writeLock(id)
	wl.Lock()
	defer wl.Unlock()
	p, err := l.store.Paper(ctx, id)
	if err != nil {
		return fmt.Errorf("reindex %q: %w", id, err)
	}
	hash, err := l.store.PaperHash(ctx, id)
	if err != nil {
		return fmt.Errorf("reindex %q: %w", id, err)
	}
	ep := p.Enriched(l.links(ctx, id))
	chunks := Chunks(ep)
	stored, name, err := l.store.Chunks(ctx, id)
	if err != nil {
		return fmt.Errorf("reindex %q: %w", id, err)
	}
	have := make(map[string][]float32, len(stored))
	if name == l.embedder.Name() {
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
		fresh, err := l.embedChunks(ctx, todo)
		if err != nil {
			return fmt.Errorf("reindex %q: %w", id, err)
		}
		for j, i := range at {
			vecs[i] = fresh[j]
		}
	}
	terms := chunkTerms(chunks)
	if err := l.store.ReplaceChunks(ctx, id, hash, l.embedder.Name(), embedded(chunks, vecs, terms)); err != nil {
		if IsNotFound(err) {
			return nil // replaced or deleted since: its own ingest indexed it
		}
		return fmt.Errorf("reindex %q: %w", id, err)
	}
	version, err := l.store.PaperVersion(ctx, id)
	if err != nil {
		return fmt.Errorf("reindex %q: %w", id, err)
	}
	lp, err := l.index(ctx, ep, version, chunks, vecs, terms)
	if err != nil {
		l.forget(id)
		return fmt.Errorf("reindex %q: %w", id, err)
	}
	l.saveImage(p, version, lp)
	l.mu.Lock()
	l.markWrittenLocked(id)
	l.retireLocked(l.cache.put(lp))
	l.mu.Unlock()
	return nil
}
