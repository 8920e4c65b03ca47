package paper

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Body is the full text of a paper: its sections in document order, each
// holding paragraphs of sentences, and the captions of its figures and
// tables. Every sentence keeps the reference numbers it cites, so a
// passage of the body can say which entries of the reference list it is
// about. A paper's Body is optional: papers known only by their abstract
// and references have none.
type Body struct {
	Sections []Section `json:"sections"`
	Captions []Caption `json:"captions,omitempty"`
}

// Section is one heading of the body with the paragraphs directly under
// it. Sections are listed flat in document order; Level says how deep a
// section is nested (1 for a top-level section such as "Methods", 2 for a
// subsection of it, and so on), so the outline is the list read with its
// levels. Text that precedes any heading belongs to a section without a
// title.
type Section struct {
	// ID is "sec1", "sec2", … in document order, whatever the level.
	ID         string      `json:"id"`
	Title      string      `json:"title,omitempty"`
	Level      int         `json:"level"`
	Paragraphs []Paragraph `json:"paragraphs,omitempty"`
}

// Paragraph kinds. A plain paragraph has an empty kind.
const (
	ParagraphQuote = "quote" // a displayed quotation
	ParagraphList  = "list"  // a list, its items in order
)

// Paragraph is one paragraph of a section.
type Paragraph struct {
	// ID is the section's id and the paragraph's 1-based position in it:
	// "sec2.p3".
	ID        string     `json:"id"`
	Kind      string     `json:"kind,omitempty"`
	Sentences []Sentence `json:"sentences"`
}

// Sentence is one sentence of the body with the reference numbers its
// in-text citations point at.
type Sentence struct {
	// ID is the paragraph's (or caption's) id and the sentence's 1-based
	// position in it: "sec2.p3.s1", "fig1.s2".
	ID   string `json:"id"`
	Text string `json:"text"`
	// Cites holds the numbers of the references the sentence cites, in
	// order of first mention, each once. Ranges such as [3–6] are
	// expanded to every number in them.
	Cites []int `json:"cites,omitempty"`
}

// Caption kinds.
const (
	CaptionFigure = "figure"
	CaptionTable  = "table"
)

// Caption is the caption of one figure or table: its printed label and
// its text as sentences (the caption title first).
type Caption struct {
	// ID is "fig1", "fig2", … for figures and "tab1", … for tables, in
	// document order.
	ID    string `json:"id"`
	Kind  string `json:"kind"`
	Label string `json:"label,omitempty"` // as printed: "Figure 1", "Table 2"
	// Section is the id of the section the figure or table appears in,
	// or "" when it stands outside every section.
	Section   string     `json:"section,omitempty"`
	Sentences []Sentence `json:"sentences"`
}

// Body limits, checked by Validate. They are far above any journal
// article (the largest shared JATS article has under 300 paragraphs) and
// keep one hostile upload from holding millions of objects.
const (
	MaxSections      = 2_000
	MaxParagraphs    = 20_000
	MaxBodySentences = 200_000
	MaxCaptions      = 2_000
	MaxSectionLevel  = 12
	maxCitesPerSent  = 1_000
)

// Sentences returns the sentences of the section's own paragraphs (not
// of its subsections), in order.
func (s *Section) Sentences() []Sentence {
	var out []Sentence
	for _, pg := range s.Paragraphs {
		out = append(out, pg.Sentences...)
	}
	return out
}

// SectionByID returns the section with the given id, or nil.
func (b *Body) SectionByID(id string) *Section {
	if b == nil {
		return nil
	}
	for i := range b.Sections {
		if b.Sections[i].ID == id {
			return &b.Sections[i]
		}
	}
	return nil
}

// Paragraphs counts the paragraphs of every section.
func (b *Body) Paragraphs() int {
	if b == nil {
		return 0
	}
	n := 0
	for _, s := range b.Sections {
		n += len(s.Paragraphs)
	}
	return n
}

// Cited returns every reference number the body cites, ascending, each
// once.
func (b *Body) Cited() []int {
	if b == nil {
		return nil
	}
	seen := map[int]bool{}
	add := func(ss []Sentence) {
		for _, s := range ss {
			for _, n := range s.Cites {
				seen[n] = true
			}
		}
	}
	for _, s := range b.Sections {
		for _, p := range s.Paragraphs {
			add(p.Sentences)
		}
	}
	for _, c := range b.Captions {
		add(c.Sentences)
	}
	out := make([]int, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Text returns a paragraph's sentences joined into one line.
func (p Paragraph) Text() string { return JoinSentences(sentenceTexts(p.Sentences)) }

// Text returns a caption's label and sentences joined into one line.
func (c Caption) Text() string {
	t := JoinSentences(sentenceTexts(c.Sentences))
	if c.Label != "" {
		return strings.TrimRight(c.Label, ".:") + ". " + t
	}
	return t
}

func sentenceTexts(ss []Sentence) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Text
	}
	return out
}

// Number gives every section, paragraph, sentence and caption that has
// no id its canonical one (see the ID fields), so a body written by hand
// or by a parser needs no ids of its own. Ids already present are kept.
func (b *Body) Number() {
	if b == nil {
		return
	}
	for i := range b.Sections {
		s := &b.Sections[i]
		if s.ID == "" {
			s.ID = "sec" + strconv.Itoa(i+1)
		}
		for j := range s.Paragraphs {
			p := &s.Paragraphs[j]
			if p.ID == "" {
				p.ID = s.ID + ".p" + strconv.Itoa(j+1)
			}
			numberSentences(p.ID, p.Sentences)
		}
	}
	figs, tabs := 0, 0
	for i := range b.Captions {
		c := &b.Captions[i]
		if c.ID == "" {
			if c.Kind == CaptionTable {
				tabs++
				c.ID = "tab" + strconv.Itoa(tabs)
			} else {
				figs++
				c.ID = "fig" + strconv.Itoa(figs)
			}
		}
		numberSentences(c.ID, c.Sentences)
	}
}

