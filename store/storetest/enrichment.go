package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/store"
)

func testEnrichments(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.CitedWork(ctx, "10.1/none"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("CitedWork of an uncached DOI: %v, want ErrNotFound", err)
	}
	fetched := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	w := &paper.CitedWork{
		DOI: "10.1109/72.279181", Title: "Learning long-term dependencies", Authors: []string{"Y. Bengio", "P. Simard"},
		Container: "IEEE TNN", Year: 1994, Abstract: "Recurrent networks…", Status: paper.StatusRetracted,
		NoticeDOI: "10.1/notice", StatusDate: "2020-01-02", Fetched: fetched,
	}
	if err := s.PutCitedWork(ctx, w); err != nil {
		t.Fatal(err)
	}
	got, err := s.CitedWork(ctx, w.DOI)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, w) {
		t.Errorf("CitedWork = %+v, want %+v", got, w)
	}
	// Replacing a cached work keeps one record, the newer.
	w2 := *w
	w2.Status, w2.NoticeDOI, w2.StatusDate, w2.Fetched = "", "", "", fetched.Add(time.Hour)
	if err := s.PutCitedWork(ctx, &w2); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.CitedWork(ctx, w.DOI); got == nil || got.Status != "" || !got.Fetched.Equal(w2.Fetched) {
		t.Errorf("after replace: %+v", got)
	}

	if err := s.PutReferenceLinks(ctx, "absent", []paper.ReferenceLink{{N: 1, RefKey: "k", Match: paper.MatchNone}}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PutReferenceLinks for a missing paper: %v, want ErrNotFound", err)
	}
	p := SamplePaper("p1")
	put(t, s, p, "emb", nil)
	if ls, err := s.ReferenceLinks(ctx, "p1"); err != nil || len(ls) != 0 {
		t.Fatalf("ReferenceLinks before any: %v, %v", ls, err)
	}
	links := []paper.ReferenceLink{
		{N: 26, RefKey: paper.RefKey(p.References[2]), DOI: "10.48550/arxiv.1409.1556", Match: paper.MatchDeposited},
		{N: 1, RefKey: paper.RefKey(p.References[0]), DOI: w.DOI, Match: paper.MatchDeposited},
		{N: 2, RefKey: paper.RefKey(p.References[1]), Match: paper.MatchNone, Score: 0.625},
	}
	if err := s.PutReferenceLinks(ctx, "p1", links); err != nil {
		t.Fatal(err)
	}
	ls, err := s.ReferenceLinks(ctx, "p1")
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 3 || ls[0].N != 1 || ls[1].N != 2 || ls[2].N != 26 {
		t.Fatalf("ReferenceLinks = %+v, want numbers 1, 2, 26", ls)
	}
	if ls[0].Work == nil || ls[0].Work.Title != w.Title {
		t.Errorf("link 1 work = %+v, want the cached work", ls[0].Work)
	}
	if ls[1].Work != nil || ls[1].Score != 0.625 || ls[1].Match != paper.MatchNone || ls[1].DOI != "" {
		t.Errorf("link 2 = %+v, want unmatched with score 0.625 and no work", ls[1])
	}
	if ls[2].Work != nil {
		t.Errorf("link 26 has work %+v before it was fetched", ls[2].Work)
	}
	// Links of the same number are replaced.
	if err := s.PutReferenceLinks(ctx, "p1", []paper.ReferenceLink{{N: 2, RefKey: "k2", DOI: w.DOI, Match: paper.MatchQuery, Score: 0.97}}); err != nil {
		t.Fatal(err)
	}
	ls, _ = s.ReferenceLinks(ctx, "p1")
	if len(ls) != 3 || ls[1].DOI != w.DOI || ls[1].Match != paper.MatchQuery || ls[1].RefKey != "k2" || ls[1].Work == nil {
		t.Errorf("after replacing link 2: %+v", ls)
	}
	// Re-ingesting the paper keeps its links (their RefKeys tell which
	// still apply); deleting it drops them but not the shared cache.
	put(t, s, p, "emb", nil)
	if ls, _ := s.ReferenceLinks(ctx, "p1"); len(ls) != 3 {
		t.Errorf("after re-put: %d links, want 3", len(ls))
	}
	if err := s.DeletePaper(ctx, "p1"); err != nil {
		t.Fatal(err)
	}
	if ls, err := s.ReferenceLinks(ctx, "p1"); err != nil || len(ls) != 0 {
		t.Errorf("after delete: %v, %v", ls, err)
	}
	if _, err := s.CitedWork(ctx, w.DOI); err != nil {
		t.Errorf("cached work gone with the paper: %v", err)
	}
}

