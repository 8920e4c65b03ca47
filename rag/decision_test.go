package rag_test

import (
	"context"
	"testing"

	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/rag"
)

func TestParts(t *testing.T) {
	t.Parallel()
	chunks := []paper.Chunk{
		{Kind: paper.KindTitle}, {Kind: paper.KindAbstract}, {Kind: paper.KindReference, N: 1},
		{Kind: paper.KindBody, ID: "sec1.p1.s1+2"}, {Kind: paper.KindBody, ID: "sec1.p2.s1+2"},
		{Kind: paper.KindBody, ID: "sec2.p1.s1+1"}, {Kind: paper.KindCaption, ID: "fig1"},
	}
	parts, n := rag.Parts(chunks)
	want := []int{0, 0, 0, 1, 1, 2, 3}
	if n != 4 {
		t.Errorf("%d parts, want 4", n)
	}
	for i := range want {
		if parts[i] != want[i] {
			t.Errorf("parts = %v, want %v", parts, want)
			break
		}
	}
	if _, n := rag.Parts([]paper.Chunk{{Kind: paper.KindAbstract}}); n != 1 {
		t.Errorf("a paper without a body has %d parts, want 1", n)
	}
}

// TestPaperCoverageIsPerPart: terms of a question scattered over
// separate sections of a body do not add up to a covered question, as
// they would over a whole paper; terms in one section do.
func TestPaperCoverageIsPerPart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	emb := embed.NewLocal(0)
	section := func(title, text string) paper.Section {
		return paper.Section{Title: title, Level: 1, Paragraphs: []paper.Paragraph{{Sentences: []paper.Sentence{{Text: text}}}}}
	}
	mk := func(secs ...paper.Section) *paper.Paper {
		p := &paper.Paper{ID: "x", Title: "Lens lipids", Abstract: "We dated lipids of the human lens.", Body: &paper.Body{Sections: secs}}
		p.Body.Number()
		return p
	}
	q := "Did smoking change radiocarbon in cataract patients?"
	apart := mk(section("Introduction", "Smoking is common among donors."), section("Methods", "Radiocarbon was measured by mass spectrometry."), section("Discussion", "Cataract lenses were not studied."))
	together := mk(section("Results", "Smoking changed radiocarbon levels in cataract patients."))
	fa, err := rag.MeasurePaper(ctx, apart, q, emb)
	if err != nil {
		t.Fatal(err)
	}
	ft, err := rag.MeasurePaper(ctx, together, q, emb)
	if err != nil {
		t.Fatal(err)
	}
	if !(fa.PaperCoverage < ft.PaperCoverage) {
		t.Errorf("coverage with the terms in separate sections %.3f, want below %.3f with them in one", fa.PaperCoverage, ft.PaperCoverage)
	}
	// A part holds at least what its best chunk holds.
	for _, f := range []rag.Features{fa, ft} {
		if f.PaperCoverage < f.BestCoverage {
			t.Errorf("paper coverage %.3f below the best chunk's %.3f", f.PaperCoverage, f.BestCoverage)
		}
	}
}
