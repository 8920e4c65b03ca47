package jats

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/chatpaper/chatpaper/paper"
)

// The body is read as follows. Each <sec> becomes a section (nested ones
// with a deeper level); each <p>, <disp-quote> and <list> directly in a
// section (or in <body>) becomes a paragraph; each <fig> and <table-wrap>
// anywhere in the body becomes a caption (its label, caption title and
// caption paragraphs). Every <xref ref-type="bibr"> is resolved through
// its rid to the number of the reference it points at, whether the
// article prints numbers ("[12]") or author–year names ("Smith et al.,
// 2009"); two numbered xrefs joined by a dash ("[3]–[6]") cite the whole
// range. Skipped, because they hold no reading text or would garble it:
// <boxed-text>, display formulas (<disp-formula>; inline formulas keep
// their text), the cells and footnotes of tables, supplementary-material
// entries, and the sub-articles (decision letters, author responses).

// skippedInBody are elements whose content is not read as body text.
var skippedInBody = map[string]bool{
	"boxed-text": true, "disp-formula": true, "disp-formula-group": true,
	"supplementary-material": true, "table": true, "table-wrap-foot": true,
	"alternatives": true, "graphic": true, "media": true, "fn": true, "fn-group": true,
	"ref-list": true, "glossary": true, "app-group": true,
}

// bodyReader turns a JATS <body> into a paper.Body.
type bodyReader struct {
	refIDs map[string]int // <ref id> → reference number
	has    func(int) bool
	body   paper.Body
}

// readBody reads the main article's <body>, resolving citations through
// refIDs. It returns nil when the body holds no text.
func readBody(n *node, refIDs map[string]int, has func(int) bool) *paper.Body {
	if n == nil {
		return nil
	}
	br := &bodyReader{refIDs: refIDs, has: has}
	br.section(n, "", 0, 0)
	if len(br.body.Sections) == 0 {
		return nil
	}
	text := false
	for _, s := range br.body.Sections {
		text = text || len(s.Paragraphs) > 0
	}
	if !text && len(br.body.Captions) == 0 {
		return nil
	}
	br.body.Number()
	return &br.body
}

// section reads the children of a <sec> (or of <body> when level is 0).
// Paragraphs standing directly in <body> go into untitled level-1
// sections, one per run of them.
func (br *bodyReader) section(n *node, title string, level, depth int) {
	if depth > maxDepth {
		return
	}
	cur := -1 // index of the section receiving paragraphs
	if level > 0 {
		br.body.Sections = append(br.body.Sections, paper.Section{Title: title, Level: level})
		cur = len(br.body.Sections) - 1
		br.body.Sections[cur].ID = "sec" + strconv.Itoa(cur+1)
	}
	target := func() *paper.Section {
		if cur < 0 {
			br.body.Sections = append(br.body.Sections, paper.Section{Level: 1})
			cur = len(br.body.Sections) - 1
			br.body.Sections[cur].ID = "sec" + strconv.Itoa(cur+1)
		}
		return &br.body.Sections[cur]
	}
	for _, k := range n.kids {
		switch k.name {
		case "sec":
			br.section(k, k.child("title").textOr(), level+1, depth+1)
			if level == 0 {
				cur = -1 // body paragraphs after a section start a new one
			}
		case "p":
			sec := target()
			br.captions(k, sec.ID, depth+1)
			br.paragraph(sec, "", []*node{k})
		case "disp-quote":
			sec := target()
			br.paragraph(sec, paper.ParagraphQuote, quoteParts(k))
		case "list", "def-list":
			sec := target()
			br.paragraph(sec, paper.ParagraphList, []*node{k})
		case "fig", "table-wrap", "fig-group", "table-wrap-group":
			id := ""
			if cur >= 0 {
				id = br.body.Sections[cur].ID
			}
			br.captions(&node{kids: []*node{k}}, id, depth+1)
		}
	}
}

// quoteParts returns the paragraphs of a displayed quotation, or the
// quotation itself when it has none.
func quoteParts(q *node) []*node {
	if ps := q.children("p"); len(ps) > 0 {
		return ps
	}
	return []*node{q}
}

