package library

import (
	"strconv"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/tokenize"
)

// WindowSentences is how many abstract (and body) sentences one chunk holds. Windows
// overlap by all but one sentence, so every pair of neighbouring
// sentences is retrievable together and no sentence is cut off from its
// context.
const WindowSentences = 2

// Chunks splits a paper into retrievable chunks: the title (and Chinese
// title), the abstracts in overlapping sentence windows, the body's
// passages and captions (paper.BodyPassages, windows of WindowSentences
// that never cross a section), and one chunk per reference carrying its
// number: for a reference the body cites, its citation context (the
// entry followed by the sentences citing it); last, for each reference
// enrichment linked to a work with an abstract, that abstract
// (paper.CitedChunks). The order is stable, so chunk positions can key
// stored vectors.
func Chunks(p *paper.Paper) []paper.Chunk {
	var out []paper.Chunk
	if p.Title != "" {
		out = append(out, paper.Chunk{ID: "t0", Kind: paper.KindTitle, Lang: "en", Text: p.Title})
	}
	if p.TitleZh != "" {
		out = append(out, paper.Chunk{ID: "t1", Kind: paper.KindTitle, Lang: "zh", Text: p.TitleZh})
	}
	for i, w := range windows(paper.Sentences(p.Abstract), WindowSentences) {
		out = append(out, paper.Chunk{ID: "a" + strconv.Itoa(i), Kind: paper.KindAbstract, Lang: "en", Text: w})
	}
	for i, w := range windows(paper.Sentences(p.AbstractZh), WindowSentences) {
		out = append(out, paper.Chunk{ID: "z" + strconv.Itoa(i), Kind: paper.KindAbstract, Lang: "zh", Text: w})
	}
	out = append(out, bodyChunks(p)...)
	contexts := paper.CitationContexts(p)
	for _, r := range p.References {
		text := r.Text
		if c, ok := contexts[r.N]; ok {
			text = c.Text
		}
		out = append(out, paper.Chunk{ID: "r" + strconv.Itoa(r.N), Kind: paper.KindReference, N: r.N, Lang: "en", Text: text})
	}
	// The cited works' abstracts (from enrichment) come last, so the
	// paper's own chunks keep their positions.
	out = append(out, paper.CitedChunks(p)...)
	return out
}

func windows(sents []string, size int) []string {
	if len(sents) <= size {
		if len(sents) == 0 {
			return nil
		}
		return []string{paper.JoinSentences(sents)}
	}
	out := make([]string, 0, len(sents)-size+1)
	for i := 0; i+size <= len(sents); i++ {
		out = append(out, paper.JoinSentences(sents[i:i+size]))
	}
	return out
}

// bodyChunks returns the chunks of a paper's body passages and captions.
func bodyChunks(p *paper.Paper) []paper.Chunk {
	ps := paper.BodyPassages(p, WindowSentences)
	out := make([]paper.Chunk, len(ps))
	for i, x := range ps {
		out[i] = paper.Chunk{ID: x.ID, Kind: x.Kind, Lang: tokenize.Lang(x.Text), Text: x.Text}
	}
	return out
}
