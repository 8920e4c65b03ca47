package rag

import (
	"reflect"
	"strings"
	"testing"
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

// FuzzCiteFilter holds the citation filter to its contract for any
// model output cut anywhere: what it emits is exactly its Text, every
// number it keeps is allowed, and every number it drops is not.
func FuzzCiteFilter(f *testing.F) {
	for _, s := range []string{"Exosomes carry RNA [12].", "Both [5, 77, 12].", "Range [11-13].", "见［3，12］。", "Years [1-2020] stay.", "Trailing [12", "[[3]]", "[3–5]"} {
		f.Add(s, uint8(3))
	}
	allowed := map[int]bool{3: true, 4: true, 5: true, 12: true}
	f.Fuzz(func(t *testing.T, in string, step uint8) {
		var emitted strings.Builder
		fl := NewCiteFilter(allowed, func(s string) error { emitted.WriteString(s); return nil })
		n := int(step%16) + 1
		r := []rune(in)
		for i := 0; i < len(r); i += n {
			if err := fl.Write(string(r[i:min(i+n, len(r))])); err != nil {
				t.Fatal(err)
			}
		}
		if err := fl.End(); err != nil {
			t.Fatal(err)
		}
		if emitted.String() != fl.Text() {
			t.Fatalf("emitted %q, Text %q", emitted.String(), fl.Text())
		}
		for _, k := range fl.Kept() {
			if !allowed[k] {
				t.Errorf("kept %d, which is not allowed", k)
			}
		}
		for _, d := range fl.Dropped() {
			if allowed[d] {
				t.Errorf("dropped %d, which is allowed", d)
			}
		}
	})
}
