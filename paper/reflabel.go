package paper

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	// "Authors (2004) Title. Source …" — the form JATS element
	// citations, PLOS and Crossref structured references render to.
	parenYearRe = regexp.MustCompile(`^(.+?)\s*\(((?:1[5-9]|20)\d{2})[a-z]?\)[.,:]?\s+(.+)$`)
	labelYearRe = regexp.MustCompile(`\b(1[5-9]\d\d|20\d\d)\b`)
	// The end of a title: sentence punctuation and a space, or the end.
	titleEndRe = regexp.MustCompile(`[.?!](?:\s|$)`)
	// A volume/page string: "J Virol Methods 140: 106–114", "26: 638-48".
	volPageRe = regexp.MustCompile(`^[\p{L}.&' -]*\d+\s*(?:\([^()]*\))?\s*[:;,]\s*[A-Za-z]?\d+(?:\s*[–-]\s*[A-Za-z]?\d+)?\.?$`)
)

// ReferenceLabel returns a short label for a reference entry, as answers
// name the works they cite: "Valadi et al. (2007), “Title”" in English,
// "Valadi 等（2007）《Title》" in Chinese (lang zh_CN). It reads the first
// author's surname, the year and the title from the usual forms of a
// rendered reference: "Authors (Year) Title. Source …" (PLOS, JATS
// element citations, Crossref) and "Authors. Title. Journal. Year; …"
// (Vancouver), with authors written "Surname AB" or "Surname, A. B.".
// When no author and title can be told apart it returns the entry
// itself, shortened: never a bare initial, a journal abbreviation or a
// volume and page string on their own.
func ReferenceLabel(text, lang string) string {
	text = squash(text)
	authors, year, title, ok := splitReference(text)
	if !ok {
		return Shorten(text, 160)
	}
	first := strings.FieldsFunc(authors, func(r rune) bool { return r == ',' || r == ' ' || r == ';' })
	surname := ""
	if len(first) > 0 {
		surname = first[0]
	}
	many := strings.Contains(authors, ",") || strings.Contains(authors, " and ") || strings.Contains(authors, "et al")
	if lang == LangZH {
		s := surname
		if many {
			s += " 等"
		}
		if year != "" {
			s += "（" + year + "）"
		}
		return s + "《" + Shorten(title, 140) + "》"
	}
	s := surname
	if many {
		s += " et al."
	}
	if year != "" {
		s += " (" + year + ")"
	}
	return s + ", “" + Shorten(title, 140) + "”"
}

// splitReference finds the authors, year and title of a rendered
// reference.
func splitReference(text string) (authors, year, title string, ok bool) {
	if m := parenYearRe.FindStringSubmatch(text); m != nil && plausibleAuthors(m[1]) {
		title = cutTitle(m[3])
		return m[1], m[2], title, goodTitle(title)
	}
	// Vancouver: the author list ends at the first period that follows
	// a run of initials ("Mcbride WH.") or "et al.".
	end := authorListEnd(text)
	if end < 0 {
		return "", "", "", false
	}
	authors = strings.TrimSpace(text[:end])
	rest := strings.TrimSpace(text[end+1:])
	title = cutTitle(rest)
	if !plausibleAuthors(authors) || !goodTitle(title) {
		return "", "", "", false
	}
	year = labelYearRe.FindString(rest[len(title):])
	return authors, year, title, true
}

// authorListEnd returns the index of the period (or colon) ending a
// Vancouver or APA author list, or -1. The list ends after "et al." or
// after initials ("Mcbride WH.", "Smith, J. A.") that no further author
// follows; "Lachenmeier DW:" ends it at the colon.
func authorListEnd(text string) int {
	words := strings.Fields(text)
	off := 0
	for i, w := range words {
		at := strings.Index(text[off:], w) + off
		off = at + len(w)
		if i == 0 {
			continue // the first word is a surname, even "Anon."
		}
		core := strings.TrimRight(w, ".:")
		if core == w || !(core == "al" || isInitials(core)) {
			continue
		}
		if strings.HasSuffix(w, ":") || core == "al" {
			return off - 1
		}
		next, after := "", ""
		if i+1 < len(words) {
			next = words[i+1]
		}
		if i+2 < len(words) {
			after = words[i+2]
		}
		switch {
		case next == "":
		case next == "&" || next == "and":
			continue
		case strings.HasSuffix(next, ".") && isInitials(strings.TrimRight(next, ".,")):
			continue // "J. A." — a middle initial
		case strings.HasSuffix(next, ".,") && isInitials(strings.TrimRight(next, ".,")):
			continue
		case strings.HasSuffix(next, ",") && isInitials(strings.TrimRight(after, ".,")) && strings.HasSuffix(after, "."):
			continue // "Jones, B." — the next author
		}
		return off - 1
	}
	return -1
}

// initialsPunct drops the punctuation between initials. A Replacer
// builds its tables on first use, so it is made once.
var initialsPunct = strings.NewReplacer(".", "", "-", "")

// isInitials reports whether s is a run of capital initials such as "WH",
// "J", "J.-P" or "A.B".
func isInitials(s string) bool {
	s = initialsPunct.Replace(s)
	if s == "" || utf8.RuneCountInString(s) > 4 {
		return false
	}
	for _, r := range s {
		if !unicode.IsUpper(r) {
			return false
		}
	}
	return true
}

// cutTitle returns the first sentence of s, the title of a reference
// whose authors and year were cut off.
func cutTitle(s string) string {
	s = strings.TrimSpace(s)
	if loc := titleEndRe.FindStringIndex(s); loc != nil {
		t := s[:loc[0]]
		if s[loc[0]] == '?' || s[loc[0]] == '!' {
			t = s[:loc[0]+1]
		}
		return strings.TrimSpace(t)
	}
	return s
}

// plausibleAuthors reports whether s can be an author list or a group
// author: letters, at most a few hundred characters, and not a number.
func plausibleAuthors(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 2000 {
		return false
	}
	letters := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			letters++
		}
	}
	return letters >= 2
}

// goodTitle reports whether t reads as a title: not a bare initial, not
// a volume and page string, and at least one word of three letters.
func goodTitle(t string) bool {
	if utf8.RuneCountInString(t) < 3 || volPageRe.MatchString(t) || isInitials(t) {
		return false
	}
	for _, w := range strings.Fields(t) {
		n := 0
		for _, r := range w {
			if unicode.IsLetter(r) {
				n++
			}
		}
		if n >= 3 {
			return true
		}
	}
	return false
}

// Shorten cuts s to at most n characters at a word boundary, marking
// the cut with "…".
func Shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	cut := n
	for cut > n/2 && r[cut] != ' ' {
		cut--
	}
	return strings.TrimSpace(string(r[:cut])) + "…"
}
