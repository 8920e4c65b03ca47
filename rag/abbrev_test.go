package rag

import (
	"slices"
	"testing"
	"unicode/utf8"
)

func TestAbbreviations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want []Abbrev
	}{
		{"Exosomes derived from dendritic cells (DCs) prime T cells.", []Abbrev{{"DCs", "dendritic cells"}}},
		{"head and neck squamous cell carcinoma (HNSCC) cells", []Abbrev{{"HNSCC", "head and neck squamous cell carcinoma"}}},
		{"mesenchymal stem cells (MSCs) and natural killer (NK) cells", []Abbrev{{"MSCs", "mesenchymal stem cells"}, {"NK", "natural killer"}}},
		{"the tumor microenvironment (TME).", []Abbrev{{"TME", "tumor microenvironment"}}},
		{"heat shock protein 70 (HSP70) levels", []Abbrev{{"HSP70", "heat shock protein 70"}}},
		{"extracellular vesicles (EVs; see ref 3)", []Abbrev{{"EVs", "extracellular vesicles"}}},
		{"Hyperthermia (HT) and epithelial–mesenchymal transition (EMT) were seen.", []Abbrev{{"HT", "Hyperthermia"}, {"EMT", "epithelial–mesenchymal transition"}}},
		// The short form comes first and the long form in parentheses.
		{"DCs (dendritic cells) were used", []Abbrev{{"DCs", "dendritic cells"}}},
		// Repeated definitions are reported once.
		{"radiotherapy (RT) ... radiotherapy (RT)", []Abbrev{{"RT", "radiotherapy"}}},
		// Not abbreviations: a number, a year, a single letter, a citation,
		// letters that do not occur in order, unbalanced parentheses.
		{"the cohort (2015) and panel (b)", nil},
		{"as shown before (Smith et al. 2010)", nil},
		{"exosome release (XYZ) was measured", nil},
		{"unbalanced (DCs", nil},
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			t.Parallel()
			if got := Abbreviations(tt.text); !slices.Equal(got, tt.want) {
				t.Errorf("Abbreviations(%q) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}

func FuzzAbbreviations(f *testing.F) {
	for _, s := range []string{"dendritic cells (DCs)", "DCs (dendritic cells)", "((a)", "x (", "(( ))"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, a := range Abbreviations(s) {
			// Longer in characters, as the contract says, not in bytes: a
			// short form may hold multi-byte letters.
			if utf8.RuneCountInString(a.Long) <= utf8.RuneCountInString(a.Short) || !validShort(a.Short) {
				t.Errorf("bad abbreviation %+v from %q", a, s)
			}
		}
	})
}
