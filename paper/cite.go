package paper

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxRangeSpan bounds how many numbers one citation range ("[3–6]") may
// expand to; a longer "range" is a misread number, not a citation.
const MaxRangeSpan = 100

var (
	// "[12]", "[3–6]", "[3, 5, 7–9]", "[2;4]".
	bracketCiteRe = regexp.MustCompile(`\[(\d{1,4}(?:\s*[–—‒-]\s*\d{1,4})?(?:\s*[,;]\s*\d{1,4}(?:\s*[–—‒-]\s*\d{1,4})?)*)\]`)
	// "¹²", "³⁻⁶", "¹˒²", "¹,²".
	superCiteRe = regexp.MustCompile(`[⁰¹²³⁴⁵⁶⁷⁸⁹]+(?:[⁻˒,‧][⁰¹²³⁴⁵⁶⁷⁸⁹]+)*`)
	citeItemRe  = regexp.MustCompile(`\d+(?:\s*[–—‒-]\s*\d+)?`)
)

// FindMarks finds the numbered in-text citations of plain text (a
// paragraph of page or PDF text, squashed): bracketed numbers ("[12]",
// "[3–6]", "[3, 5]") and superscript digits ("¹²", "³⁻⁶"). A marker is
// kept only when it is unambiguous: every number in it (ranges expanded)
// is a reference has reports, and a superscript follows closing
// punctuation or a word of three or more letters, never a digit or a
// short unit such as "cm²".
func FindMarks(text string, has func(int) bool) []Mark {
	var out []Mark
	for _, loc := range bracketCiteRe.FindAllStringSubmatchIndex(text, -1) {
		if refs, ok := expandList(text[loc[2]:loc[3]], has); ok {
			out = append(out, Mark{Start: loc[0], End: loc[1], Refs: refs})
		}
	}
	for _, loc := range superCiteRe.FindAllStringIndex(text, -1) {
		if !superAfterWord(text[:loc[0]]) {
			continue
		}
		if refs, ok := expandList(unsuper(text[loc[0]:loc[1]]), has); ok {
			out = append(out, Mark{Start: loc[0], End: loc[1], Refs: refs})
		}
	}
	sortMarks(out)
	return out
}

// expandList reads "3, 5–7" as 3, 5, 6, 7, failing when a number is not
// a reference or a range runs backwards or too far.
func expandList(s string, has func(int) bool) ([]int, bool) {
	var refs []int
	for _, item := range citeItemRe.FindAllString(s, -1) {
		lo, hi := item, item
		if i := strings.IndexFunc(item, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
			lo = item[:i]
			hi = strings.TrimLeft(item[i:], " –—‒-")
		}
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if err1 != nil || err2 != nil || b < a || b-a > MaxRangeSpan {
			return nil, false
		}
		for n := a; n <= b; n++ {
			if !has(n) {
				return nil, false
			}
			refs = append(refs, n)
		}
	}
	return dedupe(refs), len(refs) > 0
}

// unsuper turns superscript digits and separators into ASCII.
func unsuper(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case strings.ContainsRune(superDigits, r):
			b.WriteByte(byte('0' + slices.Index([]rune(superDigits), r)))
		case r == '⁻':
			b.WriteByte('-')
		default:
			b.WriteByte(',')
		}
	}
	return b.String()
}

// superAfterWord reports whether a superscript following before reads as
// a citation: after closing punctuation, or after a word of at least
// three letters.
func superAfterWord(before string) bool {
	r, _ := utf8.DecodeLastRuneInString(before)
	if strings.ContainsRune(".,;:)]”’\"", r) {
		return true
	}
	letters := 0
	for before != "" {
		r, size := utf8.DecodeLastRuneInString(before)
		if !unicode.IsLetter(r) {
			break
		}
		letters++
		before = before[:len(before)-size]
	}
	return letters >= 3
}

func sortMarks(ms []Mark) {
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && ms[j].Start < ms[j-1].Start; j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
}
