package library_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/internal/apptest"
	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/store"
	"github.com/chatpaper/chatpaper/vector"
)

// gatedStore holds Chunks and Paper reads of chosen papers until the
// test opens their gate, so a test can keep one load (or a catalogue
// build) in flight while it does something else.
type gatedStore struct {
	store.Store
	mu      sync.Mutex
	gates   map[string]chan struct{} // by method and id; closed: pass
	entered chan string              // the id of each read held at a gate
}

func newGatedStore(st store.Store) *gatedStore {
	return &gatedStore{Store: st, gates: make(map[string]chan struct{}), entered: make(chan string, 16)}
}

// hold makes reads of id by method ("Chunks", "Paper", or "Abstracts"
// with id "") wait; the returned func lets them pass.
func (g *gatedStore) hold(method, id string) (release func()) {
	ch := make(chan struct{})
	g.mu.Lock()
	g.gates[method+" "+id] = ch
	g.mu.Unlock()
	var once sync.Once
	return func() { once.Do(func() { close(ch) }) }
}

func (g *gatedStore) wait(ctx context.Context, method, id string) error {
	g.mu.Lock()
	ch, ok := g.gates[method+" "+id]
	g.mu.Unlock()
	if !ok {
		return nil
	}
	g.entered <- id
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *gatedStore) Chunks(ctx context.Context, id string) ([]store.EmbeddedChunk, string, error) {
	chunks, name, err := g.Store.Chunks(ctx, id) // read first: the held load has the old version
	if werr := g.wait(ctx, "Chunks", id); werr != nil {
		return nil, "", werr
	}
	return chunks, name, err
}

func (g *gatedStore) Abstracts(ctx context.Context) ([]store.PaperAbstract, error) {
	abs, err := g.Store.Abstracts(ctx)
	if werr := g.wait(ctx, "Abstracts", ""); werr != nil {
		return nil, werr
	}
	return abs, err
}

func (g *gatedStore) Paper(ctx context.Context, id string) (*paper.Paper, error) {
	p, err := g.Store.Paper(ctx, id)
	if werr := g.wait(ctx, "Paper", id); werr != nil {
		return nil, werr
	}
	return p, err
}

func within(t *testing.T, what string, fn func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s blocked behind a held load", what)
	}
}

// TestLoadsDoNotWaitOnEachOther holds one paper's load in the store and
// checks that another paper loads, a third is ingested and a search runs
// meanwhile, and that concurrent loads of the held paper share its one
// load.
func TestLoadsDoNotWaitOnEachOther(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	base := openStore(t, t.TempDir())
	writer := newLibrary(t, base, vector.NewChromem(), 0, 0, 0)
	for _, id := range []string{"held", "other"} {
		if err := writer.Ingest(ctx, smallPaper(id, id+"marker")); err != nil {
			t.Fatal(err)
		}
	}
	gs := newGatedStore(base)
	vi := apptest.NewCountingIndex()
	lib := newLibrary(t, gs, vi, 0, 0, 0)
	release := gs.hold("Chunks", "held")
	defer release()

	const waiters = 4
	results := make(chan error, waiters)
	for range waiters {
		go func() {
			lp, err := lib.Acquire(ctx, "held")
			if err == nil {
				lp.Release()
			}
			results <- err
		}()
	}
	<-gs.entered // the held load is in flight

	within(t, "loading another paper", func() error { askMarker(t, lib, "other"); return nil })
	within(t, "ingesting a third paper", func() error { return lib.Ingest(ctx, smallPaper("third", "thirdmarker")) })
	within(t, "searching the catalogue", func() error {
		_, err := lib.SearchPapers(ctx, library.SearchRequest{Text: "lymphocyte atlas"})
		return err
	})
	release()
	for range waiters {
		if err := <-results; err != nil {
			t.Fatal(err)
		}
	}
	if s := lib.CacheStats(); s.Papers != 3 {
		t.Errorf("cache holds %d papers, want 3 (held, other, third)", s.Papers)
	}
	select {
	case id := <-gs.entered:
		t.Errorf("a second read of %q: concurrent loads of one paper were not shared", id)
	default:
	}
}

// TestIngestDuringLoadWins replaces a paper while an older version of it
// is being loaded: the load still answers the readers that waited for
// it, but the cache keeps the ingested version.
func TestIngestDuringLoadWins(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	base := openStore(t, t.TempDir())
	if err := newLibrary(t, base, vector.NewChromem(), 0, 0, 0).Ingest(ctx, smallPaper("p", "alpha")); err != nil {
		t.Fatal(err)
	}
	gs := newGatedStore(base)
	lib := newLibrary(t, gs, apptest.NewCountingIndex(), 0, 0, 0)
	release := gs.hold("Chunks", "p")
	loaded := make(chan *library.Loaded, 1)
	go func() {
		lp, err := lib.Acquire(ctx, "p")
		if err != nil {
			t.Error(err)
		}
		loaded <- lp
	}()
	<-gs.entered
	within(t, "ingesting the paper being loaded", func() error { return lib.Ingest(ctx, smallPaper("p", "omega")) })
	release()
	if lp := <-loaded; lp != nil {
		lp.Release()
	}
	if ans := askMarker(t, lib, "p"); !strings.Contains(ans.Citations[0].Text, "omega") {
		t.Errorf("after the ingest raced a load, the cache answers %q, want the ingested version", ans.Citations[0].Text)
	}
}