func testReplaceChunks(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := SamplePaper("rc")
	put(t, s, p, "emb", SampleChunks("rc", 4, 8))
	key := store.SummaryKey{PaperID: "rc", Lang: paper.LangEN}
	putSummary(t, s, key, &paper.Summary{PaperID: "rc", Lang: paper.LangEN, Summary: "S", Source: "extractive"})
	hash := store.ContentHash(p)
	if err := s.ReplaceChunks(ctx, "rc", "0000", "emb", SampleChunks("rc", 2, 8)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ReplaceChunks with a stale hash: %v, want ErrNotFound", err)
	}
	wantChunks(t, s, "rc", "emb", SampleChunks("rc", 4, 8))
	if err := s.ReplaceChunks(ctx, "absent", hash, "emb", nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ReplaceChunks of a missing paper: %v, want ErrNotFound", err)
	}
	next := SampleChunks("rc", 6, 8)
	if err := s.ReplaceChunks(ctx, "rc", hash, "emb2", next); err != nil {
		t.Fatal(err)
	}
	wantChunks(t, s, "rc", "emb2", next)
	if _, err := s.Summary(ctx, key); err != nil {
		t.Errorf("summary dropped by ReplaceChunks: %v", err)
	}
	if got, err := s.Paper(ctx, "rc"); err != nil || got.Title != p.Title {
		t.Errorf("paper after ReplaceChunks: %v, %v", got, err)
	}
}

