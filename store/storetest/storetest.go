// Package storetest is a conformance suite for store.Store
// implementations. Each implementation's tests call Run with a function
// that opens a fresh store; the suite checks the behaviour every
// implementation must share, so the embedded SQLite store and a server
// database store can be swapped without the rest of ChatPaper noticing.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/store"
)

// Run runs the conformance suite as subtests of t. For each subtest it
// calls open, which must return a new, empty store that no other subtest
// uses; Run closes that store when the subtest ends, so open must not
// close it itself. Run the suite with -race: one subtest drives the store
// from several goroutines.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Ping", testPing},
		{"PaperRoundTrip", testPaperRoundTrip},
		{"ChunksRoundTrip", testChunksRoundTrip},
		{"PapersOrderedByID", testPapersOrderedByID},
		{"ReplaceDropsChunksAndSummaries", testReplace},
		{"BodyReplacesAbstractOnly", testBodyReplace},
		{"DeleteCascades", testDeleteCascades},
		{"NotFound", testNotFound},
		{"SummaryKey", testSummaryKey},
		{"Concurrent", testConcurrent},
		{"CanceledContext", testCanceledContext},
		{"Sessions", testSessions},
		{"AppendTurnConcurrent", testAppendTurnConcurrent},
		{"AppendTurnBounded", testAppendTurnBounded},
		{"SummaryLock", testSummaryLock},
		{"Enrichments", testEnrichments},
		{"ReplaceChunks", testReplaceChunks},
		{"PaperVersion", testPaperVersion},
		{"PaperVersionAndLinks", testPaperVersionAndLinks},
		{"PaperHash", testPaperHash},
		{"Abstracts", testAbstracts},
		{"CatalogueTerms", testCatalogueTerms},
		{"Questions", testQuestions},
		{"QuestionsConcurrent", testQuestionsConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tt.fn(t, s)
		})
	}
}

// SamplePaper returns a paper with the given id and every field set,
// including Chinese title and abstract, several authors, and references
// with and without DOIs whose numbers have a gap, as printed numbering
// allows.
func SamplePaper(id string) *paper.Paper {
	return &paper.Paper{
		ID:         id,
		Title:      "Deep residual learning for image recognition (" + id + ")",
		TitleZh:    "用于图像识别的深度残差学习",
		Authors:    []string{"Kaiming He", "Xiangyu Zhang", "任少卿", "Jian Sun"},
		Journal:    "CVPR",
		Year:       2016,
		DOI:        "10.1109/CVPR.2016.90",
		Abstract:   "Deeper neural networks are more difficult to train.",
		AbstractZh: "更深的神经网络更难训练。",
		References: []paper.Reference{
			{N: 1, Text: "Y. Bengio et al. Learning long-term dependencies.", DOI: "10.1109/72.279181"},
			{N: 2, Text: "C. M. Bishop. Neural networks for pattern recognition."},
			{N: 26, Text: "K. Simonyan, A. Zisserman. Very deep convolutional networks.", DOI: "10.48550/arXiv.1409.1556"},
		},
		Numbering: "printed",
	}
}

// SampleBodyPaper is SamplePaper with a full text: two sections (the
// second nested), paragraphs of several kinds whose sentences cite
// references, and a figure caption that cites one too.
func SampleBodyPaper(id string) *paper.Paper {
	p := SamplePaper(id)
	p.Body = &paper.Body{
		Sections: []paper.Section{
			{ID: "sec1", Title: "Introduction", Level: 1, Paragraphs: []paper.Paragraph{
				{ID: "sec1.p1", Sentences: []paper.Sentence{
					{ID: "sec1.p1.s1", Text: "Deep networks are hard to train [1], [2].", Cites: []int{1, 2}},
					{ID: "sec1.p1.s2", Text: "更深的网络更难训练。"},
				}},
			}},
			{ID: "sec2", Title: "Residual blocks", Level: 2, Paragraphs: []paper.Paragraph{
				{ID: "sec2.p1", Kind: paper.ParagraphList, Sentences: []paper.Sentence{
					{ID: "sec2.p1.s1", Text: "Stacks of 3×3 layers follow VGG [26].", Cites: []int{26}},
				}},
			}},
		},
		Captions: []paper.Caption{
			{ID: "fig1", Kind: paper.CaptionFigure, Label: "Figure 1", Section: "sec2", Sentences: []paper.Sentence{
				{ID: "fig1.s1", Text: "A residual block [26].", Cites: []int{26}},
			}},
		},
	}
	return p
}

