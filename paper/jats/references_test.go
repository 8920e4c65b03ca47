package jats_test

import (
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/paper/crossref"
	"github.com/chatpaper/chatpaper/paper/jats"
)

// noSpace removes white space so that fields compare whatever spacing
// the renderer chose between inline elements.
func noSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

var (
	refElemRe  = regexp.MustCompile(`(?s)<ref\b[^>]*>(.*?)</ref>`)
	tagRe      = regexp.MustCompile(`<[^>]*>`)
	bareInit   = regexp.MustCompile(`^\p{Lu}\.?$`)
	volPageRe  = regexp.MustCompile(`^[\p{L}.&' -]*\d+\s*(?:\([^()]*\))?\s*[:;,]\s*[A-Za-z]?\d+(?:\s*[–-]\s*[A-Za-z]?\d+)?\.?$`)
	labelTitle = regexp.MustCompile(`“(.*)”$`)
)

var fieldRe = map[string]*regexp.Regexp{}

func init() {
	for _, name := range []string{"article-title", "chapter-title", "surname", "source"} {
		fieldRe[name] = regexp.MustCompile(`(?s)<` + name + `\b[^>]*>(.*?)</` + name + `>`)
	}
}

// field returns the text of the first <name> element in a <ref>'s XML,
// read independently of the parser: tags stripped, entities decoded.
func field(xml, name string) string {
	m := fieldRe[name].FindStringSubmatch(xml)
	if m == nil {
		return ""
	}
	return strings.Join(strings.Fields(html.UnescapeString(tagRe.ReplaceAllString(m[1], " "))), " ")
}

// checkReadable fails when a rendered reference or its label is a bare
// initial, a lone journal name or a volume/page string, or lacks the
// first author, the title or the source its record holds.
func checkReadable(t *testing.T, name string, r paper.Reference, surname, title, source string) {
	t.Helper()
	text := r.Text
	if len(strings.Fields(text)) < 3 || bareInit.MatchString(text) || volPageRe.MatchString(text) {
		t.Errorf("%s ref %d renders as %q", name, r.N, text)
	}
	for what, want := range map[string]string{"first author": surname, "title": title, "source": source} {
		if want != "" && !strings.Contains(noSpace(text), noSpace(want)) {
			t.Errorf("%s ref %d lacks its %s %q: %q", name, r.N, what, want, text)
		}
	}
	for _, lang := range []string{paper.LangEN, paper.LangZH} {
		label := paper.ReferenceLabel(text, lang)
		if surname != "" && !strings.Contains(label, surname) && !strings.Contains(label, strings.Fields(surname)[0]) {
			t.Errorf("%s ref %d label %q lacks the first author %q (from %q)", name, r.N, label, surname, text)
		}
		lt := ""
		if m := labelTitle.FindStringSubmatch(label); m != nil {
			lt = m[1]
		} else if i := strings.Index(label, "《"); i >= 0 {
			lt = strings.TrimSuffix(label[i+len("《"):], "》")
		} else {
			// No author and title told apart: the label is the entry
			// itself, shortened, which carries all of it.
			if !strings.HasPrefix(text, strings.TrimSuffix(label, "…")) {
				t.Errorf("%s ref %d label %q is neither author and title nor the entry %q", name, r.N, label, text)
			}
			continue
		}
		lt = strings.TrimRight(strings.TrimSuffix(lt, "…"), ".?!")
		if bareInit.MatchString(lt) || volPageRe.MatchString(lt) || (title != "" && source != "" && noSpace(lt) == noSpace(source)) {
			t.Errorf("%s ref %d label %q names the work as %q (from %q)", name, r.N, label, lt, text)
		}
		if want := title; want == "" && source != "" && !strings.Contains(text, "("+source) {
			_ = want // books name themselves by their source; nothing to compare
		} else if want != "" && !strings.HasPrefix(noSpace(want), noSpace(lt)) && !strings.HasPrefix(noSpace(lt), noSpace(want)) {
			t.Errorf("%s ref %d label %q does not carry the title %q", name, r.N, label, want)
		}
	}
}

// Every reference of every JATS and Crossref file in testdata (the three
// articles here, the fourteen in testdata/more, the Crossref records in
// ../crossref/testdata) renders with its first author, title and source,
// and its label names the work by author and title.
func TestReferencesReadable(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("testdata/*.*ml")
	more, _ := filepath.Glob("testdata/more/*.*ml")
	files = append(files, more...)
	if len(files) != 17 {
		t.Fatalf("%d JATS files, want 17", len(files))
	}
	total := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p, err := jats.Parse(data, "x")
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		back := string(data)
		if i := strings.Index(back, "<ref-list"); i >= 0 {
			back = back[i:]
		}
		elems := refElemRe.FindAllStringSubmatch(back, -1)
		if len(elems) != len(p.References) {
			t.Fatalf("%s: %d <ref> elements, %d references", f, len(elems), len(p.References))
		}
		for i, r := range p.References {
			x := elems[i][1]
			title := field(x, "article-title")
			if title == "" {
				title = field(x, "chapter-title")
			}
			checkReadable(t, filepath.Base(f), r, field(x, "surname"), title, field(x, "source"))
			total++
		}
	}
	cr, _ := filepath.Glob("../crossref/testdata/*.json")
	if len(cr) != 2 {
		t.Fatalf("%d Crossref files, want 2", len(cr))
	}
	for _, f := range cr {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p, err := crossref.Parse(data, "x")
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var w struct {
			Message struct {
				Reference []map[string]any `json:"reference"`
			} `json:"message"`
		}
		if err := json.Unmarshal(data, &w); err != nil {
			t.Fatal(err)
		}
		if len(w.Message.Reference) != len(p.References) {
			t.Fatalf("%s: %d deposited, %d references", f, len(w.Message.Reference), len(p.References))
		}
		for i, r := range p.References {
			get := func(k string) string { s, _ := w.Message.Reference[i][k].(string); return s }
			src := get("journal-title")
			if src == "" {
				src = get("volume-title")
			}
			checkReadable(t, filepath.Base(f), r, get("author"), get("article-title"), src)
			total++
		}
	}
	if total < 1400 {
		t.Errorf("checked %d references, want every one of the ~1400", total)
	}
}
