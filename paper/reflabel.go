package paper

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// A label is made once per reference and language on the first ask of
// every freshly loaded paper, so the reading below is done by hand-made
// scanners: regular expressions were most of its cost. Each scanner
// names the expression it replaces and accepts exactly what that matched;
// FuzzReferenceLabel compares the two on arbitrary input.

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
	surname := firstSurname(authors)
	many := strings.Contains(authors, ",") || strings.Contains(authors, " and ") || strings.Contains(authors, "et al")
	title = Shorten(title, 140)
	var b strings.Builder
	b.Grow(len(surname) + len(year) + len(title) + 24)
	b.WriteString(surname)
	if lang == LangZH {
		if many {
			b.WriteString(" 等")
		}
		if year != "" {
			b.WriteString("（")
			b.WriteString(year)
			b.WriteString("）")
		}
		b.WriteString("《")
		b.WriteString(title)
		b.WriteString("》")
		return b.String()
	}
	if many {
		b.WriteString(" et al.")
	}
	if year != "" {
		b.WriteString(" (")
		b.WriteString(year)
		b.WriteString(")")
	}
	b.WriteString(", “")
	b.WriteString(title)
	b.WriteString("”")
	return b.String()
}

// firstSurname returns the first word of an author list, words being
// separated by commas, spaces and semicolons, or "" when it has none.
// The separators are ASCII, so a byte scan splits where a rune scan
// would, even in invalid UTF-8.
func firstSurname(authors string) string {
	start := 0
	for start < len(authors) && isAuthorSep(authors[start]) {
		start++
	}
	end := start
	for end < len(authors) && !isAuthorSep(authors[end]) {
		end++
	}
	return authors[start:end]
}

func isAuthorSep(c byte) bool { return c == ',' || c == ' ' || c == ';' }

