package rag_test

import (
	"context"
	"testing"

	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/rag"
	"github.com/chatpaper/chatpaper/vector"
)

// BenchmarkAskExtractive measures one extractive answer on the demo
// paper, retrieval included, once the paper is loaded.
func BenchmarkAskExtractive(b *testing.B) {
	ctx := context.Background()
	eng := newEngine(b)
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

// BenchmarkBareChromemQuery is the baseline for BenchmarkAskExtractive:
// one chromem-go query over the demo paper's vectors with a precomputed
// query vector, nothing else.
func BenchmarkBareChromemQuery(b *testing.B) {
	ctx := context.Background()
	chunks := library.Chunks(paper.Demo())
	texts := make([]string, len(chunks))
	for i, c := range chunks {
		texts[i] = c.Text
	}
	e := embed.NewLocal(0)
	vecs, err := e.Embed(ctx, texts)
	if err != nil {
		b.Fatal(err)
	}
	q, _ := e.Embed(ctx, []string{"Which references describe exosome biogenesis and secretion?"})
	vi := vector.NewChromem()
	if err := vi.Set(ctx, "demo", vecs); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := vi.Query(ctx, "demo", q[0], 8); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAskExtractiveChinese is BenchmarkAskExtractive for a Chinese
// question, which is segmented and translated through the dictionary
// before the same retrieval.
func BenchmarkAskExtractiveChinese(b *testing.B) {
	ctx := context.Background()
	eng := newEngine(b)
	if err := eng.Ingest(ctx, paper.Demo()); err != nil {
		b.Fatal(err)
	}
	q := rag.Question{PaperID: paper.DemoID, Text: "哪些文献研究了树突状细胞来源的外泌体用于癌症治疗？", Lang: "zh_CN"}
	if _, err := eng.Ask(ctx, q, nil); err != nil { // loads the dictionary
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := eng.Ask(ctx, q, nil); err != nil {
			b.Fatal(err)
		}
	}
}
