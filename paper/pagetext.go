package paper

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The page-text parser works on lines copied from a rendered article page.
// It classifies each line (blank, site chrome, footer, heading or text),
// groups consecutive text lines into blocks, and then finds, in order: the
// author line and the title above it, the first prose block after them
// (the abstract), and the first citation-like block after that, where the
// reference list begins and runs until the journal footer.

type lineKind int

const (
	kindNoise lineKind = iota
	kindFooter
	kindAbstractHead
	kindRefsHead
	kindText
)

type pageLine struct {
	no   int // 1-based
	text string
	kind lineKind
}

// block is a run of consecutive text lines, or one heading or footer line.
// Blank and noise lines separate blocks and are dropped.
type block struct {
	kind  lineKind
	lines []pageLine
}

func (b block) text() string {
	parts := make([]string, len(b.lines))
	for i, l := range b.lines {
		parts[i] = l.text
	}
	return squash(strings.Join(parts, " "))
}

func (b block) first() int { return b.lines[0].no }
func (b block) last() int  { return b.lines[len(b.lines)-1].no }

var (
	// Site chrome seen on article pages. Each is a pattern for a family of
	// lines rather than one site's exact wording.
	noisePatterns = []*regexp.Regexp{
		// Unrendered templates: {{lang === 'zh_CN' ? ... }}.
		regexp.MustCompile(`^\{\{.*\}\}$`),
		// Toggles: "Show Outline", "Hide outline", "Show Author Information".
		regexp.MustCompile(`(?i)^(show|hide|expand|collapse)\b.{0,40}$`),
		// Download links with a size: "PDF (636.8 KB)".
		regexp.MustCompile(`(?i)^(pdf|epub|html|xml|full[- ]?text|download)\b[^()]*\(\s*\d+(\.\d+)?\s*[kmg]?b\s*\)$`),
		// Badges and breadcrumbs: "Review | Open Access".
		regexp.MustCompile(`^[^|]{1,40}(\s\|\s[^|]{1,40})+$`),
		// Disclaimers: "Note: Please note that ...".
		regexp.MustCompile(`(?i)^note\s*:`),
		// Widgets: "Submit Manuscript", "AI Chat Paper", "Chat more with AI".
		regexp.MustCompile(`(?i)^(submit (a |your )?manuscript|ai chat|chat (more )?with)\b`),
		// Author footnotes: "*These authors contributed equally".
		regexp.MustCompile(`^[*†‡§¶]`),
		// Icons and rules: "( )", "•", "———".
		regexp.MustCompile(`^[^\p{L}\p{N}]*$`),
		// Rows of links: "Google Scholar | Crossref", "Web of Science".
		regexp.MustCompile(`(?i)^((google scholar|crossref|pubmed|pmc|web of science|scopus|export citations?|download citations?|share|metrics|cited by( \d+)?|altmetric|open in new (tab|window))\s*[|/·•,]?\s*)+$`),
	}
	// Lines that end the reference list: publication history, the
	// suggested citation, licences, the page range of the issue.
	footerRe     = regexp.MustCompile(`(?i)^(cite this article|how to cite|(received|revised|accepted|published( online)?|available online)(\s*:\s*\S|\s+\d)|copyright\b|©|\(c\)\s*\d{4}|creative commons\b|this (work|article) is licensed|pages?\s+[a-z]?\d+\s*[-–—]\s*[a-z]?\d+$|volume\s+\d+)`)
	citeHeadRe   = regexp.MustCompile(`(?i)^(?:cite this article|how to cite(?: this article)?)\s*:?\s*(.*)$`)
	abstractHead = regexp.MustCompile(`(?i)^(abstract|summary)\s*[:.]?$`)
	abstractIn   = regexp.MustCompile(`(?i)^abstract\s*[:.—–-]\s*(\S.*)$`)
	refsHead     = regexp.MustCompile(`(?i)^(references?|reference list|bibliography|literature cited|works cited)\s*:?$`)
	structured   = regexp.MustCompile(`(?i)^(background|objectives?|purpose|aims?|methods?|materials and methods|results?|conclusions?|significance)\s*[:.]`)

	// A citation starts with an author in Vancouver ("Schaue D,"), APA
	// ("Smith, J. A.,") or IEEE ("J. Smith,") style.
	authorStartRe = regexp.MustCompile(`^(?:` +
		`(?:(?:` + particles + `)\s+)*\p{Lu}[\p{L}'’\-]*(?:\s+(?:` + particles + `|\p{Lu}[\p{L}'’\-]*)){0,3}\s+\p{Lu}{1,4}(?:\s\p{Lu}){0,2}(?:,|\.|\s+et\s+al|$)` +
		`|\p{Lu}[\p{L}'’\-]+(?:\s+\p{Lu}[\p{L}'’\-]+)?,\s+(?:\p{Lu}\.\s*(?:-\s*\p{Lu}\.\s*)?)+` +
		`|(?:\p{Lu}\.\s*(?:-\s*\p{Lu}\.\s*)?)+\s*\p{Lu}[\p{L}'’\-]+,` +
		`)`)
	particles   = `van|von|de|der|den|del|della|di|da|dos|du|le|la|al|el|bin|ten|ter`
	yearRe      = regexp.MustCompile(`\b(1[6-9]\d{2}|20\d{2})[a-z]?\b`)
	volPagesRe  = regexp.MustCompile(`\d+\s*(?:\([^()]{1,20}\))?\s*:\s*[A-Za-z]{0,6}\d+|\d+\s*\(\d+\)\s*,\s*\d+|\bpp?\.\s*\d+`)
	doiRe       = regexp.MustCompile(`10\.\d{4,9}/\S+`)
	urlRe       = regexp.MustCompile(`(?i)\bhttps?://\S+`)
	numberedRe  = regexp.MustCompile(`^(?:\[(\d{1,4})\]|\((\d{1,4})\)|(\d{1,4})[.)]|(\d{1,4})(?:\s|$))\s*(.*)$`)
	sentenceRe  = regexp.MustCompile(`\p{Ll}{2}[.!?]["”’)]?\s+["“(]?\p{Lu}`)
	sentenceEnd = regexp.MustCompile(`[.!?]["”’)]?$`)
	affilRe     = regexp.MustCompile(`(?i)\b(universit|department|dept\.|hospital|laborator|institut|college|school of|cent(er|re)\b|faculty|academy|clinic)`)

	authorSepRe  = regexp.MustCompile(`(?:\s*(?:[\p{No}0-9*†‡§¶#✉,;&]|\band\b)\s*)+`)
	authorMarkRe = regexp.MustCompile(`\p{L}[\p{No}0-9*†‡§¶#✉]`)
	parenRe      = regexp.MustCompile(`\([^()]*\)`)
	nameWordRe   = regexp.MustCompile(`^(?:\p{Lu}[\p{L}'’.\-]*|(?:` + particles + `))$`)

	citeTailRe = regexp.MustCompile(`^\s*[.?!]?\s*(.+?)\s*[,.;]\s*((?:1[6-9]|20)\d{2})\b`)
	citeAnyRe  = regexp.MustCompile(`(?:^|[.?!]\s+)([^.]+?)[,.;]\s+((?:1[6-9]|20)\d{2})\b`)
	copyYearRe = regexp.MustCompile(`(?i)^(?:©|\(c\)|copyright)\s*(?:©\s*)?((?:1[6-9]|20)\d{2})\b\s*(.*?)\.?$`)
	pagesRe    = regexp.MustCompile(`(?i)^pages?\s+[a-z]?\d+`)
	publRe     = regexp.MustCompile(`(?i)^published(?: online)?\b.*?\b((?:1[6-9]|20)\d{2})\b`)
)

