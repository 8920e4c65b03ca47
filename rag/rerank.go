package rag

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/chatpaper/chatpaper/library"
)

// Reranker scores passages for a query with a stronger model than the
// fused lexical and vector ranking, typically a cross-encoder behind an
// HTTP endpoint (package rerank).
type Reranker interface {
	// Rerank returns one relevance score per text, in the order given;
	// higher is more relevant.
	Rerank(ctx context.Context, query string, texts []string) ([]float64, error)
}

// RerankDepth is how many of the fused ranking's best chunks a reranker
// sees: enough to recover a relevant reference the fusion put low,
// few enough to keep one question to one short model call.
const RerankDepth = 20

// rerank reorders the head of ranks by the reranker's scores. The
// answerability decision is taken on features the reranker does not
// change, so a reranker can reorder but not make an off-topic question
// answerable.
func (rt *Retriever) rerank(ctx context.Context, lp *library.Loaded, text string, ranks []ranked) ([]ranked, error) {
	n := min(len(ranks), RerankDepth)
	if rt.reranker == nil || n < 2 {
		return ranks, nil
	}
	head := ranks[:n]
	texts := make([]string, n)
	for i, rk := range head {
		texts[i] = lp.Chunks()[rk.idx].Text
	}
	scores, err := rt.reranker.Rerank(ctx, text, texts)
	if err != nil {
		return nil, fmt.Errorf("rerank: %w", err)
	}
	if len(scores) != n {
		return nil, fmt.Errorf("rerank: %d scores for %d passages", len(scores), n)
	}
	// Answer composition compares scores by ratio, so they must be
	// non-negative: probabilities stay, raw logits go through a sigmoid.
	logits := false
	for _, s := range scores {
		if s < 0 || s > 1 || math.IsNaN(s) {
			logits = true
		}
	}
	out := make([]ranked, n)
	copy(out, head)
	for i := range out {
		s := scores[i]
		if logits {
			s = 1 / (1 + math.Exp(-s))
		}
		if math.IsNaN(s) {
			s = 0
		}
		out[i].score = s
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].score > out[b].score })
	return out, nil
}