// paragraph appends one paragraph made of parts to sec, unless it has no
// text.
func (br *bodyReader) paragraph(sec *paper.Section, kind string, parts []*node) {
	var texts []string
	var marks []paper.Mark
	for _, p := range parts {
		t, ms := br.cited(p)
		if t == "" {
			continue
		}
		off := 0
		for _, x := range texts {
			off += len(x) + 1
		}
		for _, m := range ms {
			marks = append(marks, paper.Mark{Start: m.Start + off, End: m.End + off, Refs: m.Refs})
		}
		texts = append(texts, t)
	}
	if len(texts) == 0 {
		return
	}
	sents := paper.SplitCited(strings.Join(texts, " "), marks)
	if len(sents) == 0 {
		return
	}
	sec.Paragraphs = append(sec.Paragraphs, paper.Paragraph{Kind: kind, Sentences: sents})
}

// captions reads the <fig> and <table-wrap> elements below n.
func (br *bodyReader) captions(n *node, section string, depth int) {
	if depth > maxDepth {
		return
	}
	for _, k := range n.kids {
		switch k.name {
		case "fig", "table-wrap":
			br.caption(k, section)
		case "":
		case "boxed-text", "sec":
		default:
			br.captions(k, section, depth+1)
		}
	}
}

func (br *bodyReader) caption(k *node, section string) {
	c := paper.Caption{Kind: paper.CaptionFigure, Label: k.child("label").textOr(), Section: section}
	if k.name == "table-wrap" {
		c.Kind = paper.CaptionTable
	}
	cap := k.child("caption")
	var parts []*node
	for _, x := range cap.kidsOr() {
		if x.name == "title" || x.name == "p" {
			parts = append(parts, x)
		}
	}
	for _, p := range parts {
		t, ms := br.cited(p)
		if t == "" {
			continue
		}
		c.Sentences = append(c.Sentences, paper.SplitCited(t, ms)...)
	}
	if len(c.Sentences) == 0 {
		return
	}
	br.body.Captions = append(br.body.Captions, c)
}

func (n *node) kidsOr() []*node {
	if n == nil {
		return nil
	}
	return n.kids
}

// rawMark is a resolved bibr xref in the unsquashed rendering.
type rawMark struct {
	start, end int
	refs       []int
	text       string
}

// cited renders n as one squashed line and returns the citation marks in
// it, ranges expanded.
func (br *bodyReader) cited(n *node) (string, []paper.Mark) {
	var b strings.Builder
	var raw []rawMark
	br.render(n, &b, &raw, 0, false)
	s := b.String()
	raw = expandRanges(s, raw, br.has)
	text, at := squashMap(s)
	marks := make([]paper.Mark, 0, len(raw))
	for _, m := range raw {
		if len(m.refs) == 0 {
			continue
		}
		st, en := at[m.start], at[m.end]
		if en < st {
			en = st
		}
		marks = append(marks, paper.Mark{Start: st, End: en, Refs: m.refs})
	}
	return text, marks
}

// render writes n's reading text like node.render, recording each
// bibliographic xref and leaving out skipped elements, nested figures
// and tables.
func (br *bodyReader) render(n *node, b *strings.Builder, raw *[]rawMark, depth int, inMath bool) {
	if depth > maxDepth {
		return
	}
	inMath = inMath || n.name == "math"
	prevElem := false
	for _, k := range n.kids {
		if k.name == "" {
			b.WriteString(k.data)
			prevElem = false
			continue
		}
		if hidden[k.name] || skippedInBody[k.name] || k.name == "fig" || k.name == "table-wrap" || k.name == "fig-group" || k.name == "table-wrap-group" {
			continue
		}
		if k.name == "inline-formula" {
			if tex := k.find("tex-math"); len(tex) > 0 {
				b.WriteString(strings.TrimSpace(tex[0].plain()))
				prevElem = true
				continue
			}
		}
		if prevElem && !inMath && needsSpace(b) {
			b.WriteByte(' ')
		}
		switch k.name {
		case "p", "title", "list-item", "list", "def-item", "term", "def":
			if needsSpace(b) {
				b.WriteByte(' ')
			}
		}
		if k.name == "xref" && k.attr("ref-type") == "bibr" {
			start := b.Len()
			k.render(b, depth+1, inMath)
			*raw = append(*raw, rawMark{start: start, end: b.Len(), refs: br.resolve(k), text: b.String()[start:]})
			prevElem = true
			continue
		}
		br.render(k, b, raw, depth+1, inMath)
		if k.name == "list-item" || k.name == "def-item" {
			endItem(b)
		}
		prevElem = true
	}
}

