package rag

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCiteFilter(t *testing.T) {
	t.Parallel()
	allowed := map[int]bool{3: true, 4: true, 5: true, 12: true}
	tests := []struct {
		name, in, want string
		kept, dropped  []int
	}{
		{"single", "Exosomes carry RNA [12].", "Exosomes carry RNA [12].", []int{12}, nil},
		{"list", "Shown twice [3, 5].", "Shown twice [3, 5].", []int{3, 5}, nil},
		{"en dash range", "Reviewed [3–5].", "Reviewed [3, 4, 5].", []int{3, 4, 5}, nil},
		{"hyphen range", "Reviewed [3-5].", "Reviewed [3, 4, 5].", []int{3, 4, 5}, nil},
		{"full width", "外泌体携带RNA［12］。", "外泌体携带RNA[12]。", []int{12}, nil},
		{"full width comma", "见［3，12］。", "见[3, 12]。", []int{3, 12}, nil},
		{"hallucinated removed with its space", "True [12], invented [99].", "True [12], invented.", []int{12}, []int{99}},
		{"partly hallucinated", "Both [5, 77, 12].", "Both [5, 12].", []int{5, 12}, []int{77}},
		{"range partly outside", "Range [11-13].", "Range [12].", []int{12}, []int{11, 13}},
		{"not a citation", "An array [a, b] and [ ] stay.", "An array [a, b] and [ ] stay.", nil, nil},
		{"huge range with numbers not allowed goes", "Years [1-2020] stay.", "Years stay.", nil, []int{1, 2020}},
		{"huge range from an allowed number goes", "Years [3-12000] stay.", "Years stay.", nil, []int{12000}},
		{"unclosed at end, allowed", "Trailing [12", "Trailing [12", nil, nil},
		{"unclosed at end, invented", "Trailing [99", "Trailing", nil, []int{99}},
		{"broken off by a word, invented", "Shown [1, is clear.", "Shown is clear.", nil, []int{1}},
		{"broken off by a word, allowed", "Shown [3, is clear.", "Shown [3, is clear.", nil, nil},
		{"broken off, partly invented", "Shown [3, 99 and more.", "Shown and more.", nil, []int{99}},
		{"nested, allowed", "See [[3]].", "See [3].", []int{3}, nil},
		{"nested, invented", "See [[99]].", "See.", nil, []int{99}},
		{"nested after a number", "See [99, [3]].", "See [3]].", []int{3}, []int{99}},
		{"nested, broken off", "See [[99, it.", "See it.", nil, []int{99}},
		{"lenticular brackets", "见【4】和【99】。", "见[4]和。", []int{4}, []int{99}},
		{"dangling range, allowed", "See [3-].", "See [3].", []int{3}, nil},
		{"dangling range, invented", "See [1-].", "See.", nil, []int{1}},
		{"quantity loses its bracket", "Odds 2.1 [95% CI 1.3–3.4].", "Odds 2.1 95% CI 1.3–3.4].", nil, nil},
		{"overlong group goes whole", "See [" + strings.Repeat("3, ", 30) + "99] now.", "See now.", nil, []int{99}},
		{"number too long to parse", "See [99999999999999999999] now.", "See now.", nil, nil},
		{"trailing space trimmed", "Done [12]. ", "Done [12].", []int{12}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Feed one rune at a time, as the worst tokenizer would: the
			// result must not depend on how the stream was cut.
			for _, step := range []int{1, 3, 1000} {
				var emitted strings.Builder
				f := NewCiteFilter(allowed, func(s string) error { emitted.WriteString(s); return nil })
				r := []rune(tt.in)
				for i := 0; i < len(r); i += step {
					if err := f.Write(string(r[i:min(i+step, len(r))])); err != nil {
						t.Fatal(err)
					}
				}
				if err := f.End(); err != nil {
					t.Fatal(err)
				}
				if got := emitted.String(); got != tt.want {
					t.Errorf("step %d: emitted %q, want %q", step, got, tt.want)
				}
				if got := f.Text(); got != emitted.String() {
					t.Errorf("step %d: out %q differs from emitted %q", step, got, emitted.String())
				}
				if !reflect.DeepEqual(f.Kept(), tt.kept) || !reflect.DeepEqual(f.Dropped(), tt.dropped) {
					t.Errorf("step %d: kept %v dropped %v, want %v and %v", step, f.Kept(), f.Dropped(), tt.kept, tt.dropped)
				}
			}
		})
	}
}

