package library

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/search"
)

// Loaded is one version of a paper ready to answer from: the paper, its
// chunks in stored order (their positions key the vector collection),
// its lexicon and its vectors. Acquire hands it out pinned: until
// Release, the version stays whole however the cache or the store
// change, so everything one answer reads comes from one version.
type Loaded struct {
	lib    *Library
	paper  *paper.Paper
	chunks []paper.Chunk
	// passages are the body and caption chunks' passages, by position.
	passages map[int]paper.Passage
	lex      *search.Lexicon
	// vectors is what Vectors returns: sparse until the paper's second
	// use (densify), dense from then on, empty once dropped.
	vectors atomic.Pointer[Vectors]
	dense   sync.Once    // densify's
	uses    atomic.Int32 // Acquires of the paper since its load (see Acquire)
	// vecs are the dense vectors, shared with the vector index, and
	// pages their memory when it came from Library.pages (which gets
	// it back once the paper is dropped). Guarded by Library.mu once
	// the paper is handed out.
	vecs  [][]float32
	pages [][]float32
	// spare are the sparse vectors densify replaced while other readers
	// could still use them: the Release that leaves no pin (or the drop)
	// gives their memory back.
	spare *SparseVectors
	key   string // its collection in the vector index
	hash  string // Store.PaperVersion of the version loaded
	size  int64  // approximate bytes held; guarded by Library.mu once cached

	// labels memoises RefLabel: a label takes several regular
	// expression matches, and answers cite the same references again.
	labelsMu sync.RWMutex
	labels   map[refLabelKey]string

	// Guarded by Library.mu.
	pins    int       // readers using it; its vectors stay until 0
	retired bool      // left the cache; drop vectors at pins 0
	checked time.Time // last time the store confirmed hash
}

// Paper is the paper as loaded. Callers must not modify it.
func (lp *Loaded) Paper() *paper.Paper { return lp.paper }

// Chunks are the paper's chunks, in the order the lexicon and the
// vectors index them. Callers must not modify them.
func (lp *Loaded) Chunks() []paper.Chunk { return lp.chunks }

// Passage returns the body passage or caption that chunk i is, with its
// section and cited numbers; false for other chunks, and for chunks
// stored by an older chunking whose ids no longer name a passage.
func (lp *Loaded) Passage(i int) (paper.Passage, bool) {
	x, ok := lp.passages[i]
	return x, ok
}

// passagesOf maps the positions of p's body and caption chunks to their
// passages, matched by id.
func passagesOf(p *paper.Paper, chunks []paper.Chunk) map[int]paper.Passage {
	if p.Body == nil {
		return nil
	}
	byID := map[string]paper.Passage{}
	for _, x := range paper.BodyPassages(p, WindowSentences) {
		byID[x.ID] = x
	}
	out := map[int]paper.Passage{}
	for i, c := range chunks {
		if c.Kind != paper.KindBody && c.Kind != paper.KindCaption {
			continue
		}
		if x, ok := byID[c.ID]; ok {
			out[i] = x
		}
	}
	return out
}

// refLabelKey is a reference number and whether the label is Chinese.
type refLabelKey struct {
	n  int
	zh bool
}

// RefLabel returns paper.ReferenceLabel of reference n's text in lang,
// computed once per loaded version and language; false when the paper
// has no reference n.
func (lp *Loaded) RefLabel(n int, lang string) (string, bool) {
	key := refLabelKey{n, lang == paper.LangZH}
	lp.labelsMu.RLock()
	l, ok := lp.labels[key]
	lp.labelsMu.RUnlock()
	if ok {
		return l, true
	}
	ref, ok := lp.paper.Reference(n)
	if !ok {
		return "", false
	}
	l = paper.ReferenceLabel(ref.Text, lang)
	lp.labelsMu.Lock()
	if lp.labels == nil {
		lp.labels = make(map[refLabelKey]string)
	}
	lp.labels[key] = l
	lp.labelsMu.Unlock()
	return l, true
}

// Lexicon is the BM25 index over Chunks.
func (lp *Loaded) Lexicon() *search.Lexicon { return lp.lex }

// Hash is the Store.PaperVersion of the version loaded: its content hash
// and the generation of its chunks.
func (lp *Loaded) Hash() string { return lp.hash }

// Nearest returns up to k chunks nearest to the query vector, best
// first, by their positions in Chunks, from the vector index (which it
// first gives the paper's vectors if they are still sparse).
func (lp *Loaded) Nearest(ctx context.Context, query []float32, k int) ([]VectorHit, error) {
	lp.densify(ctx, false) // the caller may still hold the sparse form
	return lp.lib.vectors.Query(ctx, lp.key, query, k)
}

// Vectors are the chunks' vectors, by position in Chunks: on a paper's
// first use after a load from its image, the image's sparse form, and
// from its second use on, the dense slices the vector index holds (so
// they cost no second copy). Both forms hold the same numbers. Callers
// must not modify them.
func (lp *Loaded) Vectors() Vectors {
	if v := lp.vectors.Load(); v != nil {
		return *v
	}
	return Vectors{}
}

