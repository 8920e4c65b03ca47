// Package jats reads articles in JATS XML (NISO Z39.96, the format PubMed
// Central and most journal platforms publish) into ChatPaper papers: the
// title, contributors, abstract (and a Chinese translated abstract when
// present), DOI, the reference list in document order, each reference
// rendered as one readable line, and the body: sections, paragraphs,
// figure and table captions, and every in-text citation resolved to the
// reference numbers it cites (see body.go for what is read and what is
// skipped).
package jats

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/chatpaper/chatpaper/paper"
)

// Format is the name of this format in errors and results.
const Format = "jats"

// Parse reads one JATS <article>. The paper gets id, or when id is empty
// an id made from the article's DOI ("10.1371/x.y" becomes
// "10.1371_x.y"). References keep their printed <label> numbers with
// Numbering "printed" when every reference has a distinct numeric label,
// and are numbered 1..N in document order with Numbering "order"
// otherwise (author–year journals such as eLife). Parse reads the XML
// leniently (HTML entities, no DTD) and only the main article: the front
// matter of sub-articles such as decision letters is ignored. Every error
// it returns matches paper.ErrInvalid and is a *paper.ParseError.
func Parse(data []byte, id string) (*paper.Paper, error) {
	root, err := parseTree(data)
	if err != nil {
		return nil, &paper.ParseError{Format: Format, Msg: "malformed XML: " + err.Error(), Err: err}
	}
	art := root.child("article")
	if art == nil {
		return nil, &paper.ParseError{Format: Format, Field: "article", Msg: "no <article> element at the top level"}
	}
	front := art.child("front")
	meta := front.child("article-meta")
	if meta == nil {
		return nil, &paper.ParseError{Format: Format, Field: "front/article-meta", Msg: "is missing"}
	}
	p := &paper.Paper{
		Title:   meta.path("title-group", "article-title").textOr(),
		Journal: journalTitle(front.child("journal-meta")),
		DOI:     articleDOI(meta),
		Year:    pubYear(meta),
		Authors: authors(meta),
	}
	for _, tg := range meta.path("title-group").children("trans-title-group") {
		if isZh(tg.attr("lang")) {
			p.TitleZh = tg.child("trans-title").textOr()
		}
	}
	p.Abstract, p.AbstractZh = abstracts(meta)
	var refIDs map[string]int
	p.References, p.Numbering, refIDs = references(art.child("back"))
	p.Body = readBody(art.child("body"), refIDs, p.HasReference)
	p.ID = strings.TrimSpace(id)
	if p.ID == "" {
		p.ID = IDFromDOI(p.DOI)
	}
	if p.ID == "" {
		return nil, &paper.ParseError{Format: Format, Field: "id", Msg: "no id given and the article has no DOI to make one from"}
	}
	if err := p.Validate(); err != nil {
		return nil, validationError(Format, err)
	}
	return p, nil
}

// validationError wraps a validation failure as a parse error.
func validationError(format string, err error) error {
	pe := &paper.ParseError{Format: format, Msg: err.Error(), Err: err}
	if ve, ok := err.(*paper.ValidationError); ok {
		pe.Field, pe.Msg = ve.Field, ve.Msg
	}
	return pe
}

var idUnsafe = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// IDFromDOI turns a DOI into a paper id: characters an id cannot hold
// become "_", and the result is cut to 128 characters. It returns "" for
// an empty DOI.
func IDFromDOI(doi string) string {
	doi = strings.TrimSpace(doi)
	for _, p := range []string{"https://doi.org/", "http://dx.doi.org/", "doi:"} {
		doi = strings.TrimPrefix(doi, p)
	}
	id := strings.Trim(idUnsafe.ReplaceAllString(doi, "_"), "._-")
	if len(id) > 128 {
		id = strings.TrimRight(id[:128], "._-")
	}
	return id
}

// textOr returns n's reading text, or "" for a nil node.
func (n *node) textOr() string {
	if n == nil {
		return ""
	}
	return n.text()
}

func isZh(lang string) bool {
	lang = strings.ToLower(lang)
	return lang == "zh" || strings.HasPrefix(lang, "zh-") || strings.HasPrefix(lang, "zh_")
}

func journalTitle(jm *node) string {
	if t := jm.path("journal-title-group", "journal-title"); t != nil {
		return t.text()
	}
	return jm.child("journal-title").textOr()
}