// splitReference finds the authors, year and title of a rendered
// reference. text must be squashed (fields separated by single ASCII
// spaces, none at either end), as ReferenceLabel makes it: the scanners
// treat ' ' as the only white space and do not look for runs of it.
func splitReference(text string) (authors, year, title string, ok bool) {
	if a, y, rest, found := parenYear(text); found && plausibleAuthors(a) {
		title = cutTitle(rest)
		return a, y, title, goodTitle(title)
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
	year = labelYear(rest[len(title):])
	return authors, year, title, true
}

// parenYear splits "Authors (2004) Title. Source …", the form JATS
// element citations, PLOS and Crossref structured references render to,
// as the expression
//
//	^(.+?)\s*\(((?:1[5-9]|20)\d{2})[a-z]?\)[.,:]?\s+(.+)$
//
// does on squashed text: at the first "(" after the first character that
// opens a year from 1500 to 2099 (with an optional letter, "2004a"),
// closed and followed by an optional '.', ',' or ':', a space and more
// text. The authors exclude the space before the "(".
func parenYear(text string) (authors, year, rest string, ok bool) {
	for p := 1; p < len(text); p++ {
		i := strings.IndexByte(text[p:], '(')
		if i < 0 {
			return "", "", "", false
		}
		p += i
		q := p + 1
		if !isYear(text[q:]) {
			continue
		}
		q += 4
		if q < len(text) && 'a' <= text[q] && text[q] <= 'z' {
			q++
		}
		if q >= len(text) || text[q] != ')' {
			continue
		}
		q++
		if q < len(text) && (text[q] == '.' || text[q] == ',' || text[q] == ':') {
			q++
		}
		// Squashed text ends in a non-space, so a space has text after it.
		if q+1 >= len(text) || text[q] != ' ' {
			continue
		}
		end := p
		if text[end-1] == ' ' {
			end--
		}
		return text[:end], text[p+1 : p+5], text[q+1:], true
	}
	return "", "", "", false
}

// isYear reports whether s starts with a year from 1500 to 2099,
// (?:1[5-9]|20)\d{2}.
func isYear(s string) bool {
	if len(s) < 4 || !isDigit(s[2]) || !isDigit(s[3]) {
		return false
	}
	return (s[0] == '1' && '5' <= s[1] && s[1] <= '9') || (s[0] == '2' && s[1] == '0')
}

// labelYear returns the first year from 1500 to 2099 in s that stands
// alone, \b(1[5-9]\d\d|20\d\d)\b, or "". The word characters of \b are
// ASCII, so any byte above 0x7F borders a year as a space would.
func labelYear(s string) string {
	for i := 0; i+4 <= len(s); i++ {
		if (i == 0 || !isWordByte(s[i-1])) && isYear(s[i:]) && (i+4 == len(s) || !isWordByte(s[i+4])) {
			return s[i : i+4]
		}
	}
	return ""
}

func isDigit(c byte) bool       { return '0' <= c && c <= '9' }
func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isWordByte(c byte) bool    { return isDigit(c) || isASCIILetter(c) || c == '_' }

// isRegexpSpace reports whether c is white space to \s: ASCII tab, line
// feed, form feed, carriage return or space (not vertical tab).
func isRegexpSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

// skipSpace returns the index of the first byte at or after i that is
// not \s white space.
func skipSpace(s string, i int) int {
	for i < len(s) && isRegexpSpace(s[i]) {
		i++
	}
	return i
}

// skipDigits returns the index of the first byte at or after i that is
// not an ASCII digit.
func skipDigits(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// authorListEnd returns the index of the period (or colon) ending a
// Vancouver or APA author list, or -1. The list ends after "et al." or
// after initials ("Mcbride WH.", "Smith, J. A.") that no further author
// follows; "Lachenmeier DW:" ends it at the colon. text must be squashed.
func authorListEnd(text string) int {
	// The first word is a surname, even "Anon.": start at the second.
	_, e := nextWord(text, 0)
	cs, ce := nextWord(text, e)
	ns, ne := nextWord(text, ce)
	as, ae := nextWord(text, ne)
	for cs < ce {
		if endsAuthorList(text[cs:ce], text[ns:ne], text[as:ae]) {
			return ce - 1
		}
		cs, ce, ns, ne = ns, ne, as, ae
		as, ae = nextWord(text, ae)
	}
	return -1
}

// nextWord returns the bounds of the first word of squashed text at or
// after i, or len(text) twice when there is none. On squashed text the
// words are those strings.Fields returns.
func nextWord(text string, i int) (start, end int) {
	for i < len(text) && text[i] == ' ' {
		i++
	}
	start = i
	if j := strings.IndexByte(text[i:], ' '); j >= 0 {
		return start, i + j
	}
	return start, len(text)
}

// endsAuthorList reports whether the author list ends with word w, the
// next two words being next and after ("" past the end).
func endsAuthorList(w, next, after string) bool {
	core := strings.TrimRight(w, ".:")
	if core == w || !(core == "al" || isInitials(core)) {
		return false
	}
	if strings.HasSuffix(w, ":") || core == "al" {
		return true
	}
	switch {
	case next == "":
	case next == "&" || next == "and":
		return false
	case strings.HasSuffix(next, ".") && isInitials(strings.TrimRight(next, ".,")):
		return false // "J. A." — a middle initial
	case strings.HasSuffix(next, ".,") && isInitials(strings.TrimRight(next, ".,")):
		return false
	case strings.HasSuffix(next, ",") && isInitials(strings.TrimRight(after, ".,")) && strings.HasSuffix(after, "."):
		return false // "Jones, B." — the next author
	}
	return true
}

// isInitials reports whether s is a run of capital initials such as "WH",
// "J", "J.-P" or "A.B": one to four upper-case letters once every '.' and
// '-' byte is dropped.
func isInitials(s string) bool {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '.' || c == '-':
			i++
			continue
		case c < utf8.RuneSelf:
			if c < 'A' || c > 'Z' {
				return false
			}
			i++
		default:
			r, w := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && w == 1 {
				// Dropping a '.' or '-' can join stray bytes into a
				// letter ("\xc3.\x89" becomes "É"); decode what is left.
				return isInitialsJoined(s)
			}
			if !unicode.IsUpper(r) {
				return false
			}
			i += w
		}
		// Letters decoded before the first invalid byte decode alike once
		// the punctuation is dropped, so these answers are final.
		if n++; n > 4 {
			return false
		}
	}
	return n > 0
}

// initialsPunct drops the punctuation between initials. A Replacer
// builds its tables on first use, so it is made once.
var initialsPunct = strings.NewReplacer(".", "", "-", "")

// isInitialsJoined is isInitials for invalid UTF-8: it drops the
// punctuation first and decodes the bytes that remain.
func isInitialsJoined(s string) bool {
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
// whose authors and year were cut off: up to the first '.', '?' or '!'
// followed by \s white space or the end (a '?' or '!' is kept).
func cutTitle(s string) string {
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '.' && c != '?' && c != '!' {
			continue
		}
		if i+1 < len(s) && !isRegexpSpace(s[i+1]) {
			continue
		}
		t := s[:i]
		if c != '.' {
			t = s[:i+1]
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
			if letters++; letters >= 2 {
				return true
			}
		}
	}
	return false
}

