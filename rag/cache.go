package rag

import (
	"container/list"
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/chatpaper/chatpaper/paper"
)

// Default cache limits. A paper of ~150 chunks embedded in 1024
// dimensions takes about 0.7 MB loaded, so the byte limit binds first on
// large catalogues; the count limit bounds the per-paper overhead of
// many small papers.
const (
	DefaultCachePapers = 1000
	DefaultCacheBytes  = 512 << 20
	// DefaultRevalidate is how long a loaded paper is trusted before the
	// next use checks (one indexed query) that the store still holds the
	// same content, so a paper replaced or deleted by another process is
	// seen within this bound.
	DefaultRevalidate = 2 * time.Second
)

// CacheLimits bound the papers an Engine keeps loaded. Zero or negative
// fields take the defaults above; Revalidate < 0 disables revalidation
// (a single process that alone writes its store needs none).
type CacheLimits struct {
	Papers     int
	Bytes      int64
	Revalidate time.Duration
}

// CacheStats describe the loaded-paper cache at one moment.
type CacheStats struct {
	Papers    int   `json:"papers"`
	Bytes     int64 `json:"bytes"`
	Hits      int64 `json:"hits"`
	Misses    int64 `json:"misses"`
	Evictions int64 `json:"evictions"`
	Reloads   int64 `json:"reloads"` // entries found stale on revalidation
}

// PaperVersioner is the optional store method the cache uses to
// revalidate a loaded paper cheaply: the store.ContentHash recorded when
// the paper was stored, or an error wrapping store.ErrNotFound.
type PaperVersioner interface {
	PaperHash(ctx context.Context, id string) (string, error)
}

// paperCache is a least-recently-used set of loaded papers bounded by
// count and by approximate bytes. It is not safe for concurrent use: the
// Engine guards it with e.mu.
type paperCache struct {
	maxPapers int
	maxBytes  int64
	bytes     int64
	ll        *list.List // of *loadedPaper, most recently used first
	items     map[string]*list.Element

	hits, misses, evictions, reloads atomic.Int64
}

func newPaperCache(maxPapers int, maxBytes int64) *paperCache {
	return &paperCache{maxPapers: maxPapers, maxBytes: maxBytes, ll: list.New(), items: make(map[string]*list.Element)}
}

// get returns the paper's entry, marking it most recently used.
func (c *paperCache) get(id string) *loadedPaper {
	el, ok := c.items[id]
	if !ok {
		return nil
	}
	c.ll.MoveToFront(el)
	return el.Value.(*loadedPaper)
}

// put adds lp as the most recently used entry, replacing any entry for
// the same paper, and returns the entries that no longer fit (the
// replaced one first). The newest entry is never evicted, so a paper
// larger than the byte limit is still answerable while it is in use.
func (c *paperCache) put(lp *loadedPaper) (evicted []*loadedPaper) {
	if old := c.remove(lp.paper.ID); old != nil {
		evicted = append(evicted, old)
	}
	c.items[lp.paper.ID] = c.ll.PushFront(lp)
	c.bytes += lp.size
	for c.ll.Len() > 1 && (c.ll.Len() > c.maxPapers || c.bytes > c.maxBytes) {
		victim := c.ll.Back().Value.(*loadedPaper)
		c.remove(victim.paper.ID)
		c.evictions.Add(1)
		evicted = append(evicted, victim)
	}
	return evicted
}

// remove deletes the paper's entry and returns it, or nil.
func (c *paperCache) remove(id string) *loadedPaper {
	el, ok := c.items[id]
	if !ok {
		return nil
	}
	c.ll.Remove(el)
	delete(c.items, id)
	lp := el.Value.(*loadedPaper)
	c.bytes -= lp.size
	return lp
}

// vectorKeys numbers vector collections so that a reloaded paper gets a
// collection of its own: dropping an evicted generation that a reader
// still used can then never drop the current one.
var vectorKeys atomic.Uint64

func newVectorKey(paperID string) string {
	return paperID + "#" + strconv.FormatUint(vectorKeys.Add(1), 10)
}

// perChunkOverhead is the heap a loaded chunk costs besides its vector
// and text: lexicon postings, the vector index's document, headers. It
// was calibrated on synthetic 148-chunk papers, whose measured live heap
// (runtime.MemStats.HeapInuse after GC) was 964 KiB per paper.
const perChunkOverhead = 2048

// approxSize estimates the live heap a loaded paper holds: its vectors
// in the vector index, its chunk texts (kept by the chunks, the lexicon
// and the index) and perChunkOverhead. The process's resident memory is
// larger by the garbage collector's headroom (about 2x live heap at the
// default GOGC; set GOMEMLIMIT to trade CPU for memory).
func approxSize(texts []string, vecs [][]float32) int64 {
	var n int64
	for _, v := range vecs {
		n += 4 * int64(len(v))
	}
	for _, t := range texts {
		n += 3*int64(len(t)) + perChunkOverhead
	}
	return n
}