// squash collapses runs of white space into single spaces and trims both
// ends, as strings.Fields splits and " " joins. Text that is squashed
// already, as stored references are, comes back as it is without being
// copied.
func squash(s string) string {
	if isSquashed(s) {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// isSquashed reports whether squash would return s unchanged: its only
// white space (unicode.IsSpace, as strings.Fields uses) is single ASCII
// spaces between other runes.
func isSquashed(s string) bool {
	if s == "" {
		return true
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' || strings.Contains(s, "  ") {
		return false
	}
	// What is left to rule out is other white space: ASCII control
	// bytes and multi-byte runes. Eight bytes at a time skip the common
	// case, printable ASCII, with one test.
	for i := 0; i < len(s); {
		if i+8 <= len(s) {
			x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
				uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
			// A byte below 0x20 borrows into its top bit, one from 0x80
			// has it set; a borrow only follows a byte that is flagged.
			if ((x-0x2020202020202020)|x)&0x8080808080808080 == 0 {
				i += 8
				continue
			}
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if '\t' <= c && c <= '\r' {
				return false
			}
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			return false
		}
		i += w
	}
	return true
}

func isNoise(s string) bool {
	for _, re := range noisePatterns {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// looksLikeCitation reports whether s reads like a reference entry: an
// author first, then a year, a volume and pages, or a DOI.
func looksLikeCitation(s string) bool {
	if len(s) < 20 || len(s) > 5000 || !authorStartRe.MatchString(s) {
		return false
	}
	return yearRe.MatchString(s) || volPagesRe.MatchString(s) || doiRe.MatchString(s)
}

// referenceish is the weaker test used for entries inside the reference
// list, where organisations and web sites can be authors.
func referenceish(s string) bool {
	return yearRe.MatchString(s) || volPagesRe.MatchString(s) || doiRe.MatchString(s) || urlRe.MatchString(s)
}

// numbered splits a printed reference number from the rest of the line.
func numbered(s string) (n int, rest string, ok bool) {
	m := numberedRe.FindStringSubmatch(s)
	if m == nil {
		return 0, "", false
	}
	for _, g := range m[1:5] {
		if g != "" {
			n, _ = strconv.Atoi(g)
		}
	}
	return n, m[5], n > 0
}

// isProse reports whether s reads as running text of at least minWords
// words rather than a list of names, affiliations or a citation.
func isProse(s string, minWords int) bool {
	if len(strings.Fields(s)) < minWords || startsCitation(s) {
		return false
	}
	if sentenceRe.MatchString(s) {
		return true
	}
	return sentenceEnd.MatchString(s) && !affilRe.MatchString(s)
}

func isTitleLike(s string) bool {
	n := len(strings.Fields(s))
	return n >= 1 && n <= 50 && len(s) <= 500 && strings.IndexFunc(s, unicode.IsLetter) >= 0 &&
		!startsCitation(s) && !strings.HasSuffix(s, ":")
}

// parseAuthorLine splits an author line such as "Chuanshi He1,*Ling Li1,*"
// or "Ann Lee, Bo Chen and Cy Wu" into names. Affiliation markers double as
// separators because page dumps glue the names together around them.
func parseAuthorLine(s string) ([]string, bool) {
	if len(s) > 5000 {
		return nil, false
	}
	s = parenRe.ReplaceAllString(s, " ")
	marked := authorMarkRe.MatchString(s)
	var names []string
	for _, part := range authorSepRe.Split(s, -1) {
		part = squash(part)
		if part == "" {
			continue
		}
		if !isName(part) {
			return nil, false
		}
		names = append(names, part)
	}
	if len(names) >= 2 || (len(names) == 1 && marked) {
		return names, true
	}
	return nil, false
}

func isName(s string) bool {
	words := strings.Fields(s)
	if len(words) < 2 || len(words) > 5 || affilRe.MatchString(s) {
		return false
	}
	capital := 0
	for _, w := range words {
		if !nameWordRe.MatchString(w) {
			return false
		}
		if r, _ := utf8.DecodeRuneInString(w); unicode.IsUpper(r) {
			capital++
		}
	}
	return capital >= 2
}

// parsePage does the work of ParsePageText except setting the id and
// validating. It also returns the line where each reference starts.
func parsePage(data []byte) (*Paper, []int, error) {
	fail := func(line int, field, format string, args ...any) error {
		return &ParseError{Format: FormatPageText, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if !utf8.Valid(data) {
		line := 1
		for i, l := range bytes.Split(data, []byte("\n")) {
			if !utf8.Valid(l) {
				line = i + 1
				break
			}
		}
		return nil, nil, fail(line, "", "invalid UTF-8")
	}
	lines, cite := classify(string(data))
	if len(lines) == 0 {
		return nil, nil, fail(0, "", "empty input")
	}
	blocks := group(lines)
	p := &Paper{}

	// Title and authors. The author line is the most recognisable part of
	// the header, so look for it and take the title from the line above;
	// that way unrecognised chrome before the title does no harm.
	var prev *pageLine
	var rest []block
	stop := lines[len(lines)-1].no
front:
	for bi, b := range blocks {
		if b.kind == kindAbstractHead || b.kind == kindRefsHead {
			stop = b.first()
			break
		}
		if b.kind != kindText {
			continue
		}
		for li := range b.lines {
			l := &b.lines[li]
			if names, ok := parseAuthorLine(l.text); ok && prev != nil && isTitleLike(prev.text) {
				p.Title, p.Authors = squash(prev.text), names
				rest = remainder(blocks, bi, li+1)
				break front
			}
			if isProse(l.text, 30) || startsCitation(l.text) {
				stop = l.no
				break front
			}
			prev = l
		}
	}
	if p.Title == "" {
		// No author line: fall back to the first title-like line.
		for bi, b := range blocks {
			if b.first() >= stop {
				break
			}
			if b.kind != kindText {
				continue
			}
			if li := indexFunc(b.lines, func(l pageLine) bool { return l.no < stop && isTitleLike(l.text) }); li >= 0 {
				p.Title = squash(b.lines[li].text)
				rest = remainder(blocks, bi, li+1)
				break
			}
		}
	}
	if p.Title == "" {
		if stop == lines[len(lines)-1].no {
			return nil, nil, fail(lines[0].no, "title", "not found: no title line on the page")
		}
		return nil, nil, fail(lines[0].no, "title", "not found: no title line before line %d", stop)
	}

	// Abstract: an explicit heading, or the first prose block.
	from := lines[len(lines)-1].no
	if len(rest) > 0 {
		from = rest[0].first()
	}
	abs, to := -1, lines[len(lines)-1].no
	sawHead := false
search:
	for k, b := range rest {
		switch b.kind {
		case kindAbstractHead:
			sawHead = true
		case kindRefsHead:
			to = b.first()
			break search
		case kindText:
			t := b.text()
			if m := abstractIn.FindStringSubmatch(t); m != nil {
				p.Abstract, abs = m[1], k
				break search
			}
			if sawHead {
				p.Abstract, abs = t, k
				break search
			}
			if startsCitation(b.text()) {
				to = b.first()
				break search
			}
			if isProse(t, 12) {
				p.Abstract, abs = t, k
				break search
			}
		}
	}
	if abs < 0 {
		return nil, nil, fail(from, "abstract", "not found: no abstract paragraph between line %d and line %d", from, to)
	}
	absFirst := rest[abs].first()
	if structured.MatchString(p.Abstract) {
		// Structured abstracts print one paragraph per section.
		sections := []string{p.Abstract}
		for abs+1 < len(rest) && rest[abs+1].kind == kindText && structured.MatchString(rest[abs+1].lines[0].text) {
			abs++
			sections = append(sections, rest[abs].text())
		}
		p.Abstract = strings.Join(sections, "\n")
	}

	// References: after a heading, or from the first citation-like block,
	// up to the footer.
	after := rest[abs].last()
	start, bodyEnd := -1, len(rest)
	for j := abs + 1; j < len(rest) && start < 0; j++ {
		switch b := rest[j]; b.kind {
		case kindRefsHead:
			start, bodyEnd = j+1, j
		case kindText:
			if first, ok := stripNumber(b.text()); looksLikeCitation(first) || (ok && referenceish(first)) {
				start, bodyEnd = j, j
			}
		}
	}
	var units []block
	if start >= 0 {
		for _, b := range rest[start:] {
			if b.kind == kindFooter {
				// A line glued to the footer, like the journal name above
				// "Pages 21-33", belongs to the footer unless it reads
				// like a reference.
				if n := len(units); n > 0 && units[n-1].last()+1 == b.first() {
					u := units[n-1]
					for len(u.lines) > 1 && !referenceish(u.lines[len(u.lines)-1].text) {
						u.lines = u.lines[:len(u.lines)-1]
					}
					units[n-1] = u
				}
				break
			}
			if b.kind == kindText {
				units = append(units, b)
			}
		}
	}
	refs, refLines, printed, last := splitReferences(units)
	if len(refs) == 0 {
		return nil, nil, fail(after, "references", "not found: no reference list between the abstract and line %d", lines[len(lines)-1].no)
	}
	p.References = refs
	p.Numbering = "order"
	if printed {
		p.Numbering = "printed"
	}
	for i := range p.References {
		p.References[i].DOI = findDOI(p.References[i].Text)
	}
	p.Body = pageBody(rest[abs+1:bodyEnd], p.HasReference)

	// Journal, year and DOI come from the header and the footer; the
	// abstract, any body text and the references are about other work.
	var outside []pageLine
	for _, l := range lines {
		if l.no < absFirst || l.no > last {
			outside = append(outside, l)
		}
	}
	p.Journal, p.Year = journalYear(p.Title, cite, outside)
	for _, l := range outside {
		if d := findDOI(l.text); d != "" {
			p.DOI = d
			break
		}
	}
	return p, refLines, nil
}

// startsCitation reports whether line reads like the first line of a
// reference, numbered or not.
func startsCitation(line string) bool {
	s, _ := stripNumber(line)
	return looksLikeCitation(s)
}

// stripNumber removes a printed reference number, if any.
func stripNumber(s string) (string, bool) {
	if _, rest, ok := numbered(s); ok {
		return rest, true
	}
	return s, false
}

func indexFunc(lines []pageLine, f func(pageLine) bool) int {
	for i, l := range lines {
		if f(l) {
			return i
		}
	}
	return -1
}

// remainder returns the blocks after line li of block bi.
func remainder(blocks []block, bi, li int) []block {
	var rest []block
	if li < len(blocks[bi].lines) {
		rest = append(rest, block{kind: blocks[bi].kind, lines: blocks[bi].lines[li:]})
	}
	return append(rest, blocks[bi+1:]...)
}

// classify splits text into non-blank lines with their kinds, and returns
// the suggested citation of the article itself, if the page prints one.
func classify(text string) ([]pageLine, string) {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	raw := strings.Split(text, "\n")
	var lines []pageLine
	cite := ""
	citeNext := false
	for i, r := range raw {
		// Squashing also turns no-break spaces, which pages use freely,
		// into plain ones that the patterns expect.
		t := squash(r)
		if t == "" {
			continue
		}
		l := pageLine{no: i + 1, text: t, kind: kindText}
		switch {
		case citeNext:
			// The line after a bare "Cite this article:" is the citation.
			l.kind, cite, citeNext = kindFooter, squash(t), false
		case abstractHead.MatchString(t):
			l.kind = kindAbstractHead
		case refsHead.MatchString(t):
			l.kind = kindRefsHead
		case footerRe.MatchString(t):
			l.kind = kindFooter
			if m := citeHeadRe.FindStringSubmatch(t); m != nil {
				if cite = squash(m[1]); cite == "" {
					citeNext = true
				}
			}
		case isNoise(t):
			l.kind = kindNoise
		}
		lines = append(lines, l)
	}
	return lines, cite
}

// group turns lines into blocks. Blank lines are already gone, so a block
// boundary is a gap in the line numbers or a line of another kind. A line
// that starts a citation also starts a block, so that pages copied without
// blank lines still have one block per reference and an abstract that ends
// where the references begin.
func group(lines []pageLine) []block {
	adjacent := func(i int) bool {
		return i > 0 && i < len(lines) && lines[i].kind == kindText && lines[i-1].kind == kindText && lines[i-1].no == lines[i].no-1
	}
	var blocks []block
	for i, l := range lines {
		switch {
		case l.kind == kindNoise:
		case l.kind != kindText:
			blocks = append(blocks, block{kind: l.kind, lines: []pageLine{l}})
		case adjacent(i) && len(blocks) > 0 && !startsCitation(l.text) &&
			// A reference wrapped before its year only reads as one
			// together with the next line; a sentence must end first.
			!(sentenceEnd.MatchString(lines[i-1].text) && adjacent(i+1) && startsCitation(l.text+" "+lines[i+1].text)):
			b := &blocks[len(blocks)-1]
			b.lines = append(b.lines, l)
		default:
			blocks = append(blocks, block{kind: kindText, lines: []pageLine{l}})
		}
	}
	return blocks
}

// splitReferences turns the blocks of the reference list into references,
// the line each starts on, whether the numbers were printed and the last
// line of the list. If the first entry carries a printed number the numbers
// are kept; otherwise entries are numbered in order.
func splitReferences(units []block) (refs []Reference, at []int, printed bool, end int) {
	if len(units) == 0 {
		return nil, nil, false, 0
	}
	_, _, printed = numbered(units[0].lines[0].text)
	// Drop what follows the last entry before the footer, such as the
	// journal name printed above "Pages 21-33".
	for len(units) > 0 {
		b := units[len(units)-1]
		if _, _, ok := numbered(b.lines[0].text); (printed && ok) || referenceish(b.text()) {
			break
		}
		units = units[:len(units)-1]
	}
	if len(units) == 0 {
		return nil, nil, false, 0
	}
	end = units[len(units)-1].last()
	if !printed {
		// group starts a block at each citation, so a block is one
		// reference, possibly wrapped over several lines.
		for _, b := range units {
			refs = append(refs, Reference{N: len(refs) + 1, Text: b.text()})
			at = append(at, b.first())
		}
		return refs, at, printed, end
	}
	var parts [][]string // the lines of each reference
	prev := 0
	for _, b := range units {
		for _, l := range b.lines {
			// A wrapped line can start with a number too ("2004 Apr; 4:
			// 437-47."), so a number starts an entry only if it is the
			// first, comes next, or skips a few before something that
			// reads like a reference.
			n, rest, ok := numbered(l.text)
			if ok && (len(refs) == 0 || n == prev+1 || (n > prev && n <= prev+10 && referenceish(rest))) {
				refs = append(refs, Reference{N: n})
				at = append(at, l.no)
				parts = append(parts, []string{rest})
				prev = n
				continue
			}
			parts[len(parts)-1] = append(parts[len(parts)-1], l.text)
		}
	}
	for i := range refs {
		refs[i].Text = squash(strings.Join(parts[i], " "))
	}
	return refs, at, printed, end
}

// findDOI returns the first DOI in s without the punctuation that ends the
// sentence around it.
func findDOI(s string) string {
	d := doiRe.FindString(s)
	for d != "" {
		last := d[len(d)-1]
		switch {
		case strings.IndexByte(".,;:]'\"", last) >= 0:
		case last == ')' && strings.Count(d, ")") > strings.Count(d, "("):
		default:
			return d
		}
		d = d[:len(d)-1]
	}
	return ""
}

// journalYear reads the journal and year from the article's suggested
// citation, falling back to the publication date, the copyright line and
// the journal name printed above the page range.
func journalYear(title, cite string, lines []pageLine) (journal string, year int) {
	if cite != "" {
		if i := strings.Index(strings.ToLower(cite), strings.ToLower(title)); i >= 0 && title != "" {
			if m := citeTailRe.FindStringSubmatch(cite[i+len(title):]); m != nil {
				journal, year = m[1], atoi(m[2])
			}
		}
		if journal == "" {
			if m := citeAnyRe.FindStringSubmatch(cite); m != nil {
				journal, year = strings.TrimSpace(m[1]), atoi(m[2])
			}
		}
	}
	for i, l := range lines {
		if m := publRe.FindStringSubmatch(l.text); m != nil && year == 0 {
			year = atoi(m[1])
		}
		if pagesRe.MatchString(l.text) && journal == "" && i > 0 && lines[i-1].kind == kindText && lines[i-1].no == l.no-1 {
			journal = lines[i-1].text
		}
	}
	for _, l := range lines {
		if m := copyYearRe.FindStringSubmatch(l.text); m != nil {
			if year == 0 {
				year = atoi(m[1])
			}
			if journal == "" {
				journal = strings.TrimSpace(m[2])
			}
		}
	}
	return squash(journal), year
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
