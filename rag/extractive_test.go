package rag_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/internal/apptest"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/rag"
	"github.com/chatpaper/chatpaper/store"
	"github.com/chatpaper/chatpaper/store/sqlite"
)

func newEngine(t testing.TB) *apptest.Engine {
	return apptest.NewEngine(t, openStore(t, t.TempDir()), nil)
}

func openStore(t testing.TB, dir string) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestDemoAnswers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eng := newEngine(t)
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
	t.Parallel()
	ctx := context.Background()
	eng := newEngine(t)
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
		{"bad lang", rag.Question{PaperID: paper.DemoID, Text: "x", Lang: "de_DE"}, paper.ErrInvalidLang},
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