// SetPaperLimits sets the size limits Ingest enforces on each paper
// (zero fields: no limit besides paper.MaxReferences). Call it before the
// engine is used.
func (e *Engine) SetPaperLimits(l paper.Limits) { e.limits = l }

// fitsCache refuses a paper whose loaded size (approxSize) would exceed
// the cache's byte bound: it could never stay loaded, and every question
// would load it again.
func (e *Engine) fitsCache(chunks []paper.Chunk, vecs [][]float32) error {
	texts := make([]string, len(chunks))
	for i, c := range chunks {
		texts[i] = c.Text
	}
	size := approxSize(texts, vecs)
	e.mu.Lock()
	max := e.cache.maxBytes
	e.mu.Unlock()
	if size > max {
		return &paper.LimitError{What: "bytes when loaded", Got: size, Max: max, Setting: "CHATPAPER_CACHE_MB"}
	}
	return nil
}

// SetCacheLimits changes the bounds of the loaded-paper cache, evicting
// at once what no longer fits.
func (e *Engine) SetCacheLimits(l CacheLimits) {
	if l.Papers <= 0 {
		l.Papers = DefaultCachePapers
	}
	if l.Bytes <= 0 {
		l.Bytes = DefaultCacheBytes
	}
	switch {
	case l.Revalidate == 0:
		l.Revalidate = DefaultRevalidate
	case l.Revalidate < 0:
		l.Revalidate = 0
	}
	e.mu.Lock()
	e.cache.maxPapers, e.cache.maxBytes = l.Papers, l.Bytes
	e.revalidate = l.Revalidate
	var evicted []*loadedPaper
	for e.cache.ll.Len() > 0 && (e.cache.ll.Len() > l.Papers || e.cache.bytes > l.Bytes) {
		victim := e.cache.ll.Back().Value.(*loadedPaper)
		e.cache.remove(victim.paper.ID)
		e.cache.evictions.Add(1)
		evicted = append(evicted, victim)
	}
	e.retireLocked(evicted)
	e.mu.Unlock()
}

// CacheStats reports the loaded-paper cache's size and counters.
func (e *Engine) CacheStats() CacheStats {
	e.mu.Lock()
	defer e.mu.Unlock()
	return CacheStats{
		Papers: e.cache.ll.Len(), Bytes: e.cache.bytes,
		Hits: e.cache.hits.Load(), Misses: e.cache.misses.Load(),
		Evictions: e.cache.evictions.Load(), Reloads: e.cache.reloads.Load(),
	}
}

// retireLocked drops the vectors of entries that left the cache, or,
// for entries a reader still holds, marks them so the last release
// drops them. e.mu must be held.
func (e *Engine) retireLocked(lps []*loadedPaper) {
	for _, lp := range lps {
		lp.retired = true
		if lp.pins == 0 {
			e.vectors.Drop(lp.key)
		}
	}
}

// release ends a use of lp begun by load.
func (e *Engine) release(lp *loadedPaper) {
	e.mu.Lock()
	lp.pins--
	if lp.pins == 0 && lp.retired {
		e.vectors.Drop(lp.key)
	}
	e.mu.Unlock()
}

// cached returns the paper's cache entry pinned for use, or nil when it
// is not loaded or the store holds another version of it by now.
func (e *Engine) cached(ctx context.Context, id string) (*loadedPaper, error) {
	e.mu.Lock()
	lp := e.cache.get(id)
	if lp == nil {
		e.mu.Unlock()
		return nil, nil
	}
	lp.pins++
	check := false
	if e.revalidate > 0 && e.versions != nil && time.Since(lp.checked) > e.revalidate {
		// Claim the check so concurrent readers keep using the entry
		// instead of all querying the store.
		lp.checked, check = time.Now(), true
	}
	e.mu.Unlock()
	if !check {
		e.cache.hits.Add(1)
		return lp, nil
	}
	hash, err := e.versions.PaperHash(ctx, id)
	switch {
	case err == nil && hash == lp.hash:
		e.cache.hits.Add(1)
		return lp, nil
	case err != nil && !IsNotFound(err):
		// A store hiccup must not fail answers from a loaded paper.
		e.log.Warn("revalidate cached paper", "paper", id, "err", err)
		e.cache.hits.Add(1)
		return lp, nil
	}
	// Replaced or deleted by another process: forget this version.
	e.cache.reloads.Add(1)
	e.mu.Lock()
	if cur := e.cache.get(id); cur == lp {
		e.cache.remove(id)
		e.retireLocked([]*loadedPaper{lp})
	}
	e.mu.Unlock()
	e.release(lp)
	if err != nil {
		return nil, fmt.Errorf("load paper %q: %w", id, err)
	}
	return nil, nil
}
