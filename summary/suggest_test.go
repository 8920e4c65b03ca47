package summary_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chatpaper/chatpaper/embed"
	"github.com/chatpaper/chatpaper/internal/apptest"
	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/llm"
	"github.com/chatpaper/chatpaper/llm/llmtest"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/rag"
	"github.com/chatpaper/chatpaper/store"
	"github.com/chatpaper/chatpaper/store/sqlite"
	"github.com/chatpaper/chatpaper/summary"
)

// suggesters returns the offline suggester over the demo paper and, with
// fake set, the model-mode one writing with fake.
func suggesters(t *testing.T, fake *llmtest.Server) (summary.ExtractiveSuggester, *summary.ModelSuggester, *rag.Extractive) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	lib := apptest.Library(t, st, nil, nil)
	if err := lib.Ingest(ctx, paper.Demo()); err != nil {
		t.Fatal(err)
	}
	x := apptest.Extractive(lib, nil)
	off := summary.NewExtractiveSuggester(lib, x)
	if fake == nil {
		return off, nil, x
	}
	c := apptest.LLM(t, fake.BaseURL, func(o *llm.Options) { o.Retries = 0; o.FirstTokenTimeout = 5 * time.Second })
	return off, summary.NewModelSuggester(apptest.SummaryModel(t, lib, c, st, nil), off), x
}

func TestKeyTerms(t *testing.T) {
	t.Parallel()
	p := &paper.Paper{
		ID:       "k",
		Title:    "Exosomal miR-21 in radiation resistance",
		Abstract: "Radiation resistance limits therapy. Exosomal miR-21 transfers radiation resistance to nearby cells. We measured miR-21 in the serum of 40 patients.",
	}
	got := summary.KeyTerms(p, 2)
	if len(got) != 2 || got[0] != "radiation resistance" {
		t.Fatalf("KeyTerms = %q, want radiation resistance first (title and repeated)", got)
	}
	for _, term := range got {
		if strings.Contains(term, "the") || strings.Contains(term, " in") {
			t.Errorf("term %q starts or ends with a stop word", term)
		}
	}
	if !strings.Contains(strings.Join(got, "|"), "miR-21") {
		t.Errorf("KeyTerms = %q: the gene name miR-21 keeps its case and hyphen", got)
	}
}

func TestExtractiveSuggestions(t *testing.T) {
	t.Parallel()
	p := paper.Demo()
	for _, tt := range []struct {
		lang string
		han  bool
	}{{paper.LangEN, false}, {paper.LangZH, true}} {
		s := summary.ExtractiveSuggestions(p, tt.lang)
		if s.Source != "extractive" || s.Lang != tt.lang || s.PaperID != p.ID {
			t.Errorf("%s: %+v", tt.lang, s)
		}
		if len(s.Questions) < summary.MaxSuggestions {
			t.Fatalf("%s: %d candidates, want at least %d: %q", tt.lang, len(s.Questions), summary.MaxSuggestions, s.Questions)
		}
		terms := summary.KeyTerms(p, 1)
		if !strings.Contains(strings.Join(s.Questions, " "), terms[0]) {
			t.Errorf("%s: questions %q do not name the paper's key term %q", tt.lang, s.Questions, terms[0])
		}
		for _, q := range s.Questions {
			if strings.ContainsFunc(q, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) != tt.han {
				t.Errorf("%s: question %q is not in the reader's language", tt.lang, q)
			}
		}
	}
	// A paper without references is not asked about what it cites.
	bare := &paper.Paper{ID: "b", Title: "Gravity field of Greenland", Abstract: "Satellite gravimetry maps the gravity field. The gravity field changes."}
	for _, q := range summary.ExtractiveSuggestions(bare, paper.LangEN).Questions {
		if strings.Contains(q, "cite") || strings.Contains(q, "build on") {
			t.Errorf("suggestion %q asks about references the paper does not have", q)
		}
	}
}