func numberSentences(prefix string, ss []Sentence) {
	for k := range ss {
		if ss[k].ID == "" {
			ss[k].ID = prefix + ".s" + strconv.Itoa(k+1)
		}
	}
}

// validateBody checks the body's invariants: sizes within the limits,
// levels from 1, non-empty unique ids (missing ones are numbered first),
// non-empty sentences, known caption kinds, and citations of references
// the paper has. It trims surrounding space in place and drops repeated
// numbers from each sentence's citations.
func (p *Paper) validateBody() error {
	b := p.Body
	if b == nil {
		return nil
	}
	if len(b.Sections) > MaxSections {
		return &ValidationError{"body.sections", fmt.Sprintf("has %d sections, at most %d are allowed", len(b.Sections), MaxSections)}
	}
	if len(b.Captions) > MaxCaptions {
		return &ValidationError{"body.captions", fmt.Sprintf("has %d captions, at most %d are allowed", len(b.Captions), MaxCaptions)}
	}
	b.Number()
	ids := map[string]string{}
	claim := func(id, field string) error {
		if strings.TrimSpace(id) != id || id == "" {
			return &ValidationError{field + ".id", fmt.Sprintf("%q must be non-empty without surrounding space", id)}
		}
		if prev, dup := ids[id]; dup {
			return &ValidationError{field + ".id", fmt.Sprintf("%q already used by %s", id, prev)}
		}
		ids[id] = field
		return nil
	}
	paras, sents := 0, 0
	checkSentences := func(field string, ss []Sentence) error {
		sents += len(ss)
		if sents > MaxBodySentences {
			return &ValidationError{field, fmt.Sprintf("the body has more than %d sentences", MaxBodySentences)}
		}
		for k := range ss {
			s := &ss[k]
			f := fmt.Sprintf("%s[%d]", field, k)
			s.Text = strings.TrimSpace(s.Text)
			if s.Text == "" {
				return &ValidationError{f + ".text", "is required"}
			}
			if err := claim(s.ID, f); err != nil {
				return err
			}
			if len(s.Cites) > maxCitesPerSent {
				return &ValidationError{f + ".cites", fmt.Sprintf("has %d numbers, at most %d are allowed", len(s.Cites), maxCitesPerSent)}
			}
			for i, n := range s.Cites {
				if !p.HasReference(n) {
					return &ValidationError{fmt.Sprintf("%s.cites[%d]", f, i), fmt.Sprintf("the paper has no reference %d", n)}
				}
			}
			s.Cites = dedupe(s.Cites)
		}
		return nil
	}
	for i := range b.Sections {
		s := &b.Sections[i]
		f := fmt.Sprintf("body.sections[%d]", i)
		s.Title = strings.TrimSpace(s.Title)
		if err := claim(s.ID, f); err != nil {
			return err
		}
		if s.Level < 1 || s.Level > MaxSectionLevel {
			return &ValidationError{f + ".level", fmt.Sprintf("%d must be between 1 and %d", s.Level, MaxSectionLevel)}
		}
		paras += len(s.Paragraphs)
		if paras > MaxParagraphs {
			return &ValidationError{f + ".paragraphs", fmt.Sprintf("the body has more than %d paragraphs", MaxParagraphs)}
		}
		for j := range s.Paragraphs {
			pg := &s.Paragraphs[j]
			pf := fmt.Sprintf("%s.paragraphs[%d]", f, j)
			if err := claim(pg.ID, pf); err != nil {
				return err
			}
			switch pg.Kind {
			case "", ParagraphQuote, ParagraphList:
			default:
				return &ValidationError{pf + ".kind", fmt.Sprintf("%q must be \"\", %q or %q", pg.Kind, ParagraphQuote, ParagraphList)}
			}
			if len(pg.Sentences) == 0 {
				return &ValidationError{pf + ".sentences", "must hold at least one sentence"}
			}
			if err := checkSentences(pf+".sentences", pg.Sentences); err != nil {
				return err
			}
		}
	}
	for i := range b.Captions {
		c := &b.Captions[i]
		f := fmt.Sprintf("body.captions[%d]", i)
		c.Label = strings.TrimSpace(c.Label)
		if err := claim(c.ID, f); err != nil {
			return err
		}
		if c.Kind != CaptionFigure && c.Kind != CaptionTable {
			return &ValidationError{f + ".kind", fmt.Sprintf("%q must be %q or %q", c.Kind, CaptionFigure, CaptionTable)}
		}
		if c.Section != "" && b.SectionByID(c.Section) == nil {
			return &ValidationError{f + ".section", fmt.Sprintf("no section has id %q", c.Section)}
		}
		if len(c.Sentences) == 0 {
			return &ValidationError{f + ".sentences", "must hold at least one sentence"}
		}
		if err := checkSentences(f+".sentences", c.Sentences); err != nil {
			return err
		}
	}
	return nil
}

// dedupe drops repeated numbers, keeping the first mention's order.
func dedupe(ns []int) []int {
	if len(ns) < 2 {
		return ns
	}
	out := ns[:0:0]
	for _, n := range ns {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}
