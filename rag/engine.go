package rag

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/search"
	"github.com/chatpaper/chatpaper/store"
	"github.com/chatpaper/chatpaper/tokenize"
)

// VectorHit is one nearest-neighbour result: the position of the vector
// in the slice given to Set, and its cosine similarity to the query.
type VectorHit struct {
	Index int
	Score float32
}

// VectorIndex holds one collection of chunk vectors per paper.
type VectorIndex interface {
	// Set replaces the paper's vectors.
	Set(ctx context.Context, paperID string, vectors [][]float32) error
	// Query returns up to k hits, best first.
	Query(ctx context.Context, paperID string, query []float32, k int) ([]VectorHit, error)
	// Drop forgets the paper's vectors.
	Drop(paperID string)
}

// Engine indexes papers and answers questions about them extractively.
// It is safe for concurrent use.
type Engine struct {
	store    store.Store
	embedder embed.Embedder
	vectors  VectorIndex
	log      *slog.Logger

	writeMu sync.Mutex // serialises ingests and deletes so store and index agree

	versions PaperVersioner // nil when the store cannot tell versions

	mu         sync.Mutex
	cache      *paperCache // loaded papers, bounded (cache.go)
	revalidate time.Duration
	flight     map[string]*loadCall
	// corpus indexes every stored paper's titles and abstracts for
	// SearchPapers; nil until the first search builds it.
	corpus       *search.Index
	corpusPapers map[string]paperMeta

	reranker Reranker // optional; see SetReranker
	fusion   int      // fusionWeighted unless a measurement changes it
	// noGlosses turns off dictionary translation of Chinese questions,
	// for measuring character bigrams alone.
	noGlosses bool
}

var _ Answerer = (*Engine)(nil)

// loadedPaper is a paper ready to answer from: its chunks in stored
// order (their positions key the vector index) and its lexical index.
type loadedPaper struct {
	paper  *paper.Paper
	chunks []paper.Chunk
	lex    *lexicon
	key    string // its collection in the vector index
	hash   string // store.ContentHash of the version loaded
	size   int64  // approximate bytes held

	// Guarded by Engine.mu.
	pins    int       // readers using it; its vectors stay until 0
	retired bool      // left the cache; drop vectors at pins 0
	checked time.Time // last time the store confirmed hash
}

type loadCall struct {
	done    chan struct{}
	waiters int // callers besides the loader, each owed a pin
	lp      *loadedPaper
	err     error
}

// NewEngine returns an engine over the given store, embedder and vector
// index. A nil logger discards logs.
func NewEngine(st store.Store, e embed.Embedder, vi VectorIndex, log *slog.Logger) *Engine {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	eng := &Engine{
		store: st, embedder: e, vectors: vi, log: log,
		cache:  newPaperCache(DefaultCachePapers, DefaultCacheBytes),
		flight: make(map[string]*loadCall),
	}
	eng.versions, _ = st.(PaperVersioner)
	eng.SetCacheLimits(CacheLimits{})
	return eng
}

// Ingest validates, chunks and embeds p, stores it durably and indexes
// it, replacing any paper with the same id. The paper is answerable as
// soon as Ingest returns nil.
func (e *Engine) Ingest(ctx context.Context, p *paper.Paper) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	chunks := Chunks(p)
	vecs, err := e.embedChunks(ctx, chunks)
	if err != nil {
		return fmt.Errorf("ingest %q: %w", p.ID, err)
	}
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	if err := e.store.PutPaper(ctx, p, e.embedder.Name(), embedded(chunks, vecs)); err != nil {
		return fmt.Errorf("ingest %q: %w", p.ID, err)
	}
	// Index after storing: a crash in between leaves a stored paper that
	// the next load indexes, never an indexed paper that is not stored.
	e.corpusPut(p) // stored, so searchable, whatever happens next
	lp, err := e.index(ctx, p, store.ContentHash(p), chunks, vecs)
	if err != nil {
		e.forget(p.ID)
		return fmt.Errorf("ingest %q: %w", p.ID, err)
	}
	e.mu.Lock()
	e.retireLocked(e.cache.put(lp))
	e.mu.Unlock()
	return nil
}

// Delete removes a paper from the store and the index.
func (e *Engine) Delete(ctx context.Context, id string) error {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	if err := e.store.DeletePaper(ctx, id); err != nil {
		return fmt.Errorf("delete %q: %w", id, err)
	}
	e.forget(id)
	e.corpusDrop(id)
	return nil
}

// Paper returns a stored paper (ErrNotFound from store when absent).
func (e *Engine) Paper(ctx context.Context, id string) (*paper.Paper, error) {
	lp, err := e.load(ctx, id)
	if err != nil {
		return nil, err
	}
	e.release(lp)
	return lp.paper, nil
}

