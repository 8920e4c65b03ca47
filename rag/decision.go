package rag

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/search"
)

// Features describe how well one paper matches one question; the
// answerability decision is a function of them. Every feature is in
// [0,1] and comparable across questions and papers, so a threshold
// chosen on public benchmark pairs applies to any paper.
type Features struct {
	// PaperCoverage is the share of the question's rare-term mass that
	// occurs in one part of the paper: its abstract and references
	// together, or one section of its body, or one caption, whichever
	// holds most. A term's mass is its background IDF
	// (search.BackgroundIDF), so "study" or "show" weigh little and
	// "exosome" or "Eiffel" much; a group of alternatives (a Chinese
	// word's translations) counts once, by its rarest member the paper
	// contains. The mass is at
	// least that of one term the background corpus lacks, so a question
	// of common words alone never counts as covered. A paper without a
	// body is one part, as every calibration article is; a body is split
	// by section because the decision was fitted on abstract-sized
	// texts, and a whole body of thousands of words holds most of an
	// on-topic question's terms somewhere whether or not it answers it.
	PaperCoverage float64 `json:"paper_coverage"`
	// BestCoverage is the same share in the single best-covering chunk.
	BestCoverage float64 `json:"best_coverage"`
	// BestBM25 is the best chunk's BM25 score under background IDF,
	// divided by the score a chunk holding every term would saturate
	// to: coverage that also rewards repetition.
	BestBM25 float64 `json:"best_bm25"`
	// BestCosine is the largest cosine between the question's vector
	// and a chunk's (the embedder's, clamped to [0,1]).
	BestCosine float64 `json:"best_cosine"`
	// Margin is (s1−s2)/s1 for the fused scores of the two best chunks:
	// how clearly one passage stands out. It is measured and reported
	// but not used by the decision (see DecisionModel).
	Margin float64 `json:"margin"`
}

// Vector returns the features the decision model weighs, in the order
// of DecisionModel.Weights.
func (f Features) Vector() []float64 {
	return []float64{f.PaperCoverage, f.BestCoverage, f.BestBM25, f.BestCosine}
}

// FeatureNames name the entries of Features.Vector.
var FeatureNames = []string{"paper_coverage", "best_coverage", "best_bm25", "best_cosine"}

// DecisionModel is a logistic model of "the paper answers the question"
// over Features.Vector, with two operating points on its probability.
type DecisionModel struct {
	// Embedder is the embedder the vector feature was calibrated with;
	// with any other embedder the engine uses the lexical model.
	Embedder string
	// Weights multiply Features.Vector; a weight of zero drops that
	// feature.
	Weights []float64
	Bias    float64
	// Threshold is the offline operating point: at or above it the
	// engine answers from the retrieved sources.
	Threshold float64
	// Floor is the model-mode operating point: below it retrieval is
	// clearly irrelevant and the model is not asked; at or above it the
	// model judges the sources itself.
	Floor float64
}

// Prob is the model's probability that the paper answers the question.
func (m DecisionModel) Prob(f Features) float64 {
	z := m.Bias
	for i, x := range f.Vector() {
		if i < len(m.Weights) {
			z += m.Weights[i] * x
		}
	}
	return 1 / (1 + math.Exp(-z))
}

// The shipped decision models. They are printed by
// `chatpaper eval --calibrate DIR` from the public calibration set's
// train split (PubMedQA PMIDs outside test_ground_truth.json and SciFact
// train claims; docs/BENCHMARKS.md) and a test checks they equal what
// the calibration prints. The margin feature is left out because every
// calibration article has one to four chunks, so margins there say
// nothing about a paper with a hundred references; no reranker is
// available offline to calibrate its score, so a configured reranker
// reorders sources but does not enter the decision.
var (
	// CalibratedLocal uses all four features, the cosine from the
	// built-in local embedder.
	CalibratedLocal = DecisionModel{
		Embedder:  "local-hash-v1-1024",
		Weights:   []float64{6.3641, 4.0305, -1.6372, 0.9642},
		Bias:      -4.5599,
		Threshold: 0.6536,
		Floor:     0.0992,
	}
	// CalibratedLexical uses the lexical features only, for any other
	// embedder.
	CalibratedLexical = DecisionModel{
		Weights:   []float64{6.5068, 4.3868, -1.7131, 0},
		Bias:      -4.5156,
		Threshold: 0.5596,
		Floor:     0.1004,
	}
)

// decisionFor returns the decision model for an embedder.
func decisionFor(embedderName string) DecisionModel {
	if embedderName == CalibratedLocal.Embedder {
		return CalibratedLocal
	}
	return CalibratedLexical
}

// Parts returns, for each chunk, the part of the paper PaperCoverage
// measures it in: 0 for the title, abstract and references (the whole of
// a paper without a body), and one part per body section and per
// caption, numbered from 1 in order of first appearance (nil when every
// chunk is in part 0). It returns the number of parts too.
func Parts(chunks []paper.Chunk) ([]int, int) {
	var out []int
	ids := map[string]int{}
	for i, c := range chunks {
		if c.Kind != paper.KindBody && c.Kind != paper.KindCaption {
			continue
		}
		if out == nil {
			out = make([]int, len(chunks))
		}
		// A body chunk's id starts with its section's ("sec3.p2.s4+2");
		// a caption's is its own ("fig1").
		key, _, _ := strings.Cut(c.ID, ".")
		k, ok := ids[key]
		if !ok {
			k = len(ids) + 1
			ids[key] = k
		}
		out[i] = k
	}
	return out, len(ids) + 1
}

