package rag

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// maxCiteGroup bounds how much text a citation filter holds back while
// it decides whether a "[" opens a citation.
const maxCiteGroup = 64

// maxRange bounds how many numbers a range like [3–5] expands to; a
// "range" like [1-2020] is not a citation.
const maxRange = 30

// CiteFilter validates a model's citations while the answer streams.
// Text outside brackets passes through; a bracket group of reference
// numbers ([12], [3, 5], [3–5], [3-5], full-width ［12］) is held until it
// closes, then rewritten to keep only numbers in allowed, as "[3, 5]".
// A group with no allowed number is removed with the space before it,
// so a hallucinated citation never reaches the reader and the streamed
// text equals the final answer.
type CiteFilter struct {
	allowed map[int]bool
	emit    func(string) error

	out     strings.Builder // everything emitted so far
	space   strings.Builder // whitespace held back before a possible group
	group   strings.Builder // an open bracket group
	inGroup bool

	kept    []int // in order of first appearance
	dropped []int // sorted, unique
}

// NewCiteFilter returns a filter passing only the numbers in allowed on
// to emit (which may be nil: the filtered text is still kept).
func NewCiteFilter(allowed map[int]bool, emit func(string) error) *CiteFilter {
	return &CiteFilter{allowed: allowed, emit: emit}
}

// Write filters s and emits what can be emitted now. An error from emit
// is returned.
func (f *CiteFilter) Write(s string) error {
	var b strings.Builder
	for _, r := range s {
		switch {
		case f.inGroup:
			f.group.WriteRune(r)
			if r == ']' || r == '］' {
				f.inGroup = false
				f.closeGroup(&b)
			} else if !citeRune(r) || f.group.Len() > maxCiteGroup {
				f.inGroup = false
				f.text(&b, f.group.String())
				f.group.Reset()
			}
		case r == '[' || r == '［':
			f.inGroup = true
			f.group.Reset()
			f.group.WriteRune(r)
		case unicode.IsSpace(r):
			f.space.WriteRune(r)
		default:
			f.text(&b, string(r))
		}
	}
	return f.send(b.String())
}

// End flushes held text, except trailing whitespace.
func (f *CiteFilter) End() error {
	var b strings.Builder
	if f.inGroup {
		f.inGroup = false
		f.text(&b, f.group.String())
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

func (f *CiteFilter) closeGroup(b *strings.Builder) {
	raw := f.group.String()
	f.group.Reset()
	nums, ok := parseCiteGroup(raw)
	if !ok {
		f.text(b, raw)
		return
	}
	var keep []string
	for _, n := range nums {
		if !f.allowed[n] {
			if i, found := slices.BinarySearch(f.dropped, n); !found {
				f.dropped = slices.Insert(f.dropped, i, n)
			}
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
	inner := strings.TrimFunc(g, func(r rune) bool { return r == '[' || r == ']' || r == '［' || r == '］' })
	parts := strings.FieldsFunc(inner, func(r rune) bool { return strings.ContainsRune(",，、;；", r) })
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
