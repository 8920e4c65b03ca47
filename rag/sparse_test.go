package rag

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/search"
	"github.com/chatpaper/chatpaper/store/sqlite"
	"github.com/chatpaper/chatpaper/vector"
)

// loadBothForms ingests a paper of about n chunks and returns it loaded
// twice: as ingest indexed it (dense vectors) and from its load image in
// a second library, on its first use there (sparse vectors), and from
// its image in a third, on its second use there (dense again, written out
// from the sparse form).
func loadBothForms(t testing.TB, n int) (dense, sparse, densified *library.Loaded, e embed.Embedder) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e = embed.NewLocal(0)
	images := t.TempDir()
	o := library.Options{CachePapers: 10, CacheBytes: 1 << 30, Images: images}
	writer, err := library.New(st, e, vector.NewChromem(), o)
	if err != nil {
		t.Fatal(err)
	}
	p := sizedPaper(n)
	if err := writer.Ingest(ctx, p); err != nil {
		t.Fatal(err)
	}
	reader := func() *library.Library {
		lib, err := library.New(st, e, vector.NewChromem(), o)
		if err != nil {
			t.Fatal(err)
		}
		return lib
	}
	acquire := func(lib *library.Library) *library.Loaded {
		lp, err := lib.Acquire(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(lp.Release)
		return lp
	}
	dense, sparse = acquire(writer), acquire(reader())
	twice := reader()
	acquire(twice)
	densified = acquire(twice)
	if dense.Vectors().Dense == nil || sparse.Vectors().Sparse == nil || densified.Vectors().Dense == nil {
		t.Fatalf("forms: ingested dense %v, first use sparse %v, second use dense %v",
			dense.Vectors().Dense != nil, sparse.Vectors().Sparse != nil, densified.Vectors().Dense != nil)
	}
	return dense, sparse, densified, e
}

// TestSparseVectorsScoreAsDense checks that a paper answers the same
// whichever form its vectors are in: every chunk's score from the load
// image's sparse vectors equals, bit for bit, its score from the dense
// ones, for the local embedder's sparse questions, for dense ones and for
// one not normalised, and the whole ranking and its features are equal.
// The dense vectors written out on the second use equal the ingested ones.
func TestSparseVectorsScoreAsDense(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, n := range []int{12, 110, 1000} {
		dense, sparse, densified, e := loadBothForms(t, n)
		if !sameFloats(dense.Vectors().Dense, densified.Vectors().Dense) {
			t.Fatalf("%d chunks: vectors written out from the sparse form differ from the ingested ones", n)
		}
		vecs := dense.Vectors().Dense
		r := rand.New(rand.NewPCG(uint64(n), 3))
		type question struct {
			q  *search.Query
			qv []float32
		}
		var questions []question
		for range 30 {
			words := strings.Fields(dense.Chunks()[r.IntN(n)].Text)
			text := strings.Join(words[:min(len(words), 1+r.IntN(5))], " ")
			q := search.ParseQuery(text, search.QueryOptions{Rarity: true, Vocabulary: dense.Lexicon().Has})
			vs, err := e.Embed(ctx, []string{q.EmbedText})
			if err != nil {
				t.Fatal(err)
			}
			questions = append(questions, question{q, vs[0]})
			// The same question with a dense vector near a chunk's, and
			// one not normalised.
			a := vecs[r.IntN(n)]
			qv := make([]float32, len(a))
			for i := range qv {
				qv[i] = a[i] + 0.05*float32(r.NormFloat64())
			}
			questions = append(questions, question{q, qv})
		}
		for qi, x := range questions {
			for _, k := range []int{1, RerankDepth, n} {
				want, err := nearest(x.qv, dense.Vectors(), k)
				if err != nil {
					t.Fatal(err)
				}
				got, err := nearest(x.qv, sparse.Vectors(), k)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%d chunks, question %d, k %d: sparse scan %v, dense %v", n, qi, k, got, want)
				}
			}
			wantR, wantF, err := rankVector(ctx, dense, x.q, x.qv)
			if err != nil {
				t.Fatal(err)
			}
			gotR, gotF, err := rankVector(ctx, sparse, x.q, x.qv)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(gotR, wantR) || !reflect.DeepEqual(gotF, wantF) {
				t.Fatalf("%d chunks, question %d: ranking from sparse vectors differs from the dense one", n, qi)
			}
		}
		if _, err := nearest(make([]float32, 7), sparse.Vectors(), 3); err == nil {
			t.Errorf("a question of another dimension than the sparse vectors: no error")
		}
	}
}

func sameFloats(a, b [][]float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if math.Float32bits(a[i][j]) != math.Float32bits(b[i][j]) {
				return false
			}
		}
	}
	return true
}

// FuzzDotSparse checks the invariant the two vector forms rest on: a
// chunk scored by its non-zero elements alone (dotSparse) scores exactly
// what it scores densely (dot), for sparse and dense questions, for any
// finite values. Only the sign of a zero sum may differ, which compares
// equal.
func FuzzDotSparse(f *testing.F) {
	f.Add([]byte{1, 0, 3, 0, 0, 200, 7, 0, 9, 1}, []byte{0, 5, 0, 0, 4, 0, 0, 9, 1, 1})
	f.Add([]byte{128, 128, 1}, []byte{128, 0, 127})
	f.Fuzz(func(t *testing.T, qb, cb []byte) {
		dim := min(len(qb), len(cb), 512)
		if dim == 0 {
			return
		}
		// A byte is a value in [-1, 1) with many exact zeros, so products
		// can cancel, and tiny ones, so they can round away.
		val := func(b byte) float32 {
			if b%3 == 0 {
				return 0
			}
			x := float32(int(b)-128) / 128
			if b%7 == 0 {
				x *= 1e-30
			}
			return x
		}
		q, c := make([]float32, dim), make([]float32, dim)
		var idx []uint16
		var vals []float32
		for i := range dim {
			q[i], c[i] = val(qb[i]), val(cb[i])
			if math.Float32bits(c[i]) != 0 { // as the image stores them
				idx, vals = append(idx, uint16(i)), append(vals, c[i])
			}
		}
		qv := newQueryVec(q)
		want := qv.dot(c)
		if got := qv.dotSparse(idx, vals); got != want {
			t.Fatalf("sparse %v, dense %v (sparse question %v)", got, want, qv.idx != nil)
		}
		if want != dot(q, c) {
			t.Fatalf("question by its non-zeros %v, whole %v", want, dot(q, c))
		}
	})
}
