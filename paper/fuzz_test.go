package paper_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/chatpaper/chatpaper/paper"
)

// seedFiles adds every testdata file matching pattern to the corpus.
func seedFiles(f *testing.F, pattern string) {
	f.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

func FuzzParseJSON(f *testing.F) {
	seedFiles(f, "*.json")
	f.Add(canonicalJSON(f, paper.Demo()))
	for _, s := range []string{validJSON, bodyJSON, `{"id":"p","title":"T","abstract":"A","references":[{"n":1,"text":"x","doi":"10.1/x"}]}`, `{"n":`, `[]`, `null`, `{"year":1e999}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := paper.ParseJSON(data)
		if err != nil {
			if !errors.Is(err, paper.ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("parsed paper fails validation: %v", err)
		}
		// Compare encodings rather than values: "authors": [] and a
		// missing "authors" are the same paper.
		enc := canonicalJSON(t, p)
		again, err := paper.ParseJSON(enc)
		if err != nil {
			t.Fatalf("re-parsing the encoded paper: %v", err)
		}
		if got := canonicalJSON(t, again); !bytes.Equal(got, enc) {
			t.Fatalf("paper changed in a JSON round trip:\n%s\n%s", enc, got)
		}
	})
}

func FuzzParsePageText(f *testing.F) {
	seedFiles(f, "*.page.txt")
	f.Add([]byte("Title\n\nAnn Lee1, Bo Chen2\n\nAbstract\nShort.\n\nReferences\n[1] Gray LH. Oxygen. Br J Radiol. 1953; 26: 638-48.\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := paper.ParsePageText(data, "fuzz")
		if err != nil {
			if !errors.Is(err, paper.ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("parsed paper fails validation: %v", err)
		}
		if p.Title == "" || p.Abstract == "" || len(p.References) == 0 {
			t.Fatalf("parse succeeded without title, abstract or references: %+v", p)
		}
		if _, err := paper.ParseJSON(canonicalJSON(t, p)); err != nil {
			t.Fatalf("the parsed paper does not survive JSON: %v", err)
		}
	})
}

// FuzzFindMarks checks the in-text citation reader: marks lie inside the
// text, in order, and cite only numbers that exist; sentences split from
// them cover the text's words.
func FuzzFindMarks(f *testing.F) {
	for _, s := range []string{"Shown before [12] and in [3–6].", "Dose³⁻⁵ varies.¹˒² Next.", "12 cm² [2, 5-7; 9]", "[99999999999]", "¹⁻⁹⁹⁹⁹"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		has := func(n int) bool { return n >= 1 && n <= 40 }
		text = strings.Join(strings.Fields(text), " ")
		marks := paper.FindMarks(text, has)
		prev := -1
		for _, m := range marks {
			if m.Start < 0 || m.End > len(text) || m.Start >= m.End || m.Start < prev {
				t.Fatalf("mark %+v out of place in %q", m, text)
			}
			prev = m.Start
			for _, n := range m.Refs {
				if !has(n) {
					t.Fatalf("mark %+v cites unknown %d", m, n)
				}
			}
		}
		// The sentences hold the text's characters, each once, in order,
		// and split no word, where a Chinese sentence's end (and the
		// quotes or bracket closing it) also ends a word: "好！再见" is two
		// sentences with no space between them.
		words := func(s string) int {
			return len(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune("。！？；”\"）", r) }))
		}
		var held strings.Builder
		n := 0
		for _, s := range paper.SplitCited(text, marks) {
			held.WriteString(strings.Join(strings.Fields(s.Text), ""))
			n += words(s.Text)
		}
		if want := strings.Join(strings.Fields(text), ""); held.String() != want {
			t.Fatalf("sentences hold %q, text %q", held.String(), want)
		}
		if n != words(text) {
			t.Fatalf("sentences hold %d words, text %d: %q", n, words(text), text)
		}
	})
}