func (e *Engine) forget(id string) {
	e.mu.Lock()
	if lp := e.cache.remove(id); lp != nil {
		e.retireLocked([]*loadedPaper{lp})
	}
	e.mu.Unlock()
}

func (e *Engine) embedChunks(ctx context.Context, chunks []paper.Chunk) ([][]float32, error) {
	texts := make([]string, len(chunks))
	for i, c := range chunks {
		texts[i] = c.Text
	}
	vecs, err := e.embedder.Embed(ctx, texts)
	if err != nil {
		return nil, fmt.Errorf("embed %d chunks: %w", len(chunks), err)
	}
	if len(vecs) != len(chunks) {
		return nil, fmt.Errorf("embedder %s returned %d vectors for %d chunks", e.embedder.Name(), len(vecs), len(chunks))
	}
	return vecs, nil
}

func embedded(chunks []paper.Chunk, vecs [][]float32) []store.EmbeddedChunk {
	out := make([]store.EmbeddedChunk, len(chunks))
	for i := range chunks {
		out[i] = store.EmbeddedChunk{Chunk: chunks[i], Vector: vecs[i]}
	}
	return out
}

// index builds the paper's vector collection and lexicon; the caller
// puts the result into the cache.
func (e *Engine) index(ctx context.Context, p *paper.Paper, hash string, chunks []paper.Chunk, vecs [][]float32) (*loadedPaper, error) {
	key := newVectorKey(p.ID)
	if err := e.vectors.Set(ctx, key, vecs); err != nil {
		return nil, err
	}
	texts := make([]string, len(chunks))
	for i, c := range chunks {
		texts[i] = c.Text
	}
	return &loadedPaper{
		paper: p, chunks: chunks, lex: newLexicon(texts),
		key: key, hash: hash, size: approxSize(texts, vecs), checked: time.Now(),
	}, nil
}

// load returns the indexed paper pinned for use, building its index
// from stored vectors when it is not cached; the caller must release it.
// Concurrent loads of one paper share one.
func (e *Engine) load(ctx context.Context, id string) (*loadedPaper, error) {
	lp, err := e.cached(ctx, id)
	if err != nil || lp != nil {
		return lp, err
	}
	e.mu.Lock()
	if lp := e.cache.get(id); lp != nil {
		lp.pins++
		e.mu.Unlock()
		e.cache.hits.Add(1)
		return lp, nil
	}
	e.cache.misses.Add(1)
	if c, ok := e.flight[id]; ok {
		c.waiters++
		e.mu.Unlock()
		select {
		case <-c.done:
			return c.lp, c.err
		case <-ctx.Done():
			// The loader pinned the paper for us too: give it back.
			go func() {
				<-c.done
				if c.lp != nil {
					e.release(c.lp)
				}
			}()
			return nil, ctx.Err()
		}
	}
	c := &loadCall{done: make(chan struct{})}
	e.flight[id] = c
	e.mu.Unlock()

	// The load runs detached from this caller's context: other callers
	// wait for it, and one caller giving up must not fail them all.
	lp, err = e.loadFromStore(context.WithoutCancel(ctx), id, c)
	if err != nil {
		e.mu.Lock()
		delete(e.flight, id)
		e.mu.Unlock()
		c.err = err
	}
	close(c.done)
	return lp, err
}

// loadFromStore reads and indexes the paper, then, under the same
// writeMu hold (so a concurrent ingest cannot be overwritten by an older
// version), caches it pinned once for the loader and once per waiter
// of c and ends c's flight.
func (e *Engine) loadFromStore(ctx context.Context, id string, c *loadCall) (*loadedPaper, error) {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	// The hash is read before the paper: if the paper is replaced in
	// between, the entry holds newer content under an older hash and the
	// next revalidation merely reloads it.
	var hash string
	if e.versions != nil {
		h, err := e.versions.PaperHash(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("load paper %q: %w", id, err)
		}
		hash = h
	}
	p, err := e.store.Paper(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load paper %q: %w", id, err)
	}
	stored, name, err := e.store.Chunks(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load chunks of %q: %w", id, err)
	}
	chunks := make([]paper.Chunk, len(stored))
	vecs := make([][]float32, len(stored))
	for i, c := range stored {
		chunks[i], vecs[i] = c.Chunk, c.Vector
	}
	if name != e.embedder.Name() {
		// Vectors from another embedder live in another space; re-embed
		// once and store them so the next start needs no work.
		e.log.Info("re-embedding paper", "paper", id, "stored_embedder", name, "embedder", e.embedder.Name())
		chunks = Chunks(p)
		if vecs, err = e.embedChunks(ctx, chunks); err != nil {
			return nil, fmt.Errorf("re-embed %q: %w", id, err)
		}
		if err := e.store.PutPaper(ctx, p, e.embedder.Name(), embedded(chunks, vecs)); err != nil {
			return nil, fmt.Errorf("re-embed %q: %w", id, err)
		}
	}
	if hash == "" {
		hash = store.ContentHash(p)
	}
	lp, err := e.index(ctx, p, hash, chunks, vecs)
	if err != nil {
		return nil, fmt.Errorf("index %q: %w", id, err)
	}
	e.mu.Lock()
	delete(e.flight, id)
	c.lp = lp
	lp.pins = 1 + c.waiters
	e.retireLocked(e.cache.put(lp))
	e.mu.Unlock()
	return lp, nil
}

