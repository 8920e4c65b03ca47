package paper_test

import (
	"reflect"
	"testing"

	"github.com/chatpaper/chatpaper/paper"
)

func TestSentences(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"simple", "One thing. Two things! Three?", []string{"One thing.", "Two things!", "Three?"}},
		{"abbreviations", "Smith et al. found it, e.g. in mice. Then more.", []string{"Smith et al. found it, e.g. in mice.", "Then more."}},
		{"initials", "As shown by Smith J. Doe in 2019. Next.", []string{"As shown by Smith J. Doe in 2019.", "Next."}},
		{"lowercase continuation", "Values near 0.5 mg. were seen in vitro. Yes.", []string{"Values near 0.5 mg. were seen in vitro.", "Yes."}},
		{"quotes", `Exosomes were “garbage bins.” Now they are not.`, []string{`Exosomes were “garbage bins.”`, "Now they are not."}},
		{"chinese", "外泌体很重要。放疗改变了它们！是吗？", []string{"外泌体很重要。", "放疗改变了它们！", "是吗？"}},
		{"whitespace", "  a  b\n c. ", []string{"a b c."}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := paper.Sentences(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Sentences(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
