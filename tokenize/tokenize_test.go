package tokenize

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/kljensen/snowball/english"
)

func TestTerms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"stems and drops stop words", "The exosomes are secreted by cells", []string{"exosom", "secret", "cell"}},
		{"keeps numbers and mixed tokens", "miR-1246 in 2015", []string{"mir", "1246", "2015"}},
		{"folds diacritics", "Théry C", []string{"theri"}},
		{"chinese bigrams", "外泌体", []string{"外泌", "泌体"}},
		{"lone han char", "癌 cancer", []string{"癌", "cancer"}},
		{"mixed scripts split", "外泌体exosome", []string{"外泌", "泌体", "exosom"}},
		{"british and greek plurals", "Tumour metastases haematology", []string{"tumor", "metastasi", "hematolog"}},
		{"empty", "", []string{}},
		{"punctuation only", "?!,.", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Terms(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Terms(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLang(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"Which databases describe RNA content?", "en"},
		{"哪些文献研究了树突状细胞来源的外泌体用于癌症治疗？", "zh"},
		{"ExoCarta 数据库包含什么？", "zh"},
		{"", "en"},
	}
	for _, tt := range tests {
		if got := Lang(tt.in); got != tt.want {
			t.Errorf("Lang(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestStemCache checks that cached stems are Snowball's and that the
// cache stays within its bound however many distinct words pass.
func TestStemCache(t *testing.T) {
	for i := range maxStems + 100 {
		w := "zq" + strings.Repeat("x", i%300) + "ations"
		for range 2 { // a miss, then a hit
			if got, want := stem(w), english.Stem(normalizeSpelling(w), false); got != want {
				t.Fatalf("stem(%q) = %q, want %q", w, got, want)
			}
		}
		stem("w" + strconv.Itoa(i))
	}
	stems.RLock()
	n := len(stems.m)
	stems.RUnlock()
	if n > maxStems {
		t.Errorf("%d stems cached, bound %d", n, maxStems)
	}
	for _, w := range []string{"tumours", "metastases", "running", "exosomes"} {
		if got, want := stem(w), english.Stem(normalizeSpelling(w), false); got != want {
			t.Errorf("stem(%q) = %q, want %q", w, got, want)
		}
	}
}

func TestFirstHan(t *testing.T) {
	t.Parallel()
	for r := rune(0); r < firstHan; r++ {
		if unicode.Is(unicode.Han, r) {
			t.Fatalf("%U is Han, below firstHan", r)
		}
	}
	if !unicode.Is(unicode.Han, firstHan) || !IsCJK(firstHan) || !IsCJK('外') || IsCJK('a') {
		t.Errorf("IsCJK wrong at the bound or on a sample")
	}
}
