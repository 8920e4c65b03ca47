package search

import (
	"slices"
	"testing"
)

func TestParseQuery(t *testing.T) {
	t.Parallel()
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
			q := ParseQuery(tt.in, QueryOptions{Rarity: true})
			for _, w := range tt.want {
				if !slices.ContainsFunc(q.Groups, func(g []string) bool {
					for _, x := range w {
						if !slices.Contains(g, x) {
							return false
						}
					}
					return true
				}) {
					t.Errorf("no group holds %q; groups %q", w, q.Groups)
				}
			}
			for _, g := range q.Groups {
				for _, x := range tt.absent {
					if slices.Contains(g, x) {
						t.Errorf("group %q holds %q, a function word", g, x)
					}
				}
			}
			for _, l := range tt.light {
				for _, w := range tt.want {
					if q.Weights[l] >= q.Weights[w[0]] {
						t.Errorf("weight of %q is %.3f, of %q %.3f: want the common word lighter", l, q.Weights[l], w[0], q.Weights[w[0]])
					}
				}
			}
			if len(q.Terms) != len(q.Weights) {
				t.Errorf("%d ordered terms for %d weights", len(q.Terms), len(q.Weights))
			}
		})
	}
	if q := ParseQuery("树突状细胞", QueryOptions{NoGlosses: true}); len(q.Groups) == 0 || q.Groups[0][0] != "树突" {
		t.Errorf("without glosses: groups %q, want character bigrams", q.Groups)
	}
}

// TestGlossesFromVocabulary: a polysemous word is searched by the senses
// the document uses, and by its first-listed ones otherwise.
func TestGlossesFromVocabulary(t *testing.T) {
	t.Parallel()
	bio := func(term string) bool { return term == "lysi" || term == "cell" }
	tests := []struct {
		name  string
		vocab func(string) bool
		want  string
		not   string
	}{
		{"paper about lysis", bio, "lysi", "pyrolysi"},
		{"no paper", nil, "pyrolysi", ""},
		{"paper using no sense", func(string) bool { return false }, "pyrolysi", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := ParseQuery("细胞裂解", QueryOptions{Vocabulary: tt.vocab})
			var all []string
			for _, g := range q.Groups {
				all = append(all, g...)
			}
			if !slices.Contains(all, tt.want) || (tt.not != "" && slices.Contains(all, tt.not)) {
				t.Errorf("groups %q, want %q and not %q", q.Groups, tt.want, tt.not)
			}
		})
	}
}
