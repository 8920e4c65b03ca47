package summary

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseSuggestions holds the parser of a model's suggested questions
// to its contract on any reply: at most MaxSuggestions questions, none
// empty, none longer than maxSuggestionRunes, none with a line break.
func FuzzParseSuggestions(f *testing.F) {
	for _, s := range []string{"- What?\n- Why?", "Here are questions:\n1. A?\n2) B?\n* C", "**- bold?**", "\"quoted?\"", "", "-\n-\n-", "？\n本文有什么发现？"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, reply string) {
		qs := parseSuggestions(reply)
		if len(qs) > MaxSuggestions {
			t.Fatalf("%d questions", len(qs))
		}
		for _, q := range qs {
			if q == "" || utf8.RuneCountInString(q) > maxSuggestionRunes || strings.ContainsAny(q, "\n") {
				t.Fatalf("bad question %q", q)
			}
		}
	})
}