func testPaperVersion(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.PaperVersion(ctx, "absent"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PaperVersion of a missing paper: %v, want ErrNotFound", err)
	}
	p := SamplePaper("pv")
	put(t, s, p, "emb", SampleChunks("pv", 3, 4))
	v1, err := s.PaperVersion(ctx, "pv")
	if err != nil {
		t.Fatal(err)
	}
	// Unrelated writes and reads leave it.
	if err := s.PutReferenceLinks(ctx, "pv", []paper.ReferenceLink{{N: 1, RefKey: "k", Match: paper.MatchNone}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Chunks(ctx, "pv"); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.PaperVersion(ctx, "pv"); v != v1 {
		t.Errorf("version changed from %q to %q without a write of the paper", v1, v)
	}
	// Re-putting the same content changes it: the chunks were written
	// again, here by another embedder.
	put(t, s, p, "emb2", SampleChunks("pv", 3, 4))
	v1b, _ := s.PaperVersion(ctx, "pv")
	if v1b == v1 {
		t.Errorf("version %q unchanged by PutPaper of the same content with other chunks", v1b)
	}
	if err := s.ReplaceChunks(ctx, "pv", store.ContentHash(p), "emb", SampleChunks("pv", 4, 4)); err != nil {
		t.Fatal(err)
	}
	v2, _ := s.PaperVersion(ctx, "pv")
	if v2 == v1 || v2 == v1b {
		t.Errorf("version %q unchanged by ReplaceChunks", v2)
	}
	q := SamplePaper("pv")
	q.Title = "changed"
	put(t, s, q, "emb", nil)
	if v3, _ := s.PaperVersion(ctx, "pv"); v3 == v2 || v3 == v1 {
		t.Errorf("version %q unchanged by new content", v3)
	}
}

// wantVersionAndLinks checks that PaperVersionAndLinks of id returns
// what PaperVersion and ReferenceLinks do, and returns it.
func wantVersionAndLinks(t *testing.T, s store.Store, id string) (string, []paper.ReferenceLink) {
	t.Helper()
	ctx := t.Context()
	v, ls, err := s.PaperVersionAndLinks(ctx, id)
	if err != nil {
		t.Fatalf("PaperVersionAndLinks(%s): %v", id, err)
	}
	wantV, err := s.PaperVersion(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	wantLs, err := s.ReferenceLinks(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if v != wantV {
		t.Errorf("PaperVersionAndLinks(%s) version %q, PaperVersion %q", id, v, wantV)
	}
	if !reflect.DeepEqual(ls, wantLs) {
		t.Errorf("PaperVersionAndLinks(%s) links\n%+v\nReferenceLinks\n%+v", id, ls, wantLs)
	}
	return v, ls
}

func testPaperVersionAndLinks(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, ls, err := s.PaperVersionAndLinks(ctx, "absent")
	wantNotFound(t, "PaperVersionAndLinks of a missing paper", err)
	if ls != nil {
		t.Errorf("PaperVersionAndLinks of a missing paper returned links %+v", ls)
	}

	p := SamplePaper("pl")
	put(t, s, p, "emb", SampleChunks("pl", 3, 4))
	// Another paper's links, joined on the same works, must not show.
	put(t, s, SamplePaper("other"), "emb", nil)
	if v, ls := wantVersionAndLinks(t, s, "pl"); v == "" || ls != nil {
		t.Errorf("paper without links: version %q, links %+v; want a version and nil links", v, ls)
	}

	fetched := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	works := []*paper.CitedWork{
		{DOI: "10.1/a", Title: "Work A", Authors: []string{"A. Author"}, Year: 2001, Abstract: "A found.", Status: paper.StatusRetracted, NoticeDOI: "10.1/notice", StatusDate: "2020-01-02", Fetched: fetched},
		{DOI: "10.1/b", Title: "Work B", Container: "J. B", Fetched: fetched},
	}
	for _, w := range works {
		if err := s.PutCitedWork(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	links := []paper.ReferenceLink{ // out of order, as enrichment may write them
		{N: 26, RefKey: "k26", DOI: works[1].DOI, Match: paper.MatchQuery, Score: 0.97},
		{N: 1, RefKey: "k1", DOI: works[0].DOI, Match: paper.MatchDeposited},
		{N: 3, RefKey: "k3", DOI: "10.1/not-fetched", Match: paper.MatchDeposited},
		{N: 2, RefKey: "k2", Match: paper.MatchNone, Score: 0.625},
	}
	if err := s.PutReferenceLinks(ctx, "pl", links); err != nil {
		t.Fatal(err)
	}
	if err := s.PutReferenceLinks(ctx, "other", []paper.ReferenceLink{{N: 1, RefKey: "o1", DOI: works[0].DOI, Match: paper.MatchQuery}}); err != nil {
		t.Fatal(err)
	}
	v1, ls := wantVersionAndLinks(t, s, "pl")
	want := []paper.ReferenceLink{links[1], links[3], links[2], links[0]}
	want[0].Work, want[3].Work = works[0], works[1]
	if !reflect.DeepEqual(ls, want) {
		t.Errorf("links\n%+v\nwant\n%+v", ls, want)
	}
	if _, ls := wantVersionAndLinks(t, s, "other"); len(ls) != 1 || ls[0].RefKey != "o1" {
		t.Errorf("the other paper's links: %+v, want its one", ls)
	}

	// Replacing the paper changes the version and keeps the links;
	// replacing its chunks changes the version again.
	q := SamplePaper("pl")
	q.Title = "changed"
	put(t, s, q, "emb", SampleChunks("pl", 2, 4))
	v2, ls := wantVersionAndLinks(t, s, "pl")
	if v2 == v1 || !reflect.DeepEqual(ls, want) {
		t.Errorf("after replacing the paper: version %q (was %q), links %+v; want a new version and the same links", v2, v1, ls)
	}
	if err := s.ReplaceChunks(ctx, "pl", store.ContentHash(q), "emb", SampleChunks("pl", 4, 4)); err != nil {
		t.Fatal(err)
	}
	if v3, _ := wantVersionAndLinks(t, s, "pl"); v3 == v2 || v3 == v1 {
		t.Errorf("version %q unchanged by ReplaceChunks", v3)
	}

	if err := s.DeletePaper(ctx, "pl"); err != nil {
		t.Fatal(err)
	}
	_, ls, err = s.PaperVersionAndLinks(ctx, "pl")
	wantNotFound(t, "PaperVersionAndLinks of a deleted paper", err)
	if ls != nil {
		t.Errorf("PaperVersionAndLinks of a deleted paper returned links %+v", ls)
	}
	if _, ls := wantVersionAndLinks(t, s, "other"); len(ls) != 1 {
		t.Errorf("the other paper's links after the delete: %+v", ls)
	}
}
