package rag

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/search"
	"github.com/chatpaper/chatpaper/store/sqlite"
	"github.com/chatpaper/chatpaper/vector"
)

// sizedPaper returns a paper of about n chunks: the demo paper's title
// and abstract and n-ish references of pseudo-words, one of which
// (number 1) the benchmark question is about.
func sizedPaper(n int) *paper.Paper {
	p := *paper.Demo()
	p.ID = fmt.Sprintf("sized-%d", n)
	base := len(library.Chunks(&paper.Paper{Title: p.Title, TitleZh: p.TitleZh, Abstract: p.Abstract, AbstractZh: p.AbstractZh}))
	r := rand.New(rand.NewPCG(uint64(n), 3))
	syll := strings.Fields("ba ce di fo gu ka le mi no pu ra se ti vo zu")
	word := func() string {
		var b strings.Builder
		for range 3 {
			b.WriteString(syll[r.IntN(len(syll))])
		}
		return b.String()
	}
	p.References = make([]paper.Reference, max(1, n-base))
	for i := range p.References {
		ws := make([]string, 8)
		for j := range ws {
			ws[j] = word()
		}
		p.References[i] = paper.Reference{N: i + 1, Text: strings.Join(ws, " ") + ". Journal of Examples."}
	}
	p.References[0].Text = "Quillfeather lymphocyte atlas of irradiated stroma. Journal of Examples."
	return &p
}

// loadSized ingests sizedPaper(n) into a fresh library and acquires it.
func loadSized(b *testing.B, n int) (*library.Loaded, embed.Embedder) { return loadSizedT(b, n) }

func loadSizedT(b testing.TB, n int) (*library.Loaded, embed.Embedder) {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	e := embed.NewLocal(0)
	lib, err := library.New(st, e, vector.NewChromem(), library.Options{CachePapers: 10, CacheBytes: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	p := sizedPaper(n)
	if err := lib.Ingest(ctx, p); err != nil {
		b.Fatal(err)
	}
	lp, err := lib.Acquire(ctx, p.ID)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(lp.Release)
	return lp, e
}

// BenchmarkRetrieval measures per-paper retrieval of one embedded
// question (BM25 over postings, the vector index's nearest chunks,
// fusion, top-k and the decision's features) against its floor in
// the same run: a brute-force dot product of the question with every
// chunk vector, which any exact vector ranking must at least compute.
// Sub-benchmarks at about 110, 1,000 and 10,000 chunks, over the dense
// vectors the vector index holds and over a first use's sparse ones.
func BenchmarkRetrieval(b *testing.B) {
	const question = "Which reference describes the Quillfeather lymphocyte atlas?"
	for _, n := range []int{110, 1000, 10000} {
		lp, e := loadSized(b, n)
		q := search.ParseQuery(question, search.QueryOptions{Rarity: true, Vocabulary: lp.Lexicon().Has})
		qv, err := e.Embed(context.Background(), []string{q.EmbedText})
		if err != nil {
			b.Fatal(err)
		}
		vecs := lp.Vectors().Dense
		b.Run(fmt.Sprintf("chunks=%d/floor", len(vecs)), func(b *testing.B) {
			out := make([]float32, len(vecs))
			for b.Loop() {
				for i, v := range vecs {
					out[i] = dot(qv[0], v)
				}
			}
		})
		b.Run(fmt.Sprintf("chunks=%d/retrieve", len(vecs)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, _, err := rankVector(context.Background(), lp, q, qv[0])
				if err != nil || len(r) == 0 || lp.Chunks()[r[0].idx].N != 1 {
					b.Fatalf("ranking %v, %v: want reference 1 first", r, err)
				}
			}
		})
		// A paper's first use after a load from its image scores the
		// image's sparse vectors (library.Vectors).
		_, sparse, _, _ := loadBothForms(b, n)
		b.Run(fmt.Sprintf("chunks=%d/retrieve-sparse-form", len(vecs)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, _, err := rankVector(context.Background(), sparse, q, qv[0])
				if err != nil || len(r) == 0 || sparse.Chunks()[r[0].idx].N != 1 {
					b.Fatalf("ranking %v, %v: want reference 1 first", r, err)
				}
			}
		})
		// The local embedder's question vectors are sparse, which the
		// scan exploits; a model's are dense. This is the same question
		// with every coordinate non-zero, as a model's would be.
		dense := denseNear(qv[0])
		b.Run(fmt.Sprintf("chunks=%d/retrieve-dense", len(vecs)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := rankVector(context.Background(), lp, q, dense); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// denseNear returns v with a small non-zero value added to every
// coordinate, normalised: a dense vector close to v.
func denseNear(v []float32) []float32 {
	r := rand.New(rand.NewPCG(1, 1))
	out := make([]float32, len(v))
	var norm float64
	for i, x := range v {
		out[i] = x + 0.01*float32(r.NormFloat64())
		norm += float64(out[i]) * float64(out[i])
	}
	for i := range out {
		out[i] /= float32(math.Sqrt(norm))
	}
	return out
}