// SampleChunks returns n chunks for the paper paperID with dim-dimensional
// vectors. The first chunk is the title, the second the abstract and the
// rest references; languages alternate between "en" and "zh". Chunk ids
// sort in the opposite order to the chunks, so a store that returns chunks
// ordered by id rather than in stored order is caught. Vectors are
// deterministic and include -0, the smallest subnormal, the largest finite
// float32 and values that are not exact in decimal, so a lossy encoding is
// caught too.
func SampleChunks(paperID string, n, dim int) []store.EmbeddedChunk {
	specials := []float32{
		float32(math.Copysign(0, -1)),
		math.SmallestNonzeroFloat32,
		math.MaxFloat32,
		-math.MaxFloat32,
		1.0 / 3,
		float32(math.Pi),
	}
	chunks := make([]store.EmbeddedChunk, n)
	for i := range chunks {
		c := paper.Chunk{
			ID:   fmt.Sprintf("%s-c%04d", paperID, n-i),
			Lang: "en",
		}
		if i%2 == 1 {
			c.Lang = "zh"
		}
		switch i {
		case 0:
			c.Kind, c.Text = paper.KindTitle, "Deep residual learning "+paperID
		case 1:
			c.Kind, c.Text = paper.KindAbstract, "更深的神经网络更难训练。"+paperID
		default:
			c.Kind, c.N, c.Text = paper.KindReference, i-1, fmt.Sprintf("reference %d of %s", i-1, paperID)
		}
		v := make([]float32, dim)
		for j := range v {
			if k := i*dim + j; k < len(specials) {
				v[j] = specials[k]
			} else {
				v[j] = float32(math.Sin(float64(k)+0.5)) / float32(j+1)
			}
		}
		chunks[i] = store.EmbeddedChunk{Chunk: c, Vector: v}
		if i%3 != 0 {
			// Opaque bytes, zero bytes included; every third chunk has
			// none, as chunks stored before terms were kept.
			chunks[i].Terms = []byte{byte(i), 0, 0xff, byte(n), 0}
		}
	}
	return chunks
}

// DiffChunks describes the first difference between got and want, or
// returns "" if they are equal. Vectors must match bit for bit.
func DiffChunks(got, want []store.EmbeddedChunk) string {
	if len(got) != len(want) {
		return fmt.Sprintf("got %d chunks, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].Chunk != want[i].Chunk {
			return fmt.Sprintf("chunk %d: got %+v, want %+v", i, got[i].Chunk, want[i].Chunk)
		}
		if !bytes.Equal(got[i].Terms, want[i].Terms) {
			return fmt.Sprintf("chunk %d (%s): terms %x, want %x", i, want[i].ID, got[i].Terms, want[i].Terms)
		}
		g, w := got[i].Vector, want[i].Vector
		if len(g) != len(w) {
			return fmt.Sprintf("chunk %d (%s): got %d-dim vector, want %d-dim", i, want[i].ID, len(g), len(w))
		}
		for j := range g {
			if math.Float32bits(g[j]) != math.Float32bits(w[j]) {
				return fmt.Sprintf("chunk %d (%s): vector[%d] = %g (%#08x), want %g (%#08x)",
					i, want[i].ID, j, g[j], math.Float32bits(g[j]), w[j], math.Float32bits(w[j]))
			}
		}
	}
	return ""
}

func sampleSummary(paperID, lang, text string) *paper.Summary {
	return &paper.Summary{
		PaperID:   paperID,
		Lang:      lang,
		Heading:   "Summary",
		Summary:   text,
		KeyPoints: []string{"Residual connections ease optimisation.", "152 layers."},
		Source:    "llm",
		Model:     "test-model",
	}
}

func put(t *testing.T, s store.Store, p *paper.Paper, embedder string, chunks []store.EmbeddedChunk) {
	t.Helper()
	if err := s.PutPaper(t.Context(), p, embedder, chunks); err != nil {
		t.Fatalf("PutPaper(%q): %v", p.ID, err)
	}
}

func putSummary(t *testing.T, s store.Store, key store.SummaryKey, sum *paper.Summary) {
	t.Helper()
	if err := s.PutSummary(t.Context(), key, sum); err != nil {
		t.Fatalf("PutSummary(%+v): %v", key, err)
	}
}

func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("%s: got error %v, want one wrapping store.ErrNotFound", what, err)
	}
}

func wantPaper(t *testing.T, s store.Store, want *paper.Paper) {
	t.Helper()
	got, err := s.Paper(t.Context(), want.ID)
	if err != nil {
		t.Fatalf("Paper(%q): %v", want.ID, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Paper(%q) =\n%+v\nwant\n%+v", want.ID, got, want)
	}
}

func wantChunks(t *testing.T, s store.Store, paperID, wantEmbedder string, want []store.EmbeddedChunk) {
	t.Helper()
	got, embedder, err := s.Chunks(t.Context(), paperID)
	if err != nil {
		t.Fatalf("Chunks(%q): %v", paperID, err)
	}
	if embedder != wantEmbedder {
		t.Errorf("Chunks(%q) embedder = %q, want %q", paperID, embedder, wantEmbedder)
	}
	if d := DiffChunks(got, want); d != "" {
		t.Errorf("Chunks(%q): %s", paperID, d)
	}
}

func wantPapers(t *testing.T, s store.Store, want []store.PaperInfo) {
	t.Helper()
	got, err := s.Papers(t.Context())
	if err != nil {
		t.Fatalf("Papers: %v", err)
	}
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Papers() =\n%+v\nwant\n%+v", got, want)
	}
}

func info(p *paper.Paper) store.PaperInfo {
	return store.PaperInfo{ID: p.ID, Title: p.Title, Journal: p.Journal, Year: p.Year, DOI: p.DOI, References: len(p.References), Hash: store.ContentHash(p)}
}

