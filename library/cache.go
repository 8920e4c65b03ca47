package library

import (
	"container/list"
	"context"
	"fmt"
	"strconv"
	"sync/atomic"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/search"
)

// CacheStats describe the loaded-paper cache at one moment.
type CacheStats struct {
	Papers    int   `json:"papers"`
	Bytes     int64 `json:"bytes"`
	Hits      int64 `json:"hits"`
	Misses    int64 `json:"misses"`
	Evictions int64 `json:"evictions"`
	Reloads   int64 `json:"reloads"` // entries found stale on revalidation
}

// paperCache is a least-recently-used set of loaded papers bounded by
// count and by approximate bytes. It is not safe for concurrent use: the
// Library guards it with l.mu.
type paperCache struct {
	maxPapers int
	maxBytes  int64
	bytes     int64
	ll        *list.List // of *Loaded, most recently used first
	items     map[string]*list.Element

	hits, misses, evictions, reloads atomic.Int64
}

func newPaperCache(maxPapers int, maxBytes int64) *paperCache {
	return &paperCache{maxPapers: maxPapers, maxBytes: maxBytes, ll: list.New(), items: make(map[string]*list.Element)}
}

// get returns the paper's entry, marking it most recently used.
func (c *paperCache) get(id string) *Loaded {
	el, ok := c.items[id]
	if !ok {
		return nil
	}
	c.ll.MoveToFront(el)
	return el.Value.(*Loaded)
}

// put adds lp as the most recently used entry, replacing any entry for
// the same paper, and returns the entries that no longer fit (the
// replaced one first). The newest entry is never evicted, so a paper
// larger than the byte limit is still answerable while it is in use.
func (c *paperCache) put(lp *Loaded) (evicted []*Loaded) {
	if old := c.remove(lp.paper.ID); old != nil {
		evicted = append(evicted, old)
	}
	c.items[lp.paper.ID] = c.ll.PushFront(lp)
	c.bytes += lp.size
	for c.ll.Len() > 1 && (c.ll.Len() > c.maxPapers || c.bytes > c.maxBytes) {
		victim := c.ll.Back().Value.(*Loaded)
		c.remove(victim.paper.ID)
		c.evictions.Add(1)
		evicted = append(evicted, victim)
	}
	return evicted
}

// resize sets the size of lp, if it is the paper's entry, and returns
// the entries that no longer fit, never lp itself.
func (c *paperCache) resize(lp *Loaded, size int64) (evicted []*Loaded) {
	el, ok := c.items[lp.paper.ID]
	if !ok || el.Value.(*Loaded) != lp {
		lp.size = size
		return nil
	}
	c.bytes += size - lp.size
	lp.size = size
	for c.ll.Len() > 1 && c.bytes > c.maxBytes {
		victim := c.ll.Back().Value.(*Loaded)
		if victim == lp {
			break
		}
		c.remove(victim.paper.ID)
		c.evictions.Add(1)
		evicted = append(evicted, victim)
	}
	return evicted
}

