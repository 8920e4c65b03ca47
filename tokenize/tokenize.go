// Package tokenize splits English and Chinese text into the terms that
// ChatPaper's embedder and lexical ranking share: lower-cased Snowball
// stems for Latin-script words and overlapping character bigrams for
// Chinese, so both languages are handled without a dictionary or model.
package tokenize

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
)

// IsCJK reports whether r is a Han ideograph (the script ChatPaper treats
// as Chinese).
func IsCJK(r rune) bool { return r >= firstHan && unicode.Is(unicode.Han, r) }

// firstHan is the lowest Han code point (CJK Radicals Supplement): most
// text is Latin, and this spares it the range table search.
const firstHan = 0x2E80

// HasCJK reports whether s contains at least one Han ideograph.
func HasCJK(s string) bool {
	for _, r := range s {
		if IsCJK(r) {
			return true
		}
	}
	return false
}

// Lang returns "zh" when Han characters make up at least a fifth of the
// letters of s and "en" otherwise. A fifth, not a majority, because
// Chinese questions about English papers often quote English terms.
func Lang(s string) string {
	var han, letters int
	for _, r := range s {
		switch {
		case IsCJK(r):
			han++
			letters++
		case unicode.IsLetter(r):
			letters++
		}
	}
	if han > 0 && han*5 >= letters {
		return "zh"
	}
	return "en"
}

// Token is one term with the kind of text it came from.
type Token struct {
	Term string
	// Word is the lower-cased surface form before stemming (empty for
	// Chinese bigrams); the embedder builds character n-grams from it.
	Word string
	CJK  bool
}

// Scan splits s into tokens in text order. Latin words are lower-cased
// and stemmed; stop words are dropped. Digits stay (reference numbers,
// miR-1246). Runs of Han characters become overlapping bigrams, and a lone
// Han character becomes a unigram.
func Scan(s string) []Token {
	toks := make([]Token, 0, len(s)/6)
	var run []rune
	flushHan := func() {
		switch len(run) {
		case 0:
		case 1:
			toks = append(toks, Token{Term: string(run), CJK: true})
		default:
			for i := 0; i+1 < len(run); i++ {
				toks = append(toks, Token{Term: string(run[i : i+2]), CJK: true})
			}
		}
		run = run[:0]
	}
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case IsCJK(r):
			run = append(run, r)
			i += size
		case isWordRune(r):
			flushHan()
			j := i
			for j < len(s) {
				r2, s2 := utf8.DecodeRuneInString(s[j:])
				if !isWordRune(r2) || IsCJK(r2) {
					break
				}
				j += s2
			}
			w := fold(s[i:j])
			i = j
			if t, ok := term(w); ok {
				toks = append(toks, Token{Term: t, Word: w})
			}
		default:
			flushHan()
			i += size
		}
	}
	flushHan()
	return toks
}

// Terms returns the terms of Scan(s).
func Terms(s string) []string {
	toks := Scan(s)
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = t.Term
	}
	return out
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// fold lower-cases w and strips Latin diacritics that journals print
// inconsistently (Théry / Thery).
func fold(w string) string {
	w = strings.ToLower(w)
	if isASCII(w) {
		return w
	}
	var b strings.Builder
	for _, r := range w {
		if f, ok := diacritics[r]; ok {
			b.WriteRune(f)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

var diacritics = map[rune]rune{
	'á': 'a', 'à': 'a', 'â': 'a', 'ä': 'a', 'ã': 'a', 'å': 'a',
	'é': 'e', 'è': 'e', 'ê': 'e', 'ë': 'e',
	'í': 'i', 'ì': 'i', 'î': 'i', 'ï': 'i',
	'ó': 'o', 'ò': 'o', 'ô': 'o', 'ö': 'o', 'õ': 'o', 'ø': 'o',
	'ú': 'u', 'ù': 'u', 'û': 'u', 'ü': 'u',
	'ñ': 'n', 'ç': 'c', 'ý': 'y',
}

// term stems a folded word, or reports false for stop words and
// single letters, which carry no meaning for retrieval.
func term(w string) (string, bool) {
	if len(w) < 2 && !(len(w) == 1 && w[0] >= '0' && w[0] <= '9') {
		return "", false
	}
	if _, stop := stopWords[w]; stop {
		return "", false
	}
	if !isASCII(w) || hasDigit(w) {
		return w, true
	}
	return stem(w), true
}

// maxStems bounds the stem cache: about 2 MiB of words and stems.
const maxStems = 1 << 15

// stems memoises the Snowball stems of words: the same words recur in
// every question and chunk, and stemming is most of the cost of
// tokenizing. When full it starts afresh, so its memory stays bounded
// whatever text passes through while the words in use come back at once.
var stems = struct {
	sync.RWMutex
	m map[string]string
}{m: make(map[string]string)}

// stem returns the stem of the folded Latin word w.
func stem(w string) string {
	stems.RLock()
	s, ok := stems.m[w]
	stems.RUnlock()
	if ok {
		return s
	}
	s = english.Stem(normalizeSpelling(w), false)
	stems.Lock()
	if len(stems.m) >= maxStems {
		stems.m = make(map[string]string)
	}
	// w (and a stem that is w) may be a slice of a long text: keep
	// copies, not the text.
	s = strings.Clone(s)
	stems.m[strings.Clone(w)] = s
	stems.Unlock()
	return s
}

// normalizeSpelling maps British spellings and Greek plurals to the form
// the stemmer conflates with their variants, so "tumour metastases"
// matches "tumor metastasis".
func normalizeSpelling(w string) string {
	if v, ok := spellings[w]; ok {
		return v
	}
	for _, r := range britishParts {
		if strings.Contains(w, r[0]) {
			w = strings.Replace(w, r[0], r[1], 1)
		}
	}
	return w
}

// spellings are whole-word variants.
var spellings = map[string]string{
	"metastases": "metastasis", "analyses": "analysis", "diagnoses": "diagnosis", "prognoses": "prognosis",
	"syntheses": "synthesis", "hypotheses": "hypothesis", "apoptoses": "apoptosis", "fibroses": "fibrosis",
	"necroses": "necrosis", "stenoses": "stenosis", "thromboses": "thrombosis", "biogeneses": "biogenesis",
	"centre": "center", "centres": "centers", "fibre": "fiber", "fibres": "fibers",
}

// britishParts are spelling fragments rewritten inside words.
var britishParts = [][2]string{
	{"tumour", "tumor"}, {"haem", "hem"}, {"aemia", "emia"}, {"oestr", "estr"}, {"oedem", "edem"},
	{"paediatr", "pediatr"}, {"foet", "fet"}, {"colour", "color"}, {"behaviour", "behavior"},
	{"favour", "favor"}, {"labour", "labor"}, {"leukaem", "leukem"}, {"anaes", "anes"}, {"oesoph", "esoph"},
}

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			return true
		}
	}
	return false
}

// stopWords are English function words. Content words that merely frame
// a question ("which studies…") are handled by the caller, not here,
// because they do carry meaning inside a paper's text.
var stopWords = setOf(`a about above after again against all am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most my myself no
nor not now of off on once only or other our ours ourselves out over own same she should so some such than that
the their theirs them themselves then there these they this those through to too under until up very was we were
what when where which while who whom why will with would you your yours yourself yourselves also et al via may
might must shall upon vs`)

func setOf(words string) map[string]struct{} {
	m := make(map[string]struct{})
	for _, w := range strings.Fields(words) {
		m[w] = struct{}{}
	}
	return m
}
