package crossref_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/paper/crossref"
)

func read(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseSamples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, id, title, journal, doi, abstract string
		year, refs                              int
		authors                                 []string
		ref                                     map[int]string
		refDOI                                  map[int]string
	}{
		{
			file: "10.1016_j.pediatrneurol.2015.06.002.json", id: "10.1016_j.pediatrneurol.2015.06.002",
			title: "Delay in Diagnosis of Spinal Muscular Atrophy: A Systematic Literature Review", journal: "Pediatric Neurology",
			doi: "10.1016/j.pediatrneurol.2015.06.002", year: 2015, refs: 36,
			authors:  []string{"Chia-Wei Lin", "Stephanie J. Kalb", "Wei-Shi Yeh"},
			abstract: "Delay in Diagnosis of Spinal Muscular Atrophy: A Systematic Literature Review. By Chia-Wei Lin, Stephanie J. Kalb and Wei-Shi Yeh. Pediatric Neurology, 2015. " + crossref.NoAbstract,
			ref: map[int]string{
				1:  "D'Amico (2011) Spinal muscular atrophy. Orphanet J Rare Dis 6: 71. doi:10.1186/1750-1172-6-71",
				5:  "Harada (2002) Correlation between SMN2 copy number and clinical phenotype of spinal muscular atrophy: three SMN2 copies fail to rescue some patients from the disease severity. J Neurol 249: 1211.",
				36: "Wong (2015) A mixed methods study of age at diagnosis and diagnostic odyssey for Duchenne muscular dystrophy. Eur J Hum Genet. doi:10.1038/ejhg.2014.301",
			},
			refDOI: map[int]string{1: "10.1186/1750-1172-6-71", 5: ""},
		},
		{
			file: "10.3389_fgene.2017.00147.json", id: "10.3389_fgene.2017.00147",
			title: "An Algorithm for Template-Based Prediction of Secondary Structures of Individual RNA Sequences", journal: "Frontiers in Genetics",
			doi: "10.3389/fgene.2017.00147", year: 2017, refs: 22,
			authors:  []string{"Josef Pánek", "Martin Modrák", "Marek Schwarz"},
			abstract: "An Algorithm for Template-Based Prediction of Secondary Structures of Individual RNA Sequences. By Josef Pánek, Martin Modrák and Marek Schwarz. Frontiers in Genetics, 2017. " + crossref.NoAbstract,
			ref: map[int]string{
				2:  "Darty (2009) VARNA: interactive drawing and editing of the RNA secondary structure. Bioinformatics 25: 1974. doi:10.1093/bioinformatics/btp250",
				5:  "Gorodkin (2014) RNA Sequence, Structure, and Function Computational and Bioinformatic Methods. doi:10.1007/978-1-62703-709-9",
				12: "Kreyszig (1979) Advanced Engineering Mathematics.",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := read(t, tt.file)
			if !crossref.Looks(data) {
				t.Error("Looks = false for a Crossref record")
			}
			p, err := crossref.Parse(data, "")
			if err != nil {
				t.Fatal(err)
			}
			checks := []struct{ name, got, want string }{
				{"id", p.ID, tt.id}, {"title", p.Title, tt.title}, {"journal", p.Journal, tt.journal},
				{"doi", p.DOI, tt.doi}, {"abstract", p.Abstract, tt.abstract}, {"numbering", p.Numbering, "order"},
				{"authors", strings.Join(p.Authors, "; "), strings.Join(tt.authors, "; ")},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
				}
			}
			if got, want := p.Year, tt.year; got != want {
				t.Errorf("year = %d, want %d", got, want)
			}
			if got, want := len(p.References), tt.refs; got != want {
				t.Fatalf("%d references, want %d", got, want)
			}
			for n, want := range tt.ref {
				if r, _ := p.Reference(n); r.Text != want {
					t.Errorf("reference %d:\n got %q\nwant %q", n, r.Text, want)
				}
			}
			for n, want := range tt.refDOI {
				if r, _ := p.Reference(n); r.DOI != want {
					t.Errorf("reference %d doi = %q, want %q", n, r.DOI, want)
				}
			}
		})
	}
}

