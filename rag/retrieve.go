package rag

import (
	"context"
	"fmt"
	"log/slog"

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
// vector side). It fuses exactly what scoring every chunk would, while
// asking the vector index only for the RerankDepth nearest chunks: a
// chunk outside those with no BM25 score cannot outrank them, since each
// of them has a cosine at least as high and fusion adds the lexical side
// to it. So the candidates are the nearest chunks, the chunks with a
// BM25 score (their cosine computed directly over the loaded vectors)
// and the first RerankDepth chunks, which settle ties at a score of 0 as
// a full ranking does (by position).
func rankVector(ctx context.Context, lp *library.Loaded, q *search.Query, qv []float32) ([]ranked, error) {
	n := len(lp.Chunks())
	k := min(n, RerankDepth)
	lex := lp.Lexicon()
	bm := lex.Scores(q)
	var maxBM float64
	for _, s := range bm {
		maxBM = max(maxBM, s)
	}
	seen := make(map[int]bool, 2*k)
	cands := make([]search.Scored, 0, 2*k)
	add := func(i int, cos float64) {
		if !seen[i] {
			seen[i] = true
			cands = append(cands, search.Scored{Doc: i, Score: search.Fuse(bm[i], maxBM, max(cos, 0), weightVector)})
		}
	}
	if qv != nil {
		hits, err := lp.Nearest(ctx, qv, k)
		if err != nil {
			return nil, err
		}
		for _, h := range hits {
			if h.Index >= 0 && h.Index < n {
				add(h.Index, float64(h.Score))
			}
		}
	}
	vecs := lp.Vectors()
	cosine := func(i int) float64 {
		if qv == nil {
			return 0
		}
		return float64(dot(qv, vecs[i]))
	}
	for i, s := range bm {
		if s > 0 && !seen[i] {
			add(i, cosine(i))
		}
	}
	for i := range k {
		if !seen[i] {
			add(i, cosine(i))
		}
	}
	top := search.TopK(cands, RerankDepth)
	out := make([]ranked, len(top))
	for i, c := range top {
		out[i] = ranked{idx: c.Doc, score: c.Score, coverage: lex.Coverage(q, c.Doc)}
	}
	return out, nil
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
