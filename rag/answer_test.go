package rag

import "testing"

func TestRefLabel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text, lang, want string
	}{
		{"many authors", "Valadi H, Ekstrom K, Lotvall JO. Exosome-mediated transfer of mRNAs. Nat Cell Biol. 2007; 9: 654-9.", "en_US",
			"Valadi et al. (2007), “Exosome-mediated transfer of mRNAs”"},
		{"one author", "Fais S. NK cell-released exosomes: natural nanobullets against tumors. Oncoimmunology. 2013; 2: e22337.", "en_US",
			"Fais (2013), “NK cell-released exosomes: natural nanobullets against tumors”"},
		{"chinese", "Valadi H, Ekstrom K. Exosome transfer. Nat Cell Biol. 2007; 9: 654-9.", "zh_CN",
			"Valadi 等（2007）《Exosome transfer》"},
		{"unparseable", "Just a line without structure", "en_US", "Just a line without structure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RefLabel(tt.text, tt.lang); got != tt.want {
				t.Errorf("RefLabel = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPiecesConcatenate(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "one", "The paper's abstract says: “Radiotherapy is one of the most effective treatment methods.” [1]", "本文摘要指出：外泌体介导的调控过程在辐射刺激下被重建。"} {
		ps := Pieces(s)
		var joined string
		for _, p := range ps {
			if p == "" {
				t.Errorf("empty piece in %q", s)
			}
			joined += p
		}
		if joined != s {
			t.Errorf("pieces of %q join to %q", s, joined)
		}
		if len(s) > 40 && len(ps) < 2 {
			t.Errorf("%q was not split", s)
		}
	}
}