// goodTitle reports whether t reads as a title: not a bare initial, not
// a volume and page string, and at least one word of three letters.
func goodTitle(t string) bool {
	if !atLeastRunes(t, 3) || isInitials(t) || isVolPage(t) {
		return false
	}
	// A word is a run of runes that are not white space, as strings.Fields
	// splits; letters are counted per word.
	n := 0
	for _, r := range t {
		switch {
		case unicode.IsSpace(r):
			n = 0
		case unicode.IsLetter(r):
			if n++; n >= 3 {
				return true
			}
		}
	}
	return false
}

// atLeastRunes reports whether s holds n runes or more, decoding no
// further than the n-th.
func atLeastRunes(s string, n int) bool {
	for range s {
		if n--; n <= 0 {
			return true
		}
	}
	return n <= 0
}

// isVolPage reports whether t is a volume and page string such as
// "J Virol Methods 140: 106–114" or "26(3): 638-48.", matching what
//
//	^[\p{L}.&' -]*\d+\s*(?:\([^()]*\))?\s*[:;,]\s*[A-Za-z]?\d+(?:\s*[–-]\s*[A-Za-z]?\d+)?\.?$
//
// matches. Each part is followed by a byte the part cannot take, so a
// single left-to-right pass decides: no backtracking is needed.
func isVolPage(t string) bool {
	// [\p{L}.&' -]*: everything before the first digit.
	i := 0
	for i < len(t) && !isDigit(t[i]) {
		c := t[i]
		if c < utf8.RuneSelf {
			if !isASCIILetter(c) && c != '.' && c != '&' && c != '\'' && c != ' ' && c != '-' {
				return false
			}
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(t[i:])
		if !unicode.IsLetter(r) {
			return false
		}
		i += w
	}
	// \d+\s*, an optional (issue), \s*[:;,]\s*
	if j := skipDigits(t, i); j == i {
		return false
	} else {
		i = skipSpace(t, j)
	}
	if i < len(t) && t[i] == '(' {
		j := strings.IndexAny(t[i+1:], "()")
		if j < 0 || t[i+1+j] != ')' {
			return false
		}
		i = skipSpace(t, i+j+2)
	}
	if i == len(t) || (t[i] != ':' && t[i] != ';' && t[i] != ',') {
		return false
	}
	i = skipSpace(t, i+1)
	// [A-Za-z]?\d+, then the end or \s*[–-]\s*[A-Za-z]?\d+ (a page range),
	// then an optional '.'.
	if i = pageNumber(t, i); i < 0 {
		return false
	}
	if i < len(t) && t[i] != '.' {
		i = skipSpace(t, i)
		switch {
		case strings.HasPrefix(t[i:], "-"):
			i++
		case strings.HasPrefix(t[i:], "–"):
			i += len("–")
		default:
			return false
		}
		if i = pageNumber(t, skipSpace(t, i)); i < 0 {
			return false
		}
	}
	return i == len(t) || t[i:] == "."
}

// pageNumber reads [A-Za-z]?\d+ at i and returns the index after it, or
// -1 when there is none.
func pageNumber(t string, i int) int {
	if i < len(t) && isASCIILetter(t[i]) {
		i++
	}
	j := skipDigits(t, i)
	if j == i {
		return -1
	}
	return j
}

// Shorten cuts s to at most n characters at a word boundary, marking
// the cut with "…". A cut is made at the last space among characters
// n/2+1 to n, or at character n when there is none; invalid UTF-8 in the
// part kept comes out as U+FFFD.
func Shorten(s string, n int) string {
	if len(s) <= n {
		return s // no more runes than bytes
	}
	// off is the byte offset of rune n, when s has more than n runes.
	off, k := -1, 0
	for i := range s {
		if k == n {
			off = i
			break
		}
		k++
	}
	if off < 0 {
		return s
	}
	if !utf8.ValidString(s[:off]) {
		return shortenRunes(s, n)
	}
	// Valid UTF-8 decodes the same backwards as forwards, and then the
	// runes before the cut are the bytes before it.
	cut, at := n, off
	for cut > n/2 && s[at] != ' ' {
		_, w := utf8.DecodeLastRuneInString(s[:at])
		at -= w
		cut--
	}
	return strings.TrimSpace(s[:at]) + "…"
}

// shortenRunes is Shorten on the decoded runes of s, for invalid UTF-8.
func shortenRunes(s string, n int) string {
	r := []rune(s)
	cut := n
	for cut > n/2 && r[cut] != ' ' {
		cut--
	}
	return strings.TrimSpace(string(r[:cut])) + "…"
}
