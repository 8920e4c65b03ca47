package rag

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/search"
)

const (
	// MaxSources is how many ranked sources an answer reports.
	MaxSources = 8
	// weightVector is the weight of the vector side in the fusion with
	// BM25: an equal share, since no public benchmark of ranking within
	// one paper was at hand to fit it on (docs/BENCHMARKS.md compares
	// 0.4).
	weightVector = 0.5
)

// Retrieved is the outcome of retrieval for one question: the ranked
// sources, the decision's features and verdicts, and which sources are
// relevant enough to answer from.
type Retrieved struct {
	Sources []Source
	// Relevant holds the indexes into Sources judged relevant: empty
	// unless the paper was judged to answer the question.
	Relevant []int
	// Features are what the decision was taken on, and Prob its
	// probability that the paper answers the question.
	Features Features
	Prob     float64
	// Plausible reports whether Prob reaches the model-mode floor: the
	// sources are worth a model's judgement.
	Plausible bool
	terms     []string
	ranks     []ranked
}

// Lexical reports whether Sources[i] shares a term with the question.
func (r *Retrieved) Lexical(i int) bool { return i < len(r.ranks) && r.ranks[i].lexical }

// ranked is one chunk with its retrieval scores.
type ranked struct {
	idx     int
	score   float64 // fused score used for ranking
	lexical bool    // the chunk contains a term of the question
	named   bool    // a chunk of a reference the question names
}

// Retriever ranks the chunks of one loaded paper for a question and
// decides which are relevant. It is safe for concurrent use.
type Retriever struct {
	embedder embed.Embedder
	reranker Reranker // nil: no reranking
	log      *slog.Logger
}

// NewRetriever returns a retriever embedding questions with e, which
// must be the embedder the papers were indexed with, and reordering the
// head of each ranking with r (nil for none).
func NewRetriever(e embed.Embedder, r Reranker, log *slog.Logger) *Retriever {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Retriever{embedder: e, reranker: r, log: log}
}

// Retrieve ranks lp's chunks for text: BM25 over the paper's lexicon
// fused with the cosine of the question vector, the head optionally
// reranked, the best MaxSources kept. The calibrated decision
// (decision.go) judges from the features of the whole ranking whether
// the paper answers the question; when it does, the sources sharing a
// term with the question are relevant.
func (rt *Retriever) Retrieve(ctx context.Context, lp *library.Loaded, text string) (*Retrieved, error) {
	lex := lp.Lexicon()
	q := search.ParseQuery(text, search.QueryOptions{Rarity: true, Vocabulary: lex.Has})
	r := &Retrieved{terms: q.Terms}
	named := namedChunks(lp.Paper(), lp.Chunks(), text)
	if len(q.Groups) == 0 && len(named) == 0 {
		return r, nil
	}
	var ranks []ranked
	var feats Features
	if len(q.Groups) > 0 {
		var err error
		if ranks, feats, err = rt.rank(ctx, lp, q); err != nil {
			return nil, fmt.Errorf("retrieve %q: %w", lp.Paper().ID, err)
		}
	}
	if rt.reranker != nil {
		if rr, err := rt.rerank(ctx, lp, text, ranks); err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			rt.log.Warn("reranker failed; answering from the fused ranking", "paper", lp.Paper().ID, "err", err)
		} else {
			ranks = rr
		}
	}
	ranks = promote(ranks, named)
	if len(ranks) > MaxSources {
		ranks = ranks[:MaxSources]
	}
	model := decisionFor(rt.embedder.Name())
	r.Features, r.Prob = feats, model.Prob(feats)
	r.Plausible = r.Prob >= model.Floor
	answerable := r.Prob >= model.Threshold
	r.ranks = ranks
	for i, rk := range ranks {
		r.Sources = append(r.Sources, source(lp, rk))
		// A reference the question names is relevant whatever the
		// decision on the rest of the ranking.
		if answerable && rk.lexical && rk.score > 0 || rk.named {
			r.Relevant = append(r.Relevant, i)
		}
	}
	return r, nil
}

// rank returns the best RerankDepth chunks of lp for q, best first (a
// reranker sees no more, and answers keep fewer), and the decision's
// features of the whole ranking.
func (rt *Retriever) rank(ctx context.Context, lp *library.Loaded, q *search.Query) ([]ranked, Features, error) {
	if len(lp.Chunks()) == 0 {
		return nil, Features{}, nil
	}
	vecs, err := rt.embedder.Embed(ctx, []string{q.EmbedText})
	if err != nil {
		return nil, Features{}, fmt.Errorf("embed question: %w", err)
	}
	var qv []float32
	if len(vecs) == 1 && nonZero(vecs[0]) {
		qv = vecs[0]
	}
	return rankVector(ctx, lp, q, qv)
}