// remove deletes the paper's entry and returns it, or nil.
func (c *paperCache) remove(id string) *Loaded {
	el, ok := c.items[id]
	if !ok {
		return nil
	}
	c.ll.Remove(el)
	delete(c.items, id)
	lp := el.Value.(*Loaded)
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

// perChunkOverhead is the heap a loaded chunk costs besides its vector,
// its text and its share of the lexicon: the chunk and vector headers and
// the vector index's document (id, content and map slot). It was
// calibrated with TestLoadedPaperHeap on synthetic 148-chunk papers.
const perChunkOverhead = 256

// approxSize estimates the live heap a loaded paper holds: its vectors
// (one copy, shared by the vector index), its text (the paper and the
// chunk texts it does not share with the paper), its lexicon and
// perChunkOverhead per chunk. The process's resident memory is larger
// by the garbage collector's headroom, which the server bounds with a
// soft memory limit derived from the cache's (see config).
func approxSize(p *paper.Paper, chunks []paper.Chunk, vecs [][]float32, lex *search.Lexicon) int64 {
	var n int64
	for _, v := range vecs {
		n += 4 * int64(len(v))
	}
	n += PaperTextBytes(p)
	for _, c := range chunks {
		if !sharesReference(p, c) {
			n += int64(len(c.Text))
		}
		n += perChunkOverhead
	}
	if lex != nil {
		n += lex.Bytes()
	}
	return n
}

// sharesReference reports whether chunk c is a reference's chunk whose
// text is that reference's text, which every load path shares with the
// paper rather than copying (and a string comparison of one shared copy
// stops at its pointer).
func sharesReference(p *paper.Paper, c paper.Chunk) bool {
	if c.Kind != paper.KindReference {
		return false
	}
	r, ok := p.Reference(c.N)
	return ok && r.Text == c.Text
}

// PaperTextBytes is the number of bytes of text a paper holds.
func PaperTextBytes(p *paper.Paper) int64 {
	n := len(p.ID) + len(p.Title) + len(p.TitleZh) + len(p.Journal) + len(p.DOI) + len(p.Abstract) + len(p.AbstractZh) + len(p.Numbering)
	for _, a := range p.Authors {
		n += len(a)
	}
	for _, r := range p.References {
		n += len(r.Text) + len(r.DOI)
	}
	if b := p.Body; b != nil {
		sentences := func(ss []paper.Sentence) {
			for _, s := range ss {
				n += len(s.ID) + len(s.Text) + 8*len(s.Cites)
			}
		}
		for _, s := range b.Sections {
			n += len(s.ID) + len(s.Title)
			for _, pg := range s.Paragraphs {
				n += len(pg.ID) + len(pg.Kind)
				sentences(pg.Sentences)
			}
		}
		for _, c := range b.Captions {
			n += len(c.ID) + len(c.Kind) + len(c.Label) + len(c.Section)
			sentences(c.Sentences)
		}
	}
	return int64(n)
}

// fitsCache refuses a paper whose loaded size (approxSize) would exceed
// the cache's byte bound: it could never stay loaded, and every question
// would load it again.
func (l *Library) fitsCache(p *paper.Paper, chunks []paper.Chunk, vecs [][]float32) error {
	size := approxSize(p, chunks, vecs, nil) // the lexicon, a few per cent, is not built yet
	l.mu.Lock()
	max := l.cache.maxBytes
	l.mu.Unlock()
	if size > max {
		return &paper.LimitError{What: "bytes when loaded", Got: size, Max: max, Setting: "CHATPAPER_CACHE_MB"}
	}
	return nil
}

// CacheStats reports the loaded-paper cache's size and counters.
func (l *Library) CacheStats() CacheStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return CacheStats{
		Papers: l.cache.ll.Len(), Bytes: l.cache.bytes,
		Hits: l.cache.hits.Load(), Misses: l.cache.misses.Load(),
		Evictions: l.cache.evictions.Load(), Reloads: l.cache.reloads.Load(),
	}
}

// retireLocked drops the vectors of entries that left the cache, or,
// for entries a reader still holds, marks them so the last release
// drops them. l.mu must be held.
func (l *Library) retireLocked(lps []*Loaded) {
	for _, lp := range lps {
		lp.retired = true
		if lp.pins == 0 {
			l.dropLocked(lp)
		}
	}
}

// dropLocked forgets the vectors of lp, retired and used by no reader:
// its vector collection is dropped and the pages holding its vectors go
// back for the next loads. Its vectors are cleared, so a use after the
// last Release fails loudly instead of reading another paper's vectors.
// l.mu must be held.
func (l *Library) dropLocked(lp *Loaded) {
	l.vectors.Drop(lp.key)
	if lp.pages != nil {
		l.pages.give(lp.pages)
		lp.pages, lp.vecs = nil, nil
		lp.vectors.Store(nil)
	} else if v := lp.vectors.Load(); v != nil && v.Sparse != nil {
		lp.vectors.Store(nil)
		v.Sparse.release()
	}
	lp.spare.release()
	lp.spare = nil
}

// denseBytes is the memory n dense vectors of dim floats take in pages.
func denseBytes(n, dim int) int64 {
	return 4 * int64((n+pageVectors-1)/pageVectors*pageVectors*dim)
}

// cached returns the paper's cache entry pinned for use, or nil when it
// is not loaded or the store holds another version of it by now.
func (l *Library) cached(ctx context.Context, id string) (*Loaded, error) {
	l.mu.Lock()
	lp := l.cache.get(id)
	if lp == nil {
		l.mu.Unlock()
		return nil, nil
	}
	lp.pins++
	check := false
	if now := l.now(); l.revalidate > 0 && now.Sub(lp.checked) > l.revalidate {
		// Claim the check so concurrent readers keep using the entry
		// instead of all querying the store.
		lp.checked, check = now, true
	}
	l.mu.Unlock()
	if !check {
		l.cache.hits.Add(1)
		return lp, nil
	}
	hash, err := l.store.PaperVersion(ctx, id)
	switch {
	case err == nil && hash == lp.hash:
		l.cache.hits.Add(1)
		return lp, nil
	case err != nil && !IsNotFound(err):
		// A store hiccup must not fail answers from a loaded paper.
		l.log.Warn("revalidate cached paper", "paper", id, "err", err)
		l.cache.hits.Add(1)
		return lp, nil
	}
	// Replaced or deleted by another process: forget this version.
	l.cache.reloads.Add(1)
	l.mu.Lock()
	if cur := l.cache.get(id); cur == lp {
		l.cache.remove(id)
		l.retireLocked([]*Loaded{lp})
	}
	l.mu.Unlock()
	lp.Release()
	if err != nil {
		return nil, fmt.Errorf("load paper %q: %w", id, err)
	}
	return nil, nil
}
