package summary

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/prompts"
	"github.com/chatpaper/chatpaper/rag"
	"github.com/chatpaper/chatpaper/store"
)

// ModelSuggester has a generative model write the suggested questions,
// with the summaries: cached the same way (the store's summary cache and
// lock, under the questions prompt's version) and warmed by the same
// Warmer after ingest. It is safe for concurrent use.
type ModelSuggester struct {
	m       *Model
	offline ExtractiveSuggester
}

var _ Suggester = (*ModelSuggester)(nil)

// NewModelSuggester returns the model-mode suggester writing with m's
// model into m's cache; offline checks its questions and stands in when
// the model fails. m's Warmer then warms suggestions too.
func NewModelSuggester(m *Model, offline ExtractiveSuggester) *ModelSuggester {
	s := &ModelSuggester{m: m, offline: offline}
	m.suggester = s
	return s
}

// maxSuggestionRunes drops a model's "question" that is really a paragraph.
const maxSuggestionRunes = 200

// suggestionsKey is where a model's suggested questions are cached: the
// summaries' table, under the questions prompt's version, so they are
// generated once across replicas and dropped with the paper.
func (g *ModelSuggester) suggestionsKey(paperID, lang string) store.SummaryKey {
	return store.SummaryKey{PaperID: paperID, Lang: lang, Model: g.m.model.Model(), PromptVersion: prompts.QuestionsVersion}
}

// Suggestions returns the model's suggested questions for the paper in
// lang, generating and caching them on first use, less those the paper
// would not answer. If the model fails, or none of its questions is
// answerable, it returns the questions built without a model, uncached.
func (g *ModelSuggester) Suggestions(ctx context.Context, paperID, lang string) (*paper.Suggestions, error) {
	if !paper.ValidLang(lang) {
		return nil, fmt.Errorf("%w: lang %q must be en_US or zh_CN", paper.ErrInvalidLang, lang)
	}
	p, err := g.m.papers.Paper(ctx, paperID)
	if err != nil {
		return nil, err
	}
	s, err := g.ensureSuggestions(ctx, p, lang, false)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		g.m.log.Warn("model suggestions failed; serving the extractive ones", "paper", paperID, "lang", lang, "err", err)
		return g.offline.Suggestions(ctx, paperID, lang)
	}
	// A model's question the paper would refuse is no suggestion: keep
	// those retrieval finds answerable (no model call), else fall back.
	out := *s
	if out.Questions, err = g.offline.answerable(ctx, paperID, lang, s.Questions); err != nil {
		return nil, err
	}
	if len(out.Questions) == 0 {
		return g.offline.Suggestions(ctx, paperID, lang)
	}
	return &out, nil
}

// ensureSuggestions returns the cached suggestions or generates, caches
// and returns them, under the store's summary lock; background marks the
// warmer's generation, which gives way to readers (rag.ErrPreempted).
func (g *ModelSuggester) ensureSuggestions(ctx context.Context, p *paper.Paper, lang string, background bool) (*paper.Suggestions, error) {
	key := g.suggestionsKey(p.ID, lang)
	asSuggestions := func(s *paper.Summary) *paper.Suggestions {
		return &paper.Suggestions{PaperID: p.ID, Lang: lang, Questions: s.KeyPoints, Source: SourceLLM, Model: s.Model}
	}
	if s, err := g.m.cache.Summary(ctx, key); err == nil {
		return asSuggestions(s), nil
	}
	var out *paper.Suggestions
	err := g.m.cache.WithSummaryLock(ctx, key, func(ctx context.Context) error {
		if s, err := g.m.cache.Summary(ctx, key); err == nil {
			out = asSuggestions(s)
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		qs, err := g.generateSuggestions(ctx, p, lang, background)
		if err != nil {
			return err
		}
		s := &paper.Summary{PaperID: p.ID, Lang: lang, KeyPoints: qs, Source: SourceLLM, Model: g.m.model.Model()}
		if err := g.m.cache.PutSummary(ctx, key, s); err != nil {
			return fmt.Errorf("cache suggestions: %w", err)
		}
		out = asSuggestions(s)
		return nil
	})
	return out, err
}

func (g *ModelSuggester) generateSuggestions(ctx context.Context, p *paper.Paper, lang string, background bool) ([]string, error) {
	abstract := p.Abstract
	if lang == paper.LangZH && p.AbstractZh != "" || abstract == "" {
		abstract = p.AbstractZh
	}
	pr, err := prompts.ModelQuestions(prompts.QuestionsData{Lang: lang, Title: p.Title, Abstract: abstract, Max: MaxSuggestions})
	if err != nil {
		return nil, err
	}
	reply, cut, err := rag.Complete(ctx, g.m.model, pr, rag.ChatRequest{MaxTokens: g.m.opts.MaxTokens, Background: background})
	if err != nil {
		return nil, err
	}
	qs := parseSuggestions(reply)
	if cut && len(qs) > 0 {
		qs = qs[:len(qs)-1] // the reply stopped at its length limit, maybe mid-question
	}
	if len(qs) == 0 {
		return nil, fmt.Errorf("%w: suggestions reply has no question", rag.ErrUpstream)
	}
	return qs, nil
}

// parseSuggestions takes the "- " lines of a reply (numbered lines too:
// models number them anyway), at most MaxSuggestions.
func parseSuggestions(reply string) []string {
	var out []string
	for _, line := range strings.Split(reply, "\n") {
		line = strings.TrimSpace(line)
		b := strings.TrimLeft(line, "-*•·0123456789.) ")
		if b == line && !strings.HasSuffix(line, "?") && !strings.HasSuffix(line, "？") {
			continue // prose around the list
		}
		b = strings.TrimSpace(strings.Trim(strings.ReplaceAll(b, "**", ""), `"“”`))
		if b == "" || utf8.RuneCountInString(b) > maxSuggestionRunes {
			continue
		}
		out = append(out, b)
		if len(out) == MaxSuggestions {
			break
		}
	}
	return out
}
