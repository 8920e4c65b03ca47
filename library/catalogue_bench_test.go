package library_test

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"testing"

	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/store"
	"github.com/chatpaper/chatpaper/store/sqlite"
	"github.com/chatpaper/chatpaper/vector"
)

var benchCataloguePapers = flag.Int("catalogue-papers", 1000, "papers BenchmarkCatalogueBuild builds the catalogue index of")

// noTermsStore keeps no catalogue terms, so every build analyses every
// paper's text, as builds did before the terms were stored.
type noTermsStore struct{ store.Store }

func (noTermsStore) PutCatalogueTerms(context.Context, []store.CatalogueTerms) error { return nil }

// BenchmarkCatalogueBuild times the first catalogue search over stored
// synthetic papers (-catalogue-papers; it builds the corpus index):
// "stored" from the catalogue terms stored with them, "tokenize" from
// their text (no terms stored, as before the stored form existed), and
// the floor "abstracts", reading the titles and abstracts from the store
// alone (Store.Abstracts, no terms stored), in the same run.
func BenchmarkCatalogueBuild(b *testing.B) {
	ctx := context.Background()
	e := embed.NewLocal(0)
	n := *benchCataloguePapers
	fill := func(b *testing.B, withTerms bool) *sqlite.Store {
		st, err := sqlite.Open(ctx, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		var batch []sqlite.BulkPaper
		var terms []store.CatalogueTerms
		for i := range n {
			p := synthPaper(i)
			batch = append(batch, sqlite.BulkPaper{Paper: p, Embedder: e.Name()})
			terms = append(terms, store.CatalogueTerms{ID: p.ID, Hash: store.ContentHash(p), Terms: library.CatalogueTerms(p)})
			if len(batch) == 500 || i == n-1 {
				if err := st.PutPapers(ctx, batch); err != nil {
					b.Fatal(err)
				}
				if withTerms {
					if err := st.PutCatalogueTerms(ctx, terms); err != nil {
						b.Fatal(err)
					}
				}
				batch, terms = batch[:0], terms[:0]
			}
		}
		return st
	}
	search := func(b *testing.B, st store.Store) *library.Library {
		lib, err := library.New(st, e, vector.NewChromem(), library.Options{CachePapers: 1, CacheBytes: 1 << 30})
		if err != nil {
			b.Fatal(err)
		}
		res, err := lib.SearchPapers(ctx, library.SearchRequest{Text: synthPaper(n / 2).Title})
		if err != nil || len(res.Papers) == 0 || res.Papers[0].ID != fmt.Sprintf("syn-%05d", n/2) {
			b.Fatalf("search = %+v, %v", res, err)
		}
		return lib
	}
	// heap reports the live heap a built index adds, the last one built
	// kept alive.
	heap := func(b *testing.B, build func() *library.Library) {
		before := liveHeap()
		lib := build()
		b.ReportMetric(float64(liveHeap()-before)/(1<<20), "MiB-live")
		runtime.KeepAlive(lib)
	}
	plain := fill(b, false)
	b.Run(fmt.Sprintf("papers=%d/abstracts", n), func(b *testing.B) {
		for b.Loop() {
			if _, err := plain.Abstracts(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run(fmt.Sprintf("papers=%d/tokenize", n), func(b *testing.B) {
		for b.Loop() {
			search(b, noTermsStore{plain})
		}
		heap(b, func() *library.Library { return search(b, noTermsStore{plain}) })
	})
	stored := fill(b, true)
	b.Run(fmt.Sprintf("papers=%d/stored", n), func(b *testing.B) {
		for b.Loop() {
			search(b, stored)
		}
		heap(b, func() *library.Library { return search(b, stored) })
	})
}
