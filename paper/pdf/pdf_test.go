package pdf_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chatpaper/chatpaper/paper"
	"github.com/chatpaper/chatpaper/paper/pdf"
	"github.com/chatpaper/chatpaper/paper/pdf/pdftest"
)

func TestText(t *testing.T) {
	t.Parallel()
	text, err := pdf.Text(pdftest.Make(pdftest.Article()))
	if err != nil {
		t.Fatal(err)
	}
	want := `Hypoxia imaging guides dose painting in head and neck cancer
Ann Lee1, Bo Chen2 and Cy Wu1

Abstract
Tumour hypoxia limits the effect of
radiotherapy and drives fibrosis in
irradiated tissue. We map hypoxia before
treatment and boost the dose there.
乏氧显像指导剂量雕刻。

References
1. Gray LH, Conger AD. The concentration
of oxygen in tissues. Br J Radiol. 1953;
26: 638-48.
2. Brown JM, Wilson WR. Exploiting tumour
hypoxia in cancer treatment. Nat Rev
Cancer. 2004; 4: 437-47.
3. Horsman MR, Overgaard J. Imaging hypoxia
to improve radiotherapy outcome. Nat Rev
Clin Oncol. 2012; 9: 674-87.

The beams were fixed in every session, and two physicists reviewed each plan.
`
	if text != want {
		t.Errorf("text:\n%s\nwant:\n%s", text, want)
	}
	for _, bad := range []string{"ﬁ", "ﬀ", "\x01", "\x02"} {
		if strings.Contains(text, bad) {
			t.Errorf("text keeps %q", bad)
		}
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	p, err := pdf.Parse(pdftest.Make(pdftest.Article()), "hypoxia-pdf")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Title, "Hypoxia imaging guides dose painting in head and neck cancer"; got != want {
		t.Errorf("title = %q, want %q", got, want)
	}
	if got, want := p.Abstract, "Tumour hypoxia limits the effect of radiotherapy and drives fibrosis in irradiated tissue. We map hypoxia before treatment and boost the dose there. 乏氧显像指导剂量雕刻。"; got != want {
		t.Errorf("abstract = %q, want %q", got, want)
	}
	if got, want := len(p.References), 3; got != want {
		t.Fatalf("%d references, want %d: %+v", got, want, p.References)
	}
	if got, want := p.References[1].Text, "Brown JM, Wilson WR. Exploiting tumour hypoxia in cancer treatment. Nat Rev Cancer. 2004; 4: 437-47."; got != want {
		t.Errorf("reference 2 = %q, want %q", got, want)
	}
	if got, want := p.Numbering, "printed"; got != want {
		t.Errorf("numbering = %q, want %q", got, want)
	}
}

func TestTextErrors(t *testing.T) {
	t.Parallel()
	for name, in := range map[string][]byte{
		"not a pdf": []byte("hello"),
		"no pages":  []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"),
		"no text":   pdftest.Make(nil),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := pdf.Text(in)
			if !errors.Is(err, paper.ErrInvalid) {
				t.Fatalf("err = %v, want one matching ErrInvalid", err)
			}
		})
	}
}

func FuzzText(f *testing.F) {
	f.Add(pdftest.Make(pdftest.Article()))
	f.Add(pdftest.Make(pdftest.ArticleWithBody()))
	f.Add(pdftest.Make(nil))
	f.Add(objStmPDF())
	f.Add([]byte("%PDF-1.7\n1 0 obj <</Type/Page/Contents 2 0 R>> endobj 2 0 obj <</Length 9>>stream\nBT (a) Tj ET\nendstream endobj"))
	// Every hostile shape of TestBombs is a seed, so the fuzzer starts
	// from files that reach each limit.
	for _, b := range bombs {
		f.Add(b.make())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		text, err := pdf.Text(data)
		if err != nil {
			if !errors.Is(err, paper.ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
			return
		}
		if strings.TrimSpace(text) == "" {
			t.Fatal("no error and no text")
		}
	})
}

// PDF 1.5 files keep most objects in object streams and may have a
// broken cross-reference table; pages may inherit resources and use forms.
func TestTextObjectStreamsAndForms(t *testing.T) {
	t.Parallel()
	text, err := pdf.Text(objStmPDF())
	if err != nil {
		t.Fatal(err)
	}
	if want := "first page\n\nin a form\n"; text != want {
		t.Errorf("text = %q, want %q", text, want)
	}
}

