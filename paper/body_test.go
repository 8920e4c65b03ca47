package paper_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/paper"
)

const bodyJSON = `{"id":"b1","title":"T","abstract":"A.","references":[{"n":1,"text":"R1"},{"n":2,"text":"R2"},{"n":3,"text":"R3"}],
"body":{"sections":[{"title":"Introduction","level":1,"paragraphs":[{"sentences":[{"text":"Hypoxia limits radiotherapy [1].","cites":[1]},{"text":"Doses vary.","cites":[2,3,2]}]}]},
{"title":"Patients","level":2,"paragraphs":[{"kind":"list","sentences":[{"text":"One."}]}]}],
"captions":[{"kind":"figure","label":"Figure 1","section":"sec1","sentences":[{"text":"Dose maps [3].","cites":[3]}]}]}}`

func TestParseJSONBody(t *testing.T) {
	p, err := paper.ParseJSON([]byte(bodyJSON))
	if err != nil {
		t.Fatal(err)
	}
	b := p.Body
	if b == nil || len(b.Sections) != 2 || b.Paragraphs() != 2 || len(b.Captions) != 1 {
		t.Fatalf("body = %+v", b)
	}
	// Missing ids are numbered canonically; repeated citations dropped.
	s := b.Sections[0].Paragraphs[0].Sentences[1]
	if s.ID != "sec1.p1.s2" || !slices.Equal(s.Cites, []int{2, 3}) {
		t.Errorf("sentence = %+v, want id sec1.p1.s2 citing [2 3]", s)
	}
	if got := b.Sections[1].Paragraphs[0].ID; got != "sec2.p1" {
		t.Errorf("second section's paragraph id = %q", got)
	}
	if got := b.Captions[0].ID; got != "fig1" || b.Captions[0].Sentences[0].ID != "fig1.s1" {
		t.Errorf("caption ids = %q, %q", got, b.Captions[0].Sentences[0].ID)
	}
	if got, want := b.Cited(), []int{1, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("Cited() = %v, want %v", got, want)
	}
	if got, want := b.Captions[0].Text(), "Figure 1. Dose maps [3]."; got != want {
		t.Errorf("caption text = %q, want %q", got, want)
	}
}

func TestParseJSONBodyErrors(t *testing.T) {
	base := `{"id":"b1","title":"T","abstract":"A.","references":[{"n":1,"text":"R1"}],"body":%s}`
	tests := []struct{ name, body, field string }{
		{"unknown reference", `{"sections":[{"level":1,"paragraphs":[{"sentences":[{"text":"x","cites":[9]}]}]}]}`, "body.sections[0].paragraphs[0].sentences[0].cites[0]"},
		{"level 0", `{"sections":[{"level":0}]}`, "body.sections[0].level"},
		{"empty sentence", `{"sections":[{"level":1,"paragraphs":[{"sentences":[{"text":" "}]}]}]}`, "body.sections[0].paragraphs[0].sentences[0].text"},
		{"no sentences", `{"sections":[{"level":1,"paragraphs":[{"sentences":[]}]}]}`, "body.sections[0].paragraphs[0].sentences"},
		{"duplicate id", `{"sections":[{"id":"x","level":1},{"id":"x","level":1}]}`, "body.sections[1].id"},
		{"bad kind", `{"sections":[{"level":1,"paragraphs":[{"kind":"poem","sentences":[{"text":"x"}]}]}]}`, "body.sections[0].paragraphs[0].kind"},
		{"bad caption", `{"sections":[],"captions":[{"kind":"video","sentences":[{"text":"x"}]}]}`, "body.captions[0].kind"},
		{"caption section", `{"sections":[],"captions":[{"kind":"table","section":"sec9","sentences":[{"text":"x"}]}]}`, "body.captions[0].section"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := paper.ParseJSON([]byte(strings.Replace(base, "%s", tt.body, 1)))
			var ve *paper.ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.field {
				t.Fatalf("err = %v, want a validation error at %s", err, tt.field)
			}
			if !errors.Is(err, paper.ErrInvalid) {
				t.Errorf("err = %v does not match ErrInvalid", err)
			}
		})
	}
	// An unknown field inside the body is refused like one at the top.
	_, err := paper.ParseJSON([]byte(strings.Replace(base, "%s", `{"sections":[{"level":1,"heading":"x"}]}`, 1)))
	if !errors.Is(err, paper.ErrInvalid) || !strings.Contains(err.Error(), "heading") {
		t.Errorf("unknown body field: err = %v", err)
	}
}

func TestBodylessJSONUnchanged(t *testing.T) {
	// A paper without a body encodes without a "body" key, so papers
	// stored before bodies existed read and hash as they did.
	p := paper.Demo()
	if p.Body != nil {
		t.Fatal("the demo paper has a body")
	}
	if strings.Contains(string(canonicalJSON(t, p)), `"body"`) {
		t.Error("a body-less paper encodes a body key")
	}
}

