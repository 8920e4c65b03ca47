package search_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/search"
	"github.com/chatpaper/chatpaper/tokenize"
)

// TestLexiconBinaryRoundTrip checks that a decoded lexicon scores every
// question exactly as the one encoded (the pinned questions and one per
// term of the demo paper), lists the same postings for every term, and
// that every truncation of the stored form is an error: both when the
// form is at a 4-byte boundary (decoded in place on little-endian hosts)
// and when it is not (copied).
func TestLexiconBinaryRoundTrip(t *testing.T) {
	t.Parallel()
	texts := demoTexts()
	lx := search.NewLexicon(texts, search.Robertson)
	for _, prefix := range []string{"pref", "prefix"} {
		t.Run(prefix, func(t *testing.T) {
			t.Parallel()
			roundTrip(t, texts, lx, prefix)
		})
	}
}

func roundTrip(t *testing.T, texts []string, lx *search.Lexicon, prefix string) {
	b, err := lx.AppendBinary(append(make([]byte, 0, 1<<20), prefix...)) // one allocation: 8-byte aligned
	if err != nil {
		t.Fatal(err)
	}
	got, n, err := search.DecodeLexicon(b[len(prefix):], search.Robertson)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(b)-len(prefix) {
		t.Errorf("decoded %d bytes of %d", n, len(b)-len(prefix))
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
	stored := b[len(prefix):]
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

// FuzzDecodeLexicon checks that no input makes DecodeLexicon panic,
// that whatever it accepts answers queries and encodes again, and that
// decoding in place (the input at a 4-byte boundary) and by copying (the
// same bytes one byte off it) agree on every input.
func FuzzDecodeLexicon(f *testing.F) {
	b, _ := search.NewLexicon([]string{"exosome release after irradiation", "uptake of exosomes", ""}, search.Robertson).AppendBinary(nil)
	f.Add(b)
	f.Add([]byte("LEX\x02"))
	q := search.ParseQuery("exosome uptake", search.QueryOptions{})
	f.Fuzz(func(t *testing.T, in []byte) {
		aligned := append(make([]byte, 0, len(in)+8), in...)
		unaligned := append(make([]byte, 1, len(in)+9), in...)[1:]
		lx, n, err := search.DecodeLexicon(aligned, search.Robertson)
		cp, cn, cerr := search.DecodeLexicon(unaligned, search.Robertson)
		if (err == nil) != (cerr == nil) || n != cn {
			t.Fatalf("in place: %d, %v; copied: %d, %v", n, err, cn, cerr)
		}
		if err != nil {
			return
		}
		if n > len(in) {
			t.Fatalf("took %d of %d bytes", n, len(in))
		}
		sameBits := func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) } // NaN too
		if a, c := lx.Scores(q), cp.Scores(q); !slices.EqualFunc(a, c, sameBits) {
			t.Fatalf("in place scores %v, copied %v", a, c)
		}
		x, err := lx.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		if y, _ := cp.AppendBinary(nil); !slices.Equal(x, y) {
			t.Fatal("in place and copied lexicons encode differently")
		}
	})
}