func articleDOI(meta *node) string {
	for _, id := range meta.children("article-id") {
		if id.attr("pub-id-type") == "doi" {
			return id.text()
		}
	}
	return ""
}

// pubYear prefers the publication date of record (epub, ppub or
// date-type "pub") over collection and other dates.
func pubYear(meta *node) int {
	year := 0
	for _, d := range meta.children("pub-date") {
		y, _ := strconv.Atoi(d.child("year").textOr())
		if y <= 0 || y > 3000 {
			continue
		}
		switch d.attr("pub-type") + d.attr("date-type") {
		case "epub", "ppub", "pub":
			return y
		}
		if year == 0 {
			year = y
		}
	}
	return year
}

func authors(meta *node) []string {
	var out []string
	for _, cg := range meta.children("contrib-group") {
		for _, c := range cg.children("contrib") {
			if t := c.attr("contrib-type"); t != "" && t != "author" {
				continue
			}
			if s := personName(c); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// personName renders a contributor as "Given Surname", or its collab or
// string-name text.
func personName(c *node) string {
	if n := c.child("name"); n != nil {
		return squash(n.child("given-names").textOr() + " " + n.child("surname").textOr())
	}
	if n := c.child("string-name"); n != nil {
		return n.text()
	}
	return c.child("collab").textOr()
}

// abstracts returns the main abstract and the Chinese one. The main
// abstract is the first <abstract> without an abstract-type (author
// summaries, eLife digests and teasers are not the abstract), else the
// first one.
func abstracts(meta *node) (en, zh string) {
	var main *node
	for _, a := range meta.children("abstract") {
		if isZh(a.attr("lang")) {
			if zh == "" {
				zh = abstractText(a)
			}
			continue
		}
		if main == nil || (main.attr("abstract-type") != "" && a.attr("abstract-type") == "") {
			if main == nil || main.attr("abstract-type") != "" {
				main = a
			}
		}
	}
	if main != nil {
		en = abstractText(main)
	}
	for _, a := range meta.children("trans-abstract") {
		if isZh(a.attr("lang")) && zh == "" {
			zh = abstractText(a)
		}
	}
	return en, zh
}

// abstractText renders an abstract as paragraphs separated by newlines.
// Structured abstracts keep their section titles ("Background: ...").
// eLife's trailing "DOI: ..." paragraph is dropped.
func abstractText(a *node) string {
	var paras []string
	var walk func(n *node, prefix string, depth int)
	walk = func(n *node, prefix string, depth int) {
		if depth > maxDepth {
			return
		}
		for _, k := range n.kids {
			switch k.name {
			case "p":
				t := k.text()
				if t == "" || strings.HasPrefix(t, "DOI:") {
					continue
				}
				paras = append(paras, prefix+t)
				prefix = ""
			case "sec":
				title := k.child("title").textOr()
				pre := ""
				if title != "" {
					pre = strings.TrimRight(title, ":.") + ": "
				}
				walk(k, pre, depth+1)
			case "list":
				if t := k.text(); t != "" {
					paras = append(paras, prefix+t)
					prefix = ""
				}
			}
		}
	}
	walk(a, "", 0)
	if len(paras) == 0 {
		// Some abstracts are bare text without <p>.
		return a.text()
	}
	return strings.Join(paras, "\n")
}

var labelRe = regexp.MustCompile(`^\[?\(?(\d{1,6})[.\])]?$`)

// references reads back/ref-list (and ref-lists nested in it) in document
// order. It also returns the number each <ref id> was given, for
// resolving in-text citations.
func references(back *node) ([]paper.Reference, string, map[string]int) {
	var refs []paper.Reference
	var labels []int
	var ids []string
	printed := true
	seen := map[int]bool{}
	for _, list := range back.find("ref-list") {
		for _, r := range list.find("ref") {
			text, doi := refText(r)
			if text == "" {
				continue
			}
			n := 0
			if m := labelRe.FindStringSubmatch(r.child("label").textOr()); m != nil {
				n, _ = strconv.Atoi(m[1])
			}
			if n <= 0 || seen[n] {
				printed = false
			}
			seen[n] = true
			labels = append(labels, n)
			ids = append(ids, r.attr("id"))
			refs = append(refs, paper.Reference{N: len(refs) + 1, Text: text, DOI: doi})
		}
	}
	if len(refs) == 0 {
		return nil, "", nil
	}
	numbering := "order"
	if printed {
		numbering = "printed"
		for i := range refs {
			refs[i].N = labels[i]
		}
	}
	byID := make(map[string]int, len(refs))
	for i, id := range ids {
		if id != "" {
			byID[id] = refs[i].N
		}
	}
	return refs, numbering, byID
}

// refText renders a <ref>'s citation as one line and returns its DOI.
func refText(r *node) (string, string) {
	for _, k := range r.kids {
		switch k.name {
		case "mixed-citation", "citation":
			if !hasText(k) && hasFields(k) {
				// Marked up like an element-citation, without the
				// punctuation: render it from its fields.
				return tidyCitation(elementCitation(k))
			}
			return tidyCitation(mixedCitation(k))
		case "element-citation", "nlm-citation":
			return tidyCitation(elementCitation(k))
		}
	}
	// A <ref> with the text directly inside.
	return tidyCitation(mixedCitation(r))
}

// hasFields reports whether a citation is marked up field by field: it
// has authors and a title or source element.
func hasFields(c *node) bool {
	who := len(c.children("person-group")) > 0 || len(c.children("name")) > 0 || len(c.children("collab")) > 0
	what := c.child("article-title") != nil || c.child("source") != nil
	return who && what
}

var (
	spaceBeforePunct = regexp.MustCompile(`\s+([,;:.)\]])`)
	spaceAfterOpen   = regexp.MustCompile(`([(\[])\s+`)
	doubledPeriod    = regexp.MustCompile(`([.?!])(?:\s*\.)+`)
)

// tidyCitation removes the stray spaces and doubled periods that
// publishers' markup leaves in rendered citations ("Baton LA , Smith K .
// Title. . Source").
func tidyCitation(text, doi string) (string, string) {
	text = spaceBeforePunct.ReplaceAllString(text, "$1")
	text = spaceAfterOpen.ReplaceAllString(text, "$1")
	text = doubledPeriod.ReplaceAllString(text, "$1")
	return squash(text), doi
}

// hasText reports whether n has non-blank text between its children.
func hasText(n *node) bool {
	for _, k := range n.kids {
		if k.name == "" && strings.TrimSpace(k.data) != "" {
			return true
		}
	}
	return false
}

var doiRe = regexp.MustCompile(`\b10\.\d{4,9}/\S+`)

// mixedCitation renders a citation whose punctuation is in the text
// between its elements. Where the publisher left none (PLOS writes
// </article-title><source>), a period or a space is supplied. PubMed ids
// are dropped; a DOI is written as "doi:10...".
func mixedCitation(c *node) (string, string) {
	var b strings.Builder
	doi := ""
	var prev string // name of the element just written, "" after text
	for _, k := range c.kids {
		if k.name == "" {
			b.WriteString(k.data)
			if strings.TrimSpace(k.data) != "" {
				prev = ""
			}
			continue
		}
		switch k.name {
		case "label", "object-id", "annotation":
			continue
		case "pub-id":
			if k.attr("pub-id-type") == "doi" {
				doi = k.text()
				if lower := strings.ToLower(strings.TrimRight(b.String(), " ")); !strings.HasSuffix(lower, "doi:") && !strings.HasSuffix(lower, "doi.org/") {
					sep(&b, "article-title")
					b.WriteString("doi:")
				}
				b.WriteString(doi)
				prev = k.name
			}
			continue
		case "ext-link":
			if doi == "" && k.attr("ext-link-type") == "doi" {
				doi = strings.TrimPrefix(k.text(), "https://doi.org/")
			}
		}
		t := elemText(k)
		if t == "" {
			continue
		}
		if prev != "" {
			sep(&b, prev)
		}
		b.WriteString(t)
		prev = k.name
	}
	text := squash(b.String())
	if doi == "" {
		doi = trimDOI(doiRe.FindString(text))
	}
	return text, doi
}

// elemText renders one element inside a citation.
func elemText(k *node) string {
	switch k.name {
	case "name":
		return squash(k.child("surname").textOr() + " " + k.child("given-names").textOr() + " " + k.child("suffix").textOr())
	case "etal":
		if t := k.text(); t != "" {
			return t
		}
		return "et al."
	case "person-group":
		return people(k)
	}
	return k.text()
}

// sep writes the separator due after an element of kind prev when the
// publisher wrote none: a period after titles, else a space.
func sep(b *strings.Builder, prev string) {
	s := strings.TrimRight(b.String(), " ")
	if s == "" {
		return
	}
	last := s[len(s)-1]
	switch prev {
	case "article-title", "chapter-title", "data-title", "part-title", "person-group", "collab", "comment":
		if !strings.ContainsRune(".?!:;,", rune(last)) {
			b.WriteString(".")
		}
	}
	if last != ' ' {
		b.WriteString(" ")
	}
}

// people renders a person-group's names as "Surname Given, Surname Given".
func people(g *node) string {
	var names []string
	for _, k := range g.kids {
		switch k.name {
		case "name", "collab", "string-name", "etal":
			if t := elemText(k); t != "" {
				names = append(names, t)
			}
		}
	}
	return strings.Join(names, ", ")
}

// elementCitation renders a citation that has fields but no punctuation
// in the house style of PLOS: "Authors (Year) Title. Source Volume(Issue):
// First–Last. Publisher. doi:DOI".
func elementCitation(c *node) (string, string) {
	field := func(name string) string { return c.child(name).textOr() }
	var parts []string
	var who []string
	for _, k := range c.kids {
		switch k.name {
		case "person-group":
			if t := k.attr("person-group-type"); t == "" || t == "author" {
				if s := people(k); s != "" {
					who = append(who, s)
				}
			}
		case "name", "collab", "string-name", "etal":
			if s := elemText(k); s != "" {
				who = append(who, s)
			}
		}
	}
	if len(who) == 0 {
		// An edited book without authors is cited by its editors.
		for _, k := range c.children("person-group") {
			if k.attr("person-group-type") == "editor" {
				if s := people(k); s != "" {
					who = append(who, s+", editors")
				}
			}
		}
	}
	head := strings.Join(who, ", ")
	if y := field("year"); y != "" {
		head = squash(head + " (" + y + ")")
	}
	if head != "" {
		parts = append(parts, head)
	}
	addSentence := func(s string) {
		if s = strings.TrimSpace(s); s == "" {
			return
		}
		if !strings.ContainsRune(".?!", rune(s[len(s)-1])) {
			s += "."
		}
		parts = append(parts, s)
	}
	title := field("article-title")
	if title == "" {
		title = field("chapter-title")
	}
	if title == "" {
		title = field("data-title")
	}
	addSentence(title)
	src := field("source")
	if v := field("volume"); v != "" {
		src = squash(src + " " + v)
	}
	if is := field("issue"); is != "" {
		src += "(" + is + ")"
	}
	pages := field("fpage")
	if lp := field("lpage"); lp != "" && pages != "" {
		pages += "–" + lp
	}
	if pages == "" {
		pages = field("elocation-id")
	}
	if pages != "" {
		if src != "" {
			src += ": " + pages
		} else {
			src = pages
		}
	}
	addSentence(src)
	if e := field("edition"); e != "" {
		addSentence(e)
	}
	pub := field("publisher-name")
	if loc := field("publisher-loc"); loc != "" {
		if pub != "" {
			pub = loc + ": " + pub
		} else {
			pub = loc
		}
	}
	addSentence(pub)
	addSentence(field("comment"))
	if u := c.child("ext-link"); u != nil && field("comment") == "" {
		addSentence(u.text())
	}
	doi := ""
	for _, id := range c.children("pub-id") {
		if id.attr("pub-id-type") == "doi" {
			doi = id.text()
		}
	}
	if doi != "" {
		parts = append(parts, "doi:"+doi)
	}
	return squash(strings.Join(parts, " ")), doi
}

// trimDOI drops the sentence punctuation a DOI found in text ends with.
func trimDOI(d string) string {
	return strings.TrimRight(d, ".,;:)]")
}

// FragmentText renders a JATS fragment, such as the "abstract" of a
// Crossref record (<jats:p>…</jats:p>, sometimes led by a
// <jats:title>Abstract</jats:title>), as reading text with one paragraph
// per line. Text that is not well-formed XML is returned with its tags
// removed rather than refused.
func FragmentText(s string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	root, err := parseTree([]byte("<fragment>" + s + "</fragment>"))
	if err != nil || root.child("fragment") == nil {
		return squash(tagRe.ReplaceAllString(s, " "))
	}
	return abstractText(root.child("fragment"))
}

var tagRe = regexp.MustCompile(`<[^>]*>`)
