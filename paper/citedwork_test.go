package paper_test

import (
	"testing"

	"github.com/chatpaper/chatpaper/paper"
)

func TestNormalizeDOI(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"10.1038/ncb1596", "10.1038/ncb1596"},
		{"  10.1038/NCB1596  ", "10.1038/ncb1596"},
		{"https://doi.org/10.1016/j.bbrc.2014.03.067", "10.1016/j.bbrc.2014.03.067"},
		{"http://dx.doi.org/10.1016/J.BBRC.2014.03.067.", "10.1016/j.bbrc.2014.03.067"},
		{"doi:10.1186/1750-1172-6-71", "10.1186/1750-1172-6-71"},
		{"DOI: 10.1186/1750-1172-6-71;", "10.1186/1750-1172-6-71"},
		{"10.1016/0006-2952(85)90254-X", "10.1016/0006-2952(85)90254-x"},
		{"(10.1016/0006-2952(85)90254-X)", ""}, // a bracket before the DOI is not part of it
		{"10.1002/(SICI)1097-0258(19980430)17:8<857::AID-SIM777>3.0.CO;2-E", "10.1002/(sici)1097-0258(19980430)17:8<857::aid-sim777>3.0.co;2-e"},
		{"10.1000%2Fabc", "10.1000/abc"},
		{"10.12/abc", ""}, // registrant code needs 4 to 9 digits
		{"11.1234/abc", ""},
		{"10.1234/", ""},
		{"", ""},
		{"not a doi", ""},
	}
	for _, tt := range tests {
		if got := paper.NormalizeDOI(tt.in); got != tt.want {
			t.Errorf("NormalizeDOI(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFindDOI(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"Darty (2009) VARNA. Bioinformatics 25: 1974. doi:10.1093/bioinformatics/btp250", "10.1093/bioinformatics/btp250"},
		{"See https://doi.org/10.1038/NCB1596.", "10.1038/ncb1596"},
		{"Kalluri R. Science. 2020; 367: eaau6977.", ""},
		{"Page 10.1234 of volume 5.", ""},
	}
	for _, tt := range tests {
		if got := paper.FindDOI(tt.in); got != tt.want {
			t.Errorf("FindDOI(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEnrich(t *testing.T) {
	t.Parallel()
	p := &paper.Paper{References: []paper.Reference{
		{N: 1, Text: "A. Retracted work."},
		{N: 2, Text: "B. Changed since linked."},
		{N: 3, Text: "C. Unmatched."},
		{N: 4, Text: "D. Deposited.", DOI: "10.1/D"},
	}}
	w := &paper.CitedWork{DOI: "10.1/a", Title: "Retracted work", Abstract: "We found X.", Status: paper.StatusRetracted, NoticeDOI: "10.1/n", StatusDate: "2021-03-15"}
	links := []paper.ReferenceLink{
		{N: 1, RefKey: paper.RefKey(p.References[0]), DOI: "10.1/a", Match: paper.MatchQuery, Score: 0.97, Work: w},
		{N: 2, RefKey: "stale", DOI: "10.1/b", Match: paper.MatchQuery, Score: 0.99, Work: w},
		{N: 3, RefKey: paper.RefKey(p.References[2]), Match: paper.MatchNone, Score: 0.6},
		{N: 4, RefKey: paper.RefKey(p.References[3]), DOI: "10.1/d", Match: paper.MatchDeposited, Work: &paper.CitedWork{DOI: "10.1/d"}},
	}
	p.Enrich(links)
	r := p.References
	if r[0].DOI != "10.1/a" || r[0].Status != paper.StatusRetracted || r[0].NoticeDOI != "10.1/n" || r[0].StatusDate != "2021-03-15" ||
		r[0].Cited == nil || r[0].Cited.Abstract != "We found X." || r[0].Cited.Match != paper.MatchQuery || r[0].Cited.MatchScore != 0.97 {
		t.Errorf("reference 1 = %+v (cited %+v)", r[0], r[0].Cited)
	}
	if r[1].Cited != nil || r[1].DOI != "" || r[1].Status != "" {
		t.Errorf("reference 2 took a link made for other content: %+v", r[1])
	}
	if r[2].Cited != nil || r[2].DOI != "" {
		t.Errorf("unmatched reference 3 = %+v", r[2])
	}
	if r[3].DOI != "10.1/D" || r[3].Cited == nil || r[3].Cited.Title != "" || r[3].Status != "" {
		t.Errorf("reference 4 (DOI unknown to the registry) = %+v (cited %+v)", r[3], r[3].Cited)
	}
	// Validation drops enrichment: a submitted paper cannot flag itself.
	q := &paper.Paper{ID: "x", Title: "T", Abstract: "A", References: []paper.Reference{{N: 1, Text: "R", Status: paper.StatusRetracted, Cited: &paper.Cited{DOI: "10.1/x"}}}}
	if err := q.Validate(); err != nil {
		t.Fatal(err)
	}
	if q.References[0].Status != "" || q.References[0].Cited != nil {
		t.Errorf("Validate kept submitted enrichment: %+v", q.References[0])
	}
}

func FuzzNormalizeDOI(f *testing.F) {
	for _, s := range []string{"10.1038/ncb1596", "https://doi.org/10.1000%2Fabc", "doi:10.1016/0006-2952(85)90254-X).", "10.1/x", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := paper.NormalizeDOI(s)
		if d == "" {
			return
		}
		if again := paper.NormalizeDOI(d); again != d {
			t.Errorf("NormalizeDOI not idempotent: %q -> %q -> %q", s, d, again)
		}
		if paper.FindDOI(d) == "" {
			t.Errorf("FindDOI misses normalised DOI %q", d)
		}
	})
}

func TestEnrichedRoundTrip(t *testing.T) {
	t.Parallel()
	p := paper.Demo()
	r49, _ := p.Reference(49)
	r62, _ := p.Reference(62)
	links := []paper.ReferenceLink{
		{N: 49, RefKey: paper.RefKey(r49), DOI: "10.5555/x.49", Match: paper.MatchQuery, Score: 0.99,
			Work: &paper.CitedWork{DOI: "10.5555/x.49", Title: "Radiation increases uptake.", Abstract: "We found more uptake."}},
		{N: 62, RefKey: paper.RefKey(r62), DOI: "10.5555/x.62", Match: paper.MatchQuery, Score: 0.98,
			Work: &paper.CitedWork{DOI: "10.5555/x.62", Title: "miR-1246", Status: paper.StatusRetracted}},
	}
	e := p.Enriched(links)
	if got, _ := p.Reference(49); got.Cited != nil || got.DOI != "" {
		t.Fatalf("Enriched changed the original: %+v", got)
	}
	cs := paper.CitedChunks(e)
	if len(cs) != 1 || cs[0].Kind != paper.KindCited || cs[0].N != 49 || cs[0].ID != "c49" || cs[0].Text != "Radiation increases uptake. We found more uptake." {
		t.Errorf("CitedChunks = %+v, want one chunk for [49] (62 has no abstract)", cs)
	}
	u := e.Unenriched()
	for i := range u.References {
		if paper.RefKey(u.References[i]) != paper.RefKey(p.References[i]) || u.References[i] != p.References[i] {
			t.Fatalf("Unenriched reference %d = %+v, want %+v", u.References[i].N, u.References[i], p.References[i])
		}
	}
}
