package paper_test

// This file keeps ReferenceLabel as it was when it was written with
// regular expressions, renamed with an "old" prefix, as the oracle the
// rewrite must match byte for byte (TestReferenceLabelOracle,
// FuzzReferenceLabel) and the baseline BenchmarkOldReferenceLabel
// measures against. Do not change it: it defines the output.

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/chatpaper/chatpaper/paper"
)

var (
	// "Authors (2004) Title. Source …" — the form JATS element
	// citations, PLOS and Crossref structured references render to.
	oldParenYearRe = regexp.MustCompile(`^(.+?)\s*\(((?:1[5-9]|20)\d{2})[a-z]?\)[.,:]?\s+(.+)$`)
	oldLabelYearRe = regexp.MustCompile(`\b(1[5-9]\d\d|20\d\d)\b`)
	// The end of a title: sentence punctuation and a space, or the end.
	oldTitleEndRe = regexp.MustCompile(`[.?!](?:\s|$)`)
	// A volume/page string: "J Virol Methods 140: 106–114", "26: 638-48".
	oldVolPageRe = regexp.MustCompile(`^[\p{L}.&' -]*\d+\s*(?:\([^()]*\))?\s*[:;,]\s*[A-Za-z]?\d+(?:\s*[–-]\s*[A-Za-z]?\d+)?\.?$`)
)

// oldReferenceLabel returns a short label for a reference entry, as answers
// name the works they cite: "Valadi et al. (2007), “Title”" in English,
// "Valadi 等（2007）《Title》" in Chinese (lang zh_CN). It reads the first
// author's surname, the year and the title from the usual forms of a
// rendered reference: "Authors (Year) Title. Source …" (PLOS, JATS
// element citations, Crossref) and "Authors. Title. Journal. Year; …"
// (Vancouver), with authors written "Surname AB" or "Surname, A. B.".
// When no author and title can be told apart it returns the entry
// itself, shortened: never a bare initial, a journal abbreviation or a
// volume and page string on their own.
func oldReferenceLabel(text, lang string) string {
	text = oldSquash(text)
	authors, year, title, ok := oldSplitReference(text)
	if !ok {
		return oldShorten(text, 160)
	}
	first := strings.FieldsFunc(authors, func(r rune) bool { return r == ',' || r == ' ' || r == ';' })
	surname := ""
	if len(first) > 0 {
		surname = first[0]
	}
	many := strings.Contains(authors, ",") || strings.Contains(authors, " and ") || strings.Contains(authors, "et al")
	if lang == paper.LangZH {
		s := surname
		if many {
			s += " 等"
		}
		if year != "" {
			s += "（" + year + "）"
		}
		return s + "《" + oldShorten(title, 140) + "》"
	}
	s := surname
	if many {
		s += " et al."
	}
	if year != "" {
		s += " (" + year + ")"
	}
	return s + ", “" + oldShorten(title, 140) + "”"
}

// oldSplitReference finds the authors, year and title of a rendered
// reference.
func oldSplitReference(text string) (authors, year, title string, ok bool) {
	if m := oldParenYearRe.FindStringSubmatch(text); m != nil && oldPlausibleAuthors(m[1]) {
		title = oldCutTitle(m[3])
		return m[1], m[2], title, oldGoodTitle(title)
	}
	// Vancouver: the author list ends at the first period that follows
	// a run of initials ("Mcbride WH.") or "et al.".
	end := oldAuthorListEnd(text)
	if end < 0 {
		return "", "", "", false
	}
	authors = strings.TrimSpace(text[:end])
	rest := strings.TrimSpace(text[end+1:])
	title = oldCutTitle(rest)
	if !oldPlausibleAuthors(authors) || !oldGoodTitle(title) {
		return "", "", "", false
	}
	year = oldLabelYearRe.FindString(rest[len(title):])
	return authors, year, title, true
}

// oldAuthorListEnd returns the index of the period (or colon) ending a
// Vancouver or APA author list, or -1. The list ends after "et al." or
// after initials ("Mcbride WH.", "Smith, J. A.") that no further author
// follows; "Lachenmeier DW:" ends it at the colon.
func oldAuthorListEnd(text string) int {
	words := strings.Fields(text)
	off := 0
	for i, w := range words {
		at := strings.Index(text[off:], w) + off
		off = at + len(w)
		if i == 0 {
			continue // the first word is a surname, even "Anon."
		}
		core := strings.TrimRight(w, ".:")
		if core == w || !(core == "al" || oldIsInitials(core)) {
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
		case strings.HasSuffix(next, ".") && oldIsInitials(strings.TrimRight(next, ".,")):
			continue // "J. A." — a middle initial
		case strings.HasSuffix(next, ".,") && oldIsInitials(strings.TrimRight(next, ".,")):
			continue
		case strings.HasSuffix(next, ",") && oldIsInitials(strings.TrimRight(after, ".,")) && strings.HasSuffix(after, "."):
			continue // "Jones, B." — the next author
		}
		return off - 1
	}
	return -1
}

// oldInitialsPunct drops the punctuation between initials. A Replacer
// builds its tables on first use, so it is made once.
var oldInitialsPunct = strings.NewReplacer(".", "", "-", "")

// oldIsInitials reports whether s is a run of capital initials such as "WH",
// "J", "J.-P" or "A.B".
func oldIsInitials(s string) bool {
	s = oldInitialsPunct.Replace(s)
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

// oldCutTitle returns the first sentence of s, the title of a reference
// whose authors and year were cut off.
func oldCutTitle(s string) string {
	s = strings.TrimSpace(s)
	if loc := oldTitleEndRe.FindStringIndex(s); loc != nil {
		t := s[:loc[0]]
		if s[loc[0]] == '?' || s[loc[0]] == '!' {
			t = s[:loc[0]+1]
		}
		return strings.TrimSpace(t)
	}
	return s
}

// oldPlausibleAuthors reports whether s can be an author list or a group
// author: letters, at most a few hundred characters, and not a number.
func oldPlausibleAuthors(s string) bool {
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

// oldGoodTitle reports whether t reads as a title: not a bare initial, not
// a volume and page string, and at least one word of three letters.
func oldGoodTitle(t string) bool {
	if utf8.RuneCountInString(t) < 3 || oldVolPageRe.MatchString(t) || oldIsInitials(t) {
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

// oldShorten cuts s to at most n characters at a word boundary, marking
// the cut with "…".
func oldShorten(s string, n int) string {
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

func oldSquash(s string) string { return strings.Join(strings.Fields(s), " ") }
