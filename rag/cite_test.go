package rag

import (
	"reflect"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/store"
)

func TestCiteFilter(t *testing.T) {
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
		{"huge range is text", "Years [1-2020] stay.", "Years [1-2020] stay.", nil, nil},
		{"unclosed at end", "Trailing [12", "Trailing [12", nil, nil},
		{"trailing space trimmed", "Done [12]. ", "Done [12].", []int{12}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Feed one rune at a time, as the worst tokenizer would: the
			// result must not depend on how the stream was cut.
			for _, step := range []int{1, 3, 1000} {
				var emitted strings.Builder
				f := newCiteFilter(allowed, func(s string) error { emitted.WriteString(s); return nil })
				r := []rune(tt.in)
				for i := 0; i < len(r); i += step {
					if err := f.write(string(r[i:min(i+step, len(r))])); err != nil {
						t.Fatal(err)
					}
				}
				if err := f.end(); err != nil {
					t.Fatal(err)
				}
				if got := emitted.String(); got != tt.want {
					t.Errorf("step %d: emitted %q, want %q", step, got, tt.want)
				}
				if got := f.out.String(); got != emitted.String() {
					t.Errorf("step %d: out %q differs from emitted %q", step, got, emitted.String())
				}
				if !reflect.DeepEqual(f.kept, tt.kept) || !reflect.DeepEqual(f.dropped, tt.dropped) {
					t.Errorf("step %d: kept %v dropped %v, want %v and %v", step, f.kept, f.dropped, tt.kept, tt.dropped)
				}
			}
		})
	}
}

func TestParseCitations(t *testing.T) {
	if got, want := ParseCitations("See [26] and [3–5], again [26], ［7］."), []int{26, 3, 4, 5, 7}; !reflect.DeepEqual(got, want) {
		t.Errorf("ParseCitations = %v, want %v", got, want)
	}
}

func TestAnswerStreamNotCovered(t *testing.T) {
	tests := []struct {
		name       string
		pieces     []string
		notCovered bool
		out        string
	}{
		{"marker split across tokens", []string{"NOT", "_COV", "ERED"}, true, ""},
		{"marker with a period and more", []string{"NOT_COVERED", ". The paper does not say."}, true, ""},
		{"marker with leading space", []string{" NOT_", "COVERED\n"}, true, ""},
		{"answer starting like the marker", []string{"NOT", "ably, [3] shows it."}, false, "NOTably, [3] shows it."},
		{"ordinary answer", []string{"Reference ", "[3]", " shows it."}, false, "Reference [3] shows it."},
		{"empty reply", nil, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var emitted strings.Builder
			a := &answerStream{filter: newCiteFilter(map[int]bool{3: true}, func(s string) error { emitted.WriteString(s); return nil })}
			for _, p := range tt.pieces {
				if err := a.write(p); err != nil {
					t.Fatal(err)
				}
			}
			if err := a.end(); err != nil {
				t.Fatal(err)
			}
			if a.notCovered != tt.notCovered || emitted.String() != tt.out {
				t.Errorf("notCovered %v emitted %q, want %v and %q", a.notCovered, emitted.String(), tt.notCovered, tt.out)
			}
		})
	}
}

func TestTrimTurns(t *testing.T) {
	turn := func(q string) store.Turn { return store.Turn{Question: q, Answer: strings.Repeat("a", 90)} }
	var turns []store.Turn
	for _, q := range []string{"q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8"} {
		turns = append(turns, turn(q))
	}
	qs := func(ts []store.Turn) string {
		var out []string
		for _, t := range ts {
			out = append(out, t.Question)
		}
		return strings.Join(out, ",")
	}
	if got, want := qs(trimTurns(turns, 6, 10000)), "q3,q4,q5,q6,q7,q8"; got != want {
		t.Errorf("by count: %s, want %s", got, want)
	}
	if got, want := qs(trimTurns(turns, 6, 200)), "q7,q8"; got != want {
		t.Errorf("by budget: %s, want %s", got, want)
	}
	// The latest turn is kept even when it alone exceeds the budget.
	if got, want := qs(trimTurns(turns, 6, 10)), "q8"; got != want {
		t.Errorf("tiny budget: %s, want %s", got, want)
	}
}
