package library_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/internal/apptest"
	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/vector"
)

// TestVectorFormsUnderLoad has readers use papers loaded from their
// images, in a cache too small for them all, while a writer replaces them
// and every use revalidates: each reader asks the vector index, uses the
// paper again nested, and uses other papers (whose loads reuse dropped
// papers' memory) while it holds a form of the vectors. A held form must
// keep its numbers until its reader lets go, both forms of one version
// must hold the same numbers, and the cache must count what its entries
// hold.
func TestVectorFormsUnderLoad(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openStore(t, t.TempDir())
	dir := t.TempDir()
	writer := imageLibrary(t, st, dir, 256)
	ref := newLibrary(t, st, vector.NewChromem(), 0, 0, 0)
	ids := make([]string, 6)
	want := map[string][][]float32{}
	for i := range ids {
		ids[i] = fmt.Sprintf("s%d", i)
		if err := writer.Ingest(ctx, smallPaper(ids[i], ids[i]+"marker")); err != nil {
			t.Fatal(err)
		}
		_, _, want[ids[i]], _, _ = loadedForm(t, ref, ids[i])
	}
	var tick atomic.Int64 // every reading of the clock is a second later
	o := apptest.LibraryOptions()
	o.Images, o.CachePapers, o.CacheBytes, o.Revalidate = dir, 10, 100<<10, time.Second
	o.Now = func() time.Time { return time.Unix(tick.Add(1), 0) }
	lib, err := library.New(st, embed.NewLocal(256), vector.NewChromem(), o)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() { // replaces entries (and rewrites images) until the readers finish
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			id := ids[i%len(ids)]
			if err := lib.Ingest(ctx, smallPaper(id, id+"marker")); err != nil {
				t.Error(err)
				return
			}
		}
	})
	var readers sync.WaitGroup
	for w := range 6 {
		readers.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 1))
			use := func(id string) {
				if lp, err := lib.Acquire(ctx, id); err != nil {
					t.Error(err)
				} else {
					lp.Release()
				}
			}
			for range 100 {
				id := ids[r.IntN(len(ids))]
				lp, err := lib.Acquire(ctx, id)
				if err != nil {
					t.Error(err)
					return
				}
				v := lp.Vectors()
				held := denseOf(v)
				// Re-embedding the same text may differ in the last bit.
				if d := maxDiff(held, want[id]); d > 1e-5 {
					t.Errorf("%s: vectors %v from the paper's (sparse %v)", id, d, v.Sparse != nil)
				}
				if r.IntN(4) == 0 {
					if _, err := lp.Nearest(ctx, want[id][0], 3); err != nil {
						t.Error(err)
					}
				}
				if r.IntN(3) == 0 {
					use(id)
				}
				for range 3 {
					use(ids[r.IntN(len(ids))])
				}
				if !reflect.DeepEqual(denseOf(v), held) {
					t.Errorf("%s: a held form changed (sparse %v)", id, v.Sparse != nil)
				}
				if !reflect.DeepEqual(denseOf(lp.Vectors()), held) {
					t.Errorf("%s: the paper's vectors now differ from the form it handed out", id)
				}
				lp.Release()
			}
		})
	}
	readers.Wait()
	close(done)
	wg.Wait()
	if counted, sum := library.CacheSizes(lib); counted != sum {
		t.Errorf("the cache counts %d bytes, its entries hold %d", counted, sum)
	}
	if s := lib.CacheStats(); s.Bytes > o.CacheBytes && s.Papers > 1 {
		t.Errorf("the cache holds %d bytes in %d papers, bound %d", s.Bytes, s.Papers, o.CacheBytes)
	}
}

// maxDiff is the largest difference of two sets of vectors of one shape,
// +Inf for shapes that differ.
func maxDiff(a, b [][]float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return math.Inf(1)
		}
		for j := range a[i] {
			d = max(d, math.Abs(float64(a[i][j]-b[i][j])))
		}
	}
	return d
}
