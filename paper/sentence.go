package paper

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// abbreviations end with a period but do not end a sentence.
var abbreviations = map[string]bool{
	"e.g.": true, "i.e.": true, "al.": true, "etc.": true, "vs.": true, "fig.": true,
	"figs.": true, "ref.": true, "refs.": true, "no.": true, "approx.": true, "ca.": true,
	"dr.": true, "mr.": true, "ms.": true, "st.": true, "eq.": true, "cf.": true,
	"sp.": true, "spp.": true, "resp.": true, "var.": true,
}

// Sentences splits English or Chinese prose into sentences. English
// sentences end at '.', '?' or '!' followed by a space and a capital,
// digit, quote or bracket, except after common abbreviations and
// initials; Chinese ones end at '。', '！', '？' or '；'. White space is
// squashed first.
func Sentences(text string) []string {
	text = squash(text)
	spans := SentenceSpans(text)
	if len(spans) == 0 {
		return nil
	}
	out := make([]string, len(spans))
	for i, sp := range spans {
		out[i] = text[sp[0]:sp[1]]
	}
	return out
}

// SentenceSpans returns the byte ranges [start, end) of the sentences of
// text, which must already have its white space squashed (single spaces,
// no leading or trailing space). Ranges hold no surrounding space.
func SentenceSpans(text string) [][2]int {
	var out [][2]int
	add := func(a, b int) {
		for a < b && text[a] == ' ' {
			a++
		}
		for b > a && text[b-1] == ' ' {
			b--
		}
		if a < b {
			out = append(out, [2]int{a, b})
		}
	}
	start := 0
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch r {
		case '。', '！', '？', '；':
			j := i + size
			for j < len(text) {
				q, qs := utf8.DecodeRuneInString(text[j:])
				if q != '”' && q != '"' && q != '）' {
					break
				}
				j += qs
			}
			add(start, j)
			start, i = j, j
			continue
		case '.', '?', '!':
			j := i + size
			for j < len(text) {
				q, qs := utf8.DecodeRuneInString(text[j:])
				if q != '"' && q != '”' && q != ')' && q != '’' && q != ']' && !isSuperMark(q) {
					break
				}
				j += qs
			}
			if j+1 >= len(text) || text[j] != ' ' {
				i += size
				continue
			}
			next, _ := utf8.DecodeRuneInString(text[j+1:])
			if !(unicode.IsUpper(next) || unicode.IsDigit(next) || next == '“' || next == '"' || next == '(' || next == '[' || unicode.Is(unicode.Han, next)) {
				i += size
				continue
			}
			if r == '.' && isAbbreviation(text[start:i+1]) {
				i += size
				continue
			}
			add(start, j)
			start, i = j+1, j+1
			continue
		}
		i += size
	}
	add(start, len(text))
	return out
}

// isAbbreviation reports whether the sentence-so-far ends in a known
// abbreviation or a single capital initial ("Smith J.").
func isAbbreviation(upto string) bool {
	k := strings.LastIndexByte(upto, ' ') + 1
	word := strings.TrimLeft(upto[k:], "([{“\"")
	if abbreviations[strings.ToLower(word)] {
		return true
	}
	w := []rune(word)
	return len(w) == 2 && unicode.IsUpper(w[0])
}

// JoinSentences joins sentences with a space, or with nothing after a
// sentence that ends in Chinese.
func JoinSentences(s []string) string {
	var b strings.Builder
	for i, x := range s {
		if i > 0 && !endsCJK(s[i-1]) {
			b.WriteByte(' ')
		}
		b.WriteString(x)
	}
	return b.String()
}

func endsCJK(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r == '。' || r == '！' || r == '？' || r == '；' || unicode.Is(unicode.Han, r)
}

// Mark is an in-text citation found in a paragraph's text: the byte range
// it covers and the reference numbers it cites.
type Mark struct {
	Start, End int
	Refs       []int
}

// SplitCited splits a paragraph's text into sentences and attaches each
// citation mark to the sentence it starts in; a superscript marker after
// a sentence's period, as in "… shown before.¹² Next …", stays with the
// sentence it follows. text must be squashed; marks must lie within it.
func SplitCited(text string, marks []Mark) []Sentence {
	spans := SentenceSpans(text)
	out := make([]Sentence, len(spans))
	for i, sp := range spans {
		out[i].Text = text[sp[0]:sp[1]]
	}
	for _, m := range marks {
		// The sentence the mark starts in, or the one before the gap
		// it starts in.
		k := 0
		for k+1 < len(spans) && spans[k+1][0] <= m.Start {
			k++
		}
		if len(out) > 0 {
			out[k].Cites = append(out[k].Cites, m.Refs...)
		}
	}
	for i := range out {
		out[i].Cites = dedupe(out[i].Cites)
	}
	return out
}

// isSuperMark reports whether r can be part of a superscript citation
// marker: a superscript digit, minus or comma-like separator.
func isSuperMark(r rune) bool {
	return strings.ContainsRune(superDigits, r) || r == '⁻' || r == '˒' || r == '‧'
}

// superDigits are the superscript digits 0 to 9 in order.
const superDigits = "⁰¹²³⁴⁵⁶⁷⁸⁹"
