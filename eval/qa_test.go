package eval_test

import (
	"context"
	"os"
	"testing"

	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/eval"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/rag"
	"github.com/chatpaper/chatpaper/store/sqlite"
	"github.com/chatpaper/chatpaper/vector"
)

// TestDevQA runs the dev QA set on the demo paper and holds the floor
// the first issue set: at least 7 in 10 English answerable questions cite
// a gold reference, and every unanswerable question is refused.
func TestDevQA(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	eng := rag.NewEngine(st, embed.NewLocal(0), vector.NewChromem(), nil)
	if err := eng.Ingest(ctx, paper.Demo()); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("testdata/exosome-irradiation-dev.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	items, err := eval.LoadQA(f)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := eval.RunQA(ctx, eng, items, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range rep.Outcomes {
		t.Logf("%s %s answerable=%v cited=%v top5 refs=%v gold=%v", o.Item.ID, o.Item.Lang, o.Answerable, o.Cited, o.SourceRefs, o.Item.GoldRefs)
	}
	for _, l := range rep.Langs {
		t.Log(l)
		if l.Refusal < 1 {
			t.Errorf("%s: refusal accuracy %.2f, want 1", l.Lang, l.Refusal)
		}
		if l.Lang == paper.LangEN && !(l.CiteGold >= 0.7) {
			t.Errorf("en_US: %.2f of answerable questions cite a gold reference, want >= 0.7", l.CiteGold)
		}
	}
}

func TestLoadQAErrors(t *testing.T) {
	tests := []struct{ name, in string }{
		{"malformed", `{"id":"x",`},
		{"unknown field", `{"id":"x","question":"q","bogus":1}`},
		{"empty question", `{"id":"x","question":""}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := eval.LoadQA(stringsReader(tt.in)); err == nil {
				t.Error("LoadQA succeeded, want an error")
			}
		})
	}
}
