package chat_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/llm/llmtest"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/paper/jats"
	"github.com/chatpaper/chatpaper/rag"
)

// TestBodyIntents answers the intents a body serves (conclusions,
// methods, results, a reference with the sentences citing it) in both
// languages and both modes on shared JATS articles: from the sections
// that hold them, citing what the quoted sentences cite.
func TestBodyIntents(t *testing.T) {
	ctx := context.Background()
	fake := llmtest.NewServer()
	defer fake.Close()
	eng, _, lib, gen := newJudged(t, fake)
	for id, file := range map[string]string{"pntd": "pntd.0002065.nxml", "elife": "elife06003.xml"} {
		data, err := os.ReadFile("../paper/jats/testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		p, err := jats.Parse(data, id)
		if err != nil {
			t.Fatal(err)
		}
		if err := lib.Ingest(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		paper, q, lang string
		// want is text the offline answer must contain, section the
		// section its body sources must come from ("" for any).
		want, section string
		// cite is a reference both answers must cite (0: any).
		cite int
	}{
		{"pntd", "What are the main conclusions?", paper.LangEN, "The paper draws its conclusions in §Discussion.", "Discussion", 0},
		{"pntd", "这篇文章的主要结论是什么？", paper.LangZH, "本文在 §Discussion 中得出结论。", "Discussion", 0},
		{"pntd", "What methods did the authors use?", paper.LangEN, "The paper describes its methods in §Materials and Methods (Site description; Animals and sampling", "", 0},
		{"pntd", "这篇文章用了什么研究方法？", paper.LangZH, "本文在 §Materials and Methods 中介绍研究方法（Site description；", "", 0},
		{"pntd", "What are the main results?", paper.LangEN, "The paper reports its results in §Results (Cross-sectional surveys;", "", 0},
		{"pntd", "这篇文章的主要结果是什么？", paper.LangZH, "本文在 §Results 中报告研究结果", "", 0},
		{"pntd", "What does reference 21 describe?", paper.LangEN, "The paper cites it here: In §", "", 21},
		{"pntd", "第21篇参考文献讲了什么？", paper.LangZH, "本文引用它之处：本文在 §", "", 21},
		{"elife", "What did the authors find?", paper.LangEN, "§Results and discussion", "", 0},
		{"elife", "What are the main conclusions?", paper.LangEN, "§Results and discussion", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.paper+" "+tt.q, func(t *testing.T) {
			q := rag.Question{PaperID: tt.paper, Text: tt.q, Lang: tt.lang}
			off, err := eng.Ask(ctx, q, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("offline: %s", off.Answer)
			if !off.Answerable || !strings.Contains(off.Answer, tt.want) {
				t.Errorf("offline: answerable %v, %q, want it to contain %q", off.Answerable, off.Answer, tt.want)
			}
			body := 0
			for _, s := range off.Sources {
				if s.Kind == rag.SourceBody {
					body++
					if tt.section != "" && s.Section != tt.section {
						t.Errorf("offline source from §%s, want §%s", s.Section, tt.section)
					}
					if s.ID == "" {
						t.Errorf("body source without a passage id: %+v", s)
					}
				}
			}
			if body == 0 {
				t.Errorf("offline: no body source in %+v", off.Sources)
			}
			on, err := gen.Ask(ctx, q, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !on.Answerable || on.Mode != rag.ModeLLM {
				t.Errorf("model mode: answerable %v mode %s, %q", on.Answerable, on.Mode, on.Answer)
			}
			// The model was shown the quoted body passages.
			shown := false
			for _, r := range fake.ChatsFor("answer") {
				if strings.Contains(r.Text("user"), "Question: "+tt.q) && strings.Contains(r.Text("user"), off.Sources[len(off.Sources)-1].Text) {
					shown = true
				}
			}
			if !shown {
				t.Errorf("model mode: the answer prompt did not hold the intent's passages")
			}
			for _, a := range []*rag.Answer{off, on} {
				allowed := map[int]bool{}
				for _, s := range off.Sources {
					allowed[s.N] = s.N > 0
					for _, n := range s.Cites {
						allowed[n] = true
					}
				}
				var cited []int
				for _, c := range a.Citations {
					cited = append(cited, c.N)
					if !allowed[c.N] {
						t.Errorf("%s answer cites [%d], not in its sources", a.Mode, c.N)
					}
				}
				if tt.cite != 0 && !slices.Contains(cited, tt.cite) {
					t.Errorf("%s answer cites %v, want %d", a.Mode, cited, tt.cite)
				}
			}
		})
	}
}
