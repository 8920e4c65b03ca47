package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/chatpaper/chatpaper/ingest"
	"github.com/chatpaper/chatpaper/ingest/ingesttest"
	"github.com/chatpaper/chatpaper/internal/apptest"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/store/sqlite"
)

func readTestdata(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.FromSlash(path))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestDetect(t *testing.T) {
	t.Parallel()
	jatsXML := readTestdata(t, "../paper/jats/testdata/pntd.0002065.nxml")
	cr := readTestdata(t, "../paper/crossref/testdata/10.3389_fgene.2017.00147.json")
	own := []byte(`{"id":"p","title":"T","abstract":"A","references":[]}`)
	page := []byte("Title\n\nAnn Lee1, Bo Chen2\n\nAbstract\nShort.\n")
	pdfData := []byte("%PDF-1.4\n...")
	tests := []struct {
		name, ct string
		data     []byte
		want     string
		wantErr  error
	}{
		{"jats sniffed", "", jatsXML, ingest.FormatJATS, nil},
		{"jats as text/plain", "text/plain", jatsXML, ingest.FormatJATS, nil},
		{"jats by type", "application/jats+xml; charset=utf-8", []byte("<x/>"), ingest.FormatJATS, nil},
		{"crossref sniffed", "", cr, ingest.FormatCrossref, nil},
		{"crossref by type", "application/json", cr, ingest.FormatCrossref, nil},
		{"own json", "application/json", own, ingest.FormatJSON, nil},
		{"own json sniffed", "application/octet-stream", own, ingest.FormatJSON, nil},
		{"page text", "text/plain", page, ingest.FormatPageText, nil},
		{"page text sniffed", "", page, ingest.FormatPageText, nil},
		{"pdf by type", "application/pdf", []byte("junk"), ingest.FormatPDF, nil},
		{"pdf sniffed", "", pdfData, ingest.FormatPDF, nil},
		{"unsupported", "image/png", pdfData, "", ingest.ErrUnsupportedType},
		{"malformed type", "a/b; =", page, "", ingest.ErrUnsupportedType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ingest.Detect(tt.data, tt.ct)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Detect = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseIDs(t *testing.T) {
	t.Parallel()
	jatsXML := readTestdata(t, "../paper/jats/testdata/elife06003.xml")
	tests := []struct {
		name, id, fallback string
		data               []byte
		want               string
		wantErr            bool
	}{
		{"jats doi beats file name", "", "elife06003", jatsXML, "10.7554_eLife.06003", false},
		{"jats explicit id", "lens", "elife06003", jatsXML, "lens", false},
		{"jats without doi takes file name", "", "nodoi", []byte(`<article><front><article-meta><title-group><article-title>T</article-title></title-group><abstract><p>A</p></abstract></article-meta></front></article>`), "nodoi", false},
		{"json id beats file name", "", "file", []byte(`{"id":"inner","title":"T","abstract":"A"}`), "inner", false},
		{"json without id takes file name", "", "file", []byte(`{"title":"T","abstract":"A"}`), "file", false},
		{"json id must match explicit", "other", "file", []byte(`{"id":"inner","title":"T","abstract":"A"}`), "", true},
		{"page text takes file name", "", "page", []byte("A Title For The Page\n\nAnn Lee1, Bo Chen2\n\nAbstract\nHypoxic cells resist radiation more than oxygenated cells do in most tumours.\n\nReferences\n1. Gray LH. Oxygen. Br J Radiol. 1953; 26: 638-48.\n"), "page", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _, err := ingest.Parse(tt.data, "", tt.id, tt.fallback)
			if tt.wantErr {
				if !errors.Is(err, paper.ErrInvalid) {
					t.Fatalf("err = %v, want an invalid-paper error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.ID != tt.want {
				t.Errorf("id = %q, want %q", p.ID, tt.want)
			}
		})
	}
}

func TestFallbackID(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"dir/pone.0046493.nxml":     "pone.0046493",
		"a/b/exosome.page.txt":      "exosome",
		"x/gen-00001.crossref.json": "gen-00001.crossref",
		"my paper (v2).pdf":         "my_paper__v2",
	} {
		if got := ingest.FallbackID(in); got != want {
			t.Errorf("FallbackID(%q) = %q, want %q", in, got, want)
		}
	}
}

// fakeIngester records ingested ids and fails for the ids in failIDs.
type fakeIngester struct {
	mu       sync.Mutex
	ids      []string
	failIDs  map[string]bool
	inFlight atomic.Int32
	maxSeen  atomic.Int32
}

func (f *fakeIngester) Ingest(ctx context.Context, p *paper.Paper) error {
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxSeen.Load()
		if n <= m || f.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	if f.failIDs[p.ID] {
		return fmt.Errorf("store is full")
	}
	f.mu.Lock()
	f.ids = append(f.ids, p.ID)
	f.mu.Unlock()
	return nil
}

func TestRunCorpusWithBrokenFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad, err := ingesttest.WriteCorpus(dir, 1, 50, 5)
	if err != nil {
		t.Fatal(err)
	}
	items, err := ingest.Walk([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(items), 50; got != want {
		t.Fatalf("Walk found %d files, want %d", got, want)
	}
	fake := &fakeIngester{failIDs: map[string]bool{"10.5555_gen-00001": true}}
	var progress []int
	rs := ingest.Run(context.Background(), items, fake, ingest.Options{Workers: 3, Progress: func(done int, r ingest.Result) {
		progress = append(progress, done)
	}})
	ingested, unchanged, failed := ingest.Counts(rs)
	if ingested != 44 || unchanged != 0 || failed != 6 {
		t.Errorf("ingested %d, unchanged %d, failed %d; want 44, 0, 6", ingested, unchanged, failed)
	}
	if got, want := len(progress), 50; got != want || progress[len(progress)-1] != 50 {
		t.Errorf("progress called %d times ending at %v, want %d ending at 50", got, progress[len(progress)-1:], want)
	}
	if m := fake.maxSeen.Load(); m > 3 {
		t.Errorf("%d ingests ran at once, want at most 3", m)
	}
	failedNames := map[string]bool{}
	for i, r := range rs {
		if r.Name != items[i].Name {
			t.Errorf("result %d is for %q, want %q (input order)", i, r.Name, items[i].Name)
		}
		if r.Status == ingest.StatusFailed {
			if r.Err == nil {
				t.Errorf("%s failed without an error", r.Name)
			}
			failedNames[filepath.Base(r.Name)] = true
		}
	}
	for _, b := range bad {
		if !failedNames[b] {
			t.Errorf("broken file %s did not fail", b)
		}
	}
	if !failedNames["gen-00001.xml"] {
		t.Errorf("the file whose ingest failed is not reported: %v", failedNames)
	}
}

func TestRunSkipsUnchanged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	eng := apptest.Library(t, st, nil, nil)
	dir := t.TempDir()
	if _, err := ingesttest.WriteCorpus(dir, 2, 8, 0); err != nil {
		t.Fatal(err)
	}
	items, err := ingest.Walk([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	opt := ingest.Options{Workers: 2, Hashes: st}
	if i, u, f := ingest.Counts(ingest.Run(ctx, items, eng, opt)); i != 8 || u != 0 || f != 0 {
		t.Fatalf("first run: ingested %d, unchanged %d, failed %d", i, u, f)
	}
	// Change one file: only it is ingested again.
	changed := filepath.Join(dir, "gen-00003.page.txt")
	data, err := os.ReadFile(changed)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(changed, []byte(strings.Replace(string(data), "Study 3", "Study three", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	rs := ingest.Run(ctx, items, eng, opt)
	if i, u, f := ingest.Counts(rs); i != 1 || u != 7 || f != 0 {
		t.Fatalf("second run: ingested %d, unchanged %d, failed %d; want 1, 7, 0", i, u, f)
	}
	p, err := eng.Paper(ctx, "gen-00003")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.Title, "Study three") {
		t.Errorf("changed paper not stored: %q", p.Title)
	}
}

func TestRunCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	items := []ingest.Item{{Name: "a", Data: []byte(`{"id":"a","title":"T","abstract":"A"}`)}, {Name: "b", Data: []byte("x")}}
	rs := ingest.Run(ctx, items, &fakeIngester{}, ingest.Options{Workers: 1})
	for _, r := range rs {
		if r.Status != ingest.StatusFailed || !errors.Is(r.Err, context.Canceled) {
			t.Errorf("%s: status %q err %v, want failed with context.Canceled", r.Name, r.Status, r.Err)
		}
	}
}