func testPing(t *testing.T, s store.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func testPaperRoundTrip(t *testing.T, s store.Store) {
	tests := []struct {
		name string
		p    *paper.Paper
	}{
		{"all fields", SamplePaper("he2016")},
		{"required fields only", &paper.Paper{
			ID:         "min-1.0_x",
			Title:      "T",
			Abstract:   "A",
			References: []paper.Reference{{N: 1, Text: "R"}},
		}},
		{"with body", SampleBodyPaper("body")},
		{"chinese abstract only", &paper.Paper{
			ID:         "zh",
			Title:      "标题",
			AbstractZh: "摘要",
			References: []paper.Reference{{N: 3, Text: "参考文献", DOI: "10.1/zh"}},
			Numbering:  "order",
		}},
	}
	var infos []store.PaperInfo
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := *tt.p
			want.Authors = append([]string(nil), tt.p.Authors...)
			want.References = append([]paper.Reference(nil), tt.p.References...)
			if tt.p.Body != nil {
				want.Body = SampleBodyPaper(tt.p.ID).Body
			}
			infos = append(infos, info(&want))
			put(t, s, tt.p, "emb", nil)
			// The store must keep its own copy: changing the caller's
			// paper afterwards changes nothing stored.
			tt.p.Title = "changed"
			if len(tt.p.References) > 0 {
				tt.p.References[0].Text = "changed"
			}
			if tt.p.Body != nil {
				tt.p.Body.Sections[0].Paragraphs[0].Sentences[0].Cites[0] = 99
			}
			wantPaper(t, s, &want)
		})
	}
	slices.SortFunc(infos, func(a, b store.PaperInfo) int { return strings.Compare(a.ID, b.ID) })
	wantPapers(t, s, infos)
}

func testChunksRoundTrip(t *testing.T, s store.Store) {
	tests := []struct {
		id       string
		embedder string
		chunks   []store.EmbeddedChunk
	}{
		{"a", "local-hash-v1", SampleChunks("a", 7, 16)},
		{"b", "openai:text-embedding-3-small", SampleChunks("b", 3, 1536)},
		{"c", "", SampleChunks("c", 1, 1)},
		{"no-chunks", "local-hash-v1", nil},
	}
	for _, tt := range tests {
		put(t, s, SamplePaper(tt.id), tt.embedder, tt.chunks)
	}
	// Check only after every paper is stored, so chunks leaking from one
	// paper to another are caught.
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			wantChunks(t, s, tt.id, tt.embedder, tt.chunks)
		})
	}
}

func testPapersOrderedByID(t *testing.T, s store.Store) {
	wantPapers(t, s, nil)
	c := SamplePaper("c")
	a := &paper.Paper{ID: "a", Title: "A", Journal: "Nature", Year: 1999, DOI: "10.1/a", Abstract: "x",
		References: []paper.Reference{{N: 1, Text: "r"}}}
	b := &paper.Paper{ID: "B", Title: "Upper case sorts first", Abstract: "x", References: []paper.Reference{}}
	d := &paper.Paper{ID: "a.2", Title: "After a", Abstract: "x",
		References: []paper.Reference{{N: 1, Text: "r"}, {N: 2, Text: "s"}}}
	for _, p := range []*paper.Paper{c, a, d, b} {
		put(t, s, p, "emb", SampleChunks(p.ID, 2, 4))
	}
	wantPapers(t, s, []store.PaperInfo{info(b), info(a), info(d), info(c)})
}

func testReplace(t *testing.T, s store.Store) {
	ctx := t.Context()
	v1 := SamplePaper("p")
	put(t, s, v1, "emb-1", SampleChunks("p", 5, 8))
	keys := []store.SummaryKey{
		{PaperID: "p", Lang: paper.LangEN, Model: "m", PromptVersion: "1"},
		{PaperID: "p", Lang: paper.LangZH},
	}
	for _, k := range keys {
		putSummary(t, s, k, sampleSummary("p", k.Lang, "old"))
	}
	other := SamplePaper("other")
	otherKey := store.SummaryKey{PaperID: "other", Lang: paper.LangEN, Model: "m", PromptVersion: "1"}
	put(t, s, other, "emb-1", SampleChunks("other", 3, 8))
	putSummary(t, s, otherKey, sampleSummary("other", paper.LangEN, "other"))

	v2 := SamplePaper("p")
	v2.Title = "Revised title"
	v2.References = v2.References[:2]
	v2Chunks := SampleChunks("p", 2, 4)
	v2Chunks[0].Text = "revised"
	put(t, s, v2, "emb-2", v2Chunks)

	wantPaper(t, s, v2)
	wantChunks(t, s, "p", "emb-2", v2Chunks)
	for _, k := range keys {
		_, err := s.Summary(ctx, k)
		wantNotFound(t, fmt.Sprintf("Summary(%+v) after replace", k), err)
	}
	wantPapers(t, s, []store.PaperInfo{info(other), info(v2)})

	// Replacing one paper leaves the others alone.
	wantPaper(t, s, other)
	wantChunks(t, s, "other", "emb-1", SampleChunks("other", 3, 8))
	if _, err := s.Summary(ctx, otherKey); err != nil {
		t.Errorf("Summary(%+v) of untouched paper: %v", otherKey, err)
	}

	// Replacing with no chunks leaves none.
	put(t, s, v2, "emb-3", nil)
	wantChunks(t, s, "p", "emb-3", nil)
}

// testBodyReplace re-posts an abstract-only paper with its body and back:
// each version replaces the other whole, body included.
func testBodyReplace(t *testing.T, s store.Store) {
	put(t, s, SamplePaper("p"), "emb", SampleChunks("p", 3, 4))
	wantPaper(t, s, SamplePaper("p"))
	if store.ContentHash(SamplePaper("p")) == store.ContentHash(SampleBodyPaper("p")) {
		t.Fatal("a paper and the same paper with a body hash equally")
	}
	put(t, s, SampleBodyPaper("p"), "emb", SampleChunks("p", 5, 4))
	wantPaper(t, s, SampleBodyPaper("p"))
	wantChunks(t, s, "p", "emb", SampleChunks("p", 5, 4))
	put(t, s, SamplePaper("p"), "emb", SampleChunks("p", 3, 4))
	wantPaper(t, s, SamplePaper("p"))
}

