package library_test

import (
	"context"
	"reflect"
	"sync/atomic"
	"testing"

	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/store"
	"github.com/chatpaper/chatpaper/vector"
)

// paperReads counts Store.Paper calls.
type paperReads struct {
	store.Store
	n atomic.Int64
}

func (s *paperReads) Paper(ctx context.Context, id string) (*paper.Paper, error) {
	s.n.Add(1)
	return s.Store.Paper(ctx, id)
}

// TestCatalogueTermsBackfill stores papers as before catalogue terms
// existed (none stored), then checks that the first build searches them
// exactly as a build from text does, stores their terms, and that the
// next build, from those terms alone, reads no paper and searches the
// same; terms of another analysis or malformed ones are made again.
func TestCatalogueTermsBackfill(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openStore(t, t.TempDir())
	e := embed.NewLocal(0)
	var papers []*paper.Paper
	for i := range 30 {
		papers = append(papers, synthPaper(i))
	}
	zh := smallPaper("zh", "zh")
	zh.TitleZh, zh.AbstractZh = "放射治疗后的外泌体", "外泌体在肿瘤放射治疗中的作用。"
	papers = append(papers, zh, smallPaper("en", "en"))
	for _, p := range papers {
		if err := st.PutPaper(ctx, p, e.Name(), nil); err != nil {
			t.Fatal(err)
		}
	}
	queries := []string{synthPaper(3).Title, "exosome irradiation", "外泌体 放射治疗", synthPaper(17).Abstract[:40]}
	searchAll := func(s store.Store) [][]library.PaperHit {
		t.Helper()
		lib, err := library.New(s, e, vector.NewChromem(), library.Options{CachePapers: 1, CacheBytes: 1 << 30})
		if err != nil {
			t.Fatal(err)
		}
		var out [][]library.PaperHit
		for _, q := range queries {
			res, err := lib.SearchPapers(ctx, library.SearchRequest{Text: q, Limit: 20})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Papers) == 0 {
				t.Fatalf("%q finds nothing: a query that tests nothing", q)
			}
			out = append(out, res.Papers)
		}
		return out
	}
	want := searchAll(noTermsStore{st}) // from text, storing nothing
	stored := func() map[string][]byte {
		abs, err := st.Abstracts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string][]byte{}
		for _, a := range abs {
			if a.Terms != nil {
				m[a.ID] = a.Terms
			}
		}
		return m
	}
	if n := len(stored()); n != 0 {
		t.Fatalf("%d papers have terms before any build stored them", n)
	}
	if got := searchAll(st); !reflect.DeepEqual(got, want) {
		t.Errorf("backfilling build searches\n%v\nwant\n%v", got, want)
	}
	terms := stored()
	if len(terms) != len(papers) {
		t.Fatalf("the build stored terms of %d papers, want %d", len(terms), len(papers))
	}
	reads := &paperReads{Store: st}
	if got := searchAll(reads); !reflect.DeepEqual(got, want) {
		t.Errorf("build from stored terms searches\n%v\nwant\n%v", got, want)
	}
	if n := reads.n.Load(); n != 0 {
		t.Errorf("build from stored terms read %d papers, want none", n)
	}
	// Terms of another analysis version, and malformed ones, are made
	// again from the paper.
	old := append([]byte(nil), terms["syn-00003"]...)
	old[0]++
	broken := terms["zh"][:len(terms["zh"])-2]
	if err := st.PutCatalogueTerms(ctx, []store.CatalogueTerms{
		{ID: "syn-00003", Hash: store.ContentHash(synthPaper(3)), Terms: old},
		{ID: "zh", Hash: store.ContentHash(zh), Terms: broken},
	}); err != nil {
		t.Fatal(err)
	}
	reads = &paperReads{Store: st}
	if got := searchAll(reads); !reflect.DeepEqual(got[:2], want[:2]) || !sameHits(got[2], want[2]) {
		t.Errorf("build over stale terms searches\n%v\nwant\n%v", got, want)
	}
	if n := reads.n.Load(); n != 2 {
		t.Errorf("build over two stale terms read %d papers, want 2", n)
	}
	if got := stored(); !reflect.DeepEqual(got, terms) {
		t.Error("stale terms were not replaced by current ones")
	}
}

// sameHits compares hits as sets with scores: a paper whose stored terms
// were malformed is indexed after the others, so it may lose a tie.
func sameHits(a, b []library.PaperHit) bool {
	m := map[string]float64{}
	for _, h := range a {
		m[h.ID] = h.Score
	}
	if len(a) != len(b) {
		return false
	}
	for _, h := range b {
		if s, ok := m[h.ID]; !ok || s != h.Score {
			return false
		}
	}
	return true
}
