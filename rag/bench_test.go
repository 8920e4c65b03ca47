package rag_test

import (
	"context"
	"testing"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/rag"
)

// BenchmarkAskExtractive measures one extractive answer on the demo
// paper, retrieval included, once the paper is loaded.
func BenchmarkAskExtractive(b *testing.B) {
	ctx := context.Background()
	eng, _ := newEngine(b, openStore(b, b.TempDir()))
	if err := eng.Ingest(ctx, paper.Demo()); err != nil {
		b.Fatal(err)
	}
	q := rag.Question{PaperID: paper.DemoID, Text: "Which references describe exosome biogenesis and secretion?", Lang: "en_US"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := eng.Ask(ctx, q, nil); err != nil {
			b.Fatal(err)
		}
	}
}
