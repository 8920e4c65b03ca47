package library

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/chatpaper/chatpaper/internal/golden"
	"github.com/chatpaper/chatpaper/paper"
)

func TestChunksDemoGolden(t *testing.T) {
	t.Parallel()
	chunks := Chunks(paper.Demo())
	got, err := json.MarshalIndent(chunks, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "demo-chunks.golden.json", append(got, '\n'))

	var refs int
	for _, c := range chunks {
		if c.Kind == paper.KindReference {
			refs++
			if got, want := c.ID, "r"+itoa(c.N); got != want {
				t.Errorf("reference chunk id = %q, want %q", got, want)
			}
		}
	}
	if got, want := refs, 103; got != want {
		t.Errorf("reference chunks = %d, want %d", got, want)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

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
			if got := Sentences(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Sentences(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestWindowsOverlap(t *testing.T) {
	t.Parallel()
	p := &paper.Paper{ID: "x", Title: "T", Abstract: "A one. B two. C three."}
	var got []string
	for _, c := range Chunks(p) {
		if c.Kind == paper.KindAbstract {
			got = append(got, c.Text)
		}
	}
	if want := []string{"A one. B two.", "B two. C three."}; !reflect.DeepEqual(got, want) {
		t.Errorf("abstract windows = %q, want %q", got, want)
	}
}
