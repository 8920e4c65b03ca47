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