func objStmPDF() []byte {
	// Object 6 (the font) at offset 0 after /First, object 7 after it.
	font := "<< /Type /Font /Subtype /Type1 /Encoding << /Differences [1 /fi] >> >>"
	objstm := fmt.Sprintf("6 0 7 %d ", len(font)+1)
	form := "<< /Type /XObject /Subtype /Form /Length 24 >>"
	body := font + " [1 0 R]"
	doc := "%PDF-1.5\n" +
		"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" +
		"2 0 obj << /Type /Pages /Kids [3 0 R 8 0 R] /Resources << /Font << /F1 6 0 R >> /XObject << /X1 9 0 R >> >> /MediaBox [0 0 300 300] >> endobj\n" +
		"3 0 obj << /Type /Page /Parent 2 0 R /Contents 4 0 R >> endobj\n" +
		"4 0 obj << /Length 47 >> stream\nBT /F1 12 Tf 10 200 Td (\\001rst page) Tj ET\nendstream endobj\n" +
		"5 0 obj << /Type /ObjStm /N 2 /First " + fmt.Sprint(len(objstm)) + " /Length " + fmt.Sprint(len(objstm)+len(body)) + " >> stream\n" + objstm + body + "\nendstream endobj\n" +
		"8 0 obj << /Type /Page /Parent 2 0 R /Contents [10 0 R] >> endobj\n" +
		"9 0 obj " + form + " stream\nBT /F1 12 Tf (in a form) Tj ET\nendstream endobj\n" +
		"10 0 obj << >> stream\nq 1 0 0 1 10 100 cm /X1 Do Q\nendstream endobj\n" +
		"xref\n0 1\n0000000000 65535 f \ntrailer << /Root 1 0 R >>\nstartxref\n999999\n%%EOF\n"
	return []byte(doc)
}

func TestParseBody(t *testing.T) {
	data := pdftest.Make(pdftest.ArticleWithBody())
	text, err := pdf.Text(data)
	if err != nil {
		t.Fatal(err)
	}
	// Raised small digits come out as superscripts, so they can be told
	// from the text they follow.
	for _, want := range []string{"tracer.²", "only.¹˒³ Each area of 12 cm² was boosted."} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	p, err := pdf.Parse(data, "hypoxia-body")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Abstract, "Tumour hypoxia limits the effect of radiotherapy. We map hypoxia before treatment and boost the dose there."; got != want {
		t.Errorf("abstract = %q, want %q", got, want)
	}
	if len(p.References) != 3 {
		t.Fatalf("%d references, want 3", len(p.References))
	}
	b := p.Body
	if b == nil {
		t.Fatal("no body")
	}
	type sent struct {
		section, text string
		cites         []int
	}
	var got []sent
	for _, s := range b.Sections {
		for _, pg := range s.Paragraphs {
			for _, st := range pg.Sentences {
				got = append(got, sent{s.Title, st.Text, st.Cites})
			}
		}
	}
	want := []sent{
		{"Introduction", "Oxygen sensitises cells to radiation [1].", []int{1}},
		{"Introduction", "Imaging can find the hypoxic regions of a tumour before treatment [2–3].", []int{2, 3}},
		{"Methods", "We scanned forty patients with a hypoxia tracer.²", []int{2}},
		{"Methods", "Doses were raised in the hypoxic volume only.¹˒³", []int{1, 3}},
		// "cm²" is a unit, not a citation of reference 2.
		{"Methods", "Each area of 12 cm² was boosted.", nil},
	}
	if len(got) != len(want) {
		t.Fatalf("body sentences:\n%+v\nwant\n%+v", got, want)
	}
	for i := range want {
		if got[i].section != want[i].section || got[i].text != want[i].text || !slices.Equal(got[i].cites, want[i].cites) {
			t.Errorf("sentence %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	// The acknowledgements are back matter, not body.
	for _, s := range b.Sections {
		if strings.Contains(strings.ToLower(s.Title), "acknowledg") {
			t.Errorf("back matter kept as section %q", s.Title)
		}
	}
}
