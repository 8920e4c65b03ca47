package rag

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp/syntax"
	"slices"
	"strings"
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
		checkPrefilters(t, s)
		in := RecognizeIntent(s)
		if in.Kind == IntentReference && in.Ref <= 0 {
			t.Errorf("reference intent with number %d", in.Ref)
		}
		if in.Kind != IntentMetadata && len(in.Fields) > 0 {
			t.Errorf("fields %v on a %q intent", in.Fields, in.Kind)
		}
	})
}

// checkPrefilters checks that the shortcuts taken before running the
// intent and reference expressions skip none that could match s: a
// clause longer than a pattern's bound does not match it, and a text
// without an ASCII digit mentions no reference number.
func checkPrefilters(t *testing.T, s string) {
	t.Helper()
	for _, c := range append(splitClauses(s), s, strings.ToLower(s)) {
		for _, cz := range []string{c, strings.ReplaceAll(c, " ", "")} {
			for _, p := range intentPatterns {
				if p.max >= 0 && len(cz) > p.max && p.re.MatchString(cz) {
					t.Errorf("%q (%d bytes) matches %s, bound %d", cz, len(cz), p.re, p.max)
				}
			}
		}
	}
	if !strings.ContainsAny(s, asciiDigits) {
		for _, re := range []interface{ MatchString(string) bool }{refMentionRe, refWordRe, refZhRe} {
			if re.MatchString(s) {
				t.Errorf("%q holds no digit but matches %v", s, re)
			}
		}
		if f := NewCiteFilter(nil, nil); f.Write(s) == nil && f.End() == nil && len(f.Dropped()) > 0 {
			t.Errorf("%q holds no digit but brackets numbers %v", s, f.Dropped())
		}
	}
}

// TestIntentPrefilters runs checkPrefilters over every question of the
// QA sets and of the intent tests above.
func TestIntentPrefilters(t *testing.T) {
	t.Parallel()
	qs := []string{"What does reference 26 describe?", "第26篇参考文献", "[1]", "summary", "这篇文章的作者有哪些？",
		"what is the main idea of this publication", "in which journal and year was this paper published in",
		"请帮我简单地总结一下这篇文章的主要内容"}
	files, _ := filepath.Glob("../eval/testdata/*.jsonl")
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var row struct {
				Question string `json:"question"`
			}
			if json.Unmarshal(sc.Bytes(), &row) == nil && row.Question != "" {
				qs = append(qs, row.Question)
			}
		}
		f.Close()
	}
	if len(qs) < 50 {
		t.Fatalf("only %d questions read", len(qs))
	}
	matched := 0
	for _, q := range qs {
		checkPrefilters(t, q)
		if RecognizeIntent(q).Kind != IntentNone {
			matched++
		}
	}
	if matched == 0 {
		t.Errorf("no question recognised as an intent: the bounds are not exercised")
	}
}

func TestMaxBytes(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		re   string
		want int
	}{
		{`abc`, 3}, {`a|bcd`, 3}, {`a?b{2,3}`, 4}, {`a*`, -1}, {`x+`, -1}, {`a{2,}`, -1},
		{`[a-z]`, 1}, {`[一-龥]`, 3}, {`.`, 4}, {`^(?:总结)$`, 6}, {`(?i)k`, 3}, {`\bab\b`, 2},
	} {
		tree, err := syntax.Parse(tt.re, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		if got := maxBytes(tree); got != tt.want {
			t.Errorf("maxBytes(%s) = %d, want %d", tt.re, got, tt.want)
		}
	}
}
