package rag

import (
	"slices"
	"testing"
)

func TestRecognizeIntent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		q      string
		kind   IntentKind
		fields []string
		ref    int
	}{
		// Summary.
		{q: "What is this paper about?", kind: IntentSummary},
		{q: "Summarize the paper", kind: IntentSummary},
		{q: "Summarise this article, please.", kind: IntentSummary},
		{q: "Can you give me a short summary?", kind: IntentSummary},
		{q: "What's the main idea of this review?", kind: IntentSummary},
		{q: "TL;DR?", kind: IntentSummary},
		{q: "这篇文章讲了什么？", kind: IntentSummary},
		{q: "这篇综述大概讲了什么？帮我简单总结一下", kind: IntentSummary},
		{q: "请总结一下这篇论文", kind: IntentSummary},
		{q: "本文的主要内容是什么", kind: IntentSummary},
		// Conclusions.
		{q: "What are the main conclusions?", kind: IntentConclusions},
		{q: "What are the key take-home messages of this paper?", kind: IntentConclusions},
		{q: "What do the authors conclude?", kind: IntentConclusions},
		{q: "这篇文章的主要结论是什么？", kind: IntentConclusions},
		{q: "结论有哪些", kind: IntentConclusions},
		{q: "作者得出了什么结论？", kind: IntentConclusions},
		// Results and methods.
		{q: "What were the main findings?", kind: IntentResults},
		{q: "What did the authors find?", kind: IntentResults},
		{q: "本文的主要结果是什么？", kind: IntentResults},
		{q: "What methods did the authors use?", kind: IntentMethods},
		{q: "How was the study conducted?", kind: IntentMethods},
		{q: "这篇文章用了什么研究方法？", kind: IntentMethods},
		{q: "研究方法是什么", kind: IntentMethods},
		// Metadata.
		{q: "Who are the authors?", kind: IntentMetadata, fields: []string{FieldAuthors}},
		{q: "Who wrote this?", kind: IntentMetadata, fields: []string{FieldAuthors}},
		{q: "which journal and year did this come out in?", kind: IntentMetadata, fields: []string{FieldJournal, FieldYear}},
		{q: "Where was this paper published?", kind: IntentMetadata, fields: []string{FieldJournal}},
		{q: "When was the article published?", kind: IntentMetadata, fields: []string{FieldYear}},
		{q: "What’s the DOI for this article?", kind: IntentMetadata, fields: []string{FieldDOI}},
		{q: "Who are the authors? Where was it published?", kind: IntentMetadata, fields: []string{FieldAuthors, FieldJournal}},
		{q: "这篇文章的作者有哪些？", kind: IntentMetadata, fields: []string{FieldAuthors}},
		{q: "这篇论文是谁写的", kind: IntentMetadata, fields: []string{FieldAuthors}},
		{q: "发表在哪个期刊上？", kind: IntentMetadata, fields: []string{FieldJournal}},
		{q: "本文是哪一年发表的", kind: IntentMetadata, fields: []string{FieldYear}},
		{q: "这篇文章的DOI是什么", kind: IntentMetadata, fields: []string{FieldDOI}},
		// Reference N.
		{q: "What does reference 26 describe?", kind: IntentReference, ref: 26},
		{q: "What is [26] about?", kind: IntentReference, ref: 26},
		{q: "ref. 26", kind: IntentReference, ref: 26},
		{q: "Tell me about citation #7", kind: IntentReference, ref: 7},
		{q: "第26篇参考文献讲了什么？", kind: IntentReference, ref: 26},
		{q: "第30篇参考文献是什么", kind: IntentReference, ref: 30},
		{q: "文献[26]的内容是什么", kind: IntentReference, ref: 26},
		{q: "[12] 讲了什么？", kind: IntentReference, ref: 12},
		{q: "参考文献26是什么", kind: IntentReference, ref: 26},
		// Near misses: a topic word makes any of these a topic question.
		{q: "What are the main conclusions about NK cells?"},
		{q: "What is this paper's view on hypoxia?"},
		{q: "Summarize the evidence on miR-1246"},
		{q: "Which authors showed that exosomes carry DNA?"},
		{q: "Which reference discusses ExoCarta?"},
		{q: "Does reference 26 discuss exosome proteomics?"},
		{q: "Compare [26] and [27]"},
		{q: "What did the authors find about radioresistance?"},
		{q: "What methods are used to isolate exosomes?"},
		{q: "How was exosome uptake measured?"},
		{q: "Who discovered exosomes?"},
		{q: "What journal publishes exosome databases?"},
		{q: "What is an exosome?"},
		{q: "外泌体的主要结论是什么？"},
		{q: "这篇文章对外泌体的结论是什么"},
		{q: "哪些作者研究了外泌体？"},
		{q: "作者如何分离外泌体？"},
		{q: "第26篇参考文献和第27篇有什么区别"},
		{q: "哪些文献讨论了肿瘤血管生成？"},
		{q: "放射治疗有哪些机遇和挑战？"},
		{q: ""},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			t.Parallel()
			got := RecognizeIntent(tt.q)
			if got.Kind != tt.kind || !slices.Equal(got.Fields, tt.fields) || got.Ref != tt.ref {
				t.Errorf("RecognizeIntent(%q) = %+v, want kind %q fields %v ref %d", tt.q, got, tt.kind, tt.fields, tt.ref)
			}
		})
	}
}

func FuzzRecognizeIntent(f *testing.F) {
	for _, s := range []string{"What does reference 26 describe?", "第26篇参考文献", "[1]", "summary", "这篇文章的作者有哪些？"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		in := RecognizeIntent(s)
		if in.Kind == IntentReference && in.Ref <= 0 {
			t.Errorf("reference intent with number %d", in.Ref)
		}
		if in.Kind != IntentMetadata && len(in.Fields) > 0 {
			t.Errorf("fields %v on a %q intent", in.Fields, in.Kind)
		}
	})
}
