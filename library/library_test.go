package library_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/internal/apptest"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/rag"
	"github.com/chatpaper/chatpaper/store"
	"github.com/chatpaper/chatpaper/store/sqlite"
)

// countingEmbedder wraps the local embedder and counts embedded texts.
type countingEmbedder struct {
	inner *embed.Local
	texts atomic.Int64
}

func (c *countingEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	c.texts.Add(int64(len(texts)))
	return c.inner.Embed(ctx, texts)
}
func (c *countingEmbedder) Name() string { return c.inner.Name() }

func openStore(t testing.TB, dir string) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newEngine(t testing.TB, st store.Store) (*apptest.Engine, *countingEmbedder) {
	ce := &countingEmbedder{inner: embed.NewLocal(0)}
	return apptest.NewEngine(t, st, ce), ce
}

func TestReloadDoesNotReembed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	st := openStore(t, dir)
	eng, _ := newEngine(t, st)
	if err := eng.Ingest(ctx, paper.Demo()); err != nil {
		t.Fatal(err)
	}
	q := rag.Question{PaperID: paper.DemoID, Text: "ExoCarta database", Lang: "en_US"}
	before, err := eng.Ask(ctx, q, nil)
	if err != nil {
		t.Fatal(err)
	}

	// A fresh engine over the same store is what a restart builds.
	eng2, counter := newEngine(t, st)
	after, err := eng2.Ask(ctx, q, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := counter.texts.Load(), int64(1); got != want {
		t.Errorf("embedded %d texts after reload, want %d (only the question)", got, want)
	}
	if before.Answer != after.Answer || len(before.Sources) != len(after.Sources) {
		t.Errorf("answer changed after reload:\n%q\n%q", before.Answer, after.Answer)
	}
}

func TestStaleEmbedderReembedsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	old := apptest.NewEngine(t, st, embed.NewLocal(256))
	if err := old.Ingest(ctx, paper.Demo()); err != nil {
		t.Fatal(err)
	}
	eng, counter := newEngine(t, st)
	if _, err := eng.Ask(ctx, rag.Question{PaperID: paper.DemoID, Text: "ExoCarta"}, nil); err != nil {
		t.Fatal(err)
	}
	if counter.texts.Load() <= 1 {
		t.Fatalf("stale vectors were not re-embedded")
	}
	_, name, err := st.Chunks(ctx, paper.DemoID)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := name, counter.Name(); got != want {
		t.Errorf("stored embedder = %q, want %q", got, want)
	}
}

func TestDeleteForgetsPaper(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eng, _ := newEngine(t, openStore(t, t.TempDir()))
	if err := eng.Ingest(ctx, paper.Demo()); err != nil {
		t.Fatal(err)
	}
	if err := eng.Delete(ctx, paper.DemoID); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Ask(ctx, rag.Question{PaperID: paper.DemoID, Text: "ExoCarta"}, nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ask after delete: err = %v, want not found", err)
	}
}

// TestRefLabel checks that a loaded paper's memoised reference labels
// are paper.ReferenceLabel's, in both languages, asked twice.
func TestRefLabel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	lib := apptest.Library(t, openStore(t, t.TempDir()), nil, nil)
	p := paper.Demo()
	if err := lib.Ingest(ctx, p); err != nil {
		t.Fatal(err)
	}
	lp, err := lib.Acquire(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer lp.Release()
	for range 2 {
		for _, r := range lp.Paper().References {
			for _, lang := range []string{paper.LangEN, paper.LangZH} {
				if got, ok := lp.RefLabel(r.N, lang); !ok || got != paper.ReferenceLabel(r.Text, lang) {
					t.Fatalf("reference %d, %s: %q, %v; want %q", r.N, lang, got, ok, paper.ReferenceLabel(r.Text, lang))
				}
			}
		}
	}
	if _, ok := lp.RefLabel(len(p.References)+1, paper.LangEN); ok {
		t.Errorf("a reference the paper lacks has a label")
	}
}
