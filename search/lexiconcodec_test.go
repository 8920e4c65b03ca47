package search_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/search"
	"github.com/chatpaper/chatpaper/tokenize"
)

// TestLexiconBinaryRoundTrip checks that a decoded lexicon scores every
// question exactly as the one encoded (the pinned questions and one per
// term of the demo paper), lists the same postings for every term, and
// that every truncation of the stored form is an error.
func TestLexiconBinaryRoundTrip(t *testing.T) {
	t.Parallel()
	texts := demoTexts()
	lx := search.NewLexicon(texts, search.Robertson)
	b, err := lx.AppendBinary([]byte("prefix"))
	if err != nil {
		t.Fatal(err)
	}
	got, n, err := search.DecodeLexicon(b[len("prefix"):], search.Robertson)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(b)-len("prefix") {
		t.Errorf("decoded %d bytes of %d", n, len(b)-len("prefix"))
	}
	if got.Len() != lx.Len() || got.AvgLen() != lx.AvgLen() || got.Bytes() != lx.Bytes() {
		t.Errorf("decoded %d docs, avg %v, %d bytes; want %d, %v, %d", got.Len(), got.AvgLen(), got.Bytes(), lx.Len(), lx.AvgLen(), lx.Bytes())
	}
	questions := []string{}
	for q := range lexiconPins {
		questions = append(questions, q)
	}
	for _, text := range texts {
		for _, term := range tokenize.Terms(text) {
			if !slices.Equal(got.Postings(term), lx.Postings(term)) {
				t.Fatalf("postings of %q: %v, want %v", term, got.Postings(term), lx.Postings(term))
			}
		}
		questions = append(questions, strings.Join(strings.Fields(text)[:min(4, len(strings.Fields(text)))], " "))
	}
	for _, text := range questions {
		q := search.ParseQuery(text, search.QueryOptions{Rarity: true})
		if w, g := lx.Scores(q), got.Scores(q); !slices.Equal(w, g) {
			t.Fatalf("%q: decoded lexicon scores differ", text)
		}
	}
	stored := b[len("prefix"):]
	for cut := range len(stored) {
		if _, _, err := search.DecodeLexicon(stored[:cut], search.Robertson); err == nil {
			t.Fatalf("a stored lexicon cut to %d of %d bytes decoded", cut, len(stored))
		}
	}
	empty, err := search.NewLexicon(nil, search.Robertson).AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	if lx, _, err := search.DecodeLexicon(empty, search.Robertson); err != nil || lx.Len() != 0 {
		t.Errorf("empty lexicon: %v, %v", lx, err)
	}
}

// FuzzDecodeLexicon checks that no input makes DecodeLexicon panic, and
// that whatever it accepts answers queries and encodes again.
func FuzzDecodeLexicon(f *testing.F) {
	b, _ := search.NewLexicon([]string{"exosome release after irradiation", "uptake of exosomes", ""}, search.Robertson).AppendBinary(nil)
	f.Add(b)
	f.Add([]byte("LEX\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		lx, n, err := search.DecodeLexicon(b, search.Robertson)
		if err != nil {
			return
		}
		if n > len(b) {
			t.Fatalf("took %d of %d bytes", n, len(b))
		}
		lx.Scores(search.ParseQuery("exosome uptake", search.QueryOptions{}))
		if _, err := lx.AppendBinary(nil); err != nil {
			t.Fatal(err)
		}
	})
}
