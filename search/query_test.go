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
		// absent are terms no group may hold (framing and function words).
		absent []string
	}{
		{"Which studies describe exosome biogenesis?", [][]string{{"exosom"}, {"biogenesi"}}, []string{"studi", "describ"}},
		{"哪些文献研究了树突状细胞来源的外泌体用于癌症治疗？",
			[][]string{{"dendrit", "cell", "树突"}, {"exosom", "外泌"}, {"cancer", "癌症"}, {"therapi", "治疗"}},
			[]string{"research", "studi", "refer", "use", "哪些", "用于"}},
		{"miR-1246 与 DNA 损伤", [][]string{{"mir"}, {"1246"}, {"dna"}, {"damag"}}, []string{"and", "与"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			q := ParseQuery(tt.in, QueryOptions{DropFraming: true})
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
						t.Errorf("group %q holds %q, which only frames the question", g, x)
					}
				}
			}
			if len(q.Terms) != len(q.Weights) {
				t.Errorf("%d ordered terms for %d weights", len(q.Terms), len(q.Weights))
			}
		})
	}
	if q := ParseQuery("树突状细胞", QueryOptions{DropFraming: true, NoGlosses: true}); len(q.Groups) == 0 || q.Groups[0][0] != "树突" {
		t.Errorf("without glosses: groups %q, want character bigrams", q.Groups)
	}
}