func TestSentencesWithCitations(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Doses vary [3]. Smith et al. found more. Next.", []string{"Doses vary [3].", "Smith et al. found more.", "Next."}},
		{"As shown before.¹² The next one (Fig. 2) is here.", []string{"As shown before.¹²", "The next one (Fig. 2) is here."}},
		{"乏氧显像。指导剂量雕刻。", []string{"乏氧显像。", "指导剂量雕刻。"}},
		{"See J. Smith. [4] also.", []string{"See J. Smith.", "[4] also."}},
	}
	for _, tt := range tests {
		if got := paper.Sentences(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Sentences(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFindMarks(t *testing.T) {
	has := func(n int) bool { return n >= 1 && n <= 20 }
	tests := []struct {
		in   string
		want [][]int
	}{
		{"Shown before [12] and in [3–6].", [][]int{{12}, {3, 4, 5, 6}}},
		{"Both [2, 5-7; 9] agree.", [][]int{{2, 5, 6, 7, 9}}},
		{"Unknown [25] and [3–60] are no citations.", nil},
		{"Hypoxia limits radiotherapy.¹² Dose³⁻⁵ varies.", [][]int{{12}, {3, 4, 5}}},
		{"An area of 12 cm² and 10⁵ cells.", nil},
		{"Reviewed elsewhere¹˒⁴.", [][]int{{1, 4}}},
	}
	for _, tt := range tests {
		var got [][]int
		for _, m := range paper.FindMarks(tt.in, has) {
			got = append(got, m.Refs)
		}
		if !slices.EqualFunc(got, tt.want, slices.Equal) {
			t.Errorf("FindMarks(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestSplitCited(t *testing.T) {
	text := "Hypoxia limits radiotherapy.¹² Dose varies [3–4]. Nothing here."
	got := paper.SplitCited(text, paper.FindMarks(text, func(n int) bool { return n <= 20 }))
	if len(got) != 3 {
		t.Fatalf("%d sentences: %+v", len(got), got)
	}
	for i, want := range [][]int{{12}, {3, 4}, nil} {
		if !slices.Equal(got[i].Cites, want) {
			t.Errorf("sentence %d %q cites %v, want %v", i, got[i].Text, got[i].Cites, want)
		}
	}
}

func TestParsePageTextBody(t *testing.T) {
	page := `Oxygen and radiation

Ann Lee1, Bo Chen2

Abstract
Hypoxic tumour cells resist radiation far more than oxygenated ones do. We review the evidence.

Keywords: hypoxia; radiotherapy

Introduction
Radiotherapy fails in hypoxic tumours [1]. Oxygen fixes the damage that radiation does to DNA [1, 2].

2.1 Imaging hypoxia
Tracers show where the tumour lacks oxygen [2–3]. Doses can then be raised there.

Acknowledgements
We thank the nurses of the unit for their help with the patients.

References
1. Gray LH, Conger AD. The concentration of oxygen dissolved in tissues. Br J Radiol. 1953; 26: 638-48.
2. Brown JM, Wilson WR. Exploiting tumour hypoxia in cancer treatment. Nat Rev Cancer. 2004; 4: 437-47.
3. Horsman MR, Overgaard J. Imaging hypoxia to improve radiotherapy outcome. Nat Rev Clin Oncol. 2012; 9: 674-87.
`
	p, err := paper.ParsePageText([]byte(page), "page-body")
	if err != nil {
		t.Fatal(err)
	}
	if p.Body == nil {
		t.Fatal("no body")
	}
	var got []string
	for _, s := range p.Body.Sections {
		for _, pg := range s.Paragraphs {
			for _, st := range pg.Sentences {
				got = append(got, fmt.Sprintf("%s|%d|%s|%v", s.Title, s.Level, st.ID, st.Cites))
			}
		}
	}
	want := []string{
		"Introduction|1|sec1.p1.s1|[1]",
		"Introduction|1|sec1.p1.s2|[1 2]",
		"Imaging hypoxia|2|sec2.p1.s1|[2 3]",
		"Imaging hypoxia|2|sec2.p1.s2|[]",
	}
	if !slices.Equal(got, want) {
		t.Errorf("body:\n%q\nwant\n%q", got, want)
	}
	if len(p.References) != 3 || p.Abstract != "Hypoxic tumour cells resist radiation far more than oxygenated ones do. We review the evidence." {
		t.Errorf("abstract %q, %d references", p.Abstract, len(p.References))
	}
	// Pages without text between the abstract and the references, like
	// the demo article's, have no body.
	if q := parseExosome(t); q.Body != nil {
		t.Errorf("the demo page has a body: %+v", q.Body)
	}
}

func TestBodyPassages(t *testing.T) {
	p, err := paper.ParseJSON([]byte(bodyJSON))
	if err != nil {
		t.Fatal(err)
	}
	got := paper.BodyPassages(p, 2)
	want := []paper.Passage{
		{ID: "sec1.p1.s1+2", Kind: paper.KindBody, Section: "Introduction", Text: "Hypoxia limits radiotherapy [1]. Doses vary.", Cites: []int{1, 2, 3}},
		{ID: "sec2.p1.s1+1", Kind: paper.KindBody, Section: "Patients", Text: "One."},
		{ID: "fig1", Kind: paper.KindCaption, Section: "Figure 1", Text: "Figure 1. Dose maps [3].", Cites: []int{3}},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("BodyPassages =\n%+v\nwant\n%+v", got, want)
	}
	ctx := paper.CitationContexts(p)
	if c := ctx[3]; c.ID != "r3" || c.Text != "R3 Doses vary. Dose maps [3]." {
		t.Errorf("context of 3 = %+v", c)
	}
	if _, ok := ctx[4]; ok || len(ctx) != 3 {
		t.Errorf("contexts for %d references, want 3", len(ctx))
	}
	if ps, ok := paper.PassageByID(p, 2, "fig1"); !ok || ps.Section != "Figure 1" {
		t.Errorf("PassageByID(fig1) = %+v, %v", ps, ok)
	}
	if ss := paper.PassageSentences(p, "sec1.p1.s1+2"); len(ss) != 2 || ss[1].ID != "sec1.p1.s2" {
		t.Errorf("PassageSentences = %+v", ss)
	}
	if ss := paper.PassageSentences(p, "sec1.p1.s2+2"); ss != nil {
		t.Errorf("PassageSentences past the section's end = %+v", ss)
	}
	if paper.BodyPassages(paper.Demo(), 2) != nil {
		t.Error("the demo paper has body passages")
	}
}
