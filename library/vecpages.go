package library

import "sync"

// pageVectors is how many vectors one page of a loaded paper's vector
// memory holds. A load from an image decodes its vectors into pages, and
// a paper dropped from the cache gives its pages back for the next load:
// a cold load then allocates (and the garbage collector then reclaims)
// little besides its text, where a fresh 600 KB slab per load of a
// review-sized paper set the collector's pace. Pages of a few vectors
// let papers of any size share them; the unused tail of a paper's last
// page costs under pageVectors vectors per paper and is counted in its
// cache size.
const pageVectors = 8

// maxPooledBytes bounds the memory of pages kept for the next loads,
// besides the cache's own bound.
const maxPooledBytes = 8 << 20

// vectorPages keeps the pages of dropped papers, by dimension. It is safe
// for concurrent use.
type vectorPages struct {
	mu    sync.Mutex
	free  map[int][][]float32
	bytes int
}

// take returns n vectors of dim floats carved from pages, recycled ones
// first, and the pages. With zero, every element is 0; otherwise the
// caller overwrites every vector whole.
func (vp *vectorPages) take(n, dim int, zero bool) (vecs [][]float32, pages [][]float32) {
	if n == 0 || dim == 0 {
		return make([][]float32, n), nil
	}
	np := (n + pageVectors - 1) / pageVectors
	pages = make([][]float32, 0, np)
	vp.mu.Lock()
	if free := vp.free[dim]; len(free) > 0 {
		k := min(np, len(free))
		pages = append(pages, free[len(free)-k:]...)
		clear(free[len(free)-k:])
		vp.free[dim] = free[:len(free)-k]
		vp.bytes -= k * pageVectors * dim * 4
	}
	vp.mu.Unlock()
	if zero {
		for _, pg := range pages {
			clear(pg)
		}
	}
	for len(pages) < np {
		pages = append(pages, make([]float32, pageVectors*dim))
	}
	vecs = make([][]float32, n)
	for i := range vecs {
		pg := pages[i/pageVectors]
		at := (i % pageVectors) * dim
		vecs[i] = pg[at : at+dim : at+dim]
	}
	return vecs, pages
}

// give takes back pages no vector of which is used any more, keeping
// what fits in maxPooledBytes.
func (vp *vectorPages) give(pages [][]float32) {
	if len(pages) == 0 {
		return
	}
	dim := len(pages[0]) / pageVectors
	size := len(pages[0]) * 4
	vp.mu.Lock()
	defer vp.mu.Unlock()
	if vp.free == nil {
		vp.free = make(map[int][][]float32)
	}
	for _, pg := range pages {
		if vp.bytes+size > maxPooledBytes {
			return
		}
		vp.free[dim] = append(vp.free[dim], pg)
		vp.bytes += size
	}
}
