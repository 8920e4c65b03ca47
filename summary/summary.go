// Package summary writes the summary box of a paper in one language:
// extractively from the abstract, or in model mode by a generative model
// (cached in the store, generated once across replicas, warmed in the
// background after ingest).
package summary

import (
	"context"
	"fmt"
	"sort"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/prompts"
	"github.com/chatpaper/chatpaper/tokenize"
)

// Summarizer produces the summary box of a paper in one language.
type Summarizer interface {
	Summary(ctx context.Context, paperID, lang string) (*paper.Summary, error)
}

// Papers returns stored papers (package library).
type Papers interface {
	Paper(ctx context.Context, id string) (*paper.Paper, error)
}

// Extractive summarises without a model.
type Extractive struct{ papers Papers }

var _ Summarizer = Extractive{}

// NewExtractive returns the extractive summarizer over papers.
func NewExtractive(papers Papers) Extractive { return Extractive{papers: papers} }

// summarySentences is how many sentences the extractive summary keeps.
const summarySentences = 3

// Summary returns the extractive summary: the abstract's most central
// sentences (the lead sentence always among them) in their original
// order, and the remaining key sentences as key points. For zh_CN it uses
// the Chinese abstract when the paper has one; otherwise it serves the
// English extract marked as English (TextLang) with a Chinese notice
// saying a Chinese summary needs a Chinese abstract or a model. Source is
// always "extractive".
func (x Extractive) Summary(ctx context.Context, paperID, lang string) (*paper.Summary, error) {
	if !paper.ValidLang(lang) {
		return nil, fmt.Errorf("%w: lang %q must be en_US or zh_CN", paper.ErrInvalidLang, lang)
	}
	p, err := x.papers.Paper(ctx, paperID)
	if err != nil {
		return nil, err
	}
	return ExtractiveSummary(p, lang), nil
}

// ExtractiveSummary computes the extractive summary of p in lang.
func ExtractiveSummary(p *paper.Paper, lang string) *paper.Summary {
	labels := prompts.Summary(lang)
	abstract := p.Abstract
	translated := false
	if lang == paper.LangZH && p.AbstractZh != "" {
		abstract, translated = p.AbstractZh, true
	}
	if abstract == "" {
		abstract = p.AbstractZh
	}
	sents := paper.Sentences(abstract)
	summary, rest := pickSentences(sents, summarySentences)
	var points []string
	for i, s := range rest {
		if i == 3 {
			break
		}
		points = append(points, s)
	}
	if n := len(p.References); n > 0 {
		points = append(points, fmt.Sprintf(labels.RefCount, n))
	}
	text := paper.JoinSentences(summary)
	if points == nil {
		points = []string{}
	}
	sum := &paper.Summary{
		PaperID: p.ID, Lang: lang, Heading: labels.Heading,
		Summary: text, KeyPoints: points, Source: "extractive",
	}
	if lang == paper.LangZH && !translated && text != "" && tokenize.Lang(text) == "en" {
		// No Chinese abstract and no model: say so plainly, and label
		// the English text as English rather than pass it off as Chinese.
		sum.TextLang, sum.Notice = paper.LangEN, labels.NoTranslation
		if n := len(p.References); n > 0 {
			sum.KeyPoints[len(sum.KeyPoints)-1] = fmt.Sprintf(prompts.Summary(paper.LangEN).RefCount, n)
		}
	}
	return sum
}

// pickSentences ranks sentences by centrality (term overlap with the rest
// of the abstract) with the lead sentence always kept, and returns the
// top n in text order and the others in rank order.
func pickSentences(sents []string, n int) (top, rest []string) {
	if len(sents) <= n {
		return sents, nil
	}
	terms := make([]map[string]bool, len(sents))
	for i, s := range sents {
		terms[i] = make(map[string]bool)
		for _, t := range tokenize.Terms(s) {
			terms[i][t] = true
		}
	}
	type scored struct {
		i int
		s float64
	}
	ss := make([]scored, len(sents))
	for i := range sents {
		var overlap float64
		for j := range sents {
			if i == j {
				continue
			}
			for t := range terms[i] {
				if terms[j][t] {
					overlap++
				}
			}
		}
		// Normalise by length so long sentences do not win by size, and
		// favour the closing sentence, where reviews state their aim.
		s := overlap / float64(len(terms[i])+3)
		if i == len(sents)-1 {
			s *= 1.5
		}
		if i == 0 {
			s = 1e9
		}
		ss[i] = scored{i, s}
	}
	sort.SliceStable(ss, func(a, b int) bool { return ss[a].s > ss[b].s })
	keep := make([]bool, len(sents))
	for _, x := range ss[:n] {
		keep[x.i] = true
	}
	for i, s := range sents {
		if keep[i] {
			top = append(top, s)
		}
	}
	for _, x := range ss[n:] {
		rest = append(rest, sents[x.i])
	}
	return top, rest
}
