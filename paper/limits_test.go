package paper_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/paper"
)

func refs(n int) []paper.Reference {
	out := make([]paper.Reference, n)
	for i := range out {
		out[i] = paper.Reference{N: i + 1, Text: fmt.Sprintf("Reference %d.", i+1)}
	}
	return out
}

func TestCheckLimits(t *testing.T) {
	t.Parallel()
	lim := paper.Limits{References: 10, TextBytes: 1000, BodyPassages: 5}
	tests := []struct {
		name    string
		p       paper.Paper
		setting string
	}{
		{"within", paper.Paper{ID: "a", Title: "T", Abstract: "A.", References: refs(10)}, ""},
		{"references", paper.Paper{ID: "a", Title: "T", Abstract: "A.", References: refs(11)}, "CHATPAPER_MAX_REFERENCES"},
		{"text bytes", paper.Paper{ID: "a", Title: "T", Abstract: strings.Repeat("x", 1000)}, "CHATPAPER_MAX_PAPER_BYTES"},
		{"reference text counts", paper.Paper{ID: "a", Title: "T", Abstract: "A.", References: []paper.Reference{{N: 1, Text: strings.Repeat("r", 999)}}}, "CHATPAPER_MAX_PAPER_BYTES"},
		{"hard ceiling", paper.Paper{ID: "a", Title: "T", Abstract: "A.", References: refs(paper.MaxReferences + 1)}, "the most any paper may have"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := lim
			if tt.name == "hard ceiling" {
				l = paper.Limits{}
			}
			err := tt.p.CheckLimits(l)
			if tt.setting == "" {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
				return
			}
			var le *paper.LimitError
			if !errors.Is(err, paper.ErrTooLarge) || !errors.As(err, &le) || le.Setting != tt.setting {
				t.Fatalf("err = %v, want a LimitError naming %s", err, tt.setting)
			}
			if !strings.Contains(err.Error(), tt.setting) {
				t.Errorf("message %q does not name %s", err, tt.setting)
			}
		})
	}
}

// TestParseJSONStopsAtMaxReferences: a JSON paper with 110,000
// references (3.5 MB) is refused as too large at the ceiling, without
// its whole list being walked and decoded.
func TestParseJSONStopsAtMaxReferences(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString(`{"id":"big","title":"T","abstract":"A.","references":[`)
	for i := 1; i <= 110_000; i++ {
		if i > 1 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"n":%d,"text":"R%d"}`, i, i)
	}
	b.WriteString(`]}`)
	_, err := paper.ParseJSON([]byte(b.String()))
	if !errors.Is(err, paper.ErrTooLarge) || !errors.Is(err, paper.ErrInvalid) {
		t.Fatalf("err = %v, want one matching ErrTooLarge", err)
	}
	if !strings.Contains(err.Error(), "more than 50000 references") {
		t.Errorf("err = %v, want it to say the ceiling", err)
	}
}

func bodyPaper(sentences, captions int) paper.Paper {
	var ss []paper.Sentence
	for i := 0; i < sentences; i++ {
		ss = append(ss, paper.Sentence{Text: fmt.Sprintf("Sentence %d of the results.", i+1)})
	}
	b := &paper.Body{Sections: []paper.Section{{Title: "Results", Level: 1, Paragraphs: []paper.Paragraph{{Sentences: ss}}}}}
	for i := 0; i < captions; i++ {
		b.Captions = append(b.Captions, paper.Caption{Kind: "figure", Label: fmt.Sprintf("Figure %d", i+1), Sentences: []paper.Sentence{{Text: "A caption."}}})
	}
	return paper.Paper{ID: "b", Title: "T", Abstract: "A.", Body: b}
}

// TestCheckLimitsBody: body passages are counted as BodyPassages splits
// them, and body text counts towards the text bytes.
func TestCheckLimitsBody(t *testing.T) {
	t.Parallel()
	p := bodyPaper(10, 1)
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if got, want := paper.BodyPassageCount(&p, 2), len(paper.BodyPassages(&p, 2)); got != want || got != 10 {
		t.Fatalf("BodyPassageCount = %d, BodyPassages has %d, want 10 (9 windows and a caption)", got, want)
	}
	if err := p.CheckLimits(paper.Limits{BodyPassages: 10, Window: 2}); err != nil {
		t.Errorf("at the cap: %v", err)
	}
	err := p.CheckLimits(paper.Limits{BodyPassages: 9, Window: 2})
	if !errors.Is(err, paper.ErrTooLarge) || !strings.Contains(err.Error(), "CHATPAPER_MAX_BODY_PASSAGES") || !strings.Contains(err.Error(), "10 body passages") {
		t.Errorf("over the cap: %v", err)
	}
	if n := paper.TextBytes(&p); n < 10*len("Sentence 1 of the results.") {
		t.Errorf("TextBytes = %d, want the body counted", n)
	}
	if err := p.CheckLimits(paper.Limits{TextBytes: 200}); !errors.Is(err, paper.ErrTooLarge) {
		t.Errorf("body over the text bytes: %v", err)
	}
}
