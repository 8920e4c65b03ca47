package paper

import (
	"strconv"
	"strings"
)

// Passage is a retrievable stretch of a paper's body: a window of
// consecutive sentences of one section (never crossing into another), a
// figure or table caption, or the citation context of one reference.
// Passages are derived from the body alone, so the same paper always
// yields the same passages with the same ids.
type Passage struct {
	// ID names the passage: "sec3.p2.s4+2" for the 2 sentences of
	// section sec3 starting at sentence sec3.p2.s4, "fig1" or "tab2" for
	// a caption, "r12" for the citation context of reference 12.
	ID   string
	Kind ChunkKind // KindBody, KindCaption or KindReference
	// N is the reference number of a citation context, else 0.
	N int
	// Section is the title of the passage's section (for a caption, its
	// label such as "Figure 1"; for a citation context, "").
	Section string
	Text    string
	// Cites are the reference numbers the passage's sentences cite, in
	// order of first mention.
	Cites []int
}

// MaxContextBytes bounds the citing sentences a citation context adds
// to its reference, so one reference cited everywhere cannot make a
// chunk longer than the embedder reads.
const MaxContextBytes = 2000

// BodyPassages splits p's body into passages: for each section, windows
// of window consecutive sentences overlapping by all but one (a section
// with fewer sentences is one passage); then one passage per caption.
// It returns nil for a paper without a body.
func BodyPassages(p *Paper, window int) []Passage {
	if p.Body == nil {
		return nil
	}
	window = max(window, 1)
	var out []Passage
	for i := range p.Body.Sections {
		s := &p.Body.Sections[i]
		sents := s.Sentences()
		if len(sents) == 0 {
			continue
		}
		title := SectionTitle(p.Body, i)
		size := min(window, len(sents))
		for k := 0; k+size <= len(sents); k++ {
			w := sents[k : k+size]
			out = append(out, Passage{
				ID: w[0].ID + "+" + strconv.Itoa(size), Kind: KindBody, Section: title,
				Text: JoinSentences(sentenceTexts(w)), Cites: citesOf(w),
			})
		}
	}
	for _, c := range p.Body.Captions {
		out = append(out, Passage{ID: c.ID, Kind: KindCaption, Section: CaptionName(c), Text: c.Text(), Cites: citesOf(c.Sentences)})
	}
	return out
}

// CitationContexts returns, for every reference the body cites, its
// citation context: the reference entry followed by the body and caption
// sentences that cite it, in document order, up to MaxContextBytes bytes. The
// map is keyed by reference number; it is empty without a body.
func CitationContexts(p *Paper) map[int]Passage {
	out := map[int]Passage{}
	if p.Body == nil {
		return out
	}
	citing := map[int][]string{}
	size := map[int]int{}
	add := func(ss []Sentence) {
		for _, s := range ss {
			for _, n := range s.Cites {
				if size[n]+len(s.Text) > MaxContextBytes {
					continue
				}
				citing[n] = append(citing[n], s.Text)
				size[n] += len(s.Text) + 1
			}
		}
	}
	for _, s := range p.Body.Sections {
		for _, pg := range s.Paragraphs {
			add(pg.Sentences)
		}
	}
	for _, c := range p.Body.Captions {
		add(c.Sentences)
	}
	for n, sents := range citing {
		r, ok := p.Reference(n)
		if !ok {
			continue
		}
		out[n] = Passage{ID: "r" + strconv.Itoa(n), Kind: KindReference, N: n,
			Text: r.Text + " " + strings.Join(sents, " "), Cites: []int{n}}
	}
	return out
}

// PassageByID finds the body passage or caption with the given id among
// those BodyPassages(p, window) returns.
func PassageByID(p *Paper, window int, id string) (Passage, bool) {
	if p.Body == nil {
		return Passage{}, false
	}
	for _, ps := range BodyPassages(p, window) {
		if ps.ID == id {
			return ps, true
		}
	}
	return Passage{}, false
}

// SectionTitle returns the title of section i, or, for an untitled
// section, that of the nearest section before it at a higher level: the
// title a passage of section i is labelled with.
func SectionTitle(b *Body, i int) string {
	if t := b.Sections[i].Title; t != "" {
		return t
	}
	level := b.Sections[i].Level
	for j := i - 1; j >= 0; j-- {
		if b.Sections[j].Level < level && b.Sections[j].Title != "" {
			return b.Sections[j].Title
		}
	}
	return ""
}

// CaptionName is how a caption is named in answers: its label, or
// "Figure"/"Table" with its number taken from the id.
func CaptionName(c Caption) string {
	if c.Label != "" {
		return strings.TrimRight(c.Label, ".: ")
	}
	if c.Kind == CaptionTable {
		return "Table " + strings.TrimPrefix(c.ID, "tab")
	}
	return "Figure " + strings.TrimPrefix(c.ID, "fig")
}

func citesOf(ss []Sentence) []int {
	var out []int
	for _, s := range ss {
		out = append(out, s.Cites...)
	}
	return dedupe(out)
}

// PassageSentences returns the sentences of the body passage or caption
// with the given id (see Passage.ID), with their own citations, or nil
// when no passage has that id.
func PassageSentences(p *Paper, id string) []Sentence {
	if p.Body == nil {
		return nil
	}
	first, count, ok := strings.Cut(id, "+")
	if !ok {
		for _, c := range p.Body.Captions {
			if c.ID == id {
				return c.Sentences
			}
		}
		return nil
	}
	n, err := strconv.Atoi(count)
	if err != nil || n < 1 {
		return nil
	}
	// Ids given in a paper's JSON need not name their section, so look
	// for the first sentence in every section.
	for _, s := range p.Body.Sections {
		var sents []Sentence
		for _, pg := range s.Paragraphs {
			sents = append(sents, pg.Sentences...)
		}
		for k, st := range sents {
			if st.ID == first {
				if k+n <= len(sents) {
					return sents[k : k+n]
				}
				return nil
			}
		}
	}
	return nil
}