// leakedCitations returns the numbers in text that a reader could take
// for citations and that are not allowed: runs of digits after an
// opening bracket with nothing but digits, spaces and citation
// separators between them and the bracket.
func leakedCitations(text string, allowed map[int]bool) []string {
	var leaks []string
	inPrefix := false
	var num strings.Builder
	finish := func() {
		if num.Len() == 0 {
			return
		}
		n, err := strconv.Atoi(num.String())
		if inPrefix && (err != nil || !allowed[n]) {
			leaks = append(leaks, num.String())
		}
		num.Reset()
	}
	for _, r := range text {
		switch {
		case r >= '0' && r <= '9':
			if inPrefix {
				num.WriteRune(r)
			}
			continue
		case openRune(r):
			finish()
			inPrefix = true
			continue
		}
		finish()
		if closeRune(r) || !citeRune(r) {
			inPrefix = false
		}
	}
	finish()
	return leaks
}

// FuzzCitationFilter holds the filter to its promise for any model
// output cut anywhere: every number inside brackets in the streamed text
// is allowed, the streamed text is the answer (its Text), every number
// it keeps is allowed and every number it drops is not, and the result
// does not depend on how the stream was cut.
func FuzzCitationFilter(f *testing.F) {
	for _, s := range []string{
		"Exosomes [12] carry RNA [99].", " [1, is", "Trailing [99", "See [[3]].", "见【4】和［99］", "See [1-].",
		"Odds [95% CI 1.3–3.4]", "[3, [99, [5", "[[0A", "[" + strings.Repeat("3,", 40) + "99]", "[1-2020]", "[[[", "]]3[",
		"Both [5, 77, 12].", "Range [11-13].", "见［3，12］。", "Trailing [12", "[3–5]",
	} {
		f.Add(s, uint8(3))
	}
	allowed := map[int]bool{3: true, 4: true, 5: true, 12: true}
	run := func(s string, step int) (string, *CiteFilter) {
		var emitted strings.Builder
		c := NewCiteFilter(allowed, func(d string) error { emitted.WriteString(d); return nil })
		for i := 0; i < len(s); {
			// Cut on rune boundaries, as deltas are.
			j := min(i+step, len(s))
			for j < len(s) && !utf8.RuneStart(s[j]) {
				j++
			}
			if err := c.Write(s[i:j]); err != nil {
				f.Fatal(err)
			}
			i = j
		}
		if err := c.End(); err != nil {
			f.Fatal(err)
		}
		if emitted.String() != c.Text() {
			f.Fatalf("streamed %q but the answer is %q", emitted.String(), c.Text())
		}
		return emitted.String(), c
	}
	f.Fuzz(func(t *testing.T, s string, step uint8) {
		if !utf8.ValidString(s) {
			return // deltas are decoded JSON strings
		}
		emitted, c := run(s, int(step%8)+1)
		for _, k := range c.Kept() {
			if !allowed[k] {
				t.Errorf("kept %d, which is not allowed", k)
			}
		}
		for _, d := range c.Dropped() {
			if allowed[d] {
				t.Errorf("dropped %d, which is allowed", d)
			}
		}
		if whole, _ := run(s, len(s)+1); whole != emitted {
			t.Fatalf("cut every %d bytes: %q; whole: %q", step%8+1, emitted, whole)
		}
		if leaks := leakedCitations(emitted, allowed); len(leaks) > 0 {
			t.Fatalf("%q streamed as %q shows numbers %v in brackets that are not allowed", s, emitted, leaks)
		}
	})
}
