package rag

import (
	"github.com/chatpaper/chatpaper/library"
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/prompts"
	"github.com/chatpaper/chatpaper/tokenize"
)

// source reports a ranked chunk to clients. A reference's source text is
// its entry, not the citation context it was retrieved by; a body
// passage or caption says where it stands and what it cites.
func source(lp *library.Loaded, rk ranked) Source {
	c := lp.Chunks()[rk.idx]
	src := Source{Kind: SourceAbstract, Text: c.Text, Score: library.Round3(rk.score)}
	switch c.Kind {
	case paper.KindReference:
		src.Kind, src.N = SourceReference, c.N
		if ref, ok := lp.Paper().Reference(c.N); ok {
			src.Text = ref.Text
		}
	case paper.KindCited:
		src.Kind, src.N = SourceCited, c.N
	case paper.KindBody, paper.KindCaption:
		src.Kind, src.ID = SourceBody, c.ID
		if c.Kind == paper.KindCaption {
			src.Kind = SourceCaption
		}
		if x, ok := lp.Passage(rk.idx); ok {
			src.Section, src.Cites = x.Section, x.Cites
		}
	}
	return src
}

// quoted is a body sentence chosen for an extractive answer and the
// numbers it cites.
type quoted struct {
	quote prompts.BodyQuote
	cites []int
}

// bodyQuote picks the sentence of a body or caption source holding most
// of the query terms and returns it with its section and citations.
// Numbers the sentence already shows in brackets are not repeated after
// the quote.
func bodyQuote(p *paper.Paper, src Source, terms []string) (quoted, bool) {
	sents := paper.PassageSentences(p, src.ID)
	if len(sents) == 0 {
		return quoted{}, false
	}
	want := make(map[string]bool, len(terms))
	best, bestN := 0, -1
	for k, s := range sents {
		clear(want)
		for _, t := range terms {
			want[t] = true
		}
		n := 0
		for _, t := range tokenize.Terms(s.Text) {
			if want[t] {
				n++
				want[t] = false // count each query term once per sentence
			}
		}
		if n > bestN {
			best, bestN = k, n
		}
	}
	s := sents[best]
	q := quoteSentence(p, src.Section, src.Kind == SourceCaption, s)
	return quoted{quote: q, cites: s.Cites}, true
}
