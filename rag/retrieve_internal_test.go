package rag

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/search"
)

// TestRankVectorMatchesFullRanking checks that asking the vector index
// for the nearest chunks only, and pruning lexical candidates, gives the
// ranking fusing every chunk's scores gives: the same chunks, order and
// scores, for questions matching many chunks, few, only through the
// vector side, and none at all.
func TestRankVectorMatchesFullRanking(t *testing.T) {
	for _, n := range []int{12, 110, 1000} {
		lp, e := loadSizedT(t, n)
		for _, question := range []string{
			"Which reference describes the Quillfeather lymphocyte atlas?",
			"exosome secretion and tumour microenvironment",
			"irradiation",
			"Journal of Examples",
			"bafoce kalemi", // pseudo-words some references hold
			"zzzz qqqq",     // nothing lexical
		} {
			q := search.ParseQuery(question, search.QueryOptions{Rarity: true, Vocabulary: lp.Lexicon().Has})
			vs, err := e.Embed(context.Background(), []string{q.EmbedText})
			if err != nil {
				t.Fatal(err)
			}
			for _, qv := range [][]float32{vs[0], nil} {
				checkRanking(t, lp, q, qv, question)
			}
		}
		// Random mixtures: the words of one chunk, the vector near
		// another's, so lexical candidates with high cosines are common.
		r := rand.New(rand.NewPCG(uint64(n), 1))
		for range 100 {
			words := strings.Fields(lp.Chunks()[r.IntN(n)].Text)
			question := strings.Join(words[:min(len(words), 1+r.IntN(4))], " ")
			q := search.ParseQuery(question, search.QueryOptions{Rarity: true, Vocabulary: lp.Lexicon().Has})
			a, b := lp.Vectors()[r.IntN(n)], lp.Vectors()[r.IntN(n)]
			qv := make([]float32, len(a))
			var norm float64
			w := r.Float32()
			for i := range qv {
				qv[i] = w*a[i] + (1-w)*b[i]
				norm += float64(qv[i]) * float64(qv[i])
			}
			for i := range qv {
				qv[i] /= float32(math.Sqrt(norm))
			}
			checkRanking(t, lp, q, qv, question)
		}
	}
}

// checkRanking compares rankVector with fusing every chunk's scores.
func checkRanking(t *testing.T, lp *library.Loaded, q *search.Query, qv []float32, question string) {
	t.Helper()
	n := len(lp.Chunks())
	got, feats, err := rankVector(context.Background(), lp, q, qv)
	if err != nil {
		t.Fatal(err)
	}
	// The full ranking: every chunk fused.
	bm := lp.Lexicon().Scores(q)
	var maxBM float64
	for _, s := range bm {
		maxBM = max(maxBM, s)
	}
	all := make([]search.Scored, len(bm))
	for i := range all {
		cos := 0.0
		if qv != nil {
			cos = max(float64(dot(qv, lp.Vectors()[i])), 0)
		}
		all[i] = search.Scored{Doc: i, Score: search.Fuse(bm[i], maxBM, cos, weightVector)}
	}
	cosAll, fusedAll := make([]float64, len(all)), make([]float64, len(all))
	for i, a := range all {
		fusedAll[i] = a.Score
		if qv != nil {
			cosAll[i] = float64(dot(qv, lp.Vectors()[i]))
		}
	}
	parts, nParts := Parts(lp.Chunks())
	if wantF := measure(lp.Lexicon(), q, cosAll, fusedAll, parts, nParts); feats != wantF {
		t.Errorf("%d chunks, %q, vector %v: features %+v, want %+v", n, question, qv != nil, feats, wantF)
	}
	want := search.TopK(all, RerankDepth)
	if len(got) != len(want) {
		t.Fatalf("%d chunks, %q, vector %v: %d ranked, want %d", n, question, qv != nil, len(got), len(want))
	}
	for i := range want {
		if got[i].idx != want[i].Doc || got[i].score != want[i].Score {
			t.Errorf("%d chunks, %q, vector %v: rank %d is chunk %d (%v), want %d (%v)",
				n, question, qv != nil, i, got[i].idx, got[i].score, want[i].Doc, want[i].Score)
			return
		}
	}
}