func testDeleteCascades(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := SamplePaper("a"), SamplePaper("b")
	aKey := store.SummaryKey{PaperID: "a", Lang: paper.LangEN, Model: "m", PromptVersion: "1"}
	bKey := store.SummaryKey{PaperID: "b", Lang: paper.LangEN, Model: "m", PromptVersion: "1"}
	put(t, s, a, "emb", SampleChunks("a", 4, 8))
	put(t, s, b, "emb", SampleChunks("b", 3, 8))
	putSummary(t, s, aKey, sampleSummary("a", paper.LangEN, "a"))
	putSummary(t, s, bKey, sampleSummary("b", paper.LangEN, "b"))

	if err := s.DeletePaper(ctx, "a"); err != nil {
		t.Fatalf("DeletePaper(a): %v", err)
	}
	_, err := s.Paper(ctx, "a")
	wantNotFound(t, "Paper(a) after delete", err)
	_, _, err = s.Chunks(ctx, "a")
	wantNotFound(t, "Chunks(a) after delete", err)
	_, err = s.Summary(ctx, aKey)
	wantNotFound(t, "Summary(a) after delete", err)
	wantNotFound(t, "second DeletePaper(a)", s.DeletePaper(ctx, "a"))
	wantPapers(t, s, []store.PaperInfo{info(b)})

	// The other paper keeps everything.
	wantPaper(t, s, b)
	wantChunks(t, s, "b", "emb", SampleChunks("b", 3, 8))
	if _, err := s.Summary(ctx, bKey); err != nil {
		t.Errorf("Summary(b) after deleting a: %v", err)
	}

	// Storing the id again starts clean: no chunk or summary survived.
	put(t, s, a, "emb-new", nil)
	wantChunks(t, s, "a", "emb-new", nil)
	_, err = s.Summary(ctx, aKey)
	wantNotFound(t, "Summary(a) after delete and re-put", err)
}

func testNotFound(t *testing.T, s store.Store) {
	// One paper exists, so an implementation cannot pass by failing on an
	// empty table.
	put(t, s, SamplePaper("exists"), "emb", SampleChunks("exists", 2, 4))
	putSummary(t, s, store.SummaryKey{PaperID: "exists", Lang: paper.LangEN}, sampleSummary("exists", paper.LangEN, "x"))
	tests := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Paper", func(ctx context.Context) error { _, err := s.Paper(ctx, "missing"); return err }},
		{"Chunks", func(ctx context.Context) error { _, _, err := s.Chunks(ctx, "missing"); return err }},
		{"PaperHash", func(ctx context.Context) error { _, err := s.PaperHash(ctx, "missing"); return err }},
		{"PaperVersion", func(ctx context.Context) error { _, err := s.PaperVersion(ctx, "missing"); return err }},
		{"PaperVersionAndLinks", func(ctx context.Context) error { _, _, err := s.PaperVersionAndLinks(ctx, "missing"); return err }},
		{"DeletePaper", func(ctx context.Context) error { return s.DeletePaper(ctx, "missing") }},
		{"Summary of missing paper", func(ctx context.Context) error {
			_, err := s.Summary(ctx, store.SummaryKey{PaperID: "missing", Lang: paper.LangEN})
			return err
		}},
		{"Summary never stored", func(ctx context.Context) error {
			_, err := s.Summary(ctx, store.SummaryKey{PaperID: "exists", Lang: paper.LangZH})
			return err
		}},
		{"PutSummary of missing paper", func(ctx context.Context) error {
			return s.PutSummary(ctx, store.SummaryKey{PaperID: "missing", Lang: paper.LangEN}, sampleSummary("missing", paper.LangEN, "x"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantNotFound(t, tt.name, tt.call(t.Context()))
		})
	}
	wantPapers(t, s, []store.PaperInfo{info(SamplePaper("exists"))})
}

func testSummaryKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	put(t, s, SamplePaper("p"), "emb", nil)
	put(t, s, SamplePaper("q"), "emb", nil)
	key := store.SummaryKey{PaperID: "p", Lang: paper.LangEN, Model: "gpt-4o-mini", PromptVersion: "v3"}
	want := sampleSummary("p", paper.LangEN, "Residual nets are easy to optimise.")
	putSummary(t, s, key, want)

	got, err := s.Summary(ctx, key)
	if err != nil {
		t.Fatalf("Summary(%+v): %v", key, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Summary(%+v) = %+v, want %+v", key, got, want)
	}

	misses := []struct {
		name string
		key  store.SummaryKey
	}{
		{"other paper", store.SummaryKey{PaperID: "q", Lang: key.Lang, Model: key.Model, PromptVersion: key.PromptVersion}},
		{"other lang", store.SummaryKey{PaperID: "p", Lang: paper.LangZH, Model: key.Model, PromptVersion: key.PromptVersion}},
		{"other model", store.SummaryKey{PaperID: "p", Lang: key.Lang, Model: "gpt-4o", PromptVersion: key.PromptVersion}},
		{"empty model", store.SummaryKey{PaperID: "p", Lang: key.Lang, PromptVersion: key.PromptVersion}},
		{"other prompt version", store.SummaryKey{PaperID: "p", Lang: key.Lang, Model: key.Model, PromptVersion: "v4"}},
		{"extractive", store.SummaryKey{PaperID: "p", Lang: key.Lang}},
	}
	for _, tt := range misses {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Summary(ctx, tt.key)
			wantNotFound(t, fmt.Sprintf("Summary(%+v)", tt.key), err)
		})
	}

	// Keys differing in one part hold separate summaries, and putting
	// under an existing key replaces only that summary.
	extractiveKey := store.SummaryKey{PaperID: "p", Lang: paper.LangEN}
	extractive := &paper.Summary{PaperID: "p", Lang: paper.LangEN, Summary: "Deeper networks are harder.", Source: "extractive"}
	putSummary(t, s, extractiveKey, extractive)
	replaced := sampleSummary("p", paper.LangEN, "Second version.")
	putSummary(t, s, key, replaced)
	for _, c := range []struct {
		key  store.SummaryKey
		want *paper.Summary
	}{{key, replaced}, {extractiveKey, extractive}} {
		got, err := s.Summary(ctx, c.key)
		if err != nil {
			t.Errorf("Summary(%+v): %v", c.key, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Summary(%+v) = %+v, want %+v", c.key, got, c.want)
		}
	}
}

