package library_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/internal/apptest"
	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/store"
	"github.com/chatpaper/chatpaper/vector"
)

// TestVectorsDenseFromSecondUse loads a paper from its image: its first
// use (the loader and every reader waiting on the same load) gets the
// sparse form and gives the vector index nothing, and so does reading the
// paper alone (Library.Paper); the second use, and
// every use after it, gets the dense form, which the vector index was
// given exactly once however many readers arrive together, and which
// equals the vectors a load from the store gives.
func TestVectorsDenseFromSecondUse(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openStore(t, t.TempDir())
	dir := t.TempDir()
	if err := imageLibrary(t, st, dir, 256).Ingest(ctx, smallPaper("p", "alpha")); err != nil {
		t.Fatal(err)
	}
	vi := apptest.NewCountingIndex()
	o := apptest.LibraryOptions()
	o.Images = dir
	lib, err := library.New(st, embed.NewLocal(256), vi, o)
	if err != nil {
		t.Fatal(err)
	}
	first, err := lib.Acquire(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	sparse := first.Vectors()
	if sparse.Sparse == nil || sparse.Dense != nil || vi.Sets() != 0 {
		t.Fatalf("first use: sparse %v, dense %v, the vector index given %d collections; want sparse only and none",
			sparse.Sparse != nil, sparse.Dense != nil, vi.Sets())
	}
	_, _, want, _, _ := loadedForm(t, newLibrary(t, st, vector.NewChromem(), 0, 0, 0), "p")
	if !reflect.DeepEqual(denseOf(sparse), want) {
		t.Fatal("the sparse form holds other numbers than the stored vectors")
	}
	for range 3 { // reading the paper alone is no use of its vectors
		if _, err := lib.Paper(ctx, "p"); err != nil {
			t.Fatal(err)
		}
	}
	if vi.Sets() != 0 {
		t.Fatalf("Library.Paper made the vectors dense")
	}
	var wg sync.WaitGroup
	uses := make([]*library.Loaded, 16)
	for i := range uses {
		wg.Go(func() {
			lp, err := lib.Acquire(ctx, "p")
			if err != nil {
				t.Error(err)
				return
			}
			uses[i] = lp
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for i, lp := range uses {
		if v := lp.Vectors(); v.Sparse != nil || !reflect.DeepEqual(v.Dense, want) {
			t.Errorf("use %d after the first: sparse %v, dense equal to the stored vectors %v", i+2, v.Sparse != nil, reflect.DeepEqual(v.Dense, want))
		}
		lp.Release()
	}
	if n := vi.Sets(); n != 1 {
		t.Errorf("the vector index was given %d collections, want 1", n)
	}
	// The first reader's sparse form stays whole until it lets go.
	if !reflect.DeepEqual(denseOf(sparse), want) {
		t.Error("the first reader's sparse form changed under it")
	}
	first.Release()

	// The vector index's own query makes a first use's vectors dense.
	lib2, err := library.New(st, embed.NewLocal(256), vector.NewChromem(), o)
	if err != nil {
		t.Fatal(err)
	}
	lp, err := lib2.Acquire(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	defer lp.Release()
	hits, err := lp.Nearest(ctx, want[3], 1)
	if err != nil || len(hits) != 1 || hits[0].Index != 3 || lp.Vectors().Dense == nil {
		t.Errorf("nearest on a first use: %v, %v, dense %v; want chunk 3 and dense vectors", hits, err, lp.Vectors().Dense != nil)
	}
}

// TestSparseFormOutlivesOtherLoads holds a reader on a paper's sparse form
// while a second use makes the paper dense and loads of other papers
// evict it and reuse the memory of dropped papers: the held form keeps
// its numbers until the reader lets go.
func TestSparseFormOutlivesOtherLoads(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st, dir, ids := paperAndOthers(t, 12, true)
	o := apptest.LibraryOptions()
	o.Images, o.CachePapers = dir, 2
	lib, err := library.New(st, embed.NewLocal(256), vector.NewChromem(), o)
	if err != nil {
		t.Fatal(err)
	}
	_, _, want, _, _ := loadedForm(t, newLibrary(t, st, vector.NewChromem(), 0, 0, 0), "p")
	held, err := lib.Acquire(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	sparse := held.Vectors()
	second, err := lib.Acquire(ctx, "p") // dense from here on
	if err != nil {
		t.Fatal(err)
	}
	second.Release()
	for range 3 { // each other paper used once (sparse) and dropped, three times over
		for _, id := range ids[1:] {
			lp, err := lib.Acquire(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			lp.Release()
		}
	}
	if sparse.Sparse == nil || !reflect.DeepEqual(denseOf(sparse), want) {
		t.Error("a held sparse form changed while other loads reused dropped papers' memory")
	}
	held.Release()
}

// partialSets is a vector index whose Set of a collection of keys with
// the prefix fail adds the first half of the vectors and then fails, as
// chromem-go's adapter does when a document is refused midway: the
// vectors added stay in the index until the key is dropped.
type partialSets struct {
	library.VectorIndex
	fail string
}

func (p *partialSets) Set(ctx context.Context, key string, vecs [][]float32) error {
	if !strings.HasPrefix(key, p.fail) {
		return p.VectorIndex.Set(ctx, key, vecs)
	}
	if err := p.VectorIndex.Set(ctx, key, vecs[:len(vecs)/2]); err != nil {
		return err
	}
	return errors.New("vector index refused a vector")
}

// TestFailedDensifyLeavesNoVectorsInIndex makes a paper's second use fail
// to give its dense vectors to the vector index after the index took some
// of them, then lets another paper's second use take the pages the failed
// one gave back: the first paper's Nearest must never score the other
// paper's vectors (an error is fine; hits from memory reused by another
// load are not).
func TestFailedDensifyLeavesNoVectorsInIndex(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openStore(t, t.TempDir())
	dir := t.TempDir()
	writer := imageLibrary(t, st, dir, 256)
	for _, id := range []string{"p", "q"} {
		if err := writer.Ingest(ctx, smallPaper(id, id+"marker")); err != nil {
			t.Fatal(err)
		}
	}
	_, chunks, want, _, _ := loadedForm(t, newLibrary(t, st, vector.NewChromem(), 0, 0, 0), "p")
	at := -1 // the chunk p and q differ in, among the first half
	for i, c := range chunks[:len(chunks)/2] {
		if strings.Contains(c.Text, "pmarker") {
			at = i
		}
	}
	if at < 0 {
		t.Fatal("no chunk of p's marker among the first half")
	}
	o := apptest.LibraryOptions()
	o.Images = dir
	lib, err := library.New(st, embed.NewLocal(256), &partialSets{VectorIndex: vector.NewChromem(), fail: "p#"}, o)
	if err != nil {
		t.Fatal(err)
	}
	use := func(id string) *library.Loaded {
		t.Helper()
		lp, err := lib.Acquire(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return lp
	}
	use("p").Release()
	p := use("p") // its densify fails: the vectors stay sparse
	defer p.Release()
	if p.Vectors().Sparse == nil {
		t.Fatal("a failed densify left the vectors dense")
	}
	use("q").Release()
	use("q").Release() // dense, in the pages p gave back
	hits, err := p.Nearest(ctx, want[at], 1)
	if err == nil && (len(hits) != 1 || hits[0].Index != at || math.Abs(float64(hits[0].Score)-1) > 1e-5) {
		t.Errorf("nearest to p's chunk %d after a failed densify: %v, want chunk %d at 1 or an error: the vector index scores memory another paper reuses", at, hits, at)
	}
}

// TestSparseFormOutlivesOwnNearest holds a first use's sparse form while
// the same reader asks the vector index (Nearest, which makes the paper
// dense) and other papers load from their images: the form it holds keeps
// its numbers until it lets go.
func TestSparseFormOutlivesOwnNearest(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st, dir, ids := paperAndOthers(t, 6, false)
	_, _, want, _, _ := loadedForm(t, newLibrary(t, st, vector.NewChromem(), 0, 0, 0), "p")
	o := apptest.LibraryOptions()
	o.Images = dir
	lib, err := library.New(st, embed.NewLocal(256), vector.NewChromem(), o)
	if err != nil {
		t.Fatal(err)
	}
	lp, err := lib.Acquire(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	defer lp.Release()
	sparse := lp.Vectors()
	if _, err := lp.Nearest(ctx, want[0], 1); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids[1:] {
		other, err := lib.Acquire(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		other.Release()
	}
	if sparse.Sparse == nil || !reflect.DeepEqual(denseOf(sparse), want) {
		t.Error("a reader's sparse form changed after its own Nearest made the paper dense and other papers loaded")
	}
}

// paperAndOthers ingests, through a library writing load images, paper
// "p" and n others ("other0" …), of sizes that differ when sized; it
// returns the store, the image folder and the ids, "p" first.
func paperAndOthers(t *testing.T, n int, sized bool) (store.Store, string, []string) {
	t.Helper()
	st := openStore(t, t.TempDir())
	dir := t.TempDir()
	writer := imageLibrary(t, st, dir, 256)
	ids := []string{"p"}
	for i := range n {
		ids = append(ids, fmt.Sprintf("other%d", i))
	}
	for _, id := range ids {
		p := smallPaper(id, id+"marker")
		if sized {
			p.References = append([]paper.Reference(nil), paper.Demo().References[:5+len(id)]...)
		}
		if err := writer.Ingest(t.Context(), p); err != nil {
			t.Fatal(err)
		}
	}
	return st, dir, ids
}