// TestCatalogueBuildDoesNotBlock holds the first catalogue build in the
// store and checks that loads and ingests proceed meanwhile, and that a
// paper ingested and one deleted during the build are searched as such
// once it ends.
func TestCatalogueBuildDoesNotBlock(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	base := openStore(t, t.TempDir())
	writer := newLibrary(t, base, vector.NewChromem(), 0, 0, 0)
	for _, id := range []string{"a", "b", "gone"} {
		if err := writer.Ingest(ctx, smallPaper(id, id+"marker")); err != nil {
			t.Fatal(err)
		}
	}
	gs := newGatedStore(base)
	lib := newLibrary(t, gs, vector.NewChromem(), 0, 0, 0)
	release := gs.hold("Abstracts", "")
	defer release()
	searched := make(chan error, 1)
	go func() {
		_, err := lib.SearchPapers(ctx, library.SearchRequest{Text: "lymphocyte"})
		searched <- err
	}()
	<-gs.entered // the build has read the store's abstracts

	within(t, "loading a paper during the build", func() error { askMarker(t, lib, "b"); return nil })
	fresh := smallPaper("fresh", "freshmarker")
	fresh.Title = "Zanzibar opalescent cartography"
	within(t, "ingesting during the build", func() error { return lib.Ingest(ctx, fresh) })
	within(t, "deleting during the build", func() error { return lib.Delete(ctx, "gone") })
	release()
	if err := <-searched; err != nil {
		t.Fatal(err)
	}
	res, err := lib.SearchPapers(ctx, library.SearchRequest{Text: "Zanzibar opalescent cartography"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Papers) == 0 || res.Papers[0].ID != "fresh" {
		t.Errorf("search after the build = %+v, want the paper ingested during it first", res.Papers)
	}
	res, err = lib.SearchPapers(ctx, library.SearchRequest{Text: "exosome irradiation", Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Papers) != 3 {
		t.Errorf("search after the build finds %d papers, want a, b and fresh", len(res.Papers))
	}
	for _, h := range res.Papers {
		if h.ID == "gone" {
			t.Errorf("search finds %q, deleted during the build", h.ID)
		}
	}
}

// TestCatalogueFollowsOtherWriters runs two libraries on one store, as
// two replicas: papers ingested, replaced and deleted through one are
// searched as such on the other once the revalidation interval has
// passed on its clock, and not before.
func TestCatalogueFollowsOtherWriters(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openStore(t, t.TempDir())
	a := newLibrary(t, st, vector.NewChromem(), 0, 0, 0)
	var mu sync.Mutex
	now := time.Unix(1000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func() { mu.Lock(); now = now.Add(3 * time.Second); mu.Unlock() }
	o := apptest.LibraryOptions()
	o.Revalidate, o.Now = 2*time.Second, clock
	b, err := library.New(st, embed.NewLocal(256), vector.NewChromem(), o)
	if err != nil {
		t.Fatal(err)
	}
	search := func(q string) []string {
		t.Helper()
		res, err := b.SearchPapers(ctx, library.SearchRequest{Text: q})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, h := range res.Papers {
			ids = append(ids, h.ID)
		}
		return ids
	}
	if err := a.Ingest(ctx, smallPaper("first", "x")); err != nil {
		t.Fatal(err)
	}
	if got := search("exosome irradiation"); len(got) != 1 {
		t.Fatalf("b finds %v, want [first]", got)
	}
	p := smallPaper("second", "y")
	p.Title = "Vermilion glacier hydrology"
	if err := a.Ingest(ctx, p); err != nil {
		t.Fatal(err)
	}
	if got := search("vermilion glacier"); len(got) != 0 {
		t.Errorf("b finds %v before its interval passed, want nothing (the bound is the interval)", got)
	}
	advance()
	if got := search("vermilion glacier"); len(got) == 0 || got[0] != "second" {
		t.Errorf("b finds %v after the interval, want [second]", got)
	}
	p.Title = "Saffron dune acoustics"
	if err := a.Ingest(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := a.Delete(ctx, "first"); err != nil {
		t.Fatal(err)
	}
	advance()
	if got := search("saffron dune"); len(got) == 0 || got[0] != "second" {
		t.Errorf("b finds %v for the replaced title, want [second]", got)
	}
	if got := search("vermilion glacier"); len(got) != 0 {
		t.Errorf("b still finds %v by the old title", got)
	}
	for _, id := range search("exosome irradiation") {
		if id == "first" {
			t.Errorf("b finds %q after it was deleted through a", id)
		}
	}
}