// measure computes the features of query q against a paper's lexicon,
// given each chunk's cosine and fused score and its part (Parts; nil
// when the paper is one part).
func measure(lx *search.Lexicon, q *search.Query, cos, fused []float64, parts []int, nParts int) Features {
	return measureInto(nil, lx, q, cos, fused, parts, nParts)
}

// measureInto is measure using sc's sums and touched (nil: allocated).
func measureInto(sc *rankScratch, lx *search.Lexicon, q *search.Query, cos, fused []float64, parts []int, nParts int) Features {
	var f Features
	var all float64
	nParts = max(nParts, 1)
	partOf := func(d int32) int {
		if int(d) < len(parts) {
			return parts[d]
		}
		return 0
	}
	inPaper := make([]float64, len(q.Groups))
	inPart := make([]float64, nParts)
	for gi, g := range q.Groups {
		var in, absent float64
		best := make([]float64, nParts)
		for _, t := range g {
			w := search.BackgroundIDF(t)
			if lx.Has(t) {
				in = max(in, w)
				for _, p := range lx.Postings(t) {
					k := partOf(p.Doc)
					best[k] = max(best[k], w)
				}
			} else {
				absent = max(absent, w)
			}
		}
		inPaper[gi] = in
		if in > 0 {
			all += in
			for k, w := range best {
				inPart[k] += w
			}
		} else {
			all += absent
		}
	}
	if all == 0 {
		return Features{}
	}
	// A question is taken to ask about at least one rare term's worth:
	// one made of common words only ("Which studies?") cannot be fully
	// covered by a paper that happens to contain them.
	all = max(all, search.MaxBackgroundIDF())
	for _, c := range inPart {
		f.PaperCoverage = max(f.PaperCoverage, c/all)
	}
	n := lx.Len()
	// have[d] sums, per group, the rarest member chunk d holds; bm[d] is
	// the chunk's BM25 under background IDF.
	var sums []float64
	var touched []int32
	if sc != nil && len(sc.sums) == 3*n {
		sums, touched = sc.sums, sc.touched[:0]
	} else {
		sums, touched = make([]float64, 3*n), make([]int32, 0, n)
	}
	have, bm := sums[:n:n], sums[n:2*n:2*n]
	// best[d] is the rarest member of one group chunk d holds; touched
	// lists the chunks set, so it is cleared for the next group.
	best := sums[2*n:]
	for gi, g := range q.Groups {
		if inPaper[gi] == 0 {
			continue
		}
		for _, t := range g {
			w := search.BackgroundIDF(t)
			for _, p := range lx.Postings(t) {
				if best[p.Doc] == 0 {
					touched = append(touched, p.Doc)
				}
				best[p.Doc] = max(best[p.Doc], w)
			}
		}
		for _, d := range touched {
			have[d] += best[d]
			best[d] = 0
		}
		touched = touched[:0]
	}
	var sat float64
	k1 := lx.Params().K1
	for _, t := range q.Terms {
		idfw := q.Weights[t] * search.BackgroundIDF(t)
		sat += idfw * (k1 + 1)
		for _, p := range lx.Postings(t) {
			bm[p.Doc] += lx.TermScore(idfw, float64(p.TF), int(p.Doc))
		}
	}
	for d := range n {
		f.BestCoverage = max(f.BestCoverage, have[d]/all)
		if sat > 0 {
			f.BestBM25 = max(f.BestBM25, bm[d]/sat)
		}
		if d < len(cos) {
			f.BestCosine = max(f.BestCosine, min(max(cos[d], 0), 1))
		}
	}
	if len(fused) > 0 {
		s := append([]float64(nil), fused...)
		sort.Sort(sort.Reverse(sort.Float64Slice(s)))
		if s[0] > 0 {
			f.Margin = 1
			if len(s) > 1 {
				f.Margin = (s[0] - s[1]) / s[0]
			}
		}
	}
	return f
}

// MeasurePaper returns the features of question against p exactly as the
// engine computes them when p is loaded, embedding p's chunks and the
// question with emb. The calibration command measures benchmark pairs
// with it.
func MeasurePaper(ctx context.Context, p *paper.Paper, question string, emb embed.Embedder) (Features, error) {
	chunks := library.Chunks(p)
	texts := make([]string, len(chunks))
	for i, c := range chunks {
		texts[i] = c.Text
	}
	lx := search.NewLexicon(texts, search.Robertson)
	q := search.ParseQuery(question, search.QueryOptions{Rarity: true, Vocabulary: lx.Has})
	if len(q.Groups) == 0 || len(chunks) == 0 {
		return Features{}, nil
	}
	vecs, err := emb.Embed(ctx, append(texts, q.EmbedText))
	if err != nil {
		return Features{}, fmt.Errorf("measure: %w", err)
	}
	if len(vecs) != len(texts)+1 {
		return Features{}, fmt.Errorf("measure: %d vectors for %d texts", len(vecs), len(texts)+1)
	}
	qv := vecs[len(texts)]
	cos := make([]float64, len(texts))
	for i := range texts {
		cos[i] = cosine(vecs[i], qv)
	}
	parts, nParts := Parts(chunks)
	return measure(lx, q, cos, fuse(lx.Scores(q), cos), parts, nParts), nil
}

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		if i >= len(b) {
			break
		}
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}
