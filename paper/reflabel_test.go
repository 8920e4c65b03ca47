package paper_test

import (
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/paper"
)

func TestReferenceLabel(t *testing.T) {
	tests := []struct{ name, text, lang, want string }{
		{"vancouver", "Valadi H, Ekstrom K, Lotvall JO. Exosome-mediated transfer of mRNAs. Nat Cell Biol. 2007; 9: 654-9.", "en_US",
			"Valadi et al. (2007), “Exosome-mediated transfer of mRNAs”"},
		{"one author", "Fais S. NK cell-released exosomes: natural nanobullets against tumors. Oncoimmunology. 2013; 2: e22337.", "en_US",
			"Fais (2013), “NK cell-released exosomes: natural nanobullets against tumors”"},
		{"chinese", "Valadi H, Ekstrom K. Exosome transfer. Nat Cell Biol. 2007; 9: 654-9.", "zh_CN",
			"Valadi 等（2007）《Exosome transfer》"},
		// Used to come out as “J Virol Methods 140: 106–114”.
		{"plos", "Jansen van Vuren P, Potgieter AC, Paweska JT, Van Dijk AA (2007) Preparation and evaluation of a recombinant Rift Valley fever virus N protein. J Virol Methods 140: 106–114", "en_US",
			"Jansen et al. (2007), “Preparation and evaluation of a recombinant Rift Valley fever virus N protein”"},
		// Used to come out as a bare initial.
		{"apa initials", "Smith, J. A., & Jones, B. Hypoxia and radiation. Radiother Oncol, 12, 1–9.", "en_US",
			"Smith et al., “Hypoxia and radiation”"},
		{"et al colon", "Devinsky O, Marsh E, et al.: Cannabidiol in epilepsy. Lancet Neurol. 2016;15(3):270–278.", "en_US",
			"Devinsky et al. (2016), “Cannabidiol in epilepsy”"},
		{"crossref", "Kiryu (2007) Robust prediction of consensus secondary structures. Bioinformatics 23: 434. doi:10.1093/bioinformatics/btl636", "en_US",
			"Kiryu (2007), “Robust prediction of consensus secondary structures”"},
		{"unparseable", "Just a line without structure", "en_US", "Just a line without structure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := paper.ReferenceLabel(tt.text, tt.lang); got != tt.want {
				t.Errorf("ReferenceLabel = %q, want %q", got, tt.want)
			}
		})
	}
}

// Every reference of the demo paper gets an author-and-title label.
func TestReferenceLabelDemo(t *testing.T) {
	for _, r := range paper.Demo().References {
		l := paper.ReferenceLabel(r.Text, paper.LangEN)
		if !strings.Contains(l, "“") {
			t.Errorf("ref %d: label %q from %q", r.N, l, r.Text)
		}
	}
}