// rankVector is rank for a question already embedded as qv (nil: no
// vector side). It returns exactly the ranking that fusing every chunk's
// scores would, while fusing only the k = RerankDepth nearest chunks
// (nearest.go's scan, which also leaves every chunk's cosine for the
// lexical candidates) and the lexical candidates that can still matter:
//
//   - A chunk outside the k nearest with no BM25 score cannot outrank
//     them: each of them has a cosine at least as high, and fusion only
//     adds the lexical side to it. So the candidates are the nearest
//     chunks and the chunks with a BM25 score.
//   - A lexical candidate's cosine is at most the k-th nearest one's, so
//     its fused score is bounded by its BM25 part plus that. Taken in
//     descending BM25 order, candidates whose bound is below the k-th
//     best exact score so far are dropped, and so is every one after
//     them.
//   - When fewer than k chunks score above 0, a full ranking fills up
//     with the first chunks by position at score 0; so does this.
func rankVector(ctx context.Context, lp *library.Loaded, q *search.Query, qv []float32) ([]ranked, Features, error) {
	n := len(lp.Chunks())
	k := min(n, RerankDepth)
	lex := lp.Lexicon()
	sc := getScratch(n)
	defer scratchPool.Put(sc)
	bm := lex.ScoresInto(sc.bm, q)
	var maxBM float64
	lexical := sc.lexical
	for i, s := range bm {
		maxBM = max(maxBM, s)
		if s > 0 {
			lexical = append(lexical, i)
		}
	}
	seen := sc.seen
	cands := make([]search.Scored, 0, 2*k)
	best := make(kBest, 0, k) // the k best exact scores so far
	add := func(i int, cos float64) {
		seen[i] = true
		s := search.Fuse(bm[i], maxBM, max(cos, 0), weightVector)
		cands = append(cands, search.Scored{Doc: i, Score: s})
		best.add(s, k)
	}
	kthCos := 0.0     // the k-th nearest chunk's cosine, clipped at 0
	bestCos := 0.0    // the nearest chunk's
	var qs queryVec   // qv prepared for scoring chunks
	var cos []float32 // every chunk's cosine, from the scan, when it scored qv itself
	if qv != nil {
		qs = newQueryVec(qv)
		qn := qs
		if isNormalized(qv) {
			cos = sc.cos
		} else {
			qn = newQueryVec(normalized(qv)) // as the vector index takes it
		}
		hits, err := qn.nearest(lp.Vectors(), k, cos)
		if err != nil {
			return nil, Features{}, err
		}
		for _, h := range hits {
			if h.Index >= 0 && h.Index < n && !seen[h.Index] {
				add(h.Index, float64(h.Score))
			}
		}
		if len(hits) == k {
			kthCos = max(float64(hits[k-1].Score), 0)
		}
		if len(hits) > 0 {
			bestCos = float64(hits[0].Score)
		}
	}
	// Lexical candidates are taken best BM25 first (equal scores by
	// position) from a heap: the bound usually stops the walk long
	// before the last, so sorting them all would be wasted.
	order := lexHeap{docs: lexical, bm: bm}
	order.init()
	vecs := lp.Vectors()
	for len(order.docs) > 0 {
		i := order.pop()
		if seen[i] {
			continue
		}
		if len(best) == k && search.Fuse(bm[i], maxBM, kthCos, weightVector) < best[0] {
			break // neither this chunk nor any after it can make the k best
		}
		c := 0.0
		switch {
		case cos != nil:
			c = float64(cos[i])
		case qv != nil:
			c = float64(qs.dotAt(vecs, i))
		}
		add(i, c)
	}
	// Chunks not seen score 0 at best from here: without a vector side,
	// or when the k-th cosine is not positive, their fused score is 0.
	if qv == nil || kthCos == 0 {
		for i := 0; i < n && i < k; i++ {
			if !seen[i] {
				seen[i] = true
				cands = append(cands, search.Scored{Doc: i})
			}
		}
	}
	top := search.TopK(cands, RerankDepth)
	out := make([]ranked, len(top))
	fused := make([]float64, len(top))
	for i, c := range top {
		out[i] = ranked{idx: c.Doc, score: c.Score, lexical: bm[c.Doc] > 0}
		fused[i] = c.Score
	}
	// The decision reads the best cosine and the best two fused scores
	// of the whole ranking, which the nearest chunk and the top hold.
	parts, nParts := Parts(lp.Chunks())
	return out, measureInto(sc, lex, q, []float64{bestCos}, fused, parts, nParts), nil
}

