package rag_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/rag"
	"github.com/chatpaper/chatpaper/store"
	"github.com/chatpaper/chatpaper/store/sqlite"
	"github.com/chatpaper/chatpaper/vector"
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

func newEngine(t testing.TB, st store.Store) (*rag.Engine, *countingEmbedder) {
	ce := &countingEmbedder{inner: embed.NewLocal(0)}
	return rag.NewEngine(st, ce, vector.NewChromem(), nil), ce
}

func TestDemoAnswers(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, openStore(t, t.TempDir()))
	demo := paper.Demo()
	if err := eng.Ingest(ctx, demo); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, q, lang string
		answerable    bool
		wantCite      int // a reference the answer must cite; 0 = none required
		wantText      string
	}{
		{"exocarta", "What is ExoCarta?", "en_US", true, 26, "[26]"},
		{"nk exosomes", "natural nanobullets against tumors released by NK cells", "en_US", true, 103, "Fais"},
		{"abstract", "How does irradiation change exosome production, uptake and contents?", "en_US", true, 0, "abstract"},
		{"off topic en", "What is the boiling point of liquid nitrogen?", "en_US", false, 0, "can't answer"},
		{"off topic shares a word", "What is the treatment for diabetes?", "en_US", false, 0, "can't answer"},
		{"off topic zh", "埃菲尔铁塔有多高？", "zh_CN", false, 0, "无法"},
		{"framing only", "Which studies?", "en_US", false, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var streamed strings.Builder
			ans, err := eng.Ask(ctx, rag.Question{PaperID: demo.ID, Text: tt.q, Lang: tt.lang}, func(d string) error {
				streamed.WriteString(d)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := ans.Answerable, tt.answerable; got != want {
				t.Fatalf("answerable = %v, want %v: %q", got, want, ans.Answer)
			}
			if got, want := streamed.String(), ans.Answer; got != want {
				t.Errorf("streamed %q, answer %q", got, want)
			}
			if !strings.Contains(ans.Answer, tt.wantText) {
				t.Errorf("answer %q does not contain %q", ans.Answer, tt.wantText)
			}
			retrieved := map[int]bool{}
			for _, s := range ans.Sources {
				if s.Kind == rag.SourceReference {
					retrieved[s.N] = true
				}
			}
			found := tt.wantCite == 0
			for _, c := range ans.Citations {
				if !retrieved[c.N] {
					t.Errorf("cited [%d] which was not among the retrieved sources", c.N)
				}
				ref, ok := demo.Reference(c.N)
				if !ok || ref.Text != c.Text {
					t.Errorf("citation [%d] text %q does not match the paper's reference", c.N, c.Text)
				}
				found = found || c.N == tt.wantCite
			}
			if !found {
				t.Errorf("citations %+v do not include [%d]", ans.Citations, tt.wantCite)
			}
			if !tt.answerable && len(ans.Citations) != 0 {
				t.Errorf("unanswerable question cites %+v", ans.Citations)
			}
			if tt.lang == "zh_CN" && !strings.ContainsAny(ans.Answer, "本文") {
				t.Errorf("Chinese question got a non-Chinese answer %q", ans.Answer)
			}
		})
	}
}

func TestAskErrors(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, openStore(t, t.TempDir()))
	if err := eng.Ingest(ctx, paper.Demo()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		q    rag.Question
		is   error
	}{
		{"empty", rag.Question{PaperID: paper.DemoID, Text: " \n"}, rag.ErrInvalidQuestion},
		{"too long", rag.Question{PaperID: paper.DemoID, Text: strings.Repeat("x", rag.MaxQuestionRunes+1)}, rag.ErrInvalidQuestion},
		{"bad lang", rag.Question{PaperID: paper.DemoID, Text: "x", Lang: "de_DE"}, rag.ErrInvalidQuestion},
		{"unknown paper", rag.Question{PaperID: "nope", Text: "exosomes"}, store.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := eng.Ask(ctx, tt.q, nil)
			if !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want %v", err, tt.is)
			}
		})
	}
}

func TestReloadDoesNotReembed(t *testing.T) {
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
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	old := rag.NewEngine(st, embed.NewLocal(256), vector.NewChromem(), nil)
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

func TestSummary(t *testing.T) {
	ctx := context.Background()
	eng, _ := newEngine(t, openStore(t, t.TempDir()))
	demo := paper.Demo()
	if err := eng.Ingest(ctx, demo); err != nil {
		t.Fatal(err)
	}
	en, err := eng.Summary(ctx, demo.ID, "en_US")
	if err != nil {
		t.Fatal(err)
	}
	if en.Heading != "Summary" || !strings.HasPrefix(en.Summary, "Radiotherapy is one of") || en.Source != "extractive" {
		t.Errorf("en summary = %+v", en)
	}
	if got, want := en.KeyPoints[len(en.KeyPoints)-1], "The paper cites 103 references."; got != want {
		t.Errorf("last key point = %q, want %q", got, want)
	}
	zh, err := eng.Summary(ctx, demo.ID, "zh_CN")
	if err != nil {
		t.Fatal(err)
	}
	if zh.Heading != "文章概述" || zh.Source != "extractive" || !strings.Contains(zh.Summary, "Radiotherapy") {
		t.Errorf("zh summary without a Chinese abstract = %+v", zh)
	}

	withZh := *demo
	withZh.ID = "zh-paper"
	withZh.AbstractZh = "放射治疗是治疗多种实体瘤最有效的方法之一。外泌体在肿瘤微环境中发挥多种作用。本文综述了放疗条件下外泌体介导的细胞间相互作用。"
	if err := eng.Ingest(ctx, &withZh); err != nil {
		t.Fatal(err)
	}
	zh2, err := eng.Summary(ctx, "zh-paper", "zh_CN")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(zh2.Summary, "放射治疗") {
		t.Errorf("zh summary with a Chinese abstract = %q", zh2.Summary)
	}
}
