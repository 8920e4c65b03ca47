package rag_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/internal/apptest"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/rag"
)

func TestAskBody(t *testing.T) {
	ctx := context.Background()
	eng := newEngine(t)
	p := apptest.JATSPaper(t, "pntd.0002065.nxml", "pntd")
	if err := eng.Ingest(ctx, p); err != nil {
		t.Fatal(err)
	}
	// The words of a Methods sentence that cites [21].
	ans, err := eng.Ask(ctx, rag.Question{PaperID: "pntd", Text: "virus neutralization test in 96-well microplates using Vero cells", Lang: paper.LangEN}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var body *rag.Source
	for i, s := range ans.Sources {
		if s.Kind == rag.SourceBody {
			body = &ans.Sources[i]
			break
		}
	}
	if body == nil {
		t.Fatalf("no body source: %+v", ans.Sources)
	}
	if body.Section != "Laboratory tests" || !slices.Contains(body.Cites, 21) || !strings.HasPrefix(body.ID, "sec7.") {
		t.Errorf("body source = %+v, want section Laboratory tests citing 21", *body)
	}
	if !ans.Answerable || !strings.Contains(ans.Answer, "§Laboratory tests") || !strings.Contains(ans.Answer, "[21]") {
		t.Errorf("answer = %q, want a quote from §Laboratory tests citing [21]", ans.Answer)
	}
	if !slices.ContainsFunc(ans.Citations, func(c rag.Citation) bool { return c.N == 21 }) {
		t.Errorf("citations %+v lack 21", ans.Citations)
	}
	for _, s := range ans.Sources {
		if s.Kind == rag.SourceReference {
			if r, _ := p.Reference(s.N); s.Text != r.Text {
				t.Errorf("reference source %d text %q, want the entry %q", s.N, s.Text, r.Text)
			}
		}
	}
	// An author–year article: the body passage cites reference numbers
	// resolved from rid, and the answer cites them.
	el := apptest.JATSPaper(t, "elife06003.xml", "elife")
	if err := eng.Ingest(ctx, el); err != nil {
		t.Fatal(err)
	}
	ans, err = eng.Ask(ctx, rag.Question{PaperID: "elife", Text: "cellular phospholipid turnover detected within minutes after intravenous injection of fatty acids", Lang: paper.LangEN}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !ans.Answerable || !strings.Contains(ans.Answer, "§Introduction") {
		t.Fatalf("eLife answer = %q", ans.Answer)
	}
	for _, n := range []int{31, 26, 25} {
		if !slices.ContainsFunc(ans.Citations, func(c rag.Citation) bool { return c.N == n }) {
			t.Errorf("eLife answer cites %+v, want %d (Thies, Shetty, Rapoport)", ans.Citations, n)
		}
	}
	if !strings.Contains(ans.Answer, "[31, 26, 25]") {
		t.Errorf("author–year citations are not shown as numbers: %q", ans.Answer)
	}
}

// Re-posting a paper stored abstract-only with its body replaces it: the
// body is stored and answers come from it.
func TestReingestWithBody(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	eng := apptest.NewEngine(t, st, nil)
	full := apptest.JATSPaper(t, "pntd.0002065.nxml", "pntd")
	bare := *full
	bare.Body = nil
	if err := eng.Ingest(ctx, &bare); err != nil {
		t.Fatal(err)
	}
	q := rag.Question{PaperID: "pntd", Text: "virus neutralization test in 96-well microplates using Vero cells", Lang: paper.LangEN}
	ans, err := eng.Ask(ctx, q, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ans.Sources {
		if s.Kind == rag.SourceBody || s.Kind == rag.SourceCaption {
			t.Fatalf("abstract-only paper answered from its body: %+v", s)
		}
	}
	if err := eng.Ingest(ctx, full); err != nil {
		t.Fatal(err)
	}
	stored, err := st.Paper(ctx, "pntd")
	if err != nil || stored.Body == nil || len(stored.Body.Sections) != 13 {
		t.Fatalf("stored paper after re-posting has body %+v (err %v)", stored.Body, err)
	}
	if ans, err = eng.Ask(ctx, q, nil); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(ans.Sources, func(s rag.Source) bool { return s.Kind == rag.SourceBody }) {
		t.Errorf("after re-posting with the body, no body source: %+v", ans.Sources)
	}
}
