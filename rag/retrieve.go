package rag

import (
	"context"
	"fmt"
	"log/slog"
	"sort"

	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/search"
)

// Retrieval settings, measured on the dev and held-out QA sets
// (docs/BENCHMARKS.md).
const (
	// MaxSources is how many ranked sources an answer reports.
	MaxSources = 8
	// minCoverage is the share of the question's IDF mass a chunk must
	// contain to count as relevant. Below it the paper is judged not to
	// cover the question: saying so beats citing a weak match.
	minCoverage = 0.34
	// weightVector is the weight of the vector side in the fusion with
	// BM25. Lexical evidence weighs more because reference lists are
	// terse and exact terms (ExoCarta, miR-1246) decide relevance.
	weightVector = 0.4
)

// Retrieved is the outcome of retrieval for one question: the ranked
// sources and which of them are relevant enough to answer from.
type Retrieved struct {
	Sources []Source
	// Relevant holds the indexes into Sources judged relevant.
	Relevant []int
	terms    []string
	ranks    []ranked
}

// ranked is one chunk with its retrieval scores.
type ranked struct {
	idx      int
	score    float64 // fused score used for ranking
	coverage float64 // share of query IDF mass present in the chunk
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
// reranked, the best MaxSources kept; a source is relevant when it
// holds at least minCoverage of the question's IDF mass.
func (rt *Retriever) Retrieve(ctx context.Context, lp *library.Loaded, text string) (*Retrieved, error) {
	q := search.ParseQuery(text, search.QueryOptions{DropFraming: true})
	r := &Retrieved{terms: q.Terms}
	if len(q.Groups) == 0 {
		return r, nil
	}
	ranks, err := rt.rank(ctx, lp, q)
	if err != nil {
		return nil, fmt.Errorf("retrieve %q: %w", lp.Paper().ID, err)
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
	if len(ranks) > MaxSources {
		ranks = ranks[:MaxSources]
	}
	r.ranks = ranks
	for i, rk := range ranks {
		r.Sources = append(r.Sources, source(lp, rk))
		if rk.coverage >= minCoverage && rk.score > 0 {
			r.Relevant = append(r.Relevant, i)
		}
	}
	return r, nil
}

// rank returns the best RerankDepth chunks of lp for q, best first (a
// reranker sees no more, and answers keep fewer).
func (rt *Retriever) rank(ctx context.Context, lp *library.Loaded, q *search.Query) ([]ranked, error) {
	if len(lp.Chunks()) == 0 {
		return nil, nil
	}
	vecs, err := rt.embedder.Embed(ctx, []string{q.EmbedText})
	if err != nil {
		return nil, fmt.Errorf("embed question: %w", err)
	}
	var qv []float32
	if len(vecs) == 1 && nonZero(vecs[0]) {
		qv = vecs[0]
	}
	return rankVector(ctx, lp, q, qv)
}

// rankVector is rank for a question already embedded as qv (nil: no
// vector side). It returns exactly the ranking that fusing every chunk's
// scores would, while asking the vector index only for the k =
// RerankDepth nearest chunks and computing few cosines itself:
//
//   - A chunk outside the k nearest with no BM25 score cannot outrank
//     them: each of them has a cosine at least as high, and fusion only
//     adds the lexical side to it. So the candidates are the nearest
//     chunks and the chunks with a BM25 score.
//   - A lexical candidate's cosine is at most the k-th nearest one's, so
//     its fused score is bounded by its BM25 part plus that. Taken in
//     descending BM25 order, candidates whose bound is below the k-th
//     best exact score so far are dropped without computing their
//     cosine (over the loaded vectors), and so is every one after them.
//   - When fewer than k chunks score above 0, a full ranking fills up
//     with the first chunks by position at score 0; so does this.
func rankVector(ctx context.Context, lp *library.Loaded, q *search.Query, qv []float32) ([]ranked, error) {
	n := len(lp.Chunks())
	k := min(n, RerankDepth)
	lex := lp.Lexicon()
	bm := lex.Scores(q)
	var maxBM float64
	var lexical []int
	for i, s := range bm {
		maxBM = max(maxBM, s)
		if s > 0 {
			lexical = append(lexical, i)
		}
	}
	seen := make(map[int]bool, 2*k)
	cands := make([]search.Scored, 0, 2*k)
	best := make(kBest, 0, k) // the k best exact scores so far
	add := func(i int, cos float64) {
		seen[i] = true
		s := search.Fuse(bm[i], maxBM, max(cos, 0), weightVector)
		cands = append(cands, search.Scored{Doc: i, Score: s})
		best.add(s, k)
	}
	kthCos := 0.0 // the k-th nearest chunk's cosine, clipped at 0
	if qv != nil {
		hits, err := lp.Nearest(ctx, qv, k)
		if err != nil {
			return nil, err
		}
		for _, h := range hits {
			if h.Index >= 0 && h.Index < n && !seen[h.Index] {
				add(h.Index, float64(h.Score))
			}
		}
		if len(hits) == k {
			kthCos = max(float64(hits[k-1].Score), 0)
		}
	}
	sort.Slice(lexical, func(a, b int) bool {
		if bm[lexical[a]] != bm[lexical[b]] {
			return bm[lexical[a]] > bm[lexical[b]]
		}
		return lexical[a] < lexical[b]
	})
	vecs := lp.Vectors()
	for _, i := range lexical {
		if seen[i] {
			continue
		}
		if len(best) == k && search.Fuse(bm[i], maxBM, kthCos, weightVector) < best[0] {
			break // neither this chunk nor any after it can make the k best
		}
		cos := 0.0
		if qv != nil {
			cos = float64(dot(qv, vecs[i]))
		}
		add(i, cos)
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
	for i, c := range top {
		out[i] = ranked{idx: c.Doc, score: c.Score, coverage: lex.Coverage(q, c.Doc)}
	}
	return out, nil
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

func nonZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return true
		}
	}
	return false
}
