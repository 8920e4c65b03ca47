package rag

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxCiteGroup bounds how much text a citation filter holds back while
// it decides whether a "[" opens a citation.
const maxCiteGroup = 64

// maxRange bounds how many numbers a range like [3–5] expands to; a
// "range" like [1-2020] is not a citation.
const maxRange = 30

// CiteFilter validates a model's citations while the answer streams.
// Text outside brackets passes through; a bracket group of reference
// numbers ([12], [3, 5], [3–5], [3-5], full-width ［12］ and 【12】) is
// held until it closes, then rewritten to keep only numbers in allowed,
// as "[3, 5]". A group with no allowed number is removed with the space
// before it, so a hallucinated citation never reaches the reader and the
// streamed text equals the final answer.
//
// The promise covers every group a reader could take for a citation,
// not only well-formed ones: a number is shown after an opening bracket,
// with nothing but digits, spaces and separators before it since the
// bracket, only if it is allowed. So a group that breaks off (" [1, is",
// "[99" at the end of the stream), nests ("[[3]]"), or does not parse
// ("[1-2020]") is shown as the model wrote it only when all its numbers
// are allowed; otherwise it is removed, or, when a number in it reads as
// a quantity ("[95% CI"), shown without its bracket.
type CiteFilter struct {
	allowed map[int]bool
	emit    func(string) error

	out     strings.Builder // everything emitted so far
	space   strings.Builder // whitespace held back before a possible group
	group   strings.Builder // an open bracket group
	inGroup bool
	// skipping is set after a group grew past maxCiteGroup: the rest of
	// its digits and separators are dropped with it.
	skipping bool
	// extraCloses is how many closing brackets right after a nested
	// group ("[[3]]") belong to it.
	extraCloses int

	kept    []int // in order of first appearance
	dropped []int // sorted, unique
}

// NewCiteFilter returns a filter passing only the numbers in allowed on
// to emit (which may be nil: the filtered text is still kept).
func NewCiteFilter(allowed map[int]bool, emit func(string) error) *CiteFilter {
	return &CiteFilter{allowed: allowed, emit: emit}
}

func openRune(r rune) bool  { return r == '[' || r == '［' || r == '【' }
func closeRune(r rune) bool { return r == ']' || r == '］' || r == '】' }

// Write filters s and emits what can be emitted now. An error from emit
// is returned.
func (f *CiteFilter) Write(s string) error {
	var b strings.Builder
	for _, r := range s {
		f.rune(&b, r)
	}
	return f.send(b.String())
}

func (f *CiteFilter) rune(b *strings.Builder, r rune) {
	if f.extraCloses > 0 {
		if closeRune(r) {
			f.extraCloses--
			return
		}
		f.extraCloses = 0
	}
	switch {
	case f.skipping:
		if closeRune(r) {
			f.skipping = false
			f.dropNumbers(f.group.String())
			f.group.Reset()
			return
		}
		if citeRune(r) {
			f.group.WriteRune(r)
			return
		}
		f.skipping = false
		f.dropNumbers(f.group.String())
		f.group.Reset()
		f.rune(b, r)
	case f.inGroup && closeRune(r):
		f.group.WriteRune(r)
		f.inGroup = false
		f.closeGroup(b)
	case f.inGroup && (citeRune(r) || openRune(r)):
		// A bracket inside a group ("[[3]]") is part of it: released as
		// text it would put what follows inside brackets unchecked.
		f.group.WriteRune(r)
		if f.group.Len() > maxCiteGroup {
			// Longer than any citation: drop it, and what follows of it.
			f.inGroup, f.skipping = false, true
			f.dropNumbers(f.group.String())
			f.space.Reset()
			f.group.Reset()
		}
	case f.inGroup:
		f.inGroup = false
		f.breakGroup(b, r)
		f.rune(b, r)
	case openRune(r):
		f.inGroup = true
		f.group.Reset()
		f.group.WriteRune(r)
	case unicode.IsSpace(r):
		f.space.WriteRune(r)
	default:
		f.text(b, string(r))
	}
}

// End flushes held text, except trailing whitespace.
func (f *CiteFilter) End() error {
	var b strings.Builder
	switch {
	case f.inGroup:
		f.inGroup = false
		f.breakGroup(&b, 0)
	case f.skipping:
		f.skipping = false
		f.dropNumbers(f.group.String())
		f.group.Reset()
	}
	f.space.Reset()
	return f.send(b.String())
}

// Text is everything emitted so far.
func (f *CiteFilter) Text() string { return f.out.String() }

// Kept are the allowed numbers cited, in order of first appearance.
func (f *CiteFilter) Kept() []int { return f.kept }

// Dropped are the numbers removed, sorted and unique.
func (f *CiteFilter) Dropped() []int { return f.dropped }

func (f *CiteFilter) send(s string) error {
	if s == "" {
		return nil
	}
	f.out.WriteString(s)
	if f.emit == nil {
		return nil
	}
	return f.emit(s)
}

// text appends s after any held whitespace.
func (f *CiteFilter) text(b *strings.Builder, s string) {
	b.WriteString(f.space.String())
	f.space.Reset()
	b.WriteString(s)
}

