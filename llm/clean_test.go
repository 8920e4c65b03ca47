package llm

import (
	"strings"
	"testing"
)

// cleanSplit runs text through a cleaner cut every step bytes.
func cleanSplit(text string, step int) string {
	var c cleaner
	var b strings.Builder
	for i := 0; i < len(text); i += step {
		b.WriteString(c.write(text[i:min(i+step, len(text))]))
	}
	b.WriteString(c.flush())
	return b.String()
}

func TestCleaner(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain text passes", "Exosomes [1] carry RNA.\n- point\tone", "Exosomes [1] carry RNA.\n- point\tone"},
		{"C0 controls and DEL go", "a\x05b\x1ec\x0cd\x7fe\x00f\rg", "abcdefg"},
		{"sentencepiece tokens", "<s>Answer</s>", "Answer"},
		{"chat template tokens", "done<|im_end|><|eot_id|>", "done"},
		{"DeepSeek tokens", "done<｜end▁of▁sentence｜>", "done"},
		{"Gemma turn marker", "<start_of_turn>model text<end_of_turn>", "model text"},
		{"comparison stays", "p < 0.05 and a<b, x <= y", "p < 0.05 and a<b, x <= y"},
		{"HTML-like words stay", "<p>para</p> <sup>2</sup>", "<p>para</p> <sup>2</sup>"},
		{"unfinished token at the end is text", "ends with <|im", "ends with <|im"},
		{"Chinese passes", "外泌体<s>携带RNA［12］。", "外泌体携带RNA［12］。"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, step := range []int{1, 2, 3, 7, 1 << 20} {
				if got := cleanSplit(tt.in, step); got != tt.want {
					t.Errorf("step %d: %q, want %q", step, got, tt.want)
				}
			}
		})
	}
}

// FuzzCleaner holds the cleaner to its contract for any text cut
// anywhere: no control character gets through, the result does not
// depend on the cuts, and text without "<" or controls is unchanged.
func FuzzCleaner(f *testing.F) {
	for _, s := range []string{"<s>a</s>", "x\x05<|im_end|>y", "a < b", "论文<｜User｜>", "<<s>s>", "<|", "\xe8\xae"} {
		f.Add(s, uint8(1))
	}
	f.Fuzz(func(t *testing.T, s string, step uint8) {
		whole := cleanSplit(s, len(s)+1)
		cut := cleanSplit(s, int(step%16)+1)
		if whole != cut {
			t.Fatalf("cut every %d bytes: %q, whole: %q", step%16+1, cut, whole)
		}
		if strings.ContainsFunc(whole, func(r rune) bool { return r < 0x20 && r != '\t' && r != '\n' || r == 0x7f }) {
			t.Fatalf("control character in %q", whole)
		}
		plain := !strings.ContainsFunc(s, func(r rune) bool { return r == '<' || r < 0x20 && r != '\t' && r != '\n' || r == 0x7f })
		if plain && whole != s {
			t.Fatalf("plain text changed: %q -> %q", s, whole)
		}
	})
}
