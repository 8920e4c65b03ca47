package library_test

import (
	"context"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/internal/apptest"
	"github.com/chatpaper/chatpaper/paper"
)

func TestReindexTakesInEnrichment(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	eng, ce := newEngine(t, st)
	demo := paper.Demo()
	if err := eng.Ingest(ctx, demo); err != nil {
		t.Fatal(err)
	}
	before := ce.texts.Load()
	r49, _ := demo.Reference(49)
	w := &paper.CitedWork{DOI: "10.5555/x.49", Title: "Radiation increases uptake", Abstract: "Irradiated cells took up more exosomes.",
		Status: paper.StatusCorrected, NoticeDOI: "10.5555/n.49", StatusDate: "2016", Fetched: time.Now()}
	if err := st.PutCitedWork(ctx, w); err != nil {
		t.Fatal(err)
	}
	if err := st.PutReferenceLinks(ctx, demo.ID, []paper.ReferenceLink{{N: 49, RefKey: paper.RefKey(r49), DOI: w.DOI, Match: paper.MatchQuery, Score: 0.99}}); err != nil {
		t.Fatal(err)
	}
	if err := eng.Reindex(ctx, demo.ID); err != nil {
		t.Fatal(err)
	}
	if n := ce.texts.Load() - before; n != 1 {
		t.Errorf("reindex embedded %d texts, want 1 (the new cited chunk; the rest reused)", n)
	}
	check := func(when string) {
		t.Helper()
		p, err := eng.Paper(ctx, demo.ID)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := p.Reference(49)
		if r.Cited == nil || r.Cited.Abstract != w.Abstract || r.Status != paper.StatusCorrected || r.DOI != w.DOI {
			t.Errorf("%s: reference 49 = %+v (cited %+v)", when, r, r.Cited)
		}
		chunks, _, err := st.Chunks(ctx, demo.ID)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, c := range chunks {
			if c.Kind == paper.KindCited {
				n++
				if c.N != 49 {
					t.Errorf("%s: cited chunk for %d", when, c.N)
				}
			}
		}
		if n != 1 {
			t.Errorf("%s: %d cited chunks stored, want 1", when, n)
		}
		// The stored paper stays as submitted.
		raw, _ := st.Paper(ctx, demo.ID)
		if rr, _ := raw.Reference(49); rr.Cited != nil || rr.DOI != "" || rr.Status != "" {
			t.Errorf("%s: enrichment leaked into the stored paper: %+v", when, rr)
		}
	}
	check("after reindex")
	// Re-ingesting the same paper keeps the enrichment of unchanged
	// references.
	if err := eng.Ingest(ctx, paper.Demo()); err != nil {
		t.Fatal(err)
	}
	check("after re-ingest")
	// A fresh engine on the same store loads it enriched.
	eng2, _ := newEngine(t, st)
	if p, err := eng2.Paper(ctx, demo.ID); err != nil {
		t.Fatal(err)
	} else if r, _ := p.Reference(49); r.Cited == nil {
		t.Errorf("after reload: reference 49 not enriched")
	}
	if err := eng.Delete(ctx, demo.ID); err != nil {
		t.Fatal(err)
	}
	if err := eng.Reindex(ctx, demo.ID); err == nil {
		t.Error("Reindex of a deleted paper succeeded")
	}
}

// TestReindexSeenByAnotherProcess: two libraries over one store stand
// for two replicas; the one that enriches reindexes, the other reloads
// the paper at its next revalidation.
func TestReindexSeenByAnotherProcess(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	opts := apptest.LibraryOptions()
	opts.Revalidate = time.Nanosecond
	a := apptest.Library(t, st, nil, &opts)
	b := apptest.Library(t, st, nil, &opts)
	demo := paper.Demo()
	if err := a.Ingest(ctx, demo); err != nil {
		t.Fatal(err)
	}
	if p, err := b.Paper(ctx, demo.ID); err != nil {
		t.Fatal(err)
	} else if r, _ := p.Reference(62); r.Status != "" {
		t.Fatalf("flagged before enrichment: %+v", r)
	}
	r62, _ := demo.Reference(62)
	w := &paper.CitedWork{DOI: "10.5555/x.62", Title: "miR-1246", Abstract: "Exosomes carried miR-1246.", Status: paper.StatusRetracted, Fetched: time.Now()}
	if err := st.PutCitedWork(ctx, w); err != nil {
		t.Fatal(err)
	}
	if err := st.PutReferenceLinks(ctx, demo.ID, []paper.ReferenceLink{{N: 62, RefKey: paper.RefKey(r62), DOI: w.DOI, Match: paper.MatchQuery, Score: 0.99}}); err != nil {
		t.Fatal(err)
	}
	if err := a.Reindex(ctx, demo.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Millisecond) // past b's revalidation interval
	p, err := b.Paper(ctx, demo.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := p.Reference(62); r.Status != paper.StatusRetracted {
		t.Errorf("the other library still serves [62] as %+v", r)
	}
}
