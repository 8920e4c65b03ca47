package chat

import (
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/rag"
	"github.com/chatpaper/chatpaper/store"
)

func TestAnswerStreamNotCovered(t *testing.T) {
	t.Parallel()
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
			a := &answerStream{filter: rag.NewCiteFilter(map[int]bool{3: true}, func(s string) error { emitted.WriteString(s); return nil })}
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
	t.Parallel()
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
