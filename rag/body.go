package rag

import (
	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/prompts"
	"github.com/chatpaper/chatpaper/tokenize"
)

// bodyChunks returns the chunks of a paper's body passages and captions.
func bodyChunks(p *paper.Paper) []paper.Chunk {
	ps := paper.BodyPassages(p, WindowSentences)
	out := make([]paper.Chunk, len(ps))
	for i, x := range ps {
		out[i] = paper.Chunk{ID: x.ID, Kind: x.Kind, Lang: tokenize.Lang(x.Text), Text: x.Text}
	}
	return out
}

// passageMeta is what a source shows of a body or caption chunk.
type passageMeta struct {
	section   string
	cites     []int
	sentences []paper.Sentence
}

// passageMetas maps the positions of body and caption chunks to their
// section, cited numbers and sentences, read from the paper's body by
// passage id. Chunks stored by an older chunking whose ids no longer
// name a passage get none and are reported without a section.
func passageMetas(p *paper.Paper, chunks []paper.Chunk) map[int]passageMeta {
	if p.Body == nil {
		return nil
	}
	byID := map[string]paper.Passage{}
	for _, x := range paper.BodyPassages(p, WindowSentences) {
		byID[x.ID] = x
	}
	out := map[int]passageMeta{}
	for i, c := range chunks {
		if c.Kind != paper.KindBody && c.Kind != paper.KindCaption {
			continue
		}
		x, ok := byID[c.ID]
		if !ok {
			continue
		}
		out[i] = passageMeta{section: x.Section, cites: x.Cites, sentences: paper.PassageSentences(p, x.ID)}
	}
	return out
}

// source reports a ranked chunk to clients. A reference's source text is
// its entry, not the citation context it was retrieved by.
func (lp *loadedPaper) source(rk ranked) Source {
	c := lp.chunks[rk.idx]
	src := Source{Kind: SourceAbstract, Text: c.Text, Score: round3(rk.score)}
	switch c.Kind {
	case paper.KindReference:
		src.Kind, src.N = SourceReference, c.N
		if ref, ok := lp.paper.Reference(c.N); ok {
			src.Text = ref.Text
		}
	case paper.KindBody, paper.KindCaption:
		src.Kind, src.ID = SourceBody, c.ID
		if c.Kind == paper.KindCaption {
			src.Kind = SourceCaption
		}
		if m, ok := lp.meta[rk.idx]; ok {
			src.Section, src.Cites = m.section, m.cites
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

// bodyQuote picks the sentence of a body or caption chunk holding most
// of the query terms and returns it with its section and citations.
// Numbers the sentence already shows in brackets are not repeated after
// the quote.
func bodyQuote(lp *loadedPaper, idx int, src Source, terms []string) (quoted, bool) {
	m, ok := lp.meta[idx]
	if !ok || len(m.sentences) == 0 {
		return quoted{}, false
	}
	want := make(map[string]bool, len(terms))
	best, bestN := 0, -1
	for k, s := range m.sentences {
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
	s := m.sentences[best]
	shown := map[int]bool{}
	for _, mk := range paper.FindMarks(s.Text, lp.paper.HasReference) {
		for _, n := range mk.Refs {
			shown[n] = true
		}
	}
	q := prompts.BodyQuote{Section: m.section, Caption: src.Kind == SourceCaption, Text: s.Text, Lang: tokenize.Lang(s.Text)}
	for _, n := range s.Cites {
		if !shown[n] {
			q.Cites = append(q.Cites, n)
		}
	}
	return quoted{quote: q, cites: s.Cites}, true
}