// testConcurrent has 8 goroutines write their own paper and replace a
// shared one while reading both. Each version of the shared paper tags
// its title, embedder and chunk texts alike and has its own chunk count,
// so a reader that sees parts of two versions reports it.
func testConcurrent(t *testing.T, s store.Store) {
	const (
		workers    = 8
		iterations = 10
		shared     = "shared"
	)
	ctx := t.Context()
	version := func(tag string, n int) (*paper.Paper, string, []store.EmbeddedChunk) {
		p := SamplePaper(shared)
		p.Title = "shared " + tag
		chunks := SampleChunks(shared, n, 8)
		for i := range chunks {
			chunks[i].Text = tag + " " + chunks[i].Text
		}
		return p, "emb " + tag, chunks
	}
	p, emb, chunks := version("initial", 1)
	put(t, s, p, emb, chunks)

	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			own := fmt.Sprintf("worker-%d", w)
			for i := range iterations {
				if ctx.Err() != nil {
					return
				}
				ownPaper := SamplePaper(own)
				ownPaper.Year = i
				ownChunks := SampleChunks(own, i%4+1, 8)
				if err := s.PutPaper(ctx, ownPaper, "emb", ownChunks); err != nil {
					t.Errorf("PutPaper(%s): %v", own, err)
					return
				}
				if got, err := s.Paper(ctx, own); err != nil {
					t.Errorf("Paper(%s): %v", own, err)
				} else if !reflect.DeepEqual(got, ownPaper) {
					t.Errorf("Paper(%s) = %+v, want %+v", own, got, ownPaper)
				}
				if got, _, err := s.Chunks(ctx, own); err != nil {
					t.Errorf("Chunks(%s): %v", own, err)
				} else if d := DiffChunks(got, ownChunks); d != "" {
					t.Errorf("Chunks(%s): %s", own, d)
				}

				tag := fmt.Sprintf("w%d-i%d", w, i)
				p, emb, chunks := version(tag, (w+i)%5+1)
				if err := s.PutPaper(ctx, p, emb, chunks); err != nil {
					t.Errorf("PutPaper(%s): %v", shared, err)
					return
				}
				if err := s.PutSummary(ctx, store.SummaryKey{PaperID: own, Lang: paper.LangEN}, sampleSummary(own, paper.LangEN, tag)); err != nil {
					t.Errorf("PutSummary(%s): %v", own, err)
				}
				if got, err := s.Paper(ctx, shared); err != nil {
					t.Errorf("Paper(%s): %v", shared, err)
				} else if !strings.HasPrefix(got.Title, "shared ") {
					t.Errorf("Paper(%s).Title = %q, want a shared version", shared, got.Title)
				}
				gotChunks, gotEmb, err := s.Chunks(ctx, shared)
				if err != nil {
					t.Errorf("Chunks(%s): %v", shared, err)
					continue
				}
				gotTag := strings.TrimPrefix(gotEmb, "emb ")
				for _, c := range gotChunks {
					if !strings.HasPrefix(c.Text, gotTag+" ") {
						t.Errorf("Chunks(%s): embedder %q with chunk text %q from another version", shared, gotEmb, c.Text)
						break
					}
				}
				if _, err := s.Papers(ctx); err != nil {
					t.Errorf("Papers: %v", err)
				}
			}
		})
	}
	wg.Wait()

	infos, err := s.Papers(ctx)
	if err != nil {
		t.Fatalf("Papers: %v", err)
	}
	if got, want := len(infos), workers+1; got != want {
		t.Errorf("Papers() has %d papers, want %d", got, want)
	}
}

