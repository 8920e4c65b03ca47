package rag

import (
	"slices"
	"testing"
)

func TestParseQuery(t *testing.T) {
	tests := []struct {
		in string
		// want are groups that must be present (each a subset of one group).
		want [][]string
		// absent are terms no group may hold (function words).
		absent []string
		// light are terms that must weigh less than any of want's first
		// terms: words every abstract uses, which frame the question.
		light []string
	}{
		{"Which studies describe exosome biogenesis?", [][]string{{"exosom"}, {"biogenesi"}}, []string{"which"}, []string{"studi", "describ"}},
		{"哪些文献研究了树突状细胞来源的外泌体用于癌症治疗？",
			[][]string{{"dendrit", "cell", "树突"}, {"exosom", "外泌"}},
			[]string{"use", "哪些", "用于"}, []string{"research", "studi"}},
		{"miR-1246 与 DNA 损伤", [][]string{{"mir"}, {"1246"}, {"dna"}, {"damag"}}, []string{"and", "与"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			q := parseQuery(tt.in, true, nil)
			for _, w := range tt.want {
				if !slices.ContainsFunc(q.groups, func(g []string) bool {
					for _, x := range w {
						if !slices.Contains(g, x) {
							return false
						}
					}
					return true
				}) {
					t.Errorf("no group holds %q; groups %q", w, q.groups)
				}
			}
			for _, g := range q.groups {
				for _, x := range tt.absent {
					if slices.Contains(g, x) {
						t.Errorf("group %q holds %q, which only frames the question", g, x)
					}
				}
			}
			for _, l := range tt.light {
				for _, w := range tt.want {
					if q.weights[l] >= q.weights[w[0]] {
						t.Errorf("weight of %q is %.3f, of %q %.3f: want the common word lighter", l, q.weights[l], w[0], q.weights[w[0]])
					}
				}
			}
			if len(q.terms) != len(q.weights) {
				t.Errorf("%d ordered terms for %d weights", len(q.terms), len(q.weights))
			}
		})
	}
	if q := parseQuery("树突状细胞", false, nil); len(q.groups) == 0 || q.groups[0][0] != "树突" {
		t.Errorf("without glosses: groups %q, want character bigrams", q.groups)
	}
}

// TestGlossesFromPaperVocabulary: a polysemous word is searched by the
// senses the paper uses, and by its first-listed ones otherwise.
func TestGlossesFromPaperVocabulary(t *testing.T) {
	t.Parallel()
	bio := func(term string) bool { return term == "lysi" || term == "cell" }
	tests := []struct {
		name  string
		vocab vocabulary
		want  string
		not   string
	}{
		{"paper about lysis", bio, "lysi", "pyrolysi"},
		{"no paper", nil, "pyrolysi", ""},
		{"paper using no sense", func(string) bool { return false }, "pyrolysi", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := parseQuery("细胞裂解", true, tt.vocab)
			var all []string
			for _, g := range q.groups {
				all = append(all, g...)
			}
			if !slices.Contains(all, tt.want) || (tt.not != "" && slices.Contains(all, tt.not)) {
				t.Errorf("groups %q, want %q and not %q", q.groups, tt.want, tt.not)
			}
		})
	}
}