func TestExtractiveSuggester(t *testing.T) {
	t.Parallel()
	eng, _, x := suggesters(t, nil)
	ctx := context.Background()
	if _, err := eng.Suggestions(ctx, paper.DemoID, "fr_FR"); !errors.Is(err, paper.ErrInvalidLang) {
		t.Errorf("lang fr_FR: %v, want ErrInvalidLang", err)
	}
	if _, err := eng.Suggestions(ctx, "nope", paper.LangEN); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown paper: %v, want not found", err)
	}
	// Every suggestion is one the paper answers: clicking one never gets
	// a refusal.
	for _, lang := range []string{paper.LangEN, paper.LangZH} {
		s, err := eng.Suggestions(ctx, paper.DemoID, lang)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Questions) < 3 || len(s.Questions) > summary.MaxSuggestions {
			t.Errorf("%s: %d suggestions, want 3..%d: %q", lang, len(s.Questions), summary.MaxSuggestions, s.Questions)
		}
		for _, q := range s.Questions {
			if a, err := x.Ask(ctx, rag.Question{PaperID: paper.DemoID, Text: q, Lang: lang}, nil); err != nil || !a.Answerable {
				t.Errorf("%s: suggestion %q is not answerable (%v)", lang, q, err)
			}
		}
	}
}

func TestModelSuggestionsCachedAndFallBack(t *testing.T) {
	ctx := context.Background()
	// The fake model writes, in the reader's language, two questions the
	// paper answers (the offline suggester's) and one it does not.
	off, _, _ := suggesters(t, nil)
	fake := llmtest.NewServer()
	defer fake.Close()
	written := map[string]bool{}
	replies := map[string]string{}
	for _, lang := range []string{paper.LangEN, paper.LangZH} {
		s, err := off.Suggestions(ctx, paper.DemoID, lang)
		if err != nil || len(s.Questions) < 2 {
			t.Fatalf("offline %s suggestions: %+v, %v", lang, s, err)
		}
		reply := "Here are questions:\n"
		for _, q := range s.Questions[:2] {
			reply += "- " + q + "\n"
			written[q] = true
		}
		replies[lang] = reply + "- Who won the 1998 World Cup?"
	}
	fake.SetChatFn(func(r llmtest.ChatRequest) *llmtest.Reply {
		if r.Task() != "questions" {
			return nil
		}
		if strings.Contains(r.Text("system"), "Simplified Chinese") {
			return &llmtest.Reply{Tokens: llmtest.Split(replies[paper.LangZH])}
		}
		return &llmtest.Reply{Tokens: llmtest.Split(replies[paper.LangEN])}
	})
	_, g, _ := suggesters(t, fake)
	s, err := g.Suggestions(ctx, paper.DemoID, paper.LangZH)
	if err != nil {
		t.Fatal(err)
	}
	if s.Source != summary.SourceLLM || s.Model != "fake-model" || len(s.Questions) != 2 {
		t.Fatalf("model suggestions = %+v, want the two answerable ones the model wrote", s)
	}
	for _, q := range s.Questions {
		if !written[q] {
			t.Errorf("suggestion %q is not one the model wrote", q)
		}
	}
	again, err := g.Suggestions(ctx, paper.DemoID, paper.LangZH)
	if err != nil || strings.Join(again.Questions, "|") != strings.Join(s.Questions, "|") {
		t.Fatalf("second call = %+v, %v", again, err)
	}
	if n := len(fake.ChatsFor("questions")); n != 1 {
		t.Errorf("the model was asked %d times for the same suggestions, want 1 (cached)", n)
	}
	en, err := g.Suggestions(ctx, paper.DemoID, paper.LangEN)
	if err != nil || en.Source != summary.SourceLLM || len(en.Questions) != 2 || strings.Contains(strings.Join(en.Questions, "|"), "Here are") {
		t.Errorf("English suggestions = %+v, %v (the prose line before the list is dropped)", en, err)
	}

	// A model whose questions the paper cannot answer: the extractive
	// suggestions stand in.
	offTopic := llmtest.NewServer()
	defer offTopic.Close()
	offTopic.SetChatFn(func(r llmtest.ChatRequest) *llmtest.Reply {
		if r.Task() == "questions" {
			return &llmtest.Reply{Tokens: []string{"- What is the boiling point of liquid nitrogen?\n", "- Who won the 1998 World Cup?"}}
		}
		return nil
	})
	_, g3, _ := suggesters(t, offTopic)
	if s, err := g3.Suggestions(ctx, paper.DemoID, paper.LangEN); err != nil || s.Source != "extractive" || len(s.Questions) == 0 {
		t.Errorf("with only unanswerable model questions: %+v, %v; want the extractive suggestions", s, err)
	}

	down := llmtest.NewServer()
	defer down.Close()
	down.SetChatFn(func(r llmtest.ChatRequest) *llmtest.Reply {
		return &llmtest.Reply{Status: 503, ErrMessage: "overloaded"}
	})
	_, g2, _ := suggesters(t, down)
	fb, err := g2.Suggestions(ctx, paper.DemoID, paper.LangEN)
	if err != nil || fb.Source != "extractive" || len(fb.Questions) == 0 {
		t.Errorf("with the model down: %+v, %v; want the extractive suggestions", fb, err)
	}
}