func testCanceledContext(t *testing.T, s store.Store) {
	put(t, s, SamplePaper("p"), "emb", SampleChunks("p", 2, 4))
	key := store.SummaryKey{PaperID: "p", Lang: paper.LangEN}
	putSummary(t, s, key, sampleSummary("p", paper.LangEN, "x"))

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	tests := []struct {
		name string
		call func() error
	}{
		{"PutPaper", func() error { return s.PutPaper(ctx, SamplePaper("new"), "emb", SampleChunks("new", 2, 4)) }},
		{"Paper", func() error { _, err := s.Paper(ctx, "p"); return err }},
		{"Papers", func() error { _, err := s.Papers(ctx); return err }},
		{"Chunks", func() error { _, _, err := s.Chunks(ctx, "p"); return err }},
		{"PaperVersionAndLinks", func() error { _, _, err := s.PaperVersionAndLinks(ctx, "p"); return err }},
		{"DeletePaper", func() error { return s.DeletePaper(ctx, "p") }},
		{"Summary", func() error { _, err := s.Summary(ctx, key); return err }},
		{"PutSummary", func() error {
			return s.PutSummary(ctx, store.SummaryKey{PaperID: "p", Lang: paper.LangZH}, sampleSummary("p", paper.LangZH, "x"))
		}},
		{"Ping", func() error { return s.Ping(ctx) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil {
				t.Fatalf("%s with a canceled context succeeded, want an error", tt.name)
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s with a canceled context: got error %v, want one wrapping context.Canceled", tt.name, err)
			}
			if errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s with a canceled context: got %v, which wraps store.ErrNotFound", tt.name, err)
			}
		})
	}

	// Nothing the canceled calls attempted took effect.
	_, err := s.Paper(t.Context(), "new")
	wantNotFound(t, "Paper(new) after canceled PutPaper", err)
	wantPaper(t, s, SamplePaper("p"))
	wantChunks(t, s, "p", "emb", SampleChunks("p", 2, 4))
	_, err = s.Summary(t.Context(), store.SummaryKey{PaperID: "p", Lang: paper.LangZH})
	wantNotFound(t, "Summary after canceled PutSummary", err)
}

func testSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	put(t, s, SamplePaper("p1"), "emb", SampleChunks("p1", 2, 4))
	sess := &store.Session{
		ID: "s1", PaperID: "p1", Updated: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Turns: []store.Turn{
			{Question: "What is ExoCarta?", Answer: "A database [26].", Lang: paper.LangEN, Cited: []int{26}},
			{Question: "它的第二篇参考文献呢？", Answer: "本文…", Lang: paper.LangZH},
		},
	}
	if err := s.PutSession(ctx, sess); err != nil {
		t.Fatalf("PutSession: %v", err)
	}
	got, err := s.Session(ctx, "s1")
	if err != nil {
		t.Fatalf("Session: %v", err)
	}
	if !got.Updated.Equal(sess.Updated) {
		t.Errorf("Updated = %v, want %v", got.Updated, sess.Updated)
	}
	got.Updated = sess.Updated
	if !reflect.DeepEqual(got, sess) {
		t.Errorf("Session = %+v, want %+v", got, sess)
	}

	sess.Turns = append(sess.Turns, store.Turn{Question: "third", Answer: "x", Lang: paper.LangEN})
	if err := s.PutSession(ctx, sess); err != nil {
		t.Fatalf("PutSession replace: %v", err)
	}
	if got, err := s.Session(ctx, "s1"); err != nil || len(got.Turns) != 3 {
		t.Errorf("after replace: %v turns, err %v; want 3", got, err)
	}

	wantNotFound(t, "Session missing", func() error { _, err := s.Session(ctx, "nope"); return err }())
	wantNotFound(t, "PutSession of missing paper", s.PutSession(ctx, &store.Session{ID: "s2", PaperID: "missing"}))

	if err := s.DeletePaper(ctx, "p1"); err != nil {
		t.Fatal(err)
	}
	wantNotFound(t, "Session after paper deleted", func() error { _, err := s.Session(ctx, "s1"); return err }())
}

// testAppendTurnConcurrent appends from many goroutines to one session
// at once (as two tabs or a retry do) and expects every turn kept, each
// once, and each goroutine's turns in its own order.
func testAppendTurnConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	put(t, s, SamplePaper("p1"), "emb", SampleChunks("p1", 2, 4))
	const writers, each = 8, 6
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				q := fmt.Sprintf("w%d-q%d", w, i)
				if err := s.AppendTurn(ctx, "s1", "p1", store.Turn{Question: q, Answer: "a " + q, Lang: paper.LangEN, Cited: []int{w}}, 0); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("AppendTurn: %v", err)
	}
	got, err := s.Session(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Turns) != writers*each {
		t.Fatalf("%d turns kept, want %d (appends lost)", len(got.Turns), writers*each)
	}
	seen := map[string]bool{}
	last := map[int]int{}
	for _, tu := range got.Turns {
		if seen[tu.Question] {
			t.Errorf("turn %q stored twice", tu.Question)
		}
		seen[tu.Question] = true
		var w, i int
		fmt.Sscanf(tu.Question, "w%d-q%d", &w, &i)
		if prev, ok := last[w]; ok && i <= prev {
			t.Errorf("writer %d's turns out of order: %d after %d", w, i, prev)
		}
		last[w] = i
		if tu.Answer != "a "+tu.Question || len(tu.Cited) != 1 || tu.Cited[0] != w {
			t.Errorf("turn %+v does not round-trip", tu)
		}
	}
	if got.PaperID != "p1" || got.ID != "s1" || got.Updated.IsZero() {
		t.Errorf("session head = %q %q %v", got.ID, got.PaperID, got.Updated)
	}
}

