package rag

import (
	"context"
	"fmt"
	"log/slog"

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
	if len(q.Groups) == 0 {
		return r, nil
	}
	ranks, feats, err := rt.rank(ctx, lp, q)
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
	model := decisionFor(rt.embedder.Name())
	r.Features, r.Prob = feats, model.Prob(feats)
	r.Plausible = r.Prob >= model.Floor
	answerable := r.Prob >= model.Threshold
	r.ranks = ranks
	for i, rk := range ranks {
		r.Sources = append(r.Sources, source(lp, rk))
		if answerable && rk.lexical && rk.score > 0 {
			r.Relevant = append(r.Relevant, i)
		}
	}
	return r, nil
}

// rank returns the best RerankDepth chunks of lp for q, best first (a
// reranker sees no more, and answers keep fewer), and the decision's
// features of the whole ranking.
func (rt *Retriever) rank(ctx context.Context, lp *library.Loaded, q *search.Query) ([]ranked, Features, error) {
	n := len(lp.Chunks())
	if n == 0 {
		return nil, Features{}, nil
	}
	vecs, err := rt.embedder.Embed(ctx, []string{q.EmbedText})
	if err != nil {
		return nil, Features{}, fmt.Errorf("embed question: %w", err)
	}
	cos := make([]float64, n)
	if len(vecs) == 1 && nonZero(vecs[0]) {
		hits, err := lp.Nearest(ctx, vecs[0], n)
		if err != nil {
			return nil, Features{}, err
		}
		for _, h := range hits {
			if h.Index >= 0 && h.Index < n && h.Score > 0 {
				cos[h.Index] = float64(h.Score)
			}
		}
	}
	lex := lp.Lexicon()
	bm := lex.Scores(q)
	fused := fuse(bm, cos)
	cands := make([]search.Scored, n)
	for i := range cands {
		cands[i] = search.Scored{Doc: i, Score: fused[i]}
	}
	top := search.TopK(cands, RerankDepth)
	out := make([]ranked, len(top))
	for i, c := range top {
		out[i] = ranked{idx: c.Doc, score: c.Score, lexical: bm[c.Doc] > 0}
	}
	parts, nParts := Parts(lp.Chunks())
	return out, measure(lex, q, cos, fused, parts, nParts), nil
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
