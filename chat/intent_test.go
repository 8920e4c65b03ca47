package chat_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/llm/llmtest"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/rag"
)

// TestIntentsOnDemo answers each reader intent in both languages, in
// both modes, from the demo paper's structure.
func TestIntentsOnDemo(t *testing.T) {
	ctx := context.Background()
	fake := llmtest.NewServer()
	defer fake.Close()
	eng, _, _, gen := newJudged(t, fake)
	demo := paper.Demo()
	conclusion := rag.ConclusionSentences(demo.Abstract)[0]
	tests := []struct {
		q, lang string
		// want is text the offline answer must contain; cite a
		// reference both answers must cite (0 = none).
		want string
		cite int
		// model is what the model-mode answer must contain.
		model string
	}{
		{"What is this paper about?", paper.LangEN, "In brief: Radiotherapy", 0, "reviews the evidence"},
		{"Summarize the paper", paper.LangEN, "In brief:", 0, "reviews the evidence"},
		{"这篇综述大概讲了什么？", paper.LangZH, "本文概要", 0, "综述了相关证据"},
		{"What are the main conclusions?", paper.LangEN, conclusion, 0, "abstract discusses"},
		{"这篇文章的主要结论是什么？", paper.LangZH, conclusion, 0, "摘要讨论"},
		{"Who are the authors?", paper.LangEN, "Authors: Chuanshi He, Ling Li", 0, "Chuanshi He"},
		{"这篇文章的作者有哪些？", paper.LangZH, "作者：Chuanshi He、Ling Li", 0, "Chuanshi He"},
		{"Which journal and year did this come out in?", paper.LangEN, "Published in Cancer Biology & Medicine. Year: 2021.", 0, "2021"},
		{"What's the DOI?", paper.LangEN, "DOI: 10.20892/j.issn.2095-3941.2020.0150", 0, "10.20892"},
		{"这篇文章发表在哪个期刊上？", paper.LangZH, "发表于《Cancer Biology & Medicine》", 0, "Cancer Biology"},
		{"本文是哪一年发表的", paper.LangZH, "年份：2021", 0, "2021"},
		{"这篇文章的DOI是什么", paper.LangZH, "DOI：10.20892/j.issn.2095-3941.2020.0150", 0, "10.20892"},
		{"What does reference 26 describe?", paper.LangEN, "Reference [26] is", 26, "[26"},
		{"第26篇参考文献讲了什么？", paper.LangZH, "参考文献 [26]", 26, "26"},
		{"文献[26]是什么", paper.LangZH, "参考文献 [26]", 26, "26"},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			off, err := eng.Ask(ctx, rag.Question{PaperID: demo.ID, Text: tt.q, Lang: tt.lang}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !off.Answerable || !strings.Contains(off.Answer, tt.want) {
				t.Errorf("offline: answerable %v, %q, want it to contain %q", off.Answerable, off.Answer, tt.want)
			}
			on, err := gen.Ask(ctx, rag.Question{PaperID: demo.ID, Text: tt.q, Lang: tt.lang}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !on.Answerable || !strings.Contains(on.Answer, tt.model) {
				t.Errorf("model mode: answerable %v, %q, want it to contain %q", on.Answerable, on.Answer, tt.model)
			}
			for _, a := range []*rag.Answer{off, on} {
				var cited []int
				for _, c := range a.Citations {
					cited = append(cited, c.N)
				}
				if tt.cite != 0 && !slices.Contains(cited, tt.cite) {
					t.Errorf("%s answer cites %v, want %d", a.Mode, cited, tt.cite)
				}
				if tt.cite == 0 && len(cited) > 0 {
					t.Errorf("%s answer cites %v, want none", a.Mode, cited)
				}
			}
		})
	}
	// A reference the paper lacks is not answered.
	for _, q := range []string{"What does reference 500 describe?", "第500篇参考文献是什么"} {
		ans, err := eng.Ask(ctx, rag.Question{PaperID: demo.ID, Text: q}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ans.Answerable || len(ans.Citations) != 0 || !strings.Contains(ans.Answer, "103") {
			t.Errorf("%q: answerable %v %q, want a refusal naming the numbering", q, ans.Answerable, ans.Answer)
		}
	}
}

func TestConclusionSentences(t *testing.T) {
	t.Parallel()
	tests := []struct{ abstract, want string }{
		{"Hypoxia is common. We measured lactate. In conclusion, lactate rises with hypoxia.", "In conclusion, lactate rises with hypoxia."},
		{"Lactate is studied. These results suggest that hypoxia raises lactate. Further work is needed.", "These results suggest that hypoxia raises lactate."},
		{"Hypoxia is common. Exosomes modulate hypoxia. Here, we review current knowledge of hypoxia.", "Exosomes modulate hypoxia."},
		{"背景介绍。我们测量了X。综上，X随Y升高。", "综上，X随Y升高。"},
	}
	for _, tt := range tests {
		got := rag.ConclusionSentences(tt.abstract)
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("ConclusionSentences(%q) = %q, want [%q]", tt.abstract, got, tt.want)
		}
	}
}