// A bare work (no API envelope) with a JATS abstract and unstructured
// references, as Nature deposits them.
const bare = `{"DOI":"10.1038/nnano.2014.279","title":["Charges ride the <i>spin</i> wave"],"container-title":["Nature Nanotechnology"],
"published-print":{"date-parts":[[2014,12]]},"author":[{"given":"Sadamichi","family":"Maekawa"},{"name":"Spin Consortium"}],
"abstract":"<jats:title>Abstract</jats:title><jats:p>Spin waves carry <jats:italic>charge</jats:italic> currents.</jats:p><jats:p>Second paragraph.</jats:p>",
"reference":[{"key":"ref1","unstructured":"Kajiwara, Y. et al. Transmission of electrical signals by spin-wave interconversion in a magnetic insulator. Nature 464, 262–266 (2010).","DOI":"10.1038/nature08876"},
{"key":"ref2","unstructured":"Saitoh, E. et al. Appl. Phys. Lett. 88, 182509 (2006). doi:10.1063/1.2199473","DOI":"10.1063/1.2199473"},
{"key":"ref3","author":"Bauer","year":2012,"volume":11,"first-page":391,"journal-title":"Nat. Mater.","article-title":"Spin caloritronics"},
{"key":"ref4"}]}`

func TestParseBare(t *testing.T) {
	t.Parallel()
	p, err := crossref.Parse([]byte(bare), "nnano")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"id", p.ID, "nnano"},
		{"title", p.Title, "Charges ride the spin wave"},
		{"abstract", p.Abstract, "Spin waves carry charge currents.\nSecond paragraph."},
		{"authors", strings.Join(p.Authors, "; "), "Sadamichi Maekawa; Spin Consortium"},
		{"ref 1", p.References[0].Text, "Kajiwara, Y. et al. Transmission of electrical signals by spin-wave interconversion in a magnetic insulator. Nature 464, 262–266 (2010). doi:10.1038/nature08876"},
		{"ref 2", p.References[1].Text, "Saitoh, E. et al. Appl. Phys. Lett. 88, 182509 (2006). doi:10.1063/1.2199473"},
		{"ref 3", p.References[2].Text, "Bauer (2012) Spin caloritronics. Nat. Mater. 11: 391."},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if got, want := len(p.References), 3; got != want {
		t.Errorf("%d references, want %d (an empty one is dropped)", got, want)
	}
	if got, want := p.Year, 2014; got != want {
		t.Errorf("year = %d, want %d", got, want)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, field string }{
		{"list", `{"status":"ok","message-type":"work-list","message":{"items":[]}}`, "message-type"},
		{"no title", `{"DOI":"10.1/x","reference":[]}`, "title"},
		{"no id", `{"title":["T"]}`, "id"},
		{"wrong type", `{"message":{"title":"T"}}`, "message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := crossref.Parse([]byte(tt.in), "")
			var pe *paper.ParseError
			if !errors.Is(err, paper.ErrInvalid) || !errors.As(err, &pe) || pe.Field != tt.field {
				t.Fatalf("err = %v, want a parse error on field %q", err, tt.field)
			}
		})
	}
	if crossref.Looks([]byte(`{"id":"p","title":"T","abstract":"A","doi":"10.1/x"}`)) {
		t.Error("Looks = true for ChatPaper's own JSON")
	}
}

func FuzzParse(f *testing.F) {
	f.Add(read(f, "10.1016_j.pediatrneurol.2015.06.002.json"))
	f.Add(read(f, "10.3389_fgene.2017.00147.json"))
	f.Add([]byte(bare))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := crossref.Parse(data, "")
		if err != nil {
			if !errors.Is(err, paper.ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("parsed paper fails validation: %v", err)
		}
	})
}