// testAppendTurnBounded: a session keeps its last maxTurns turns (and at
// most store.MaxSessionTurns), starts over when continued on another
// paper, needs its paper, and continues what PutSession stored.
func testAppendTurnBounded(t *testing.T, s store.Store) {
	ctx := t.Context()
	put(t, s, SamplePaper("p1"), "emb", SampleChunks("p1", 2, 4))
	put(t, s, SamplePaper("p2"), "emb", SampleChunks("p2", 2, 4))
	questions := func(id string) []string {
		got, err := s.Session(ctx, id)
		if err != nil {
			t.Fatalf("Session %s: %v", id, err)
		}
		var qs []string
		for _, tu := range got.Turns {
			qs = append(qs, tu.Question)
		}
		return qs
	}
	for i := 1; i <= 5; i++ {
		if err := s.AppendTurn(ctx, "s1", "p1", store.Turn{Question: fmt.Sprint(i)}, 3); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := questions("s1"), []string{"3", "4", "5"}; !reflect.DeepEqual(got, want) {
		t.Errorf("kept %v, want the last three %v", got, want)
	}
	for i := 0; i < store.MaxSessionTurns+5; i++ {
		if err := s.AppendTurn(ctx, "long", "p1", store.Turn{Question: fmt.Sprint(i)}, 0); err != nil {
			t.Fatal(err)
		}
	}
	if got := questions("long"); len(got) != store.MaxSessionTurns || got[0] != "5" {
		t.Errorf("unbounded append kept %d turns from %q, want %d from \"5\"", len(got), got[0], store.MaxSessionTurns)
	}
	if err := s.AppendTurn(ctx, "s1", "p2", store.Turn{Question: "other paper"}, 3); err != nil {
		t.Fatal(err)
	}
	if got, want := questions("s1"), []string{"other paper"}; !reflect.DeepEqual(got, want) {
		t.Errorf("after switching paper: %v, want %v", got, want)
	}
	wantNotFound(t, "AppendTurn of missing paper", s.AppendTurn(ctx, "s3", "missing", store.Turn{Question: "x"}, 3))
	wantNotFound(t, "session of missing paper", func() error { _, err := s.Session(ctx, "s3"); return err }())

	if err := s.PutSession(ctx, &store.Session{ID: "s4", PaperID: "p1", Turns: []store.Turn{{Question: "a"}, {Question: "b"}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendTurn(ctx, "s4", "p1", store.Turn{Question: "c"}, 0); err != nil {
		t.Fatal(err)
	}
	if got, want := questions("s4"), []string{"a", "b", "c"}; !reflect.DeepEqual(got, want) {
		t.Errorf("append after PutSession: %v, want %v", got, want)
	}
	if err := s.DeletePaper(ctx, "p1"); err != nil {
		t.Fatal(err)
	}
	wantNotFound(t, "session after its paper is deleted", func() error { _, err := s.Session(ctx, "s4"); return err }())
}

func testSummaryLock(t *testing.T, s store.Store) {
	ctx := t.Context()
	key := store.SummaryKey{PaperID: "p", Lang: paper.LangEN, Model: "m", PromptVersion: "v1"}
	var inside, maxInside, runs int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.WithSummaryLock(ctx, key, func(ctx context.Context) error {
				mu.Lock()
				inside++
				runs++
				maxInside = max(maxInside, inside)
				mu.Unlock()
				time.Sleep(5 * time.Millisecond) // widen the window a race would need
				mu.Lock()
				inside--
				mu.Unlock()
				return nil
			})
			if err != nil {
				t.Errorf("WithSummaryLock: %v", err)
			}
		}()
	}
	wg.Wait()
	if got, want := maxInside, 1; got != want {
		t.Errorf("%d callers held the lock at once, want %d", got, want)
	}
	if got, want := runs, 6; got != want {
		t.Errorf("fn ran %d times, want %d", got, want)
	}

	boom := errors.New("boom")
	if err := s.WithSummaryLock(ctx, key, func(context.Context) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("WithSummaryLock returned %v, want fn's error", err)
	}

	// A waiter whose context ends gives up with that error.
	release := make(chan struct{})
	held := make(chan struct{})
	go s.WithSummaryLock(ctx, key, func(context.Context) error { close(held); <-release; return nil })
	<-held
	wctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	err := s.WithSummaryLock(wctx, key, func(context.Context) error { return nil })
	close(release)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting with an expiring context: err = %v, want deadline exceeded", err)
	}
	// Other keys are independent.
	other := key
	other.Lang = paper.LangZH
	if err := s.WithSummaryLock(ctx, other, func(context.Context) error { return nil }); err != nil {
		t.Errorf("other key: %v", err)
	}
}

// testPaperHash checks that HasPapers sees a stored paper and PaperHash
// reports store.ContentHash of the
// stored version, follows a replacement and forgets a deleted paper.
func testPaperHash(t *testing.T, s store.Store) {
	ctx := t.Context()
	if has, err := s.HasPapers(ctx); err != nil || has {
		t.Fatalf("HasPapers on an empty store = %v, %v; want false", has, err)
	}
	p := SamplePaper("hashed")
	put(t, s, p, "emb", SampleChunks("hashed", 2, 4))
	if got, err := s.PaperHash(ctx, "hashed"); err != nil || got != store.ContentHash(p) {
		t.Fatalf("PaperHash = %q, %v; want %q", got, err, store.ContentHash(p))
	}
	if has, err := s.HasPapers(ctx); err != nil || !has {
		t.Fatalf("HasPapers with a paper = %v, %v; want true", has, err)
	}
	q := SamplePaper("hashed")
	q.Title = "A replaced title"
	put(t, s, q, "emb", SampleChunks("hashed", 2, 4))
	got, err := s.PaperHash(ctx, "hashed")
	if err != nil || got != store.ContentHash(q) || got == store.ContentHash(p) {
		t.Fatalf("PaperHash after replace = %q, %v; want %q", got, err, store.ContentHash(q))
	}
	if err := s.DeletePaper(ctx, "hashed"); err != nil {
		t.Fatal(err)
	}
	_, err = s.PaperHash(ctx, "hashed")
	wantNotFound(t, "PaperHash after delete", err)
}

func abstractOf(p *paper.Paper) store.PaperAbstract {
	return store.PaperAbstract{ID: p.ID, Title: p.Title, TitleZh: p.TitleZh, Abstract: p.Abstract, AbstractZh: p.AbstractZh,
		Journal: p.Journal, DOI: p.DOI, Year: p.Year, Hash: store.ContentHash(p)}
}

func testAbstracts(t *testing.T, s store.Store) {
	if got, err := s.Abstracts(t.Context()); err != nil || len(got) != 0 {
		t.Fatalf("Abstracts of an empty store = %v, %v; want none", got, err)
	}
	minimal := &paper.Paper{ID: "a-min", Title: "T", Abstract: "A \"quoted\" — ünïcode", References: []paper.Reference{{N: 1, Text: "R"}}}
	zhOnly := &paper.Paper{ID: "c-zh", Title: "标题", AbstractZh: "摘要", References: []paper.Reference{{N: 1, Text: "参考"}}}
	for _, p := range []*paper.Paper{SamplePaper("b-all"), minimal, zhOnly, SampleBodyPaper("d-body")} {
		put(t, s, p, "emb", nil)
	}
	replaced := SamplePaper("b-all")
	replaced.Abstract = "A replaced abstract."
	put(t, s, replaced, "emb", nil)
	got, err := s.Abstracts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []store.PaperAbstract{abstractOf(minimal), abstractOf(replaced), abstractOf(zhOnly), abstractOf(SampleBodyPaper("d-body"))}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Abstracts() =\n%+v\nwant\n%+v", got, want)
	}
}