// endItem ends a list item with a period when it ends without sentence
// punctuation, so that items split into sentences of their own.
func endItem(b *strings.Builder) {
	s := strings.TrimRight(b.String(), " \n\t")
	if s == "" {
		return
	}
	if !strings.ContainsRune(".?!:;。", rune(s[len(s)-1])) {
		b.WriteString(".")
	}
	b.WriteString(" ")
}

var xrefRangeRe = regexp.MustCompile(`^\s*\[?\s*(\d{1,4})\s*[–—‒-]\s*(\d{1,4})\s*\]?\s*$`)

// resolve returns the reference numbers an xref's rid names. An xref
// whose own text is a range ("3–6") starting at its rid's number cites
// the whole range.
func (br *bodyReader) resolve(x *node) []int {
	var refs []int
	for _, id := range strings.Fields(x.attr("rid")) {
		if n, ok := br.refIDs[id]; ok {
			refs = append(refs, n)
		}
	}
	if len(refs) == 1 {
		if m := xrefRangeRe.FindStringSubmatch(x.text()); m != nil {
			lo, _ := strconv.Atoi(m[1])
			hi, _ := strconv.Atoi(m[2])
			if lo == refs[0] && hi > lo && hi-lo <= paper.MaxRangeSpan {
				for n := lo + 1; n <= hi; n++ {
					if br.has(n) {
						refs = append(refs, n)
					}
				}
			}
		}
	}
	return refs
}

var dashBetweenRe = regexp.MustCompile(`^\s*[\])]?\s*[–—‒-]\s*[\[(]?\s*$`)

// expandRanges fills in the numbers between two numbered xrefs joined by
// a dash, as in "[3]–[6]" or "[3–6]" marked up as two xrefs: the second
// mark gets the numbers in between.
func expandRanges(s string, raw []rawMark, has func(int) bool) []rawMark {
	for i := 1; i < len(raw); i++ {
		a, b := raw[i-1], &raw[i]
		if len(a.refs) == 0 || len(b.refs) != 1 || !dashBetweenRe.MatchString(s[a.end:b.start]) {
			continue
		}
		if !numeric(a.text) || !numeric(b.text) {
			continue // "Smith, 2001–Jones, 2003" is not a range
		}
		lo, hi := a.refs[len(a.refs)-1], b.refs[0]
		if hi <= lo+1 || hi-lo > paper.MaxRangeSpan {
			continue
		}
		var mid []int
		for n := lo + 1; n < hi; n++ {
			if has(n) {
				mid = append(mid, n)
			}
		}
		b.refs = append(mid, b.refs...)
	}
	return raw
}

var numericRe = regexp.MustCompile(`^\s*[\[(]?\s*\d{1,4}\s*[\])]?\s*$`)

func numeric(s string) bool { return numericRe.MatchString(s) }

// squashMap squashes white space like squash and returns, for every byte
// offset of s (and len(s)), the offset in the result it maps to.
func squashMap(s string) (string, []int) {
	at := make([]int, len(s)+1)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i, r := range s {
		size := utf8.RuneLen(r)
		if size < 0 {
			size = 1
		}
		if unicode.IsSpace(r) {
			for j := i; j < i+size && j < len(s); j++ {
				at[j] = b.Len()
			}
			if b.Len() > 0 {
				space = true
			}
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		for j := i; j < i+size && j < len(s); j++ {
			at[j] = b.Len()
		}
		b.WriteString(s[i : i+size])
	}
	at[len(s)] = b.Len()
	return b.String(), at
}