// used counts a use of the cached paper and makes its vectors dense from
// the second.
func (lp *Loaded) used(ctx context.Context) {
	if lp.uses.Add(1) >= 2 {
		lp.densify(ctx, true) // the use's pin was just taken
	}
}

// densify writes sparse vectors out densely and gives them to the vector
// index, once: the paper has been asked again while cached, so it is
// likely to be asked more, and every later use reads the dense form. A
// failure leaves the vectors sparse (still answering) and is logged. The
// caller holds a pin, so the paper is not dropped meanwhile; fresh says
// that pin was just taken, so the caller holds no sparse form of its own.
func (lp *Loaded) densify(ctx context.Context, fresh bool) {
	v := lp.vectors.Load()
	if v == nil || v.Sparse == nil {
		return
	}
	lp.dense.Do(func() {
		l, sp := lp.lib, v.Sparse
		vecs, pages := l.pages.take(sp.Len(), sp.Dim(), true)
		sp.fill(vecs)
		// Other readers may be waiting on this: one giving up must not
		// leave them all sparse.
		if err := l.vectors.Set(context.WithoutCancel(ctx), lp.key, vecs); err != nil {
			// The index may hold some of vecs: it must let go of them
			// before their pages can go to another load.
			l.vectors.Drop(lp.key)
			l.pages.give(pages)
			l.log.Warn("vectors not indexed; answers score the load image's", "paper", lp.paper.ID, "err", err)
			return
		}
		l.mu.Lock()
		lp.vecs, lp.pages = vecs, pages
		lp.vectors.Store(&Vectors{Dense: vecs})
		// Readers from now on get the dense form. Only a reader pinned
		// before could still hold the sparse one: with none but this
		// one, freshly pinned, its memory can go to the next load at once.
		grown := denseBytes(sp.Len(), sp.Dim()) - sp.bytes()
		if fresh && lp.pins == 1 {
			sp.release()
		} else {
			lp.spare = sp
		}
		if !lp.retired {
			l.retireLocked(l.cache.resize(lp, lp.size+grown))
		} else {
			lp.size += grown
		}
		l.mu.Unlock()
	})
}

// Release ends a use begun by Acquire. It must be called exactly once
// per successful Acquire.
func (lp *Loaded) Release() {
	l := lp.lib
	l.mu.Lock()
	lp.pins--
	switch {
	case lp.pins == 0 && lp.retired:
		l.dropLocked(lp)
	case lp.pins == 0 && lp.spare != nil:
		// The readers that could hold the sparse form densify replaced
		// are gone: its memory can serve the next load.
		lp.spare.release()
		lp.spare = nil
	}
	l.mu.Unlock()
}

// Acquire returns the paper pinned for use, loading it from the store
// (from its stored vectors: no re-embedding) when it is not cached;
// concurrent loads of one paper share one. A cached entry older than the
// revalidation interval is checked against the store first. A missing
// paper is an error wrapping store.ErrNotFound. The caller must Release
// the result.
//
// A paper loaded from its image hands out sparse Vectors until its
// second Acquire, which makes them dense (see Vectors). The Acquire that
// loaded it counts; those that waited on that load do not, and neither
// does Library.Paper, which reads no vectors.
func (l *Library) Acquire(ctx context.Context, id string) (*Loaded, error) {
	return l.acquire(ctx, id, true)
}

// acquire is Acquire; a use that reads no vectors (use false) does not
// count towards making them dense.
func (l *Library) acquire(ctx context.Context, id string, use bool) (*Loaded, error) {
	lp, err := l.cached(ctx, id)
	if err != nil || lp != nil {
		if lp != nil && use {
			lp.used(ctx)
		}
		return lp, err
	}
	l.mu.Lock()
	if lp := l.cache.get(id); lp != nil {
		lp.pins++
		l.mu.Unlock()
		l.cache.hits.Add(1)
		if use {
			lp.used(ctx)
		}
		return lp, nil
	}
	l.cache.misses.Add(1)
	if c, ok := l.flight[id]; ok {
		c.waiters++
		l.mu.Unlock()
		select {
		case <-c.done:
			return c.lp, c.err
		case <-ctx.Done():
			// The loader pinned the paper for us too: give it back.
			go func() {
				<-c.done
				if c.lp != nil {
					c.lp.Release()
				}
			}()
			return nil, ctx.Err()
		}
	}
	c := &loadCall{done: make(chan struct{}), use: use}
	l.flight[id] = c
	l.mu.Unlock()

	// The load runs detached from this caller's context: other callers
	// wait for it, and one caller giving up must not fail them all.
	lp, err = l.loadFromStore(context.WithoutCancel(ctx), id, c)
	if err != nil {
		l.mu.Lock()
		delete(l.flight, id)
		l.mu.Unlock()
		c.err = err
	}
	close(c.done)
	return lp, err
}