// ranked is one chunk with its retrieval scores.
type ranked struct {
	idx     int
	score   float64 // fused score used for ranking
	lexical bool    // the chunk contains a term of the question
}

// retrieve ranks every chunk of the paper for the query terms and
// vector, best first, and measures the decision's features.
func (e *Engine) retrieve(ctx context.Context, lp *loadedPaper, q *query) ([]ranked, Features, error) {
	n := len(lp.chunks)
	if n == 0 {
		return nil, Features{}, nil
	}
	vecs, err := e.embedder.Embed(ctx, []string{q.embedText})
	if err != nil {
		return nil, Features{}, fmt.Errorf("embed question: %w", err)
	}
	cos := make([]float64, n)
	if len(vecs) == 1 && nonZero(vecs[0]) {
		hits, err := e.vectors.Query(ctx, lp.key, vecs[0], n)
		if err != nil {
			return nil, Features{}, err
		}
		for _, h := range hits {
			if h.Index >= 0 && h.Index < n && h.Score > 0 {
				cos[h.Index] = float64(h.Score)
			}
		}
	}
	bm := lp.lex.scores(q)
	fused := fuse(e.fusion, bm, cos)
	out := make([]ranked, n)
	for i := range out {
		out[i] = ranked{idx: i, score: fused[i], lexical: bm[i] > 0}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].score > out[b].score })
	return out, measure(lp.lex, q, cos, fused), nil
}

// Fusion methods. The default is an equal-weight sum of the
// max-normalised BM25 score and the cosine: no public benchmark of
// ranking within one paper was at hand to fit weights on, and equal
// weights assume nothing (docs/BENCHMARKS.md compares the others).
const (
	fusionWeighted = iota
	fusionLexical
	fusionVector
	fusionRRF

	fusionDefault = fusionWeighted
)

// rrfK is the usual reciprocal rank fusion constant (Cormack et al. 2009).
const rrfK = 60

// fuse returns each chunk's fused score from its BM25 score and cosine.
func fuse(method int, bm, cos []float64) []float64 {
	out := make([]float64, len(bm))
	if method == fusionRRF {
		rrf(out, bm, cos)
		return out
	}
	wl, wv := 0.5, 0.5
	switch method {
	case fusionLexical:
		wl, wv = 1, 0
	case fusionVector:
		wl, wv = 0, 1
	}
	var maxBM float64
	for _, s := range bm {
		maxBM = max(maxBM, s)
	}
	for i := range out {
		s := wv * cos[i]
		if maxBM > 0 {
			s += wl * bm[i] / maxBM
		}
		out[i] = s
	}
	return out
}

// rrf adds to out each chunk's reciprocal rank fusion score of the
// lexical and vector rankings; a chunk with zero score in one ranking
// gets nothing from it.
func rrf(out []float64, bm, cos []float64) {
	for _, scores := range [][]float64{bm, cos} {
		idx := make([]int, len(scores))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
		for r, i := range idx {
			if scores[i] > 0 {
				out[i] += 1 / float64(rrfK+r+1)
			}
		}
	}
}

func nonZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return true
		}
	}
	return false
}

// normalizeQuestion validates q and fills in its language.
func normalizeQuestion(q Question) (Question, error) {
	q.Text = strings.TrimSpace(q.Text)
	if q.Text == "" {
		return q, fmt.Errorf("%w: question is empty", ErrInvalidQuestion)
	}
	if n := utf8.RuneCountInString(q.Text); n > MaxQuestionRunes {
		return q, fmt.Errorf("%w: question has %d characters, at most %d are allowed", ErrInvalidQuestion, n, MaxQuestionRunes)
	}
	switch q.Lang {
	case "":
		q.Lang = paper.LangEN
		if tokenize.Lang(q.Text) == "zh" {
			q.Lang = paper.LangZH
		}
	case paper.LangEN, paper.LangZH:
	default:
		return q, fmt.Errorf("%w: lang %q must be en_US or zh_CN", ErrInvalidQuestion, q.Lang)
	}
	return q, nil
}

// IsNotFound reports whether err means a paper does not exist.
func IsNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// Papers lists the stored papers.
func (e *Engine) Papers(ctx context.Context) ([]store.PaperInfo, error) {
	ps, err := e.store.Papers(ctx)
	if err != nil {
		return nil, fmt.Errorf("list papers: %w", err)
	}
	return ps, nil
}
