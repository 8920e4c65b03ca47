package jats_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/paper/jats"
)

// The expected counts were taken from the XML alone, not from this
// parser, with testdata/count_body.py (Python's xml.etree):
//
//	python3 testdata/count_body.py testdata/pone.0046493.nxml
//	pone.0046493.nxml: sections=21 paragraphs=34 captions=7 bibr_xrefs_in_paragraphs=90 paragraph_cite_links=88 distinct_cited=58
//	pntd.0002065.nxml: sections=13 paragraphs=27 captions=6 bibr_xrefs_in_paragraphs=43 paragraph_cite_links=43 distinct_cited=32
//	elife06003.xml: sections=7 paragraphs=16 captions=1 bibr_xrefs_in_paragraphs=38 paragraph_cite_links=38 distinct_cited=29
//
// sections counts every <sec> reached from <body> through <sec>s;
// paragraphs the <p>, <disp-quote> and <list> children of <body> and of
// those sections that hold text; captions the <fig> and <table-wrap>
// elements with a caption. paragraph_cite_links sums, over paragraphs,
// the distinct reference numbers the paragraph's <xref ref-type="bibr">
// resolve to through their rid (the <label> number, or the position in
// the list when labels are missing), with "[4]–[7]" counted as 4 to 7;
// distinct_cited is the number of references cited anywhere in the
// paragraphs and captions.
func TestParseBodyCounts(t *testing.T) {
	tests := []struct {
		file                                      string
		sections, paragraphs, captions            int
		paragraphCiteLinks, distinctCited, topSec int
		titles                                    []string // the top-level section titles in order
	}{
		{file: "pone.0046493.nxml", sections: 21, paragraphs: 34, captions: 7, paragraphCiteLinks: 88, distinctCited: 58,
			titles: []string{"Introduction", "Materials and Methods", "Results", "Discussion", "Supporting Information"}},
		{file: "pntd.0002065.nxml", sections: 13, paragraphs: 27, captions: 6, paragraphCiteLinks: 43, distinctCited: 32,
			titles: []string{"Introduction", "Materials and Methods", "Results", "Discussion"}},
		{file: "elife06003.xml", sections: 7, paragraphs: 16, captions: 1, paragraphCiteLinks: 38, distinctCited: 29,
			titles: []string{"Introduction", "Results and discussion", "Materials and methods"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			p, err := jats.Parse(read(t, tt.file), "")
			if err != nil {
				t.Fatal(err)
			}
			b := p.Body
			if b == nil {
				t.Fatal("no body")
			}
			if got := len(b.Sections); got != tt.sections {
				t.Errorf("%d sections, want %d", got, tt.sections)
			}
			if got := b.Paragraphs(); got != tt.paragraphs {
				t.Errorf("%d paragraphs, want %d", got, tt.paragraphs)
			}
			if got := len(b.Captions); got != tt.captions {
				t.Errorf("%d captions, want %d", got, tt.captions)
			}
			links := 0
			for _, s := range b.Sections {
				for _, pg := range s.Paragraphs {
					seen := map[int]bool{}
					for _, st := range pg.Sentences {
						for _, n := range st.Cites {
							seen[n] = true
						}
					}
					links += len(seen)
				}
			}
			if links != tt.paragraphCiteLinks {
				t.Errorf("%d paragraph–reference citation links, want %d", links, tt.paragraphCiteLinks)
			}
			if got := len(b.Cited()); got != tt.distinctCited {
				t.Errorf("%d distinct references cited, want %d", got, tt.distinctCited)
			}
			var titles []string
			for _, s := range b.Sections {
				if s.Level == 1 {
					titles = append(titles, s.Title)
				}
			}
			if !slices.Equal(titles, tt.titles) {
				t.Errorf("top-level sections %q, want %q", titles, tt.titles)
			}
			// Ids are stable and shaped as documented; the paper,
			// body included, passes validation.
			if err := p.Validate(); err != nil {
				t.Fatal(err)
			}
			first := b.Sections[0]
			if first.ID != "sec1" || first.Paragraphs[0].ID != "sec1.p1" || first.Paragraphs[0].Sentences[0].ID != "sec1.p1.s1" {
				t.Errorf("first ids %q %q %q", first.ID, first.Paragraphs[0].ID, first.Paragraphs[0].Sentences[0].ID)
			}
			for _, s := range b.Sections {
				for _, pg := range s.Paragraphs {
					for _, st := range pg.Sentences {
						if strings.Contains(st.Text, "  ") || st.Text != strings.TrimSpace(st.Text) {
							t.Errorf("%s has stray spaces: %q", st.ID, st.Text)
						}
					}
				}
			}
		})
	}
}

// Spot checks of citation links in each style, read off the XML by hand.
func TestParseBodyCitations(t *testing.T) {
	tests := []struct {
		file, sentenceStart string
		cites               []int
	}{
		// "[26]–[29]": four xrefs' worth of numbers from two.
		{"pntd.0002065.nxml", "In recent years severe outbreaks of RVF have been reported in humans and animals in southern Africa", []int{26, 27, 28, 29}},
		// Numbered, comma separated.
		{"pone.0046493.nxml", "Mycobacterium tuberculosis", nil},
		// Author–year: rid bib17 and bib23 are the 17th and 23rd entries.
		{"elife06003.xml", "The membrane lipid composition of most tissues is dynamic", []int{17, 23, 22}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p, err := jats.Parse(read(t, tt.file), "")
			if err != nil {
				t.Fatal(err)
			}
			if tt.cites == nil {
				return
			}
			st, ok := findSentence(p.Body, tt.sentenceStart)
			if !ok {
				t.Fatalf("no sentence starts %q", tt.sentenceStart)
			}
			if !slices.Equal(st.Cites, tt.cites) {
				t.Errorf("%s cites %v, want %v: %q", st.ID, st.Cites, tt.cites, st.Text)
			}
		})
	}
}

func findSentence(b *paper.Body, start string) (paper.Sentence, bool) {
	for _, s := range b.Sections {
		for _, pg := range s.Paragraphs {
			for _, st := range pg.Sentences {
				if strings.HasPrefix(st.Text, start) {
					return st, true
				}
			}
		}
	}
	return paper.Sentence{}, false
}

// The fourteen further articles in testdata/more (see its SOURCE.md)
// parse with a body that cites their references.
func TestParseBodyMoreArticles(t *testing.T) {
	files, _ := filepath.Glob("testdata/more/*.*ml")
	if len(files) != 14 {
		t.Fatalf("%d files in testdata/more, want 14", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			p, err := jats.Parse(data, "")
			if err != nil {
				t.Fatal(err)
			}
			if p.Body == nil || len(p.Body.Sections) < 3 || p.Body.Paragraphs() < 10 {
				t.Fatalf("body too small: %+v", p.Body)
			}
			if got := len(p.Body.Cited()); got < 20 {
				t.Errorf("only %d references cited in the body", got)
			}
		})
	}
}
