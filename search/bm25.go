package search

import (
	"container/heap"
	"math"
	"sort"
)

// BM25 holds the term-saturation (K1) and length-normalisation (B)
// parameters of Okapi BM25. It is the one BM25 in ChatPaper: the
// per-paper Lexicon and the catalogue Index both score through it, so a
// term weighs the same wherever it is scored.
type BM25 struct {
	K1 float64 `json:"k1"`
	B  float64 `json:"b"`
}

// Robertson is BM25 with the usual Robertson parameters.
var Robertson = BM25{K1: 1.2, B: 0.75}

// Posting is one document holding a term, with the term's frequency in
// it. Posting lists are kept in ascending document order.
type Posting struct {
	Doc int32
	TF  float32
}

// IDF is the non-negative (BM25+ style) inverse document frequency of
// a term held by df of n documents.
func IDF(n, df int) float64 {
	return math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
}

// term is the BM25 contribution of a term of weighted idf idfw occurring
// tf times in a document of length dl, the mean length being avg.
func (p BM25) term(idfw, tf, dl, avg float64) float64 {
	norm := p.K1 * (1 - p.B + p.B*dl/avg)
	return idfw * tf * (p.K1 + 1) / (tf + norm)
}

// accumulate adds the BM25 contribution of one query term, weighted w,
// to every document of its posting list, calling add(doc, score).
func (p BM25) accumulate(ps []Posting, idf, w float64, lens []float32, avg float64, add func(doc int32, s float64)) {
	idfw := idf * w
	for _, x := range ps {
		add(x.Doc, p.term(idfw, float64(x.TF), float64(lens[x.Doc]), avg))
	}
}

// Fuse is the one score fusion: the lexical score, normalised by the
// best lexical score of the ranking, and the vector similarity, weighted
// wVec and 1-wVec. A ranking whose best lexical score is not positive
// contributes its vector side only.
func Fuse(lex, maxLex, vec, wVec float64) float64 {
	s := wVec * vec
	if maxLex > 0 {
		s += (1 - wVec) * lex / maxLex
	}
	return s
}

// Scored is a document ordinal with its score.
type Scored struct {
	Doc   int
	Score float64
}

// before orders by score, best first, ties by ordinal, so rankings are
// the same on every run.
func before(a, b Scored) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return a.Doc < b.Doc
}

// TopK returns the k best of cands in ranking order (score descending,
// ties by ascending ordinal). It selects with a bounded heap instead of
// sorting every candidate; cands may be reordered.
func TopK(cands []Scored, k int) []Scored {
	if k <= 0 {
		return nil
	}
	if len(cands) <= k {
		sort.Slice(cands, func(i, j int) bool { return before(cands[i], cands[j]) })
		return cands
	}
	h := worstFirst(append([]Scored(nil), cands[:k]...))
	heap.Init(&h)
	for _, c := range cands[k:] {
		if before(c, h[0]) {
			h[0] = c
			heap.Fix(&h, 0)
		}
	}
	out := []Scored(h)
	sort.Slice(out, func(i, j int) bool { return before(out[i], out[j]) })
	return out
}

// worstFirst is a heap whose root is its worst-ranked element.
type worstFirst []Scored

func (h worstFirst) Len() int           { return len(h) }
func (h worstFirst) Less(i, j int) bool { return before(h[j], h[i]) }
func (h worstFirst) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *worstFirst) Push(x any)        { *h = append(*h, x.(Scored)) }
func (h *worstFirst) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
