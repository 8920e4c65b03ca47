// Package library keeps the papers ChatPaper answers from: it ingests
// and deletes them (chunked, embedded, stored, indexed), loads them into
// a bounded cache on first use, hands them out pinned as *Loaded, and
// keeps the catalogue search index current. It is the only owner of the
// consistency between the store and the in-memory indexes.
package library

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/search"
	"github.com/chatpaper/chatpaper/store"
)

// VectorHit is one nearest-neighbour result: the position of the vector
// in the slice given to Set, and its cosine similarity to the query.
type VectorHit struct {
	Index int
	Score float32
}

// VectorIndex holds one collection of chunk vectors per key.
type VectorIndex interface {
	// Set replaces the key's vectors.
	Set(ctx context.Context, key string, vectors [][]float32) error
	// Query returns up to k hits, best first.
	Query(ctx context.Context, key string, query []float32, k int) ([]VectorHit, error)
	// Drop forgets the key's vectors.
	Drop(key string)
}

// Options configure a Library. Every field is explicit: package config
// holds the defaults.
type Options struct {
	// CachePapers and CacheBytes bound the loaded papers (both > 0).
	CachePapers int
	CacheBytes  int64
	// Revalidate is how long a loaded paper is trusted before its next
	// use checks that the store still holds the same content; 0 never
	// checks (a single process that alone writes its store).
	Revalidate time.Duration
	// Limits bound each paper Ingest accepts (zero fields: no limit
	// besides paper.MaxReferences); a paper whose loaded size would
	// exceed CacheBytes is refused too.
	Limits paper.Limits
	// Images is the folder of load images (derived copies of stored
	// papers that load without the store's per-chunk rows; see
	// image.go); "" keeps none, and every load reads the store.
	Images string
	// Log receives warnings; nil discards them.
	Log *slog.Logger
	// Now is the clock revalidation reads; nil is time.Now.
	Now func() time.Time
}

// Library is the set of papers ChatPaper can answer from. It is safe
// for concurrent use.
type Library struct {
	store    store.Store
	embedder embed.Embedder
	vectors  VectorIndex
	log      *slog.Logger
	now      func() time.Time

	limits paper.Limits
	images string

	// writeLocks serialise the writes (ingest, delete, re-embed) of one
	// paper, striped by id: writes of different papers, and every load,
	// run in parallel.
	writeLocks [64]sync.Mutex

	mu         sync.Mutex // guards the cache, pins and flight; held only briefly
	cache      *paperCache
	revalidate time.Duration
	flight     map[string]*loadCall

	cat catalogue

	pages vectorPages // of papers dropped, for the next loads from images
}

type loadCall struct {
	done    chan struct{}
	waiters int // callers besides the loader, each owed a pin
	// stale is set (under Library.mu) when the paper is written or
	// deleted while the load runs: the load may have read the older
	// version, so it serves its waiters but is not cached.
	stale bool
	// use is whether the loader's Acquire counts as a use (Acquire).
	use bool
	lp  *Loaded
	err error
}

// writeLock returns the lock serialising writes of paper id.
func (l *Library) writeLock(id string) *sync.Mutex {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	return &l.writeLocks[h.Sum32()%uint32(len(l.writeLocks))]
}

