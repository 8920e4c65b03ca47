package rag

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Abbrev is an abbreviation a text defines: its short form and the long
// form it stands for ("DCs" for "dendritic cells").
type Abbrev struct {
	Short string
	Long  string
}

// Abbreviations returns the abbreviations text defines in the pattern
// "long form (short form)", found by the algorithm of Schwartz and
// Hearst (2003, "A simple algorithm for identifying abbreviation
// definitions in biomedical text"): a parenthesised candidate of one or
// two words, 2 to 10 characters with a letter and starting with a letter
// or digit, is matched right to left against the words before the
// parenthesis, each of its letters and digits found in order, its first
// one at the start of a word. The long form is taken from at most
// min(|short|+5, 2·|short|) words before the parenthesis and must be
// longer than the short form and not contain it. When the parenthesis
// holds no valid short form the roles swap ("DCs (dendritic cells)").
// Each short form is reported once, with its first definition.
func Abbreviations(text string) []Abbrev {
	var out []Abbrev
	seen := map[string]bool{}
	for i := 0; i < len(text); {
		open := strings.IndexByte(text[i:], '(')
		if open < 0 {
			break
		}
		open += i
		end := strings.IndexByte(text[open+1:], ')')
		if end < 0 {
			break
		}
		end += open + 1
		inner := strings.TrimSpace(text[open+1 : end])
		// A nested or unbalanced parenthesis: move past the opener.
		if strings.ContainsRune(inner, '(') {
			i = open + 1
			continue
		}
		i = end + 1
		// Text after a separator inside the parenthesis is not part of
		// the short form: "(DCs; ref 3)", "(NK, natural killer)".
		if k := strings.IndexAny(inner, ";,"); k >= 0 {
			inner = strings.TrimSpace(inner[:k])
		}
		before := lastSentencePart(text[:open])
		var a Abbrev
		var ok bool
		if !validShort(inner) {
			// "short (long)": the short form is the word before.
			ws := strings.Fields(before)
			if len(ws) == 0 {
				continue
			}
			sf := strings.Trim(ws[len(ws)-1], ".,;:")
			a, ok = bestLongForm(sf, inner)
		} else {
			a, ok = bestLongForm(inner, before)
		}
		if ok && !seen[a.Short] {
			seen[a.Short] = true
			out = append(out, a)
		}
	}
	return out
}

// lastSentencePart is the text before a parenthesis back to the last
// sentence or clause boundary that a long form cannot cross.
func lastSentencePart(s string) string {
	if k := strings.LastIndexAny(s, ".;:!?()[]"); k >= 0 && k < len(s) {
		// A full stop inside a number or abbreviation ("e.g.") does not
		// end the part only when no space follows it.
		if k+1 < len(s) && s[k+1] == ' ' || s[k] != '.' {
			return s[k+1:]
		}
	}
	return s
}

func validShort(sf string) bool {
	n := utf8.RuneCountInString(sf)
	if n < 2 || n > 10 || len(strings.Fields(sf)) > 2 {
		return false
	}
	first, _ := utf8.DecodeRuneInString(sf)
	if !unicode.IsLetter(first) && !unicode.IsDigit(first) {
		return false
	}
	for _, r := range sf {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// bestLongForm matches sf against the end of candidate as Schwartz and
// Hearst's findBestLongForm does.
func bestLongForm(sf, candidate string) (Abbrev, bool) {
	sf = strings.TrimSpace(sf)
	if !validShort(sf) {
		return Abbrev{}, false
	}
	words := strings.Fields(candidate)
	nsf := utf8.RuneCountInString(sf)
	maxWords := min(nsf+5, 2*nsf)
	if len(words) > maxWords {
		words = words[len(words)-maxWords:]
	}
	long := []rune(strings.Join(words, " "))
	s := []rune(strings.ToLower(sf))
	l := []rune(strings.ToLower(string(long)))
	si, li := len(s)-1, len(l)-1
	for ; si >= 0; si-- {
		c := s[si]
		if !unicode.IsLetter(c) && !unicode.IsDigit(c) {
			continue
		}
		for li >= 0 && (l[li] != c || (si == 0 && li > 0 && (unicode.IsLetter(l[li-1]) || unicode.IsDigit(l[li-1])))) {
			li--
		}
		if li < 0 {
			return Abbrev{}, false
		}
		li--
	}
	// li+1 is where the match of the first character starts; back up to
	// the start of its word.
	start := li + 1
	for start > 0 && l[start-1] != ' ' {
		start--
	}
	lf := strings.TrimSpace(string(long[start:]))
	if utf8.RuneCountInString(lf) <= nsf || strings.Contains(strings.ToLower(lf), strings.ToLower(sf)) {
		return Abbrev{}, false
	}
	return Abbrev{Short: sf, Long: lf}, true
}
