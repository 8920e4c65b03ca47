package rag

import (
	"cmp"
	"context"
	"math"
	"math/rand/v2"
	"slices"
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
			a, b := lp.Vectors().Dense[r.IntN(n)], lp.Vectors().Dense[r.IntN(n)]
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
			cos = max(float64(dot(qv, lp.Vectors().Dense[i])), 0)
		}
		all[i] = search.Scored{Doc: i, Score: search.Fuse(bm[i], maxBM, cos, weightVector)}
	}
	cosAll, fusedAll := make([]float64, len(all)), make([]float64, len(all))
	for i, a := range all {
		fusedAll[i] = a.Score
		if qv != nil {
			cosAll[i] = float64(dot(qv, lp.Vectors().Dense[i]))
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

// TestNearestMatchesChromem checks that the scan retrieval runs over a
// paper's vectors finds what the vector index (chromem-go) finds for
// Loaded.Nearest: the same scores, best first, for the local embedder's
// sparse question vectors, for dense ones and for one not normalised.
func TestNearestMatchesChromem(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{12, 110, 1000} {
		lp, e := loadSizedT(t, n)
		vecs := lp.Vectors().Dense
		r := rand.New(rand.NewPCG(uint64(n), 2))
		var queries [][]float32
		for _, question := range []string{"Which reference describes the Quillfeather lymphocyte atlas?", "irradiation", "bafoce kalemi"} {
			vs, err := e.Embed(ctx, []string{question})
			if err != nil {
				t.Fatal(err)
			}
			queries = append(queries, vs[0])
		}
		for range 20 {
			// Dense: a chunk vector plus noise on every coordinate.
			a := vecs[r.IntN(n)]
			qv := make([]float32, len(a))
			var norm float64
			for i := range qv {
				qv[i] = a[i] + 0.05*float32(r.NormFloat64())
				norm += float64(qv[i]) * float64(qv[i])
			}
			for i := range qv {
				qv[i] /= float32(math.Sqrt(norm))
			}
			queries = append(queries, qv)
		}
		unnormalised := append([]float32(nil), queries[0]...)
		for i := range unnormalised {
			unnormalised[i] *= 3
		}
		queries = append(queries, unnormalised)
		for qi, qv := range queries {
			for _, k := range []int{1, RerankDepth, n} {
				got, err := nearest(qv, lp.Vectors(), k)
				if err != nil {
					t.Fatal(err)
				}
				want, err := lp.Nearest(ctx, qv, k)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(want) {
					t.Fatalf("%d chunks, query %d, k %d: %d hits, want %d", n, qi, k, len(got), len(want))
				}
				for i := range want {
					// chromem orders equal scores arbitrarily; the scan by
					// chunk. The scores, rank by rank, must be equal.
					if got[i].Score != want[i].Score {
						t.Fatalf("%d chunks, query %d, k %d: rank %d scores %v (chunk %d), chromem %v (chunk %d)",
							n, qi, k, i, got[i].Score, got[i].Index, want[i].Score, want[i].Index)
					}
					if i > 0 && got[i].Score == got[i-1].Score && got[i].Index < got[i-1].Index {
						t.Fatalf("%d chunks, query %d: equal scores out of chunk order at rank %d", n, qi, i)
					}
				}
				if k == n {
					continue
				}
				// Same chunks where no tie straddles the cut.
				if len(got) > 0 && (len(got) == n || got[len(got)-1].Score != kthBelow(vecs, qv, got)) {
					seen := map[int]bool{}
					for _, h := range want {
						seen[h.Index] = true
					}
					for _, h := range got {
						if !seen[h.Index] {
							t.Fatalf("%d chunks, query %d, k %d: chunk %d found, chromem did not", n, qi, k, h.Index)
						}
					}
				}
			}
		}
		if _, err := nearest(make([]float32, 7), lp.Vectors(), 3); err == nil {
			t.Errorf("a question of another dimension: no error")
		}
	}
}

// kthBelow is the best score of a chunk not among hits (the score a tie
// at the cut would share).
func kthBelow(vecs [][]float32, qv []float32, hits []library.VectorHit) float32 {
	in := map[int]bool{}
	for _, h := range hits {
		in[h.Index] = true
	}
	if !isNormalized(qv) {
		qv = normalized(qv)
	}
	best := float32(math.Inf(-1))
	for i, v := range vecs {
		if !in[i] {
			best = max(best, dot(qv, v))
		}
	}
	return best
}

// TestLexHeapOrder checks that lexHeap pops positions by descending
// score, equal scores by position, as the pruning bound requires.
func TestLexHeapOrder(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 7))
	for _, n := range []int{0, 1, 2, 5, 64, 500} {
		bm := make([]float64, n)
		docs := make([]int, n)
		for i := range bm {
			bm[i] = float64(r.IntN(8)) // many ties
			docs[i] = i
		}
		r.Shuffle(n, func(i, j int) { docs[i], docs[j] = docs[j], docs[i] })
		want := slices.Clone(docs)
		slices.SortFunc(want, func(a, b int) int {
			if bm[a] != bm[b] {
				return cmp.Compare(bm[b], bm[a])
			}
			return a - b
		})
		h := lexHeap{docs: docs, bm: bm}
		h.init()
		for i, w := range want {
			if got := h.pop(); got != w {
				t.Fatalf("n %d: pop %d is %d (%v), want %d (%v)", n, i, got, bm[got], w, bm[w])
			}
		}
	}
}