// rankScratch is the per-chunk working memory of one ranking, reused
// across questions: at the demo paper's size it was most of what an
// answer allocated. Nothing in it outlives rankVector.
type rankScratch struct {
	bm      []float64 // BM25 per chunk
	lexical []int     // chunks with a BM25 score
	seen    []bool
	sums    []float64 // measure's three per-chunk sums
	touched []int32
	cos     []float32 // the scan's score of every chunk
}

var scratchPool = sync.Pool{New: func() any { return new(rankScratch) }}

// getScratch returns scratch for n chunks: bm, seen and sums zeroed,
// lexical and touched empty, cos to be written.
func getScratch(n int) *rankScratch {
	sc := scratchPool.Get().(*rankScratch)
	if cap(sc.bm) < n {
		sc.bm, sc.seen, sc.sums = make([]float64, n), make([]bool, n), make([]float64, 3*n)
		sc.lexical, sc.touched, sc.cos = make([]int, 0, n), make([]int32, 0, n), make([]float32, n)
	}
	sc.bm, sc.seen, sc.sums, sc.cos = sc.bm[:n], sc.seen[:n], sc.sums[:3*n], sc.cos[:n]
	clear(sc.seen)
	clear(sc.sums)
	sc.lexical, sc.touched = sc.lexical[:0], sc.touched[:0]
	return sc
}

// lexHeap orders chunk positions by descending BM25 score, then by
// position: docs[0] is the first in that order.
type lexHeap struct {
	docs []int
	bm   []float64
}

func (h *lexHeap) before(a, b int) bool {
	da, db := h.docs[a], h.docs[b]
	if h.bm[da] != h.bm[db] {
		return h.bm[da] > h.bm[db]
	}
	return da < db
}

func (h *lexHeap) init() {
	for i := len(h.docs)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

// pop removes and returns the first position in the order.
func (h *lexHeap) pop() int {
	top := h.docs[0]
	last := len(h.docs) - 1
	h.docs[0] = h.docs[last]
	h.docs = h.docs[:last]
	h.down(0)
	return top
}

func (h *lexHeap) down(i int) {
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h.docs) && h.before(l, m) {
			m = l
		}
		if r < len(h.docs) && h.before(r, m) {
			m = r
		}
		if m == i {
			return
		}
		h.docs[m], h.docs[i] = h.docs[i], h.docs[m]
		i = m
	}
}

// kBest holds the k best scores seen, as a min-heap: kBest[0] is the
// k-th best once it is full.
type kBest []float64

func (h *kBest) add(s float64, k int) {
	switch {
	case len(*h) < k:
		*h = append(*h, s)
		for i := len(*h) - 1; i > 0; {
			p := (i - 1) / 2
			if (*h)[p] <= (*h)[i] {
				break
			}
			(*h)[p], (*h)[i] = (*h)[i], (*h)[p]
			i = p
		}
	case s > (*h)[0]:
		(*h)[0] = s
		for i := 0; ; {
			l, r, m := 2*i+1, 2*i+2, i
			if l < len(*h) && (*h)[l] < (*h)[m] {
				m = l
			}
			if r < len(*h) && (*h)[r] < (*h)[m] {
				m = r
			}
			if m == i {
				break
			}
			(*h)[m], (*h)[i] = (*h)[i], (*h)[m]
			i = m
		}
	}
}

// dot is the cosine of two L2-normalised vectors, summed in index order
// as the vector index sums it, so a chunk scores the same either way.
func dot(a, b []float32) float32 {
	var s float32
	b = b[:len(a)]
	for i, x := range a {
		s += x * b[i]
	}
	return s
}

// fuse returns each chunk's fused score from its BM25 score and cosine.
func fuse(bm, cos []float64) []float64 {
	var maxBM float64
	for _, s := range bm {
		maxBM = max(maxBM, s)
	}
	out := make([]float64, len(bm))
	for i := range out {
		out[i] = search.Fuse(bm[i], maxBM, cos[i], weightVector)
	}
	return out
}

func nonZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return true
		}
	}
	return false
}

// Append adds a source to r, best last, with whether it is relevant and
// whether it shares a term with the question (see Lexical): for
// answerers that merge several retrievals or build the context of a
// reader intent.
func (r *Retrieved) Append(s Source, relevant, lexical bool) {
	if relevant {
		r.Relevant = append(r.Relevant, len(r.Sources))
	}
	r.Sources = append(r.Sources, s)
	r.ranks = append(r.ranks, ranked{score: s.Score, lexical: lexical})
}
