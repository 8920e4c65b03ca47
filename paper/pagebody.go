package paper

import (
	"regexp"
	"strings"
)

// The body of a page (or of a PDF's text) is what stands between the
// abstract and the reference list. Headings are recognised when a line
// reads as one: a usual section name ("Introduction", "Materials and
// methods", "Results", …), optionally numbered, or a short numbered line
// such as "2.1 Patients". Every other block of text is a paragraph, read
// for bracketed ("[12]", "[3–6]") and superscript ("¹²") citations that
// are unambiguous (see FindMarks). Back matter (acknowledgements,
// funding, competing interests, author contributions) and keyword or
// abbreviation lines are left out. A page whose text there holds no
// prose has no body.

var (
	// A usual section name, alone on its line, optionally numbered.
	namedHeadRe = regexp.MustCompile(`(?i)^(?:(?:\d{1,2}(?:\.\d{1,2}){0,3}|[IVX]{1,4})\.?\s+)?(introduction|background|methods?|materials? and methods|patients and methods|methods and materials|experimental(?: procedures| section)?|results?|results and discussion|discussion|conclusions?|summary and conclusions?|case (?:report|presentation|description)s?|limitations|study design|statistical analysis)\s*[:.]?$`)
	// A numbered heading: "2. Methods", "2.1 Patients and samples".
	numberedHeadRe = regexp.MustCompile(`^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+(\p{Lu}[^.!?]{0,80})$`)
	backMatterRe   = regexp.MustCompile(`(?i)^(?:(?:\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+)?(acknowledge?ments?|funding(?: information| sources?)?|financial support|conflicts? of interests?|competing interests?|declaration of (?:competing )?interests?|disclosures?|author(?:s'|s’)? contributions?|data availability(?: statement)?|ethics (?:statement|approval)|supplementary (?:material|data|information))\s*[:.]?\s*`)
	headNumberRe   = regexp.MustCompile(`^(?:\d{1,2}(?:\.\d{1,2}){0,3}|[IVX]{1,4})\.?\s+`)
	keywordLineRe  = regexp.MustCompile(`(?i)^(key ?words?|abbreviations?|index terms)\s*[:：]`)
)

// pageBody reads the blocks between the abstract and the references.
func pageBody(blocks []block, has func(int) bool) *Body {
	var b Body
	prose := false
	skipping := false // inside back matter
	cur := -1
	startSection := func(title string, level int) {
		b.Sections = append(b.Sections, Section{Title: title, Level: level})
		cur = len(b.Sections) - 1
	}
	for _, bl := range blocks {
		if bl.kind != kindText {
			continue
		}
		lines := bl.lines
		// A heading may be glued to the paragraph under it.
		if title, level, ok := heading(lines[0].text); ok {
			startSection(title, level)
			skipping = false
			lines = lines[1:]
		} else if backMatterRe.MatchString(lines[0].text) {
			skipping = true
			continue
		}
		if len(lines) == 0 || skipping {
			continue
		}
		t := block{kind: kindText, lines: lines}.text()
		if keywordLineRe.MatchString(t) {
			continue
		}
		if cur < 0 {
			startSection("", 1)
		}
		if isProse(t, 8) {
			prose = true
		}
		sents := SplitCited(t, FindMarks(t, has))
		if len(sents) == 0 {
			continue
		}
		b.Sections[cur].Paragraphs = append(b.Sections[cur].Paragraphs, Paragraph{Sentences: sents})
	}
	if !prose {
		return nil
	}
	b.Number()
	return &b
}

// heading reports whether line is a section heading, with its title and
// level (the depth of its number, 1 when unnumbered).
func heading(line string) (title string, level int, ok bool) {
	if len(line) > 120 || sentenceEnd.MatchString(line) && !namedHeadRe.MatchString(line) {
		return "", 0, false
	}
	if m := numberedHeadRe.FindStringSubmatch(line); m != nil && len(strings.Fields(m[2])) <= 10 && !strings.HasSuffix(m[2], ",") {
		return strings.TrimRight(m[2], " :"), strings.Count(m[1], ".") + 1, true
	}
	if namedHeadRe.MatchString(line) {
		title := line
		if m := headNumberRe.FindString(line); m != "" {
			title = line[len(m):]
		}
		return strings.TrimRight(title, " :."), 1, true
	}
	return "", 0, false
}
