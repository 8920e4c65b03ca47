package enrich_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/crossref"
	"github.com/chatpaper/chatpaper/crossref/crossreftest"
	"github.com/chatpaper/chatpaper/enrich"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/store/sqlite"
)

func setup(t *testing.T, o enrich.Options) (*enrich.Enricher, *crossreftest.Server, *sqlite.Store) {
	t.Helper()
	srv := crossreftest.New(t)
	c, err := crossref.New(crossref.Options{BaseURL: srv.URL, Retries: -1, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	e := enrich.New(c, st, o)
	t.Cleanup(e.Close)
	return e, srv, st
}

func putDemo(t *testing.T, st *sqlite.Store) *paper.Paper {
	t.Helper()
	p := paper.Demo()
	if err := st.PutPaper(t.Context(), p, "test", nil); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEnrichDemo(t *testing.T) {
	t.Parallel()
	e, srv, st := setup(t, enrich.Options{})
	ctx := t.Context()
	p := putDemo(t, st)
	res, err := e.EnrichPaper(ctx, p, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if res.References != len(p.References) || res.Linked != 6 || res.Matched != 6 || res.Flagged != 2 || res.Abstracts != 6 || res.Fetched != 6 || res.Failed != 0 {
		t.Errorf("result = %+v, want 6 references matched by search, 6 abstracts, 2 flagged", res)
	}
	ls, err := st.ReferenceLinks(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != len(p.References) {
		t.Fatalf("%d links for %d references: every reference gets a decision", len(ls), len(p.References))
	}
	q := *p
	q.References = append([]paper.Reference(nil), p.References...)
	q.Enrich(ls)
	want := map[int]struct{ doi, status string }{
		6: {"10.5555/chatpaper.demo.006", ""}, 9: {"10.5555/chatpaper.demo.009", ""}, 10: {"10.5555/chatpaper.demo.010", ""},
		44: {"10.5555/chatpaper.demo.044", paper.StatusCorrected}, 49: {"10.5555/chatpaper.demo.049", ""},
		62: {"10.5555/chatpaper.demo.062", paper.StatusRetracted},
	}
	for _, r := range q.References {
		w, ok := want[r.N]
		if !ok {
			if r.Cited != nil || r.DOI != "" {
				t.Errorf("reference %d matched %+v; the fake holds no record for it", r.N, r.Cited)
			}
			continue
		}
		if r.DOI != w.doi || r.Status != w.status || r.Cited == nil || r.Cited.Match != paper.MatchQuery ||
			r.Cited.MatchScore < enrich.MatchThreshold || r.Cited.Abstract == "" {
			t.Errorf("reference %d = doi %q status %q cited %+v, want %s %q", r.N, r.DOI, r.Status, r.Cited, w.doi, w.status)
		}
	}
	if r, _ := q.Reference(62); r.NoticeDOI != "10.5555/chatpaper.notice.062r" || r.StatusDate != "2021-03-15" {
		t.Errorf("retracted reference = %+v", r)
	}
	// Near-misses: [78] and [79] are by the first author of [6], on the
	// same topic; the search offers [6]'s record for them, which scores
	// below the threshold and is not taken.
	for _, l := range ls {
		if l.N == 78 || l.N == 79 {
			if l.Match != paper.MatchNone || l.DOI != "" || l.Score <= 0 || l.Score >= enrich.MatchThreshold {
				t.Errorf("near-miss link %+v, want unmatched with a score below %.2f", l, enrich.MatchThreshold)
			}
		}
	}

	// Enriching again asks the registry nothing.
	before := len(srv.Requests())
	res, err = e.EnrichPaper(ctx, p, time.Time{})
	if err != nil || res.Fetched != 0 || res.Changed || len(srv.Requests()) != before {
		t.Errorf("second run: %+v, %v, %d new requests; want none", res, err, len(srv.Requests())-before)
	}
	// Another paper citing a cached DOI (deposited) does not fetch it.
	other := &paper.Paper{ID: "other", Title: "Other", Abstract: "A", References: []paper.Reference{
		{N: 1, Text: "Hazawa M et al. Radiation increases the cellular uptake of exosomes.", DOI: "10.5555/CHATPAPER.DEMO.049"},
	}}
	if err := st.PutPaper(ctx, other, "test", nil); err != nil {
		t.Fatal(err)
	}
	res, err = e.EnrichPaper(ctx, other, time.Time{})
	if err != nil || res.Linked != 1 || res.Fetched != 0 || res.Abstracts != 1 {
		t.Errorf("other paper: %+v, %v; want its DOI linked from the cache", res, err)
	}
	if n := srv.Count("/works/10.5555/chatpaper.demo.049"); n != 1 {
		t.Errorf("demo.049 fetched %d times across the catalogue, want 1", n)
	}
	// A refresh fetches again (statuses change after citation).
	res, err = e.EnrichPaper(ctx, other, time.Now().Add(time.Minute))
	if err != nil || res.Fetched != 1 {
		t.Errorf("refresh: %+v, %v; want one fetch", res, err)
	}
}

func TestMatchAboveThresholdOnly(t *testing.T) {
	t.Parallel()
	hazawa := enrich.Candidate{DOI: "10.5555/chatpaper.demo.049", Title: "Radiation increases the cellular uptake of exosomes through CD29/CD81 complex formation",
		Families: []string{"Hazawa", "Tomiyama", "Saotome-Nakamura"}, Year: 2014}
	alMayah := enrich.Candidate{DOI: "10.5555/chatpaper.demo.006", Title: "The non-targeted effects of radiation are perpetuated by exosomes",
		Families: []string{"Al-Mayah", "Bright", "Chapman"}, Year: 2015}
	d := paper.Demo()
	ref := func(n int) string { r, _ := d.Reference(n); return r.Text }
	tests := []struct {
		name  string
		ref   string
		c     enrich.Candidate
		match bool
	}{
		{"own work", ref(49), hazawa, true},
		{"own work, other style", "[6] A. Al-Mayah, S. Bright, K. Chapman et al., \"The non-targeted effects of radiation are perpetuated by exosomes,\" Mutat. Res. 772 (2015) 38–45.", alMayah, true},
		{"same first author and topic, other paper", ref(78), alMayah, false},
		{"same first author, other paper", ref(79), alMayah, false},
		{"same topic, other authors", ref(80), alMayah, false},
		{"title only, no authors or year", "The non-targeted effects of radiation are perpetuated by exosomes.", alMayah, false},
	}
	for _, tt := range tests {
		s := enrich.MatchScore(tt.ref, tt.c)
		if got := s >= enrich.MatchThreshold; got != tt.match {
			t.Errorf("%s: score %.3f, accepted %v, want %v", tt.name, s, got, tt.match)
		}
		if s < 0 || s > 1 {
			t.Errorf("%s: score %.3f outside [0, 1]", tt.name, s)
		}
	}
}

func TestBackgroundRetriesLater(t *testing.T) {
	t.Parallel()
	var enriched atomic.Int32
	done := make(chan struct{}, 16)
	e, srv, st := setup(t, enrich.Options{Backoff: 20 * time.Millisecond, Attempts: 5, Enriched: func(ctx context.Context, id string) {
		enriched.Add(1)
		done <- struct{}{}
	}})
	p := &paper.Paper{ID: "p", Title: "T", Abstract: "A", References: []paper.Reference{
		{N: 1, Text: "Valadi H. Exosome-mediated transfer.", DOI: "10.5555/chatpaper.demo.010"},
		{N: 2, Text: "Mo LJ. Retracted.", DOI: "10.5555/chatpaper.demo.062"},
	}}
	if err := st.PutPaper(t.Context(), p, "test", nil); err != nil {
		t.Fatal(err)
	}
	srv.SetFault(crossreftest.Down)
	e.Start()
	e.Enqueue("p")
	// Wait until the registry has been tried and failed at least twice.
	deadline := time.Now().Add(10 * time.Second)
	for srv.Count("/works/10.5555/chatpaper.demo.010") < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	// The deposited DOIs are linked; their works wait for the registry.
	ls, _ := st.ReferenceLinks(t.Context(), "p")
	for _, l := range ls {
		if l.Work != nil {
			t.Fatalf("work cached while the registry was down: %+v", l)
		}
	}
	srv.SetFault(nil)
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if ls, err = st.ReferenceLinks(t.Context(), "p"); err == nil && len(ls) == 2 && ls[0].Work != nil && ls[1].Work != nil {
			break
		}
	}
	<-done // the hook ran for the attempt that fetched the works
	if err != nil || len(ls) != 2 || ls[0].Work == nil || ls[1].Work == nil || ls[1].Work.Status != paper.StatusRetracted {
		t.Fatalf("links = %+v, %v", ls, err)
	}
}

func TestCloseCancels(t *testing.T) {
	t.Parallel()
	e, srv, st := setup(t, enrich.Options{})
	putDemo(t, st)
	srv.SetFault(&crossreftest.Fault{Delay: time.Hour})
	e.Start()
	e.Enqueue(paper.Demo().ID)
	for len(srv.Requests()) == 0 {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	e.Close()
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("Close took %s", el)
	}
	e.Enqueue("after-close") // must not panic or block
}

func TestStoreErrorsSurface(t *testing.T) {
	t.Parallel()
	e, _, st := setup(t, enrich.Options{})
	p := putDemo(t, st)
	st.Close()
	if _, err := e.EnrichPaper(t.Context(), p, time.Time{}); err == nil || errors.Is(err, enrich.ErrUnavailable) {
		t.Errorf("err = %v, want the store's error", err)
	}
}