// testCatalogueTerms checks that catalogue terms are returned by
// Abstracts (in place of the abstracts, with the Chinese title) only
// while the paper keeps the content they were made from, that terms for
// another content or a missing paper are skipped, and that deleting or
// replacing a paper drops or hides its terms.
func testCatalogueTerms(t *testing.T, s store.Store) {
	ctx := t.Context()
	if err := s.PutCatalogueTerms(ctx, nil); err != nil {
		t.Fatalf("PutCatalogueTerms(nil) = %v", err)
	}
	zh := &paper.Paper{ID: "c-zh", Title: "标题", TitleZh: "中文标题", AbstractZh: "摘要", References: []paper.Reference{{N: 1, Text: "参考"}}}
	for _, p := range []*paper.Paper{SamplePaper("a"), SamplePaper("b"), zh} {
		put(t, s, p, "emb", nil)
	}
	hash := func(p *paper.Paper) string { return store.ContentHash(p) }
	err := s.PutCatalogueTerms(ctx, []store.CatalogueTerms{
		{ID: "a", Hash: hash(SamplePaper("a")), Terms: []byte("terms of a\x00\xff")},
		{ID: "b", Hash: "stale", Terms: []byte("terms of an older b")},
		{ID: "c-zh", Hash: hash(zh), Terms: []byte("terms of c")},
		{ID: "gone", Hash: "x", Terms: []byte("terms of a missing paper")},
	})
	if err != nil {
		t.Fatalf("PutCatalogueTerms = %v", err)
	}
	withTerms := func(p *paper.Paper, terms string) store.PaperAbstract {
		a := abstractOf(p)
		a.Abstract, a.AbstractZh, a.Terms = "", "", []byte(terms)
		return a
	}
	check := func(step string, want ...store.PaperAbstract) {
		t.Helper()
		got, err := s.Abstracts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Abstracts() =\n%+v\nwant\n%+v", step, got, want)
		}
	}
	check("stored", withTerms(SamplePaper("a"), "terms of a\x00\xff"), abstractOf(SamplePaper("b")), withTerms(zh, "terms of c"))

	// Terms are replaced by newer ones for the same content.
	if err := s.PutCatalogueTerms(ctx, []store.CatalogueTerms{{ID: "b", Hash: hash(SamplePaper("b")), Terms: []byte("b1")}, {ID: "a", Hash: hash(SamplePaper("a")), Terms: []byte("a2")}}); err != nil {
		t.Fatal(err)
	}
	check("replaced terms", withTerms(SamplePaper("a"), "a2"), withTerms(SamplePaper("b"), "b1"), withTerms(zh, "terms of c"))

	// A new version of a paper hides the old version's terms; deleting a
	// paper drops them; the same content stored again keeps them.
	changed := SamplePaper("a")
	changed.Abstract = "A new abstract."
	put(t, s, changed, "emb", nil)
	if err := s.DeletePaper(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	put(t, s, zh, "other-embedder", nil)
	check("changed", abstractOf(changed), withTerms(zh, "terms of c"))
	put(t, s, SamplePaper("b"), "emb", nil)
	check("b stored again after its delete", abstractOf(changed), abstractOf(SamplePaper("b")), withTerms(zh, "terms of c"))
}
