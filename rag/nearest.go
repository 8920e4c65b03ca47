package rag

import (
	"fmt"
	"math"

	"github.com/chatpaper/chatpaper/library"
)

// sparseShare is the largest share of non-zero coordinates at which a
// question vector is scanned by its non-zero coordinates only: reading
// a chunk vector at scattered positions costs more per coordinate than
// reading it in order, so a question must be clearly sparse to gain.
const sparseShare = 4

// nearest returns the k chunks whose vectors have the highest dot product
// with qv, best first, equal scores in chunk order. It is the scan the
// vector index (chromem-go) runs for Loaded.Nearest, over the same
// vectors it holds, giving the same scores: like chromem it normalises
// a question vector that is not normalised, and it sums each product in
// coordinate order. Unlike chromem it runs on the calling goroutine, keeps
// only the k best while scanning, and skips the question's zero
// coordinates when most are zero (as the local embedder's are): a skipped
// term adds an exact zero, so the sum is unchanged.
func nearest(qv []float32, vecs library.Vectors, k int) ([]library.VectorHit, error) {
	if !isNormalized(qv) {
		qv = normalized(qv)
	}
	return newQueryVec(qv).nearest(vecs, k, nil)
}

// queryVec is a question vector ready to score chunk vectors with: by
// its non-zero coordinates alone when most are zero.
type queryVec struct {
	v   []float32
	idx []int32 // nil: dense
	val []float32
}

func newQueryVec(v []float32) queryVec {
	nz := 0
	for _, x := range v {
		if x != 0 {
			nz++
		}
	}
	q := queryVec{v: v}
	if nz*sparseShare <= len(v) {
		q.idx, q.val = make([]int32, 0, nz), make([]float32, 0, nz)
		for i, x := range v {
			if x != 0 {
				q.idx = append(q.idx, int32(i))
				q.val = append(q.val, x)
			}
		}
	}
	return q
}

// dot is dot(q.v, c): the same products summed in the same order, less
// those by a zero coordinate of q, which add an exact zero.
func (q queryVec) dot(c []float32) float32 {
	if q.idx == nil {
		return dot(q.v, c)
	}
	var s float32
	for j, x := range q.val {
		s += x * c[q.idx[j]]
	}
	return s
}

// dotSparse is dot(q.v, c) for a c given by its non-zero elements, idx
// and val, in increasing coordinate order: the same non-zero products
// summed in the same order as over c's dense form; the products it
// leaves out, by a zero of c, are exact zeros there.
func (q queryVec) dotSparse(idx []uint16, val []float32) float32 {
	v := q.v
	var s float32
	for j, at := range idx {
		s += v[at] * val[j]
	}
	return s
}

// dotAt is the score of chunk i of vecs, whichever their form.
func (q queryVec) dotAt(vecs library.Vectors, i int) float32 {
	if sp := vecs.Sparse; sp != nil {
		return q.dotSparse(sp.Vector(i))
	}
	return q.dot(vecs.Dense[i])
}

// nearest is the scan of the package's nearest for a prepared (and
// normalised) question. When all is not nil (vecs.Len() long) it also
// receives every chunk's score.
func (q queryVec) nearest(vecs library.Vectors, k int, all []float32) ([]library.VectorHit, error) {
	n := vecs.Len()
	k = min(k, n)
	if k <= 0 || len(q.v) == 0 {
		return nil, nil
	}
	sp := vecs.Sparse
	if sp != nil && sp.Dim() != len(q.v) {
		return nil, fmt.Errorf("chunks have dimension %d, the question %d", sp.Dim(), len(q.v))
	}
	h := make(hitHeap, 0, k)
	for i := range n {
		var s float32
		if sp != nil {
			s = q.dotSparse(sp.Vector(i))
		} else {
			v := vecs.Dense[i]
			if len(v) != len(q.v) {
				return nil, fmt.Errorf("chunk %d has dimension %d, the question %d", i, len(v), len(q.v))
			}
			s = q.dot(v)
		}
		if all != nil {
			all[i] = s
		}
		switch {
		case len(h) < k:
			h.push(library.VectorHit{Index: i, Score: s})
		case s > h[0].Score: // a later chunk never displaces an equal earlier one
			h[0] = library.VectorHit{Index: i, Score: s}
			h.down(0)
		}
	}
	// Pop worst first into the back: best first, ties in chunk order.
	out := make([]library.VectorHit, len(h))
	for n := len(h) - 1; n >= 0; n-- {
		out[n] = h[0]
		h[0] = h[n]
		h = h[:n]
		h.down(0)
	}
	return out, nil
}

// hitHeap is a heap of hits whose root is the worst: the lowest score,
// and of equal scores the latest chunk.
type hitHeap []library.VectorHit

func (h hitHeap) worse(a, b int) bool {
	if h[a].Score != h[b].Score {
		return h[a].Score < h[b].Score
	}
	return h[a].Index > h[b].Index
}

func (h *hitHeap) push(x library.VectorHit) {
	*h = append(*h, x)
	for i := len(*h) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.worse(i, p) {
			break
		}
		(*h)[p], (*h)[i] = (*h)[i], (*h)[p]
		i = p
	}
}

func (h hitHeap) down(i int) {
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h) && h.worse(l, m) {
			m = l
		}
		if r < len(h) && h.worse(r, m) {
			m = r
		}
		if m == i {
			return
		}
		h[m], h[i] = h[i], h[m]
		i = m
	}
}

// isNormalized and normalized are chromem-go's test and normalisation
// of a query vector, so a question scores as it would there.
func isNormalized(v []float32) bool {
	var sq float64
	for _, x := range v {
		sq += float64(x) * float64(x)
	}
	return math.Abs(math.Sqrt(sq)-1) < 1e-6
}

func normalized(v []float32) []float32 {
	var norm float32
	for _, x := range v {
		norm += x * x
	}
	norm = float32(math.Sqrt(float64(norm)))
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = x / norm
	}
	return out
}