// breakGroup decides on an open group that cannot be a citation: next,
// the rune that broke it, is not part of one (0 at the end of the
// stream).
func (f *CiteFilter) breakGroup(b *strings.Builder, next rune) {
	raw := f.group.String()
	f.group.Reset()
	if f.numbersAllowed(raw) {
		f.text(b, raw)
		return
	}
	if last, _ := utf8.DecodeLastRuneInString(raw); next != 0 && last >= '0' && last <= '9' && quantityRune(next) {
		// "[95%", "[1.5": a quantity, not a citation. Without its
		// brackets no reader takes it for one.
		f.text(b, strings.Map(func(r rune) rune {
			if openRune(r) {
				return -1
			}
			return r
		}, raw))
		return
	}
	f.dropNumbers(raw)
	// The space before the group goes with it; the space inside it, at
	// its end, still separates the words around it.
	f.space.Reset()
	f.space.WriteString(raw[len(strings.TrimRightFunc(raw, unicode.IsSpace)):])
}

// quantityRune reports whether r after a digit makes it a quantity.
func quantityRune(r rune) bool {
	return r == '%' || r == '.' || r == '‰' || r == '×' || unicode.IsLetter(r)
}

func (f *CiteFilter) closeGroup(b *strings.Builder) {
	raw := f.group.String()
	f.group.Reset()
	nums, ok := parseCiteGroup(raw)
	if ok {
		f.extraCloses = strings.IndexFunc(raw, func(r rune) bool { return !openRune(r) }) - 1
		if f.extraCloses < 0 {
			f.extraCloses = 0
		}
	}
	if !ok {
		if f.numbersAllowed(raw) {
			f.text(b, raw)
		} else {
			f.dropNumbers(raw)
			f.space.Reset()
		}
		return
	}
	var keep []string
	for _, n := range nums {
		if !f.allowed[n] {
			f.drop(n)
			continue
		}
		keep = append(keep, strconv.Itoa(n))
		if !slices.Contains(f.kept, n) {
			f.kept = append(f.kept, n)
		}
	}
	if len(keep) == 0 {
		f.space.Reset()
		return
	}
	f.text(b, "["+strings.Join(keep, ", ")+"]")
}

// Why the promise holds: a number is shown in a citation-like position
// only from a group, and the text emitted before a group never ends in
// one (after an opening bracket with only digits, spaces and separators
// since), because every opening bracket starts or joins a group, and
// each way a group ends leaves the text after it outside brackets: a
// closing bracket, a rune that is no part of a citation, or nothing (a
// removed group). FuzzCitationFilter checks it.

// numbers returns the runs of digits in s; ok is false for a run too
// long to be a number.
func numbers(s string) (out []int, ok bool) {
	ok = true
	for _, run := range strings.FieldsFunc(s, func(r rune) bool { return r < '0' || r > '9' }) {
		n, err := strconv.Atoi(run)
		if err != nil {
			ok = false
			continue
		}
		out = append(out, n)
	}
	return out, ok
}

func (f *CiteFilter) numbersAllowed(s string) bool {
	nums, ok := numbers(s)
	if !ok {
		return false
	}
	for _, n := range nums {
		if !f.allowed[n] {
			return false
		}
	}
	return true
}

// dropNumbers records the numbers of a removed group that were not
// allowed.
func (f *CiteFilter) dropNumbers(s string) {
	nums, _ := numbers(s)
	for _, n := range nums {
		if !f.allowed[n] {
			f.drop(n)
		}
	}
}

func (f *CiteFilter) drop(n int) {
	if i, found := slices.BinarySearch(f.dropped, n); !found {
		f.dropped = slices.Insert(f.dropped, i, n)
	}
}

// citeRune reports whether r may appear inside a citation group.
func citeRune(r rune) bool {
	if r >= '0' && r <= '9' {
		return true
	}
	return strings.ContainsRune(" ,，、;；-–—~～", r)
}

// parseCiteGroup parses "[3, 5–7]" into 3, 5, 6, 7. It fails for groups
// with no number or a malformed range.
func parseCiteGroup(g string) ([]int, bool) {
	inner := strings.TrimFunc(g, func(r rune) bool { return openRune(r) || closeRune(r) })
	// A bracket inside ("[1, [2]") separates numbers like a comma.
	parts := strings.FieldsFunc(inner, func(r rune) bool { return strings.ContainsRune(",，、;；", r) || openRune(r) })
	var out []int
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		bounds := strings.FieldsFunc(p, func(r rune) bool { return strings.ContainsRune("-–—~～", r) })
		switch len(bounds) {
		case 1:
			n, err := strconv.Atoi(strings.TrimSpace(bounds[0]))
			if err != nil {
				return nil, false
			}
			out = append(out, n)
		case 2:
			a, err1 := strconv.Atoi(strings.TrimSpace(bounds[0]))
			b, err2 := strconv.Atoi(strings.TrimSpace(bounds[1]))
			if err1 != nil || err2 != nil || b < a || b-a > maxRange {
				return nil, false
			}
			for n := a; n <= b; n++ {
				out = append(out, n)
			}
		default:
			return nil, false
		}
	}
	return out, len(out) > 0
}
