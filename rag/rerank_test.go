package rag_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/internal/apptest"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/rag"
)

// fakeReranker scores texts with RerankFn.
type fakeReranker struct {
	RerankFn func(query string, texts []string) ([]float64, error)
	calls    int
}

func (f *fakeReranker) Rerank(_ context.Context, q string, texts []string) ([]float64, error) {
	f.calls++
	return f.RerankFn(q, texts)
}

var _ rag.Reranker = (*fakeReranker)(nil)

func TestRerankerReorders(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eng := newEngine(t)
	if err := eng.Ingest(ctx, paper.Demo()); err != nil {
		t.Fatal(err)
	}
	q := rag.Question{PaperID: paper.DemoID, Text: "Which references describe exosome biogenesis and secretion?"}
	before, err := eng.Ask(ctx, q, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A reranker that prefers Kowal's review [24] above all, in logits.
	fr := &fakeReranker{RerankFn: func(_ string, texts []string) ([]float64, error) {
		out := make([]float64, len(texts))
		for i, tx := range texts {
			out[i] = -3
			if strings.HasPrefix(tx, "Kowal J") {
				out[i] = 4
			}
		}
		return out, nil
	}}
	reranked := apptest.Extractive(eng.Library, fr)
	after, err := reranked.Ask(ctx, q, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fr.calls != 1 {
		t.Fatalf("reranker called %d times, want 1", fr.calls)
	}
	if got := after.Sources[0]; got.Kind != rag.SourceReference || got.N != 24 {
		t.Errorf("first source after rerank = %+v, want reference 24 (before: %+v)", got, before.Sources[0])
	}
	for _, s := range after.Sources {
		if s.Score < 0 || s.Score > 1 {
			t.Errorf("source score %v outside [0,1] after the sigmoid", s.Score)
		}
	}
	if len(after.Citations) == 0 || after.Citations[0].N != 24 {
		t.Errorf("citations %v, want 24 first", after.Citations)
	}

	// Reranking cannot make an off-topic question answerable.
	off, err := reranked.Ask(ctx, rag.Question{PaperID: paper.DemoID, Text: "What is the boiling point of liquid nitrogen?"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if off.Answerable || len(off.Citations) > 0 {
		t.Errorf("off-topic question answerable=%v citations=%v after rerank", off.Answerable, off.Citations)
	}

	// A failing reranker falls back to the fused ranking.
	fr.RerankFn = func(string, []string) ([]float64, error) { return nil, errors.New("model down") }
	fallback, err := reranked.Ask(ctx, q, nil)
	if err != nil {
		t.Fatalf("Ask with a failing reranker: %v", err)
	}
	if got, want := fallback.Sources[0], before.Sources[0]; !reflect.DeepEqual(got, want) {
		t.Errorf("fallback first source %+v, want the fused ranking's %+v", got, want)
	}
	// So does one returning the wrong number of scores.
	fr.RerankFn = func(string, []string) ([]float64, error) { return []float64{1}, nil }
	if _, err := reranked.Ask(ctx, q, nil); err != nil {
		t.Errorf("Ask with a short reranker reply: %v", err)
	}
}