// loadFromStore reads and indexes the paper without any library-wide
// lock, then caches it pinned once for the loader and once per waiter
// of c and ends c's flight. If the paper was written or deleted while it
// loaded (c.stale), the version read may be the older one: it still
// serves the callers that were waiting, but is not cached, so it can
// never replace the newer entry.
func (l *Library) loadFromStore(ctx context.Context, id string, c *loadCall) (*Loaded, error) {
	// The version (with the links, in the same read) is read before the
	// paper: if the paper is replaced in between, the entry holds newer
	// content under an older version and the next revalidation merely
	// reloads it.
	hash, links, err := l.versionAndLinks(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load paper %q: %w", id, err)
	}
	var lp *Loaded
	if im := l.loadImage(id, hash); im != nil {
		p := im.paper // decoded for this load alone: enriched in place
		p.Enrich(links)
		if im.sparse != nil {
			// The vector index gets the vectors on the paper's second use.
			lp = l.loaded(p, hash, im.chunks, im.lex)
			lp.vectors.Store(&Vectors{Sparse: im.sparse})
			lp.size += im.sparse.bytes()
		} else if lp, err = l.indexLexicon(ctx, p, hash, im.chunks, im.vecs, im.lex); err != nil {
			l.pages.give(im.pages)
			return nil, fmt.Errorf("index %q: %w", id, err)
		} else {
			lp.pages = im.pages
			if len(im.vecs) > 0 { // the unused tail of the last page
				lp.size += denseBytes(len(im.vecs), len(im.vecs[0])) - 4*int64(len(im.vecs)*len(im.vecs[0]))
			}
		}
	} else if lp, err = l.loadStored(ctx, id, hash, links); err != nil {
		return nil, err
	}
	l.mu.Lock()
	delete(l.flight, id)
	c.lp = lp
	lp.pins = 1 + c.waiters
	if c.use {
		lp.uses.Store(1)
	}
	if c.stale {
		lp.retired = true
	} else {
		l.retireLocked(l.cache.put(lp))
	}
	l.mu.Unlock()
	return lp, nil
}

// loadStored loads version hash of paper id from the store's rows (the
// paper, then its chunks), enriched with links (read with the version),
// re-embedding chunks made by another embedder, and writes its load
// image for the next load.
func (l *Library) loadStored(ctx context.Context, id, hash string, links []paper.ReferenceLink) (*Loaded, error) {
	p, err := l.store.Paper(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load paper %q: %w", id, err)
	}
	raw := p
	p = p.Enriched(links)
	stored, name, err := l.store.Chunks(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load chunks of %q: %w", id, err)
	}
	chunks := make([]paper.Chunk, len(stored))
	vecs := make([][]float32, len(stored))
	terms := make([][]byte, len(stored))
	refs := make(map[int]string, len(p.References))
	for _, r := range p.References {
		refs[r.N] = r.Text
	}
	for i, c := range stored {
		chunks[i], vecs[i], terms[i] = c.Chunk, c.Vector, c.Terms
		if t, ok := refs[c.N]; ok && c.Kind == paper.KindReference && t == c.Text {
			chunks[i].Text = t // share the paper's copy of the text
		}
	}
	if name != l.embedder.Name() {
		if chunks, vecs, terms, hash, err = l.reembed(ctx, raw, p, hash); err != nil {
			return nil, fmt.Errorf("re-embed %q: %w", id, err)
		}
	}
	lp, err := l.index(ctx, p, hash, chunks, vecs, terms)
	if err != nil {
		return nil, fmt.Errorf("index %q: %w", id, err)
	}
	l.backfillImage(ctx, raw, hash, lp)
	return lp, nil
}

// reembed embeds p (raw, enriched) again with the library's embedder, because vectors
// from another embedder live in another space, and stores the result so
// the next load needs no work, unless p was replaced meanwhile (then
// the newer version, already embedded by its ingest, stays). It returns
// the version the chunks are stored as.
func (l *Library) reembed(ctx context.Context, raw, p *paper.Paper, version string) ([]paper.Chunk, [][]float32, [][]byte, string, error) {
	l.log.Info("re-embedding paper", "paper", p.ID, "embedder", l.embedder.Name())
	chunks := Chunks(p)
	vecs, err := l.embedChunks(ctx, chunks)
	if err != nil {
		return nil, nil, nil, "", err
	}
	terms := chunkTerms(chunks)
	wl := l.writeLock(p.ID)
	wl.Lock()
	defer wl.Unlock()
	if cur, err := l.store.PaperVersion(ctx, p.ID); err != nil || cur != version {
		return chunks, vecs, terms, version, nil // replaced or deleted: nothing to write back
	}
	// The paper is stored as submitted; its enrichment lives apart.
	if err := l.store.PutPaper(ctx, raw, l.embedder.Name(), embedded(chunks, vecs, terms)); err != nil {
		return nil, nil, nil, "", err
	}
	if cur, err := l.store.PaperVersion(ctx, p.ID); err == nil {
		version = cur
	}
	return chunks, vecs, terms, version, nil
}
