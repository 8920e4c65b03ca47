package jats_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/paper/jats"
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
		file, id, title, journal, doi, numbering, abstractStart string
		year, refs                                              int
		authors                                                 int
		ref                                                     map[int]string // exact lines of some references
		refDOI                                                  map[int]string
	}{
		{
			file: "pone.0046493.nxml", id: "10.1371_journal.pone.0046493",
			title:   "MmPPOX Inhibits Mycobacterium tuberculosis Lipolytic Enzymes Belonging to the Hormone-Sensitive Lipase Family and Alters Mycobacterial Growth",
			journal: "PLoS ONE", doi: "10.1371/journal.pone.0046493", numbering: "printed", year: 2012, refs: 58, authors: 9,
			abstractStart: "Lipid metabolism plays an important role during the lifetime of Mycobacterium tuberculosis, the causative agent of tuberculosis.",
			ref: map[int]string{
				1:  "Chakroborty A (2011) Drug-resistant tuberculosis: an insurmountable epidemic? Inflammopharmacology 19: 131–137",
				2:  "Garton NJ, Christensen H, Minnikin DE, Adegbola RA, Barer MR (2002) Intracellular lipophilic inclusions of mycobacteria in vitro and in sputum. Microbiology-Sgm 148: 2951–2958",
				58: "Tiss A, Lengsfeld H, Carriere F, Verger R (2009) Inhibition of human pancreatic lipase by tetrahydrolipstatin: Further kinetic studies showing its reversibility. J Mol Cat B-Enzymatic 58: 41–47",
			},
		},
		{
			file: "pntd.0002065.nxml", id: "10.1371_journal.pntd.0002065",
			title:   "Serological Evidence of Rift Valley Fever Virus Circulation in Sheep and Goats in Zambézia Province, Mozambique",
			journal: "PLoS Neglected Tropical Diseases", doi: "10.1371/journal.pntd.0002065", numbering: "printed", year: 2013, refs: 32, authors: 6,
			abstractStart: "Rift Valley fever (RVF) is endemic in most parts of Africa",
			ref: map[int]string{
				1: "Murphy FA, Gibbs EPJ, Horzinek MC, Studdert MJ (1999) Veterinary Virology. USA: Elsevier. pp 469–475.",
				4: "WHO (2007) Outbreaks of Rift Valley fever in Kenya, Somalia and United Republic of Tanzania, December 2006–April 2007. Weekly epidemiological news 20: 169–178",
			},
		},
		{
			file: "elife06003.xml", id: "10.7554_eLife.06003",
			title:   "No turnover in lens lipids for the entire human lifespan",
			journal: "eLife", doi: "10.7554/eLife.06003", numbering: "order", year: 2015, refs: 32, authors: 6,
			abstractStart: "Lipids are critical to cellular function and it is generally accepted that lipid turnover is rapid and dysregulation in turnover results in disease (Dawidowicz 1987; Phillips et al., 2009; Liu et al., 2013).",
			ref: map[int]string{
				1:  "14CHRONO Centre of the Queen's University of Belfast (2014) Radiocarbon calibration. Retrieved 14th July 2014, from http://calib.qub.ac.uk/CALIBomb/.",
				2:  "Bassnett S, Beebe DC (1992) Coincident loss of mitochondria and nuclei during lens fiber cell differentiation. Developmental Dynamics 194: 85–93. doi:10.1002/aja.1001940202",
				29: "Spalding KL, Buchholz BA, Bergman LE, Druid H, Frisén J (2005) Age written in teeth by nuclear tests. Nature 437: 33. doi:10.1038/437333a",
			},
			refDOI: map[int]string{2: "10.1002/aja.1001940202", 30: ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p, err := jats.Parse(read(t, tt.file), "")
			if err != nil {
				t.Fatal(err)
			}
			if got, want := p.ID, tt.id; got != want {
				t.Errorf("id = %q, want %q", got, want)
			}
			if got, want := p.Title, tt.title; got != want {
				t.Errorf("title = %q, want %q", got, want)
			}
			if got, want := p.Journal, tt.journal; got != want {
				t.Errorf("journal = %q, want %q", got, want)
			}
			if got, want := p.DOI, tt.doi; got != want {
				t.Errorf("doi = %q, want %q", got, want)
			}
			if got, want := p.Year, tt.year; got != want {
				t.Errorf("year = %d, want %d", got, want)
			}
			if got, want := len(p.Authors), tt.authors; got != want {
				t.Errorf("%d authors, want %d: %q", got, want, p.Authors)
			}
			if !strings.HasPrefix(p.Abstract, tt.abstractStart) {
				t.Errorf("abstract starts %.200q, want %q", p.Abstract, tt.abstractStart)
			}
			if strings.Contains(p.Abstract, "DOI:") || strings.Contains(p.Abstract, "eLife digest") {
				t.Errorf("abstract holds the DOI line or the digest: %q", p.Abstract)
			}
			if got, want := p.Numbering, tt.numbering; got != want {
				t.Errorf("numbering = %q, want %q", got, want)
			}
			if got, want := len(p.References), tt.refs; got != want {
				t.Fatalf("%d references, want %d", got, want)
			}
			for i, r := range p.References {
				if r.N != i+1 {
					t.Errorf("references[%d].n = %d, want %d", i, r.N, i+1)
				}
				if strings.Contains(r.Text, "  ") || strings.HasPrefix(r.Text, " ") {
					t.Errorf("reference %d has stray spaces: %q", r.N, r.Text)
				}
			}
			for n, want := range tt.ref {
				r, ok := p.Reference(n)
				if !ok {
					t.Fatalf("no reference %d", n)
				}
				if r.Text != want {
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

// A journal printing labels and a Chinese translated abstract, with mixed
// content inside the title and the abstract.
const bilingual = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE article PUBLIC "-//NLM//DTD JATS (Z39.96) Journal Publishing DTD v1.2 20190208//EN" "JATS-journalpublishing1.dtd">
<article xmlns:mml="http://www.w3.org/1998/Math/MathML" xmlns:xlink="http://www.w3.org/1999/xlink" xml:lang="en">
<front><journal-meta><journal-title-group><journal-title>Chinese Journal of Cancer Research</journal-title></journal-title-group></journal-meta>
<article-meta><article-id pub-id-type="doi">10.21147/j.issn.1000-9604.2020.01.01</article-id>
<title-group><article-title>Dose painting with <sup>18</sup>F-FMISO&nbsp;PET</article-title>
<trans-title-group xml:lang="zh"><trans-title>基于<sup>18</sup>F-FMISO PET的剂量雕刻</trans-title></trans-title-group></title-group>
<contrib-group><contrib contrib-type="author"><name><surname>Wang</surname><given-names>Li</given-names></name><xref ref-type="aff" rid="a1"><sup>1</sup></xref></contrib>
<contrib contrib-type="author"><collab>The FMISO Study Group</collab></contrib></contrib-group>
<pub-date pub-type="epub"><day>1</day><month>2</month><year>2020</year></pub-date>
<abstract><sec><title>Objective</title><p>To test whether <italic>p</italic>O<sub>2</sub> &lt; 10&#x2009;mmHg predicts failure <xref ref-type="bibr" rid="r1">[1]</xref>.</p></sec>
<sec><title>Methods</title><p>We imaged 40 patients with <inline-formula><mml:math><mml:mi>k</mml:mi><mml:mo>=</mml:mo><mml:mn>3</mml:mn></mml:math></inline-formula> tracers.</p></sec></abstract>
<trans-abstract xml:lang="zh"><p>目的：评估乏氧显像能否预测放疗失败<xref ref-type="bibr" rid="r2">[2]</xref>。</p></trans-abstract>
</article-meta></front>
<back><ref-list><title>References</title>
<ref id="r1"><label>[1]</label><mixed-citation publication-type="journal">Gray LH, Conger AD. The concentration of oxygen dissolved in tissues. <source>Br J Radiol</source>. 1953;26:638&ndash;48. doi:<pub-id pub-id-type="doi">10.1259/0007-1285-26-312-638</pub-id></mixed-citation></ref>
<ref id="r2"><label>[2]</label><element-citation publication-type="book"><person-group person-group-type="author"><name><surname>Hall</surname><given-names>EJ</given-names></name><etal/></person-group><year>2012</year><source>Radiobiology for the radiologist</source><edition>7th ed</edition><publisher-loc>Philadelphia</publisher-loc><publisher-name>Lippincott</publisher-name></element-citation></ref>
</ref-list></back></article>`

func TestParseBilingual(t *testing.T) {
	t.Parallel()
	p, err := jats.Parse([]byte(bilingual), "cjcr-1")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"id", p.ID, "cjcr-1"},
		{"title", p.Title, "Dose painting with 18F-FMISO PET"},
		{"title_zh", p.TitleZh, "基于18F-FMISO PET的剂量雕刻"},
		{"abstract", p.Abstract, "Objective: To test whether pO2 < 10 mmHg predicts failure [1].\nMethods: We imaged 40 patients with k=3 tracers."},
		{"abstract_zh", p.AbstractZh, "目的：评估乏氧显像能否预测放疗失败[2]。"},
		{"authors", strings.Join(p.Authors, "; "), "Li Wang; The FMISO Study Group"},
		{"numbering", p.Numbering, "printed"},
		{"ref 1", p.References[0].Text, "Gray LH, Conger AD. The concentration of oxygen dissolved in tissues. Br J Radiol. 1953;26:638–48. doi:10.1259/0007-1285-26-312-638"},
		{"ref 1 doi", p.References[0].DOI, "10.1259/0007-1285-26-312-638"},
		{"ref 2", p.References[1].Text, "Hall EJ, et al. (2012) Radiobiology for the radiologist. 7th ed. Philadelphia: Lippincott."},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, field string }{
		{"not xml", "hello", "article"},
		{"no article", "<html><body>hi</body></html>", "article"},
		{"no meta", "<article><front/></article>", "front/article-meta"},
		{"no title", `<article><front><article-meta><article-id pub-id-type="doi">10.1/x</article-id><abstract><p>A</p></abstract></article-meta></front></article>`, "title"},
		{"no id", `<article><front><article-meta><title-group><article-title>T</article-title></title-group><abstract><p>A</p></abstract></article-meta></front></article>`, "id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jats.Parse([]byte(tt.in), "")
			if !errors.Is(err, paper.ErrInvalid) {
				t.Fatalf("err = %v, want one matching ErrInvalid", err)
			}
			var pe *paper.ParseError
			if !errors.As(err, &pe) || pe.Field != tt.field {
				t.Errorf("err = %#v, want field %q", err, tt.field)
			}
		})
	}
}

func TestIDFromDOI(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"10.1371/journal.pone.0046493":                  "10.1371_journal.pone.0046493",
		"https://doi.org/10.1016/S1474-4422(12)70061-3": "10.1016_S1474-4422_12_70061-3",
		"": "",
	} {
		if got := jats.IDFromDOI(in); got != want {
			t.Errorf("IDFromDOI(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"pone.0046493.nxml", "pntd.0002065.nxml", "elife06003.xml"} {
		f.Add(read(f, name))
	}
	f.Add([]byte(bilingual))
	f.Add([]byte("<article><front><article-meta><title-group><article-title>T<"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := jats.Parse(data, "fuzz")
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
