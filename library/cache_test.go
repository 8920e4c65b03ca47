package library_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/internal/apptest"
	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/rag"
	"github.com/chatpaper/chatpaper/store"
	"github.com/chatpaper/chatpaper/vector"
)

// smallPaper is the demo paper under another id with its first 12
// references, the one at position 0 renamed so questions can target it.
func smallPaper(id, marker string) *paper.Paper {
	p := *paper.Demo()
	p.ID = id
	p.References = append([]paper.Reference(nil), p.References[:12]...)
	p.References[0].Text = "Quillfeather " + marker + " lymphocyte atlas of irradiated stroma."
	return &p
}

// newLibrary returns a library over st and vi with the 256-dimension
// local embedder, bounded to papers and bytes (0: the defaults),
// revalidating after revalidate (0: never).
func newLibrary(t *testing.T, st store.Store, vi library.VectorIndex, papers int, bytes int64, revalidate time.Duration) *library.Library {
	t.Helper()
	o := apptest.LibraryOptions()
	if papers > 0 {
		o.CachePapers = papers
	}
	if bytes > 0 {
		o.CacheBytes = bytes
	}
	o.Revalidate = revalidate
	l, err := library.New(st, embed.NewLocal(256), vi, o)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func askMarker(t *testing.T, lib *library.Library, id string) *rag.Answer {
	t.Helper()
	ans, err := apptest.Extractive(lib, nil).Ask(t.Context(), rag.Question{PaperID: id, Text: "Quillfeather lymphocyte atlas", Lang: paper.LangEN}, nil)
	if err != nil {
		t.Fatalf("ask %s: %v", id, err)
	}
	return ans
}

func TestCacheBoundedByCount(t *testing.T) {
	t.Parallel()
	st := openStore(t, t.TempDir())
	vi := apptest.NewCountingIndex()
	eng := newLibrary(t, st, vi, 3, 0, 0)
	for i := range 6 {
		if err := eng.Ingest(t.Context(), smallPaper(fmt.Sprintf("p%d", i), "alpha")); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 6 {
		if ans := askMarker(t, eng, fmt.Sprintf("p%d", i)); !ans.Answerable || len(ans.Citations) == 0 || ans.Citations[0].N != 1 {
			t.Errorf("p%d: answer %q cites %v, want [1]", i, ans.Answer, ans.Citations)
		}
	}
	st1 := eng.CacheStats()
	if got, want := st1.Papers, 3; got != want {
		t.Errorf("cached papers = %d, want %d", got, want)
	}
	if got, want := vi.Live(), 3; got != want {
		t.Errorf("live vector collections = %d, want %d (evicted papers must be dropped from the index)", got, want)
	}
	// p0..p2 were evicted by the ingests of p3..p5 and loaded again
	// from the store when asked.
	if st1.Misses < 3 || st1.Evictions < 6 {
		t.Errorf("stats = %+v, want at least 3 misses and 6 evictions", st1)
	}
}

func TestCacheBoundedByBytes(t *testing.T) {
	t.Parallel()
	st := openStore(t, t.TempDir())
	vi := apptest.NewCountingIndex()
	probe := newLibrary(t, openStore(t, t.TempDir()), apptest.NewCountingIndex(), 0, 0, 0)
	if err := probe.Ingest(t.Context(), smallPaper("probe", "alpha")); err != nil {
		t.Fatal(err)
	}
	one := probe.CacheStats().Bytes
	if one <= 0 {
		t.Fatalf("a loaded paper has size %d", one)
	}
	eng := newLibrary(t, st, vi, 100, 2*one+one/2, 0)
	for i := range 5 {
		id := fmt.Sprintf("p%d", i)
		if err := eng.Ingest(t.Context(), smallPaper(id, "alpha")); err != nil {
			t.Fatal(err)
		}
		askMarker(t, eng, id)
	}
	s := eng.CacheStats()
	if s.Papers != 2 || s.Bytes > 2*one+one/2 {
		t.Errorf("stats = %+v, want 2 papers within %d bytes", s, 2*one+one/2)
	}
	if got, want := vi.Live(), 2; got != want {
		t.Errorf("live vector collections = %d, want %d", got, want)
	}
}

// TestCacheConcurrentEviction asks across more papers than the cache
// holds from many goroutines, so entries are evicted while other
// readers use them: every answer must still succeed, and no vector
// collection may leak.
func TestCacheConcurrentEviction(t *testing.T) {
	t.Parallel()
	st := openStore(t, t.TempDir())
	vi := apptest.NewCountingIndex()
	eng := newLibrary(t, st, vi, 2, 0, time.Nanosecond)
	ask := apptest.Extractive(eng, nil)
	const papers = 8
	for i := range papers {
		if err := eng.Ingest(t.Context(), smallPaper(fmt.Sprintf("p%d", i), "alpha")); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 12 {
				id := fmt.Sprintf("p%d", (g*5+i)%papers)
				ans, err := ask.Ask(t.Context(), rag.Question{PaperID: id, Text: "Quillfeather lymphocyte atlas", Lang: paper.LangEN}, nil)
				if err != nil {
					t.Errorf("ask %s: %v", id, err)
					return
				}
				if !ans.Answerable {
					t.Errorf("ask %s: not answerable: %q", id, ans.Answer)
				}
			}
		})
	}
	wg.Wait()
	s := eng.CacheStats()
	if s.Papers > 2 {
		t.Errorf("cached papers = %d, want at most 2", s.Papers)
	}
	if got, want := vi.Live(), s.Papers; got != want {
		t.Errorf("live vector collections = %d, cached papers %d: collections leaked", got, want)
	}
}

// TestCacheRevalidates has two engines share one store, as two replicas
// share a database: a paper replaced or deleted through one is seen by
// the other once its revalidation interval has passed.
func TestCacheRevalidates(t *testing.T) {
	t.Parallel()
	st := openStore(t, t.TempDir())
	a := newLibrary(t, st, vector.NewChromem(), 0, 0, 0)
	b := newLibrary(t, st, vector.NewChromem(), 0, 0, time.Nanosecond)
	if err := a.Ingest(t.Context(), smallPaper("p", "alpha")); err != nil {
		t.Fatal(err)
	}
	if ans := askMarker(t, b, "p"); !strings.Contains(ans.Citations[0].Text, "alpha") {
		t.Fatalf("b before replace cites %q", ans.Citations[0].Text)
	}
	if err := a.Ingest(t.Context(), smallPaper("p", "omega")); err != nil {
		t.Fatal(err)
	}
	if ans := askMarker(t, b, "p"); !strings.Contains(ans.Citations[0].Text, "omega") {
		t.Errorf("b after replace through a cites %q, want the new version", ans.Citations[0].Text)
	}
	if s := b.CacheStats(); s.Reloads != 1 {
		t.Errorf("b stats = %+v, want 1 reload", s)
	}
	if err := a.Delete(t.Context(), "p"); err != nil {
		t.Fatal(err)
	}
	if _, err := apptest.Extractive(b, nil).Ask(t.Context(), rag.Question{PaperID: "p", Text: "Quillfeather"}, nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("b after delete through a: err = %v, want not found", err)
	}
}