// New returns a library over the given store, embedder and vector index.
func New(st store.Store, e embed.Embedder, vi VectorIndex, o Options) (*Library, error) {
	if o.CachePapers <= 0 || o.CacheBytes <= 0 || o.Revalidate < 0 {
		return nil, fmt.Errorf("library: cache limits must be positive, revalidation not negative: %+v", o)
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Library{
		store: st, embedder: e, vectors: vi, log: o.Log, now: o.Now, limits: withWindow(o.Limits), images: o.Images,
		cache: newPaperCache(o.CachePapers, o.CacheBytes), revalidate: o.Revalidate,
		flight: make(map[string]*loadCall),
	}, nil
}

// withWindow counts body passages as Chunks splits them.
func withWindow(l paper.Limits) paper.Limits {
	l.Window = WindowSentences
	return l
}

// Embedder is the embedder chunks are indexed with; a question must be
// embedded with the same one.
func (l *Library) Embedder() embed.Embedder { return l.embedder }

// Ingest validates, chunks and embeds p, stores it durably and indexes
// it, replacing any paper with the same id. The paper is answerable as
// soon as Ingest returns nil.
func (l *Library) Ingest(ctx context.Context, p *paper.Paper) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	if err := p.CheckLimits(l.limits); err != nil {
		return fmt.Errorf("ingest %q: %w", p.ID, err)
	}
	// References unchanged since an earlier version keep their
	// enrichment (links are keyed by reference content); the paper is
	// stored without it and indexed with it.
	ep := p.Enriched(l.links(ctx, p.ID))
	chunks := Chunks(ep)
	// Texts alone give a lower bound of the loaded size, checked before
	// the embedding is paid for; the vectors complete it after.
	if err := l.fitsCache(p, chunks, nil); err != nil {
		return fmt.Errorf("ingest %q: %w", p.ID, err)
	}
	vecs, err := l.embedChunks(ctx, chunks)
	if err != nil {
		return fmt.Errorf("ingest %q: %w", p.ID, err)
	}
	if err := l.fitsCache(p, chunks, vecs); err != nil {
		return fmt.Errorf("ingest %q: %w", p.ID, err)
	}
	terms := chunkTerms(chunks)
	catTerms := CatalogueTerms(p)
	wl := l.writeLock(p.ID)
	wl.Lock()
	defer wl.Unlock()
	if err := l.store.PutPaper(ctx, p, l.embedder.Name(), embedded(chunks, vecs, terms)); err != nil {
		return fmt.Errorf("ingest %q: %w", p.ID, err)
	}
	// Index after storing: a crash in between leaves a stored paper that
	// the next load indexes, never an indexed paper that is not stored.
	hash := store.ContentHash(p)
	if err := l.store.PutCatalogueTerms(ctx, []store.CatalogueTerms{{ID: p.ID, Hash: hash, Terms: catTerms}}); err != nil {
		// Stored all the same: the next catalogue build makes them again.
		l.log.Warn("store catalogue terms", "paper", p.ID, "err", err)
	}
	l.cataloguePut(p, hash, catTerms) // stored, so searchable, whatever happens next
	version, err := l.store.PaperVersion(ctx, p.ID)
	if err != nil {
		// Stored all the same: the next revalidation reloads it.
		version = hash
	}
	lp, err := l.index(ctx, ep, version, chunks, vecs, terms)
	if err != nil {
		l.forget(p.ID)
		return fmt.Errorf("ingest %q: %w", p.ID, err)
	}
	l.saveImage(p, version, lp)
	l.mu.Lock()
	l.markWrittenLocked(p.ID)
	l.retireLocked(l.cache.put(lp))
	l.mu.Unlock()
	return nil
}

// markWrittenLocked tells a load of id in flight that the paper changed
// under it. l.mu must be held.
func (l *Library) markWrittenLocked(id string) {
	if c, ok := l.flight[id]; ok {
		c.stale = true
	}
}

// Delete removes a paper from the store and the indexes.
func (l *Library) Delete(ctx context.Context, id string) error {
	wl := l.writeLock(id)
	wl.Lock()
	defer wl.Unlock()
	if err := l.store.DeletePaper(ctx, id); err != nil {
		return fmt.Errorf("delete %q: %w", id, err)
	}
	l.forget(id)
	l.dropImage(id)
	l.catalogueDrop(id)
	return nil
}

// Paper returns a stored paper (an error wrapping store.ErrNotFound when
// absent). Callers that go on to retrieve from it Acquire it instead, so
// they read one version throughout. It reads no vectors, so it does not
// count as a use that makes a paper's vectors dense (Acquire).
func (l *Library) Paper(ctx context.Context, id string) (*paper.Paper, error) {
	lp, err := l.acquire(ctx, id, false)
	if err != nil {
		return nil, err
	}
	defer lp.Release()
	return lp.Paper(), nil
}

// Papers lists the stored papers.
func (l *Library) Papers(ctx context.Context) ([]store.PaperInfo, error) {
	ps, err := l.store.Papers(ctx)
	if err != nil {
		return nil, fmt.Errorf("list papers: %w", err)
	}
	return ps, nil
}