func TestChineseSummaryWithoutChineseAbstractSaysSo(t *testing.T) {
	t.Parallel()
	p := paper.Demo()
	p.AbstractZh = ""
	s := summary.ExtractiveSummary(p, paper.LangZH)
	if s.TextLang != paper.LangEN || !strings.Contains(s.Notice, "中文摘要") || !strings.Contains(s.Notice, "语言模型") {
		t.Errorf("zh summary without a Chinese abstract: text_lang %q notice %q", s.TextLang, s.Notice)
	}
	if strings.ContainsFunc(s.Summary, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
		t.Errorf("the English text carries Chinese: %q", s.Summary)
	}
	p.AbstractZh = "目的：评估乏氧显像能否预测放疗失败。方法：回顾性分析。"
	s = summary.ExtractiveSummary(p, paper.LangZH)
	if s.TextLang != "" || s.Notice != "" || !strings.Contains(s.Summary, "乏氧") {
		t.Errorf("zh summary from a Chinese abstract: %+v", s)
	}
	if en := summary.ExtractiveSummary(p, paper.LangEN); en.Notice != "" || en.TextLang != "" {
		t.Errorf("English summary has a notice: %+v", en)
	}
}

// TestPageViewIsOneUse opens a paper as the widget does (the paper, its
// summary and its suggested questions) in a library that loads it from
// its image: the suggested questions are all checked on one acquired
// version, and the paper and summary reads count as no use, so its
// vectors stay in the image's sparse form and the vector index is given
// none. The reader's first question is the second use, which gives them.
func TestPageViewIsOneUse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	o := apptest.LibraryOptions()
	o.Images = t.TempDir()
	if err := apptest.Library(t, st, nil, &o).Ingest(ctx, paper.Demo()); err != nil {
		t.Fatal(err)
	}
	vi := apptest.NewCountingIndex()
	lib, err := library.New(st, embed.NewLocal(0), vi, o)
	if err != nil {
		t.Fatal(err)
	}
	x := apptest.Extractive(lib, nil)
	id := paper.Demo().ID
	if _, err := lib.Paper(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := summary.NewExtractive(lib).Summary(ctx, id, paper.LangEN); err != nil {
		t.Fatal(err)
	}
	s, err := summary.NewExtractiveSuggester(lib, x).Suggestions(ctx, id, paper.LangEN)
	if err != nil || len(s.Questions) == 0 {
		t.Fatalf("suggestions %v, %v", s, err)
	}
	if n := vi.Sets(); n != 0 {
		t.Fatalf("after the page opened the vector index was given %d collections, want none", n)
	}
	ans, err := x.Ask(ctx, rag.Question{PaperID: id, Text: s.Questions[0], Lang: paper.LangEN}, nil)
	if err != nil || !ans.Answerable {
		t.Fatalf("the first suggested question: %v, %v", ans, err)
	}
	if n := vi.Sets(); n != 1 {
		t.Errorf("after the first question the vector index was given %d collections, want 1", n)
	}
}