// IsNotFound reports whether err means a paper does not exist.
func IsNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

func (l *Library) forget(id string) {
	l.mu.Lock()
	l.markWrittenLocked(id)
	if lp := l.cache.remove(id); lp != nil {
		l.retireLocked([]*Loaded{lp})
	}
	l.mu.Unlock()
}

func (l *Library) embedChunks(ctx context.Context, chunks []paper.Chunk) ([][]float32, error) {
	return embedChunks(ctx, l.embedder, chunks)
}

func embedChunks(ctx context.Context, e embed.Embedder, chunks []paper.Chunk) ([][]float32, error) {
	texts := make([]string, len(chunks))
	for i, c := range chunks {
		texts[i] = c.Text
	}
	vecs, err := e.Embed(ctx, texts)
	if err != nil {
		return nil, fmt.Errorf("embed %d chunks: %w", len(chunks), err)
	}
	if len(vecs) != len(chunks) {
		return nil, fmt.Errorf("embedder %s returned %d vectors for %d chunks", e.Name(), len(vecs), len(chunks))
	}
	return vecs, nil
}

func embedded(chunks []paper.Chunk, vecs [][]float32, terms [][]byte) []store.EmbeddedChunk {
	out := make([]store.EmbeddedChunk, len(chunks))
	for i := range chunks {
		out[i] = store.EmbeddedChunk{Chunk: chunks[i], Vector: vecs[i], Terms: terms[i]}
	}
	return out
}

// chunkTerms returns each chunk's terms in the stored form
// (search.EncodeTerms), so a load rebuilds the lexicon without
// tokenizing again.
func chunkTerms(chunks []paper.Chunk) [][]byte {
	out := make([][]byte, len(chunks))
	for i, c := range chunks {
		out[i] = search.EncodeTerms(c.Text)
	}
	return out
}

// Embedded returns p's chunks with their vectors from e and their terms
// in the stored form, as Ingest stores them; bulk loaders that write the
// store directly use it so their papers load as cheaply as ingested ones.
func Embedded(ctx context.Context, e embed.Embedder, p *paper.Paper) ([]store.EmbeddedChunk, error) {
	chunks := Chunks(p)
	vecs, err := embedChunks(ctx, e, chunks)
	if err != nil {
		return nil, err
	}
	return embedded(chunks, vecs, chunkTerms(chunks)), nil
}

// index builds the paper's vector collection and lexicon, from the
// chunks' stored terms where they have them (a chunk without them is
// tokenized); the caller puts the result into the cache.
func (l *Library) index(ctx context.Context, p *paper.Paper, hash string, chunks []paper.Chunk, vecs [][]float32, terms [][]byte) (*Loaded, error) {
	texts := make([]string, len(chunks))
	for i, c := range chunks {
		texts[i] = c.Text
	}
	lex, err := search.NewLexiconTerms(texts, terms, search.Robertson)
	if err != nil {
		return nil, err
	}
	return l.indexLexicon(ctx, p, hash, chunks, vecs, lex)
}

// indexLexicon is index with the lexicon already built.
func (l *Library) indexLexicon(ctx context.Context, p *paper.Paper, hash string, chunks []paper.Chunk, vecs [][]float32, lex *search.Lexicon) (*Loaded, error) {
	lp := l.loaded(p, hash, chunks, lex)
	if err := l.vectors.Set(ctx, lp.key, vecs); err != nil {
		return nil, err
	}
	lp.vecs = vecs
	lp.vectors.Store(&Vectors{Dense: vecs})
	for _, v := range vecs {
		lp.size += 4 * int64(len(v))
	}
	return lp, nil
}

// loaded returns the paper's Loaded without vectors, sized without them.
func (l *Library) loaded(p *paper.Paper, hash string, chunks []paper.Chunk, lex *search.Lexicon) *Loaded {
	return &Loaded{
		lib: l, paper: p, chunks: chunks, passages: passagesOf(p, chunks), lex: lex,
		key: newVectorKey(p.ID), hash: hash, size: approxSize(p, chunks, nil, lex), checked: l.now(),
	}
}
